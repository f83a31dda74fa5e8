package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/notes"
)

// notesServer serves /api/v1/notes over a real notes store and audit log in a temp folder. The
// header X-Test-As picks the principal a stand-in for the access guard sets; none: anonymous.
func notesServer(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2024, 11, 2, 9, 0, 0, 0, loc) }
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := minsheng.LoadPlans("", reg)
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.Open(dir, loc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := notes.Open(notes.Config{Dir: dir, Plans: plans, Registry: reg, Location: loc, Audit: log, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	as := map[string]*account.Principal{
		"minzheng": {Kind: account.KindUser, Name: "mz", Role: account.RoleUnit, Unit: "县民政局"},
		"canlian":  {Kind: account.KindToken, Name: "cl-script", Role: account.RoleUnit, Unit: "县残联", TokenID: "t1"},
		"leader":   {Kind: account.KindUser, Name: "boss", Role: account.RoleLeader},
		"admin":    {Kind: account.KindUser, Name: "root", Role: account.RoleAdmin},
	}
	standIn := func(c *gin.Context) {
		if p := as[c.GetHeader("X-Test-As")]; p != nil {
			access.WithPrincipal(c, p, "")
		}
	}
	srv := newAPI(testConfig{Dir: dir, Location: loc, Now: now, Notes: st, Middleware: []gin.HandlerFunc{standIn}})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL, dir
}

func call(t *testing.T, method, url, as, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if as != "" {
		req.Header.Set("X-Test-As", as)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func TestNotesAPI(t *testing.T) {
	url, dir := notesServer(t)
	notesURL := url + "/api/v1/notes"

	status, b := call(t, "POST", notesURL, "minzheng",
		`{"year": 2024, "code": "13b", "date": "2024-10-15", "kind": "milestone", "stage": "竣工验收", "text": "综合体通过竣工验收"}`)
	var n notes.Note
	if status != http.StatusCreated || json.Unmarshal(b, &n) != nil || n.ID == "" || n.Unit != "县民政局" || n.Author != "mz" {
		t.Fatalf("POST: %d %s", status, b)
	}
	// every role reads
	for _, as := range []string{"leader", "admin", "canlian", "minzheng"} {
		status, b := call(t, "GET", notesURL+"?year=2024&code=13b", as, "")
		var got api.NotesAnswer
		if status != 200 || json.Unmarshal(b, &got) != nil || len(got.Notes) != 1 || got.Notes[0].ID != n.ID ||
			strings.Join(got.Stages, ",") != "选址,设计,施工,竣工验收,运营" {
			t.Errorf("GET as %s: %d %s", as, status, b)
		}
	}
	if status, b := call(t, "GET", notesURL+"?year=2024", "leader", ""); status != 200 || !bytes.Contains(b, []byte(n.ID)) {
		t.Errorf("GET the year: %d %s", status, b)
	}
	if status, b := call(t, "GET", notesURL+"?year=2024&code=14", "leader", ""); status != 200 || !bytes.Contains(b, []byte(`"notes":[]`)) {
		t.Errorf("GET an item without notes: %d %s", status, b)
	}
	for q, want := range map[string]int{"?year=2024&code=99": 404, "?year=2023": 404, "?year=twenty": 400} {
		if status, b := call(t, "GET", notesURL+q, "leader", ""); status != want {
			t.Errorf("GET %s: %d %s, want %d", q, status, b, want)
		}
	}
	if status, _ := call(t, "GET", notesURL+"?year=2024", "", ""); status != http.StatusUnauthorized {
		t.Errorf("GET anonymous: %d", status)
	}

	before, _ := os.ReadFile(lake.Layout{Dir: dir}.Notes())
	ok := `{"year": 2024, "code": "14", "date": "2024-10-01", "kind": "note", "text": "进展"}`
	refused := []struct {
		name, as, body string
		want           int
	}{
		{"anonymous", "", ok, 401},
		{"another unit", "canlian", ok, 403},
		{"a leader", "leader", ok, 403},
		{"the admin", "admin", ok, 403},
		{"not JSON", "minzheng", `year=2024`, 400},
		{"two objects", "minzheng", ok + ok, 400},
		{"an unknown field", "minzheng", strings.Replace(ok, `"kind"`, `"author": "someone else", "kind"`, 1), 400},
		{"a year as text", "minzheng", strings.Replace(ok, `2024,`, `"2024",`, 1), 400},
		{"an unknown item", "minzheng", strings.Replace(ok, `"14"`, `"99"`, 1), 400},
		{"a future date", "minzheng", strings.Replace(ok, `2024-10-01`, `2024-12-01`, 1), 400},
		{"no text", "minzheng", strings.Replace(ok, `"进展"`, `""`, 1), 400},
		{"an ID number", "minzheng", strings.Replace(ok, `"进展"`, `"核实 340826199001011234 的情况"`, 1), 400},
		{"a stage on a note", "minzheng", strings.Replace(ok, `"kind"`, `"stage": "施工", "kind"`, 1), 400},
		{"a milestone of an item without stages", "minzheng", strings.Replace(ok, `"note"`, `"milestone", "stage": "施工"`, 1), 400},
		{"a correction of another item's note", "minzheng", strings.Replace(ok, `"kind"`, `"supersedes": "`+n.ID+`", "kind"`, 1), 400},
		{"too big", "minzheng", strings.Replace(ok, `"进展"`, `"`+strings.Repeat("x", 70<<10)+`"`, 1), 413},
	}
	for _, tc := range refused {
		status, b := call(t, "POST", notesURL, tc.as, tc.body)
		var e struct {
			Error struct{ Code, Message string }
		}
		if status != tc.want || json.Unmarshal(b, &e) != nil || e.Error.Message == "" {
			t.Errorf("%s: %d %s, want %d", tc.name, status, b, tc.want)
		}
	}
	if after, _ := os.ReadFile(lake.Layout{Dir: dir}.Notes()); !bytes.Equal(before, after) {
		t.Errorf("a refused write changed the notes:\n%s", after)
	}

	// a correction, then a second correction of the same note
	fix := `{"year": 2024, "code": "13b", "date": "2024-10-16", "kind": "milestone", "stage": "竣工验收", "text": "验收日期更正为 10 月 16 日", "supersedes": "` + n.ID + `"}`
	if status, b := call(t, "POST", notesURL, "minzheng", fix); status != 201 {
		t.Fatalf("correction: %d %s", status, b)
	}
	if status, b := call(t, "POST", notesURL, "minzheng", fix); status != http.StatusConflict {
		t.Errorf("a second correction of one note: %d %s", status, b)
	}
	_, b = call(t, "GET", notesURL+"?year=2024&code=13b", "leader", "")
	if bytes.Contains(b, []byte(`"id":"`+n.ID+`"`)) || !bytes.Contains(b, []byte("10 月 16 日")) {
		t.Errorf("after the correction: %s", b)
	}

	entries, _ := audit.Read(dir, audit.Filter{Action: audit.ActionNote})
	outcomes := map[string]int{}
	for _, e := range entries {
		outcomes[e.Outcome]++
		if e.RemoteAddr != "127.0.0.1" {
			t.Errorf("audit entry from %q", e.RemoteAddr)
		}
	}
	// every attempt but the anonymous one (the guard's to record): 4 bodies that do not parse and
	// one too big, 8 that the store refuses, one conflict
	if outcomes[audit.OutcomeOK] != 2 || outcomes[audit.OutcomeDenied] != 3 || outcomes[audit.OutcomeFailed] != 13 {
		t.Errorf("audit outcomes %v", outcomes)
	}
}
