package site_test

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/lake"
)

// callers, in the order the table prints them: anonymous, each role logged in through the login
// page (two lead units), and a script with the first unit's API token.
var callers = []string{"anonymous", "leader", "unit", "unit2", "assessor", "admin", "token"}

// want is the expected status per caller; a caller left out expects the "rest" status.
type want map[string]int

func (w want) of(caller string) int {
	if s, ok := w[caller]; ok {
		return s
	}
	return w["rest"]
}

// row is one request of the matrix.
type row struct {
	method, route string // route: the policy's pattern, for the coverage check
	path          func(f *fixture) string
	body          func(t *testing.T, f *fixture, c *client) *body
	fresh         bool // a new login per caller: the request ends the session
	want          want
}

func fixed(p string) func(*fixture) string { return func(*fixture) string { return p } }

const (
	ok, created, seeOther, bad, unauth, forbidden, notFound = 200, 201, 303, 400, 401, 403, 404
)

// page: anonymous people are sent to the login page; every logged-in role sees aggregates.
var page = want{"anonymous": seeOther, "rest": ok}

// api: anonymous callers get 401; every logged-in role sees aggregates.
var apiAll = want{"anonymous": unauth, "rest": ok}

func matrix(t *testing.T, f *fixture) []row {
	y := fmt.Sprintf("?year=%d", handlake.Year)
	unitPath := func(f *fixture) string { return "/units/" + url.PathEscape(f.unit) }
	return []row{
		{method: "GET", route: "/healthz", path: fixed("/healthz"), want: want{"rest": ok}},
		{method: "GET", route: "/static/:hash/:name", path: func(f *fixture) string { return f.asset(t, "app.css") }, want: want{"rest": ok}},
		{method: "GET", route: "/login", path: fixed("/login"), want: want{"anonymous": ok, "rest": seeOther}},
		// without the login form's CSRF pair a login is refused, whoever sends it
		{method: "POST", route: "/login", path: fixed("/login"), body: func(*testing.T, *fixture, *client) *body {
			return form(url.Values{"name": {"leader"}, "password": {"x"}})
		}, want: want{"rest": forbidden}},
		{method: "POST", route: "/logout", path: fixed("/logout"), fresh: true, want: want{"anonymous": unauth, "rest": seeOther}},
		{method: "GET", route: "/api/v1/openapi.json", path: fixed("/api/v1/openapi.json"), want: apiAll},
		{method: "GET", route: "/api/v1/me", path: fixed("/api/v1/me"), want: apiAll},
		{method: "GET", route: "/api/v1/targets", path: fixed("/api/v1/targets" + y), want: apiAll},
		{method: "GET", route: "/api/v1/targets/:code", path: fixed("/api/v1/targets/09" + y), want: apiAll},
		{method: "GET", route: "/api/v1/checks", path: fixed("/api/v1/checks" + y), want: apiAll},
		{method: "GET", route: "/api/v1/checks/:name/violations", path: func(f *fixture) string {
			return "/api/v1/checks/" + url.PathEscape(f.unitCheck(t)) + "/violations" + y
		}, want: want{"anonymous": unauth, "unit": ok, "token": ok, "rest": forbidden}},
		{method: "GET", route: "/api/v1/assessment/enrollment", path: fixed("/api/v1/assessment/enrollment" + y), want: apiAll},
		{method: "GET", route: "/api/v1/assessment/enrollment/unenrolled", path: fixed("/api/v1/assessment/enrollment/unenrolled" + y),
			want: want{"anonymous": unauth, "assessor": ok, "rest": forbidden}},
		{method: "GET", route: "/api/v1/ingest/runs", path: fixed("/api/v1/ingest/runs"), want: apiAll},
		{method: "GET", route: "/api/v1/ingest/runs/:sha256", path: func(f *fixture) string { return "/api/v1/ingest/runs/" + f.unitRun(t) },
			want: want{"anonymous": unauth, "unit": ok, "token": ok, "admin": ok, "rest": forbidden}},
		{method: "GET", route: "/api/v1/notes", path: fixed("/api/v1/notes" + y), want: apiAll},
		{method: "POST", route: "/api/v1/notes", path: fixed("/api/v1/notes"), body: func(t *testing.T, f *fixture, c *client) *body {
			return jsonBody(map[string]any{"year": handlake.Year, "code": f.unitTarget(t), "date": "2024-10-30", "kind": "note",
				"text": "进度说明:本月已完成第三批入户核查(" + c.name + ")"})
		}, want: want{"anonymous": unauth, "unit": created, "token": created, "rest": forbidden}},
		{method: "POST", route: "/api/v1/uploads", path: fixed("/api/v1/uploads"), body: func(t *testing.T, f *fixture, c *client) *body {
			// a file without the source's header: refused whole, after the door and the source's owner
			return multipartBody(t, map[string]string{"source": f.unitSource(t)}, "台账.csv", "not,a,header\n1,2,"+c.name+"-api\n")
		}, want: want{"anonymous": unauth, "unit": bad, "token": bad, "rest": forbidden}},
		{method: "GET", route: "/api/v1/audit", path: fixed("/api/v1/audit"), want: want{"anonymous": unauth, "admin": ok, "rest": forbidden}},

		{method: "GET", route: "/", path: fixed("/"), want: page},
		{method: "GET", route: "/targets/:code", path: fixed("/targets/09" + y), want: page},
		{method: "POST", route: "/targets/:code/notes", path: func(f *fixture) string { return "/targets/" + f.unitTarget(t) + "/notes" + y },
			body: func(t *testing.T, f *fixture, c *client) *body {
				return form(url.Values{"date": {"2024-10-29"}, "kind": {"note"},
					"text": {"入户核查完成(" + c.name + ")"}, "csrf": {c.csrf}})
			}, want: want{"anonymous": unauth, "unit": seeOther, "token": seeOther, "rest": forbidden}},
		{method: "GET", route: "/units/:unit", path: unitPath, want: page},
		{method: "GET", route: "/assessment/enrollment", path: fixed("/assessment/enrollment" + y), want: page},
		{method: "GET", route: "/export/overview.xlsx", path: fixed("/export/overview.xlsx" + y), want: page},
		{method: "GET", route: "/export/targets/:file", path: fixed("/export/targets/09.xlsx" + y), want: page},
		{method: "GET", route: "/export/rejections/:file", path: func(f *fixture) string { return "/export/rejections/" + f.unitRun(t) + ".xlsx" },
			want: want{"anonymous": seeOther, "unit": ok, "token": ok, "admin": ok, "rest": forbidden}},
		{method: "GET", route: "/upload", path: fixed("/upload"), want: want{"anonymous": seeOther, "unit": ok, "unit2": ok, "token": ok, "rest": forbidden}},
		{method: "POST", route: "/upload", path: fixed("/upload"), body: func(t *testing.T, f *fixture, c *client) *body {
			return multipartBody(t, map[string]string{"source": f.unitSource(t), "csrf": c.csrf}, "台账.csv", "not,a,header\n1,2,"+c.name+"-page\n")
		}, want: want{"anonymous": unauth, "unit": bad, "token": bad, "rest": forbidden}},
		{method: "GET", route: "/admin/accounts", path: fixed("/admin/accounts"), want: want{"anonymous": seeOther, "admin": ok, "rest": forbidden}},
		{method: "POST", route: "/admin/accounts/:name/:op", path: fixed("/admin/accounts/leader/unlock"),
			want: want{"anonymous": unauth, "admin": seeOther, "rest": forbidden}},
		{method: "GET", route: "/admin/audit", path: fixed("/admin/audit"), want: want{"anonymous": seeOther, "admin": ok, "rest": forbidden}},
		{method: "GET", route: "/admin/audit.csv", path: fixed("/admin/audit.csv"), want: want{"anonymous": seeOther, "admin": ok, "rest": forbidden}},

		// no such route: only a caller who may see something learns it is not there
		{method: "GET", path: fixed("/no/such/page"), want: want{"anonymous": seeOther, "rest": notFound}},
		{method: "GET", path: fixed("/api/v1/no/such"), want: want{"anonymous": unauth, "rest": notFound}},
	}
}

