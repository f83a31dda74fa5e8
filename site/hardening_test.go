package site_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/audit"
)

// hostileNexts are where a crafted login link may try to send a person after login, each with
// where a browser would take it: all of them to another host once the browser has dropped tabs
// and line breaks and read backslashes as slashes.
var hostileNexts = []string{
	"/\t/evil.example", "/\t\t/evil.example/x", "/\n/evil.example", "/\r\n/evil.example", `/\evil.example`,
	`/\/evil.example`, "\\\\evil.example", "/\t\\evil.example", "//evil.example", "https://evil.example/",
	"/\x00/evil.example", "javascript:alert(1)", " //evil.example",
}

// TestLoginNextStaysOnSite: next=/%09/evil.example (and its kin) sends a person to "/" after
// login, not to /\t/evil.example, which a browser follows to evil.example; a path of the site is
// kept.
func TestLoginNextStaysOnSite(t *testing.T) {
	f := newFixture(t)
	for _, next := range append(hostileNexts, "/targets/09?year=2024") {
		want := "/"
		if next == "/targets/09?year=2024" {
			want = next
		}
		// the login page's form carries next on; the login answers with it
		c := f.anonymous(t)
		res, page := c.do("GET", "/login?next="+url.QueryEscape(next), nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("login page with next %q: %d", next, res.StatusCode)
		}
		if strings.Contains(page, "evil.example") {
			t.Errorf("the login page carries next %q on", next)
		}
		res, _ = c.do("POST", "/login", form(url.Values{"name": {"leader"}, "password": {f.password["leader"]},
			"csrf": {c.loginCSRF()}, "next": {next}}))
		if got := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("login with next %q: %d Location %q, want 303 %q", next, res.StatusCode, got, want)
		}
		// a person logged in who opens the login link is sent on at once
		res, _ = c.do("GET", "/login?next="+url.QueryEscape(next), nil)
		if got := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("logged in, GET /login?next=%q: %d Location %q, want 303 %q", next, res.StatusCode, got, want)
		}
	}
}

// TestHeadHealthz: a monitor's HEAD /healthz is answered 200 like GET, not 405 or a redirect to
// the login page; HEAD of a page is refused or sent to the login exactly as its GET.
func TestHeadHealthz(t *testing.T) {
	f := newFixture(t)
	anon := f.anonymous(t)
	res, body := anon.do("HEAD", "/healthz", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Location") != "" || body != "" {
		t.Errorf("HEAD /healthz: %d Location %q body %q, want 200 and no body", res.StatusCode, res.Header.Get("Location"), body)
	}
	if res.Header.Get("Content-Type") == "" {
		t.Error("HEAD /healthz has no Content-Type: it is not answered as GET")
	}
	res, _ = anon.do("HEAD", "/", nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
		t.Errorf("anonymous HEAD /: %d %q, want 303 to the login", res.StatusCode, res.Header.Get("Location"))
	}
	res, _ = anon.do("HEAD", "/api/v1/targets", nil)
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous HEAD /api/v1/targets: %d, want 401", res.StatusCode)
	}
	leader := f.login(t, "leader")
	if res, _ := leader.do("HEAD", "/api/v1/audit", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("HEAD /api/v1/audit as leader: %d, want 403 as GET", res.StatusCode)
	}
	if res, _ := leader.do("HEAD", "/logout", nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("HEAD /logout (a POST route): %d, want 405", res.StatusCode)
	}
}

