package site_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/minsheng/minsheng/internal/handlake"
)

// A note naming a person of the ledgers is refused before it can reach the leaders' pages: the
// name matches a masked name of the served warehouse (孙*强 for the hand lake's 孙志强), and the
// answer says only the masked name. Before, "已走访孙志强家" was saved and shown on the overview.
func TestNoteNamingAPersonRefused(t *testing.T) {
	f := newFixture(t)
	c := f.login(t, "unit")
	note := func(text string) (*http.Response, string) {
		return c.do("POST", "/api/v1/notes", jsonBody(map[string]any{"year": handlake.Year, "code": f.unitTarget(t),
			"date": "2024-10-30", "kind": "note", "text": text}))
	}
	res, body := note("已走访" + handlake.P5.Name + "家,落实救助")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "孙*强") || strings.Contains(body, handlake.P5.Name) {
		t.Fatalf("a note naming %s: %d %s", handlake.P5.Name, res.StatusCode, body)
	}
	if res, body := note("已走访 5 户,落实救助"); res.StatusCode != http.StatusCreated {
		t.Fatalf("a note without a name: %d %s", res.StatusCode, body)
	}
}
