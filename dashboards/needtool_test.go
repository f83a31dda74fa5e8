package dashboards_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The print checks need LibreOffice and poppler: under `make test` (MINSHENG_REQUIRE_TOOLS=1)
// and on CI their absence fails the test, it never skips; LibreOffice is found under either of
// the names Debian gives it. Each case runs this test again in a child with a PATH of its own.
// Before, only CI=true failed (and nothing set it), so `make test` on a machine without
// soffice skipped TestExportPrintsAsSent silently; a machine with only `libreoffice` on its
// PATH skipped it too.
func TestNeedTool(t *testing.T) {
	if os.Getenv("MINSHENG_NEEDTOOL_CHILD") == "1" {
		t.Log("found " + needTool(t, "soffice", "libreoffice-calc-nogui"))
		return
	}
	onlyLibreoffice := t.TempDir()
	if err := os.WriteFile(filepath.Join(onlyLibreoffice, "libreoffice"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, path, require, want string
		fails                     bool
	}{
		{"missing under make test", t.TempDir(), "1", "--- FAIL", true},
		{"missing elsewhere", t.TempDir(), "", "--- SKIP", false},
		{"only libreoffice", onlyLibreoffice, "1", "found " + filepath.Join(onlyLibreoffice, "libreoffice"), false},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNeedTool$", "-test.v", "-test.count=1")
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); k != "PATH" && k != "CI" && k != "MINSHENG_REQUIRE_TOOLS" {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "MINSHENG_NEEDTOOL_CHILD=1", "PATH="+c.path, "MINSHENG_REQUIRE_TOOLS="+c.require)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != c.fails || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: failed %v (%v), want %v and %q in\n%s", c.what, failed, err, c.fails, c.want, out)
		}
	}
}