// TestAnswerHeaders: every answer holding records or who did what is neither stored nor sniffed;
// the checksummed assets are cached; HSTS goes out once the site stands behind TLS.
func TestAnswerHeaders(t *testing.T) {
	f := newFixture(t)
	unit, assessor, admin := f.login(t, "unit"), f.login(t, "assessor"), f.login(t, "admin")
	y := "?year=2024"
	for _, r := range []struct {
		c    *client
		path string
	}{
		{unit, "/api/v1/checks/" + url.PathEscape(f.unitCheck(t)) + "/violations" + y},
		{assessor, "/api/v1/assessment/enrollment/unenrolled" + y},
		{unit, "/api/v1/ingest/runs"},
		{unit, "/api/v1/ingest/runs/" + f.unitRun(t)},
		{admin, "/api/v1/audit"},
		{unit, "/api/v1/notes" + y},
		{unit, "/api/v1/me"},
		{unit, "/api/v1/targets" + y},
		{unit, "/api/v1/no/such"},
		{f.anonymous(t), "/api/v1/targets"},
		{f.anonymous(t), "/healthz"},
		{unit, "/"},
		{admin, "/admin/audit"},
		{unit, "/export/overview.xlsx" + y},
	} {
		res, _ := r.c.do("GET", r.path, nil)
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s as %s: %d Cache-Control %q, want no-store", r.path, r.c.name, res.StatusCode, cc)
		}
		if ns := res.Header.Get("X-Content-Type-Options"); ns != "nosniff" {
			t.Errorf("GET %s as %s: X-Content-Type-Options %q, want nosniff", r.path, r.c.name, ns)
		}
		if h := res.Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("GET %s over plain HTTP sends HSTS %q", r.path, h)
		}
	}
	res, _ := unit.do("GET", f.asset(t, "app.css"), nil)
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("asset: Cache-Control %q", cc)
	}
	f.site.Guard.SetSecure(true) // what --secure-cookies says
	defer f.site.Guard.SetSecure(false)
	for _, path := range []string{"/healthz", "/api/v1/me", "/"} {
		res, _ := unit.do("GET", path, nil)
		if h := res.Header.Get("Strict-Transport-Security"); h != "max-age=31536000" {
			t.Errorf("GET %s behind TLS: Strict-Transport-Security %q, want max-age=31536000", path, h)
		}
	}
}

// TestOriginSchemeAndNull: a form write with the right CSRF token is refused when the Origin's
// scheme is not the site's, and when the Origin is "null" (a sandboxed or redirected page of
// another origin); it passes with the site's own origin, and with no Origin at all.
func TestOriginSchemeAndNull(t *testing.T) {
	f := newFixture(t)
	admin := f.login(t, "admin")
	host := strings.TrimPrefix(f.url, "http://")
	post := func(origin string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", f.url+"/admin/accounts/leader/unlock",
			strings.NewReader(url.Values{access.CSRFField: {admin.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := admin.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for origin, want := range map[string]int{
		"null":                 http.StatusForbidden,
		"https://" + host:      http.StatusForbidden, // the site is plain HTTP here
		"ftp://" + host:        http.StatusForbidden,
		"http://evil.example":  http.StatusForbidden,
		"http://" + host:       http.StatusSeeOther,
		"":                     http.StatusSeeOther,
		"http://" + host + "/": http.StatusSeeOther,
	} {
		if got := post(origin); got != want {
			t.Errorf("Origin %q: %d, want %d", origin, got, want)
		}
	}
	f.site.Guard.SetSecure(true) // behind a TLS proxy the browser's origin is https
	defer f.site.Guard.SetSecure(false)
	if got := post("http://" + host); got != http.StatusForbidden {
		t.Errorf("behind TLS, Origin http://%s: %d, want 403", host, got)
	}
	if got := post("https://" + host); got != http.StatusSeeOther {
		t.Errorf("behind TLS, Origin https://%s: %d, want 303", host, got)
	}
}

// TestTypedNameNotAudited: a failed login keeps the typed name in the audit only when an account
// has it; a password typed into the name box never reaches the log.
func TestTypedNameNotAudited(t *testing.T) {
	f := newFixture(t)
	c := f.anonymous(t)
	secret := "Zhang-s3cret-Passw0rd"
	for _, name := range []string{secret, "leader"} {
		res, _ := c.do("POST", "/login", form(url.Values{"name": {name}, "password": {"wrong password"}, "csrf": {c.loginCSRF()}}))
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong login as %q: %d", name, res.StatusCode)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(f.dir, "audit", "*"))
	for _, m := range matches {
		if b, _ := os.ReadFile(m); strings.Contains(string(b), secret) {
			t.Errorf("%s holds the text typed into the name box", filepath.Base(m))
		}
	}
	entries, _ := audit.Read(f.dir, audit.Filter{Action: audit.ActionLoginFailed})
	if len(entries) != 2 || entries[1].Actor != "leader" || entries[1].Target != "leader" || entries[0].Actor == "" {
		t.Errorf("failed logins in the audit: %+v, want an unknown name, then leader", entries)
	}
}
