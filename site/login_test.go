package site_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/audit"
)

// TestSessionCookie: the session cookie is HttpOnly, SameSite=Strict, for the whole site, and
// Secure once the site is told it stands behind TLS; a login replaces any earlier session.
func TestSessionCookie(t *testing.T) {
	f := newFixture(t)
	c := f.anonymous(t)
	csrf := c.loginCSRF()
	res, _ := c.do("POST", "/login", form(url.Values{"name": {"leader"}, "password": {f.password["leader"]}, "csrf": {csrf}}))
	var sess *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == access.SessionCookie {
			sess = ck
		}
	}
	if sess == nil {
		t.Fatalf("no session cookie: %v", res.Header["Set-Cookie"])
	}
	if !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" || sess.Secure {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure on plain HTTP", sess)
	}
	// behind a TLS proxy (X-Forwarded-Proto is not trusted: the flag says so)
	f.site.Guard.SetSecure(true)
	c2 := f.anonymous(t)
	res, _ = c2.do("GET", "/login", nil)
	for _, ck := range res.Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s without Secure behind TLS", ck.Name)
		}
	}
	f.site.Guard.SetSecure(false)
}

// TestLoginFailures: a wrong password says nothing of the name; five in a row from one address
// lock the name at that address even for the right password, answered 429 with a Retry-After
// and a time to try again; the right password from another address gets in meanwhile (before,
// the name was locked from everywhere); every attempt is in the audit log with its address;
// the administrator's unlock lets the person in at the first address too.
func TestLoginFailures(t *testing.T) {
	f := newFixture(t)
	c := f.anonymous(t)
	try := func(c *client, name, pw string) (*http.Response, string) {
		return c.do("POST", "/login", form(url.Values{"name": {name}, "password": {pw}, "csrf": {c.loginCSRF()}}))
	}
	r1, b1 := try(c, "leader", "wrong password 1")
	r2, b2 := try(c, "nobody-here", "wrong password 1")
	if r1.StatusCode != http.StatusUnauthorized || r2.StatusCode != http.StatusUnauthorized || !strings.Contains(b1, "用户名或密码不正确") ||
		!strings.Contains(b2, "用户名或密码不正确") {
		t.Fatalf("wrong password: %d, unknown name: %d; both must be 401 with one message", r1.StatusCode, r2.StatusCode)
	}
	for i := 2; i <= 5; i++ {
		try(c, "leader", "wrong password")
	}
	res, body := try(c, "leader", f.password["leader"])
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "锁定") || strings.Contains(body, "locked") { // the page in Chinese only
		t.Fatalf("the right password after five failures: %d, want 429 locked\n%s", res.StatusCode, shortBody(body))
	}
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 14*60 || ra > 15*60 {
		t.Errorf("Retry-After %q, want about 15 minutes in seconds", res.Header.Get("Retry-After"))
	}
	// a colleague at another address, or the person at another desk, is not locked out
	other := f.anonymousFrom(t, "127.0.0.2")
	if res, body := try(other, "leader", f.password["leader"]); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right password from 127.0.0.2 while 127.0.0.1 is locked: %d, want 303\n%s", res.StatusCode, shortBody(body))
	}
	entries, err := audit.Read(f.dir, audit.Filter{Action: audit.ActionLoginFailed})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 7 { // leader ×5, the unknown name, the right password while locked
		t.Errorf("%d failed logins in the audit log, want 7", len(entries))
	}
	for _, e := range entries {
		if e.RemoteAddr != "127.0.0.1" || e.Outcome != audit.OutcomeDenied || e.Actor == "" {
			t.Errorf("audit entry %+v: want the name, the address and denied", e)
		}
	}
	admin := f.login(t, "admin")
	if res, _ := admin.do("POST", "/admin/accounts/leader/unlock", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unlock: %d", res.StatusCode)
	}
	if res, _ := try(c, "leader", f.password["leader"]); res.StatusCode != http.StatusSeeOther {
		t.Errorf("login after unlock: %d, want 303", res.StatusCode)
	}
	if e, _ := audit.Read(f.dir, audit.Filter{Action: audit.ActionUserUnlock, Actor: "admin"}); len(e) != 1 {
		t.Errorf("the unlock is not in the audit log: %v", e)
	}
}

