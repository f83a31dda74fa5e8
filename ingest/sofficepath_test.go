package ingest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The .xls and .ods tests that convert with LibreOffice fail without it under `make test`
// (MINSHENG_REQUIRE_TOOLS=1) as on CI, and skip elsewhere. Each case runs this test again in a
// child with a PATH of its own. Before, only CI=true failed, and nothing set it: `make test`
// skipped the live LibreOffice checks silently.
func TestSofficePathRequired(t *testing.T) {
	if os.Getenv("MINSHENG_SOFFICE_CHILD") == "1" {
		t.Log("found " + sofficePath(t))
		return
	}
	for _, c := range []struct {
		what, require, want string
		fails               bool
	}{
		{"missing under make test", "1", "--- FAIL", true},
		{"missing elsewhere", "", "--- SKIP", false},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSofficePathRequired$", "-test.v", "-test.count=1")
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); k != "PATH" && k != "CI" && k != "MINSHENG_REQUIRE_TOOLS" {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "MINSHENG_SOFFICE_CHILD=1", "PATH="+filepath.Join(t.TempDir(), "empty"), "MINSHENG_REQUIRE_TOOLS="+c.require)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != c.fails || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: failed %v (%v), want %v and %q in\n%s", c.what, failed, err, c.fails, c.want, out)
		}
	}
}