// TestRouteRoleMatrix sends every route of the site as every role, anonymous and a script, over
// real HTTP through the login page, and checks the status, and a HEAD of every GET route the
// same status; it prints the table it checked.
func TestRouteRoleMatrix(t *testing.T) {
	f := newFixture(t)
	cs := f.clients(t)
	rows := matrix(t, f)
	var table strings.Builder
	fmt.Fprintf(&table, "| route | %s |\n|---|%s\n", strings.Join(callers, " | "), strings.Repeat("---|", len(callers)))
	for _, r := range rows {
		path := r.path(f)
		route := r.route
		if route == "" {
			route = path + " (no route)"
		}
		fmt.Fprintf(&table, "| %s %s |", r.method, route)
		for _, who := range callers {
			c := cs[who]
			if r.fresh && who != "anonymous" && who != "token" {
				c = f.login(t, who)
			}
			var b *body
			if r.body != nil {
				b = r.body(t, f, c)
			}
			res, got := c.do(r.method, path, b)
			if want := r.want.of(who); res.StatusCode != want {
				t.Errorf("%s %s as %s: %d, want %d\n%s", r.method, path, who, res.StatusCode, want, shortBody(got))
			}
			fmt.Fprintf(&table, " %d |", res.StatusCode)
			// HEAD answers as GET does, every GET route for every caller, without a body
			if r.method == "GET" {
				head, got := c.do("HEAD", path, nil)
				if want := r.want.of(who); head.StatusCode != want || got != "" ||
					head.Header.Get("Location") != res.Header.Get("Location") {
					t.Errorf("HEAD %s as %s: %d %q body %d bytes, want %d %q as GET and no body", path, who,
						head.StatusCode, head.Header.Get("Location"), len(got), want, res.Header.Get("Location"))
				}
			}
		}
		table.WriteString("\n")
	}
	t.Logf("route × role, as checked:\n%s", table.String())
}