// TestCSRF: a form write with a session needs the session's token; one from another origin is
// refused even with it; a login needs its form's pair; a script with a bearer token needs none.
func TestCSRF(t *testing.T) {
	f := newFixture(t)
	admin := f.login(t, "admin")
	token := admin.csrf
	admin.csrf = ""
	if res, _ := admin.do("POST", "/admin/accounts/leader/disable", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a form without the CSRF token: %d, want 403", res.StatusCode)
	}
	admin.csrf = "x" + token[1:]
	if res, _ := admin.do("POST", "/admin/accounts/leader/disable", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a wrong CSRF token: %d, want 403", res.StatusCode)
	}
	admin.csrf = token
	req, _ := http.NewRequest("POST", f.url+"/admin/accounts/leader/disable", strings.NewReader(url.Values{access.CSRFField: {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	if res, err := admin.hc.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("another origin with the token: %v %v, want 403", res.StatusCode, err)
	}
	if u, _ := f.site.Accounts.User(context.Background(), "leader"); u.Disabled {
		t.Fatal("a refused form changed the account")
	}
	// the token as a form field works too, as the page's own forms send it
	admin.csrf = ""
	res, _ := admin.do("POST", "/admin/accounts/leader/disable", form(url.Values{access.CSRFField: {token}}))
	if u, _ := f.site.Accounts.User(context.Background(), "leader"); res.StatusCode != http.StatusSeeOther || !u.Disabled {
		t.Errorf("the form with its token: %d, disabled %v", res.StatusCode, u.Disabled)
	}
	if e, _ := audit.Read(f.dir, audit.Filter{Action: access.ActionDenied}); len(e) != 3 { // no token, wrong token, other origin
		t.Errorf("%d refused forms in the audit log, want 3", len(e))
	}
	// login CSRF: a form posted without the login page's cookie
	anon := f.anonymous(t)
	res, _ = anon.do("POST", "/login", form(url.Values{"name": {"unit"}, "password": {f.password["unit"]}, "csrf": {"made-up"}}))
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a login without its form's pair: %d, want 403", res.StatusCode)
	}
}

// TestSessionsEnd: a session ends when idle too long, at its maximum age, at logout, when the
// account is disabled or its password changed (even from the command line); a disabled
// account's API token is refused.
func TestSessionsEnd(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	loggedIn := func(c *client) bool {
		res, _ := c.do("GET", "/api/v1/me", nil)
		return res.StatusCode == http.StatusOK
	}
	c := f.login(t, "leader")
	f.clock.add(29 * time.Minute)
	if !loggedIn(c) {
		t.Fatal("a session used within 30 minutes ended")
	}
	f.clock.add(31 * time.Minute)
	if loggedIn(c) {
		t.Error("a session idle for 31 minutes still works")
	}
	c = f.login(t, "leader")
	for i := 0; i < 17; i++ { // used every half hour, a working day long
		f.clock.add(29 * time.Minute)
		if !loggedIn(c) && i < 16 {
			t.Fatalf("session ended after %d half hours", i+1)
		}
	}
	if loggedIn(c) {
		t.Error("a session still works more than 8 hours after login")
	}
	c = f.login(t, "leader")
	if res, _ := c.do("POST", "/logout", nil); res.StatusCode != http.StatusSeeOther || loggedIn(c) {
		t.Error("a session works after logout")
	}
	c = f.login(t, "leader")
	f.clock.add(time.Second)
	if err := f.site.Accounts.SetPassword(ctx, "leader", "a new password 2024"); err != nil {
		t.Fatal(err)
	}
	if loggedIn(c) {
		t.Error("a session works after its password changed")
	}
	f.password["leader"] = "a new password 2024"
	c = f.login(t, "leader")
	script := f.script(t)
	unit := f.login(t, "unit")
	if !loggedIn(script) || !loggedIn(unit) {
		t.Fatal("the unit's token or session does not work")
	}
	if _, err := f.site.Accounts.SetDisabled(ctx, "unit", true); err != nil {
		t.Fatal(err)
	}
	if loggedIn(unit) {
		t.Error("a disabled account's session still works")
	}
	res, body := script.do("GET", "/api/v1/targets", nil)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "token") {
		t.Errorf("a disabled account's token: %d %s, want 401", res.StatusCode, body)
	}
	if !loggedIn(c) {
		t.Error("another account's session ended")
	}
}

// TestFormsAsABrowserSendsThem: the upload and note forms, posted the way a browser posts them
// (their action, their hidden fields, no header), pass the CSRF check.
func TestFormsAsABrowserSendsThem(t *testing.T) {
	f := newFixture(t)
	c := f.login(t, "unit")
	csrf := c.csrf
	c.csrf = "" // no header: only what the page's forms carry
	action := regexp.MustCompile(`<form class="upload" method="post" action="([^"]+)"`)
	_, page := c.do("GET", "/upload", nil)
	m := action.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no upload form")
	}
	res, body := c.do("POST", html.UnescapeString(m[1]), multipartBody(t, map[string]string{access.CSRFField: csrf, "source": f.unitSource(t)},
		"台账.csv", "not,a,header\n1,2,3\n"))
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "表头") {
		t.Errorf("the upload form as a browser sends it: %d, want 400 for a file without the header\n%s", res.StatusCode, shortBody(body))
	}
	code := f.unitTarget(t)
	_, page = c.do("GET", "/targets/"+code+"?year=2024", nil)
	m = regexp.MustCompile(`<form class="progress-form" method="post" action="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no note form for the item's lead unit")
	}
	res, body = c.do("POST", html.UnescapeString(m[1]), form(url.Values{access.CSRFField: {csrf}, "date": {"2024-10-30"}, "kind": {"note"},
		"text": {"第三批入户核查完成"}}))
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("the note form as a browser sends it: %d\n%s", res.StatusCode, shortBody(body))
	}
}
