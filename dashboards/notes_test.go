package dashboards_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/dashboards"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/notes"
	webshell "github.com/minsheng/minsheng/site"
)

// notesSite serves the demo year's warehouse with a notes store of its own (in a temp folder),
// with a stand-in for the access guard: the header X-Test-As picks the principal, and its
// session's CSRF token is "tok".
type notesSite struct {
	url   string
	dir   string // the notes' data folder
	store *notes.Store
}

var testPrincipals = map[string]*account.Principal{
	"minzheng": {Kind: account.KindUser, Name: "mz-clerk", Role: account.RoleUnit, Unit: "县民政局"},
	"canlian":  {Kind: account.KindUser, Name: "cl-clerk", Role: account.RoleUnit, Unit: "县残联"},
	"leader":   {Kind: account.KindUser, Name: "boss", Role: account.RoleLeader},
}

func newNotesSite(t *testing.T) *notesSite {
	t.Helper()
	demo := demoSite(t)
	dir := t.TempDir()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2024, 11, 2, 9, 0, 0, 0, loc) }
	log, err := audit.Open(dir, loc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := notes.Open(notes.Config{Dir: dir, Plans: demo.cfg.Plans, Registry: demo.cfg.Registry, Location: loc, Audit: log, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	standIn := func(c *gin.Context) {
		if p := testPrincipals[c.GetHeader("X-Test-As")]; p != nil {
			access.WithPrincipal(c, p, "tok")
		}
	}
	answers := webshell.NewAnswers(demo.dir, loc, nil)
	if _, err := answers.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	pages := dashboards.New(dashboards.Config{Source: answers, Registry: demo.cfg.Registry, Location: loc, Now: now, Notes: st})
	r := webshell.NewEngine(nil, pages.NotFound, standIn)
	api.New(api.Config{Answers: answers, Dir: demo.dir, Location: loc, Now: now, Notes: st}).Register(r)
	pages.Register(r)
	hs := httptest.NewServer(r)
	t.Cleanup(hs.Close)
	return &notesSite{url: hs.URL, dir: dir, store: st}
}

func (s *notesSite) add(t *testing.T, d notes.Draft) notes.Note {
	t.Helper()
	n, err := s.store.Add(context.Background(), testPrincipals["minzheng"], "127.0.0.1", d)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// post sends the item page's form as principal as, without following the redirect.
func (s *notesSite) post(t *testing.T, code, as string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/targets/"+code+"/notes?year=2024", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if as != "" {
		req.Header.Set("X-Test-As", as)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestNotesOnPages: the item page lists an item's notes newest first, the unit page each item's
// newest, the overview (the bulletin) those of 13b, 14 and 17 only, and the Excel bulletin a
// 最新进展 column.
func TestNotesOnPages(t *testing.T) {
	s := newNotesSite(t)
	s.add(t, notes.Draft{Year: 2024, Code: "14", Date: "2024-09-30", Kind: "note", Text: "第三季度资助对象审核完成"})
	s.add(t, notes.Draft{Year: 2024, Code: "14", Date: "2024-10-31", Kind: "note", Text: "十月发放助医款\n共 42 万元"})
	s.add(t, notes.Draft{Year: 2024, Code: "13b", Date: "2024-10-15", Kind: "milestone", Stage: "竣工验收", Text: "综合体通过竣工验收"})
	s.add(t, notes.Draft{Year: 2024, Code: "13a", Date: "2024-10-20", Kind: "note", Text: "适老化改造进入验收"})

	_, body := fetch(t, s.url+"/targets/14", "X-Test-As", "leader")
	page := string(body)
	newer, older := strings.Index(page, "十月发放助医款"), strings.Index(page, "第三季度资助对象审核完成")
	if newer < 0 || older < 0 || newer > older {
		t.Errorf("/targets/14: the notes are missing or not newest first (%d, %d)", newer, older)
	}
	if strings.Contains(page, "progress-form") {
		t.Error("/targets/14: a leader is shown the form")
	}
	_, body = fetch(t, s.url+"/targets/13b", "X-Test-As", "leader")
	if !contains(body, "里程碑:竣工验收") || !contains(body, "县民政局") {
		t.Error("/targets/13b: the milestone is not shown with its stage and unit")
	}

	_, body = fetch(t, s.url+"/", "X-Test-As", "leader")
	for _, want := range []string{"十月发放助医款", "综合体通过竣工验收"} {
		if !contains(body, want) {
			t.Errorf("overview: %s missing", want)
		}
	}
	for _, not := range []string{"第三季度资助对象审核完成", "适老化改造进入验收"} {
		if contains(body, not) {
			t.Errorf("overview: %s shown (only each bulletin item's newest note belongs there)", not)
		}
	}
	_, body = fetch(t, s.url+"/units/"+url.PathEscape("县民政局"), "X-Test-As", "leader")
	for _, want := range []string{"十月发放助医款", "综合体通过竣工验收", "适老化改造进入验收"} {
		if !contains(body, want) {
			t.Errorf("unit page: %s missing", want)
		}
	}
	if _, body = fetch(t, s.url+"/units/"+url.PathEscape("县残联")); contains(body, "十月发放助医款") {
		t.Error("another unit's page shows 县民政局's notes")
	}

	f := openXLSX(t, s.url+"/export/overview.xlsx")
	rows, _ := f.GetRows("通报")
	col := -1
	for i, h := range rows[2] {
		if h == "最新进展" {
			col = i
		}
	}
	found := false
	for _, r := range rows[3:] {
		if r[0] == "14" && col >= 0 && col < len(r) {
			found = strings.HasPrefix(r[col], "2024-10-31 进展:十月发放助医款")
		}
	}
	if !found {
		t.Errorf("the Excel bulletin has no 最新进展 for 14 (headers %v)", rows[2])
	}
}

// TestNoteForm: the form shows only to a unit account of the item's lead unit; a submission is
// written and redirected back, or refused with the page, the error and what was sent.
func TestNoteForm(t *testing.T) {
	s := newNotesSite(t)
	for as, want := range map[string]bool{"minzheng": true, "canlian": false, "leader": false, "": false} {
		_, body := fetch(t, s.url+"/targets/13b", "X-Test-As", as)
		if got := contains(body, `class="progress-form"`); got != want {
			t.Errorf("as %q: form shown %v, want %v", as, got, want)
		}
		if want && (!contains(body, `name="csrf" value="tok"`) || !contains(body, `<option value="竣工验收">`) ||
			!contains(body, `action="/targets/13b/notes?year=2024"`) || !contains(body, `max="2024-11-02"`)) {
			t.Errorf("as %q: the form lacks its CSRF field, stages, address or date bound", as)
		}
	}
	if _, body := fetch(t, s.url+"/targets/14", "X-Test-As", "minzheng"); contains(body, `value="milestone"`) {
		t.Error("/targets/14 offers milestones, but 14 has no stages")
	}

	form := url.Values{"csrf": {"tok"}, "date": {"2024-10-15"}, "kind": {"milestone"}, "stage": {"竣工验收"}, "text": {"综合体通过竣工验收"}}
	res, _ := s.post(t, "13b", "minzheng", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/targets/13b?year=2024#notes" {
		t.Fatalf("submit: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	list, _ := s.store.List(context.Background(), 2024, "13b")
	if len(list) != 1 || list[0].Stage != "竣工验收" || list[0].Author != "mz-clerk" {
		t.Fatalf("after the submission: %+v", list)
	}

	before, _ := os.ReadFile(lake.Layout{Dir: s.dir}.Notes())
	for _, tc := range []struct {
		name, as string
		form     url.Values
		status   int
		message  string
	}{
		{"anonymous", "", form, 401, "请先登录"},
		{"another unit", "canlian", form, 403, "只有牵头单位县民政局"},
		{"a leader", "leader", form, 403, "只有牵头单位县民政局"},
		{"a future date", "minzheng", with(form, "date", "2024-12-01"), 400, "晚于今天"},
		{"an ID number", "minzheng", with(form, "text", "核实 340826199001011234"), 400, "身份证号码"},
		{"a stage not of the item", "minzheng", with(form, "stage", "主体完工"), 400, "阶段应为"},
		{"a correction of no note", "minzheng", with(form, "supersedes", "n0000000000000000"), 400, "没有编号为"},
	} {
		res, body := s.post(t, "13b", tc.as, tc.form)
		if res.StatusCode != tc.status || !strings.Contains(body, tc.message) || !strings.Contains(body, "进展与里程碑") {
			t.Errorf("%s: %d, want %d with %q in the page", tc.name, res.StatusCode, tc.status, tc.message)
		}
		if tc.as == "minzheng" && !strings.Contains(body, html.EscapeString(tc.form.Get("text"))) {
			t.Errorf("%s: the refused text is not refilled", tc.name)
		}
	}
	if after, _ := os.ReadFile(lake.Layout{Dir: s.dir}.Notes()); string(after) != string(before) {
		t.Error("a refused submission changed the notes")
	}
	// a correction through the form, then a second one of the same note: 409
	fix := with(with(form, "supersedes", list[0].ID), "text", "验收日期更正")
	if res, _ := s.post(t, "13b", "minzheng", fix); res.StatusCode != http.StatusSeeOther {
		t.Errorf("correction: %d", res.StatusCode)
	}
	if res, body := s.post(t, "13b", "minzheng", fix); res.StatusCode != http.StatusConflict || !strings.Contains(body, "已被") {
		t.Errorf("a second correction: %d", res.StatusCode)
	}
	if entries, _ := audit.Read(s.dir, audit.Filter{Action: audit.ActionNote}); len(entries) != 10 {
		t.Errorf("%d audit entries, want every attempt (10)", len(entries))
	}
}

func with(v url.Values, k, val string) url.Values {
	out := url.Values{}
	for key, vs := range v {
		out[key] = append([]string(nil), vs...)
	}
	out.Set(k, val)
	return out
}