// TestPolicyCoversEveryRoute: every route the site registers has its line in the policy, every
// line of the policy is a route, and the matrix sends every one of them.
func TestPolicyCoversEveryRoute(t *testing.T) {
	f := newFixture(t)
	registered := map[string]bool{}
	for _, r := range f.site.Engine().Routes() {
		key := r.Method + " " + r.Path
		registered[key] = true
		if _, ok := access.Policy[key]; !ok {
			t.Errorf("%s is registered but has no rule in access.Policy: it is refused to everyone", key)
		}
	}
	tested := map[string]bool{}
	for _, r := range matrix(t, f) {
		if r.route != "" {
			tested[r.method+" "+r.route] = true
		}
	}
	var keys []string
	for k := range access.Policy {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !registered[k] {
			t.Errorf("access.Policy has %s, which no handler serves", k)
		}
		if !tested[k] {
			t.Errorf("the matrix does not send %s", k)
		}
	}
}

// asset is the checksummed URL of an embedded asset, read off the login page.
func (f *fixture) asset(t *testing.T, name string) string {
	_, body := f.anonymous(t).do("GET", "/login", nil)
	m := regexp.MustCompile(`/static/[0-9a-f]+/` + regexp.QuoteMeta(name)).FindString(body)
	if m == "" {
		t.Fatalf("the login page links no %s", name)
	}
	return m
}

// unitCheck is a check of the first unit's (one with violations).
func (f *fixture) unitCheck(t *testing.T) string {
	checks, err := f.site.Answers.Snapshot().Checks(handlake.Year)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks.Checks {
		if c.LeadUnit == f.unit && c.Violations > 0 {
			return c.Name
		}
	}
	t.Fatalf("no check of %s", f.unit)
	return ""
}

// unitTarget is a target code the first unit leads.
func (f *fixture) unitTarget(t *testing.T) string {
	ts, err := f.site.Answers.Snapshot().Targets(handlake.Year, time.Time{}) // zero: at the data end
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range ts.Targets {
		if tg.LeadUnit == f.unit {
			return tg.Code
		}
	}
	t.Fatalf("no target of %s", f.unit)
	return ""
}

// unitSource is a source the first unit sends.
func (f *fixture) unitSource(t *testing.T) string {
	for _, s := range f.cfg.Registry.Sources {
		if s.LeadUnit == f.unit {
			return s.Code
		}
	}
	t.Fatalf("no source of %s", f.unit)
	return ""
}

// unitRun is the SHA-256 of a file the first unit sent.
func (f *fixture) unitRun(t *testing.T) string {
	runs, err := f.site.Answers.Runs()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(runs, func(r lake.Run) bool { return r.LeadUnit == f.unit })
	if i < 0 {
		t.Fatalf("no ingest run of %s", f.unit)
	}
	return runs[i].SHA256
}
