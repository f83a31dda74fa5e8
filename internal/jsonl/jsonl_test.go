package jsonl

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestTornLine: a last line a crash cut short is not read, and the next append cuts it off
// before writing, so the file holds whole lines only.
func TestTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.jsonl")
	for _, l := range []string{`{"a":1}` + "\n", `{"a":2}` + "\n"} {
		if err := Append(path, []byte(l)); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"a":3, "tor`)
	f.Close()
	lines := func() (out []string) {
		if err := Read(path, func(l []byte) { out = append(out, string(l)) }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := lines(); !slices.Equal(got, []string{"{\"a\":1}\n", "{\"a\":2}\n"}) {
		t.Fatalf("with a torn tail: %q", got)
	}
	if err := Append(path, []byte("{\"a\":4}\n")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "{\"a\":1}\n{\"a\":2}\n{\"a\":4}\n" {
		t.Errorf("after the next append: %q", b)
	}
	if err := Read(filepath.Join(t.TempDir(), "none"), func([]byte) { t.Error("a line of no file") }); err != nil {
		t.Errorf("a missing file: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}
