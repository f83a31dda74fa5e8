package site_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/pipeline"
	"github.com/minsheng/minsheng/site"
	"github.com/minsheng/minsheng/warehouse"
)

// clock is the site's time, moved by the tests that expire sessions.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is the hand lake built into a warehouse, served by the whole site on a loopback port,
// with one account per role (two lead units) and an API token of the first unit.
type fixture struct {
	dir      string
	cfg      warehouse.Config
	site     *site.Site
	url      string
	clock    *clock
	pipeline *pipeline.Pipeline // the site's: its builds are handed to the site's answers
	unit     string             // the lead unit of account "unit"
	unit2    string             // the lead unit of account "unit2"
	token    string             // an API token acting for account "unit"
	password map[string]string
}

var names = []string{"leader", "unit", "unit2", "assessor", "admin"}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, nil)
}

// newFixtureWith is newFixture with the site's configuration changed by with (nil: none). The
// site is served as `minsheng serve` serves it: its own http.Server, with its timeouts, on its
// connection-limiting listener.
func newFixtureWith(t *testing.T, with func(*site.Config)) *fixture {
	t.Helper()
	dir := t.TempDir()
	cfg, _ := handlake.Build(t, dir)
	loc := time.FixedZone("CST", 8*3600)
	clk := &clock{now: time.Date(2024, 11, 1, 9, 0, 0, 0, loc)}
	p, err := pipeline.New(pipeline.Config{Dir: dir, Registry: cfg.Registry, County: cfg.County, Plans: cfg.Plans, Key: handlake.Key})
	if err != nil {
		t.Fatal(err)
	}
	sc := site.Config{Dir: dir, Registry: cfg.Registry, Plans: cfg.Plans, Location: loc, Now: clk.Now, Pipeline: p}
	if with != nil {
		with(&sc)
	}
	s, err := site.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.Accounts.Hash = account.Params{Memory: 64, Time: 1, Threads: 1} // fast for tests
	if _, err := s.Answers.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := s.Server()
	go hs.Serve(s.Listen(ln))
	t.Cleanup(func() { hs.Close() })
	f := &fixture{dir: dir, cfg: cfg, site: s, url: "http://" + ln.Addr().String(), clock: clk, pipeline: p, password: map[string]string{}}

	// the units: the first lead unit with a check that has violations, and another
	snap := s.Answers.Snapshot()
	checks, err := snap.Checks(handlake.Year)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks.Checks {
		if c.Violations > 0 && f.unit == "" {
			f.unit = c.LeadUnit
		}
	}
	for _, src := range cfg.Registry.Sources {
		if src.LeadUnit != f.unit && f.unit2 == "" {
			f.unit2 = src.LeadUnit
		}
	}
	if f.unit == "" || f.unit2 == "" {
		t.Fatal("the hand lake has no check with violations")
	}
	ctx := context.Background()
	for _, n := range names {
		nu := account.NewUser{Name: n, Role: n, Password: "pw-" + n + "-correct horse"}
		switch n {
		case "unit":
			nu.Role, nu.Unit = account.RoleUnit, f.unit
		case "unit2":
			nu.Role, nu.Unit = account.RoleUnit, f.unit2
		}
		if _, err := s.Accounts.AddUser(ctx, nu); err != nil {
			t.Fatal(err)
		}
		f.password[n] = nu.Password
	}
	f.token, _, err = s.Accounts.CreateToken(ctx, account.NewToken{Name: "nightly upload", Owner: "unit", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// client is one caller: anonymous, a person logged in through the login page, or a script.
type client struct {
	t     *testing.T
	f     *fixture
	name  string
	hc    *http.Client
	csrf  string // the session's CSRF token, read from a page
	token string // bearer
}

func (f *fixture) anonymous(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, f: f, name: "anonymous", hc: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// anonymousFrom is an anonymous client whose connections come from local address ip, another
// loopback address (127.0.0.2 …): another desk, for the per-address limits.
func (f *fixture) anonymousFrom(t *testing.T, ip string) *client {
	c := f.anonymous(t)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	c.hc.Transport = &http.Transport{DialContext: d.DialContext}
	return c
}

func (f *fixture) script(t *testing.T) *client {
	c := f.anonymous(t)
	c.name, c.token = "token", f.token
	return c
}

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs a person in through the login page, as a browser does.
func (f *fixture) login(t *testing.T, name string) *client {
	t.Helper()
	c := f.anonymous(t)
	c.name = name
	res, body := c.do("POST", "/login", form(url.Values{"name": {name}, "password": {f.password[name]}, "csrf": {c.loginCSRF()}}))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("login %s: %d %s %s", name, res.StatusCode, res.Header.Get("Location"), body)
	}
	_, page := c.do("GET", "/units/"+url.PathEscape(f.unit), nil) // any page: its logout form holds the token
	m := hiddenCSRF.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("%s: no CSRF token on a page", name)
	}
	c.csrf = m[1]
	return c
}

// loginCSRF opens the login page and returns the form's CSRF value (its cookie is in the jar).
func (c *client) loginCSRF() string {
	c.t.Helper()
	res, body := c.do("GET", "/login", nil)
	m := hiddenCSRF.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		c.t.Fatalf("login page: %d, csrf %v", res.StatusCode, m)
	}
	return m[1]
}

type body struct {
	r     io.Reader
	ctype string
}

func form(v url.Values) *body {
	return &body{strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"}
}

func jsonBody(v any) *body {
	b, _ := json.Marshal(v)
	return &body{bytes.NewReader(b), "application/json"}
}

func multipartBody(t *testing.T, fields map[string]string, file, content string) *body {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if file != "" {
		fw, err := w.CreateFormFile("file", file)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, content)
	}
	w.Close()
	return &body{&buf, w.FormDataContentType()}
}

// do sends a request with the client's credentials (and, for a write with a session, its CSRF
// token in the header) and returns the response and its body.
func (c *client) do(method, path string, b *body) (*http.Response, string) {
	c.t.Helper()
	var r io.Reader
	if b != nil {
		r = b.r
	}
	req, err := http.NewRequest(method, c.f.url+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if b != nil {
		req.Header.Set("Content-Type", b.ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.csrf != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, string(out)
}

func (f *fixture) clients(t *testing.T) map[string]*client {
	cs := map[string]*client{"anonymous": f.anonymous(t), "token": f.script(t)}
	for _, n := range names {
		cs[n] = f.login(t, n)
	}
	return cs
}

func shortBody(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func TestSiteHasNoOpenDoor(t *testing.T) {
	f := newFixture(t)
	c := f.anonymous(t)
	for _, path := range []string{"/", "/targets/09", "/admin/audit", "/upload"} {
		res, _ := c.do("GET", path, nil)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
			t.Errorf("anonymous GET %s: %d %s, want 303 to the login page", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, body := c.do("GET", "/api/v1/targets", nil)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"unauthorized"`) ||
		res.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("anonymous API: %d %s %q", res.StatusCode, body, res.Header.Get("WWW-Authenticate"))
	}
}
