package lake

import (
	"os"
	"testing"
	"time"
)

// A crash mid-append leaves a torn last line: it is not an entry, and the next append starts on a
// line of its own.
func TestTornManifestLine(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := AppendManifest(dir, Entry{SHA256: "aa", Status: StatusLanded, IngestedAt: at}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(Layout{dir}.Manifest(), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"sha256":"bb","status":"lan`)
	f.Close()
	es, err := ReadManifest(dir)
	if err != nil || len(es) != 1 || es[0].SHA256 != "aa" {
		t.Fatalf("after a torn line: %+v, %v", es, err)
	}
	if err := AppendManifest(dir, Entry{SHA256: "cc", Status: StatusLanded, IngestedAt: at}); err != nil {
		t.Fatal(err)
	}
	es, _ = ReadManifest(dir)
	if len(es) != 2 || es[1].SHA256 != "cc" {
		t.Fatalf("after repair: %+v", es)
	}
	if got := Committed(append(es, Entry{SHA256: "dd", Status: StatusRejected})); len(got) != 2 {
		t.Errorf("Committed = %d entries", len(got))
	}
}

func TestWriteFileAtomic(t *testing.T) {
	p := t.TempDir() + "/a/b.json"
	if err := WriteFileAtomic(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", info, err)
	}
}
