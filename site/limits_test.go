package site_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/site"
)

// slowLogin opens a connection from 127.0.0.1 that sends a login's headers promising a body it
// never sends: the slow-body attack that used up the server's file descriptors.
func slowLogin(t *testing.T, f *fixture) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(f.url, "http://"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: 100000\r\n\r\nname=", strings.TrimPrefix(f.url, "http://"))
	return conn
}

// closedByServer waits (10 s at most: a bound, not a speed) for the server to end conn, reading
// whatever answer comes first; false if it is still open then.
func closedByServer(conn net.Conn) bool {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestSlowClientsCannotHoldTheServer: one address holds at most MaxConnsPerAddr connections, the
// next is closed as it comes; /healthz answers another address all the while; a request body
// that does not come is cut at ReadTimeout, and the address is served again after. Before,
// serve had no ReadTimeout and no connection limit: 20 000 such connections took every file
// descriptor and /healthz stopped answering.
func TestSlowClientsCannotHoldTheServer(t *testing.T) {
	f := newFixtureWith(t, func(c *site.Config) {
		c.Limits = site.Limits{ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, MaxConnsPerAddr: 4}
	})
	var slow []net.Conn
	for range 4 {
		slow = append(slow, slowLogin(t, f))
	}
	// the fifth from the same address is closed at once (reset, even before the dial returns),
	// before any request is read
	if extra, err := net.DialTimeout("tcp", strings.TrimPrefix(f.url, "http://"), 10*time.Second); err == nil {
		defer extra.Close()
		fmt.Fprintf(extra, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		extra.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(extra)
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			t.Error("a fifth connection from one address was kept open")
		case len(b) != 0:
			t.Errorf("a fifth connection from one address was read and answered: %q", b)
		}
	} else if ne := (net.Error)(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("a fifth connection: %v", err)
	}
	// another address is served meanwhile
	other := f.anonymousFrom(t, "127.0.0.2")
	if res, body := other.do("GET", "/healthz", nil); res.StatusCode != http.StatusOK {
		t.Errorf("/healthz from 127.0.0.2 during the flood: %d %s", res.StatusCode, body)
	}
	// the slow bodies are cut, and their places given back
	for i, c := range slow {
		if !closedByServer(c) {
			t.Errorf("slow connection %d still open 10 s after a 2 s read timeout", i)
		}
	}
	var res *http.Response
	for try := 0; try < 50; try++ { // the server closes its side a moment after the client sees it
		req, _ := http.NewRequest("GET", f.url+"/healthz", nil)
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		var err error
		if res, err = hc.Do(req); err == nil {
			res.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res == nil || res.StatusCode != http.StatusOK {
		t.Errorf("127.0.0.1 after its slow connections were cut: %v", res)
	}
}

// dribble sends body through w in n pieces, one every gap, then closes w; it reports how many
// bytes went out before the reader gave up.
func dribble(w *io.PipeWriter, body string, n int, gap time.Duration) {
	step := (len(body) + n - 1) / n
	for i := 0; i < len(body); i += step {
		if _, err := io.WriteString(w, body[i:min(i+step, len(body))]); err != nil {
			return
		}
		time.Sleep(gap)
	}
	w.Close()
}

// TestUploadMayTakeLongerThanReadTimeout: an upload's body may take longer than ReadTimeout while
// it keeps coming; it is cut when it stops, or comes slower than the minimum rate; any other
// route's body is cut at ReadTimeout.
func TestUploadMayTakeLongerThanReadTimeout(t *testing.T) {
	f := newFixtureWith(t, func(c *site.Config) {
		c.Limits = site.Limits{ReadTimeout: 400 * time.Millisecond, UploadIdle: 1500 * time.Millisecond, UploadMinRate: 200}
	})
	script := f.script(t)
	upload := func(pieces int, gap time.Duration) (int, string, error) {
		b := multipartBody(t, map[string]string{"source": f.unitSource(t)}, "台账.csv", "not,a,header\n1,2,3\n"+strings.Repeat("4,5,6\n", 2000))
		all, _ := io.ReadAll(b.r)
		pr, pw := io.Pipe()
		go dribble(pw, string(all), pieces, gap)
		req, _ := http.NewRequest("POST", f.url+"/api/v1/uploads", pr)
		req.ContentLength = int64(len(all))
		req.Header.Set("Content-Type", b.ctype)
		req.Header.Set("Authorization", "Bearer "+script.token)
		res, err := (&http.Client{Timeout: time.Minute}).Do(req)
		if err != nil {
			pr.CloseWithError(err)
			return 0, "", err
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(out), nil
	}
	// 1.2 s or more for the body, three times the read timeout: read whole, and answered on
	// its content (a file without the source's header)
	status, body, err := upload(6, 200*time.Millisecond)
	if err != nil || status != http.StatusBadRequest || strings.Contains(body, "不完整") {
		t.Errorf("an upload slower than ReadTimeout but steady: %d %v\n%s", status, err, shortBody(body))
	}
	// a body that stops for longer than UploadIdle is cut
	status, body, err = upload(2, 4*time.Second)
	if err == nil && !(status == http.StatusBadRequest && strings.Contains(body, "不完整")) {
		t.Errorf("an upload that stalled: %d\n%s", status, shortBody(body))
	}

	// a login's body as slow as the steady upload is cut at the read timeout
	c := f.anonymous(t)
	form := url.Values{"name": {"leader"}, "password": {f.password["leader"]}, "csrf": {c.loginCSRF()}}.Encode()
	pr, pw := io.Pipe()
	go dribble(pw, form, 6, 200*time.Millisecond)
	req, _ := http.NewRequest("POST", f.url+"/login", pr)
	req.ContentLength = int64(len(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.hc.Do(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusSeeOther {
			t.Error("a login body taking 1.2 s was read whole past a 400 ms read timeout")
		}
	} else {
		pr.CloseWithError(err)
	}
}

// TestUploadTooSlowIsCut: an upload averaging less than UploadMinRate is cut, though no pause
// is longer than UploadIdle.
func TestUploadTooSlowIsCut(t *testing.T) {
	f := newFixtureWith(t, func(c *site.Config) {
		c.Limits = site.Limits{ReadTimeout: 300 * time.Millisecond, UploadIdle: 500 * time.Millisecond, UploadMinRate: 64 << 10}
	})
	script := f.script(t)
	b := multipartBody(t, map[string]string{"source": f.unitSource(t)}, "台账.csv", "not,a,header\n"+strings.Repeat("4,5,6\n", 2000))
	all, _ := io.ReadAll(b.r)
	pr, pw := io.Pipe()
	go dribble(pw, string(all), 30, 100*time.Millisecond) // 12 KB over 3 s: 4 KB/s, below 64 KB/s
	req, _ := http.NewRequest("POST", f.url+"/api/v1/uploads", pr)
	req.ContentLength = int64(len(all))
	req.Header.Set("Content-Type", b.ctype)
	req.Header.Set("Authorization", "Bearer "+script.token)
	res, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return // cut off: the connection closed under the sender
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(out), "不完整") {
		t.Errorf("an upload at 4 KB/s with a 64 KB/s minimum: %d\n%s", res.StatusCode, shortBody(string(out)))
	}
}

// healthz is the /healthz answer.
func healthz(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	res, body := f.anonymous(t).do("GET", "/healthz", nil)
	var h map[string]any
	if err := json.Unmarshal([]byte(body), &h); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d %s", res.StatusCode, body)
	}
	return h
}

// TestHealthzCountsLostAuditEntries: an audit entry that cannot be written, every retry spent, is
// counted in /healthz ("audit_failures"); before, it was only logged, and under a flood lost
// without a trace.
func TestHealthzCountsLostAuditEntries(t *testing.T) {
	f := newFixture(t)
	if n := healthz(t, f)["audit_failures"]; n != float64(0) {
		t.Fatalf("audit_failures %v at start, want 0", n)
	}
	os.Remove(lake.Layout{Dir: f.dir}.AuditLog())
	if err := os.Mkdir(lake.Layout{Dir: f.dir}.AuditLog(), 0o700); err != nil { // nothing can be written there, root or not
		t.Fatal(err)
	}
	c := f.anonymous(t)
	if res, _ := c.do("POST", "/login", form(url.Values{"name": {"leader"}, "password": {"x"}})); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a login without its CSRF pair: %d", res.StatusCode)
	}
	if n := healthz(t, f)["audit_failures"]; n != float64(1) {
		t.Errorf("audit_failures %v after one entry could not be written, want 1", n)
	}
	os.Remove(lake.Layout{Dir: f.dir}.AuditLog())
	c.do("POST", "/login", form(url.Values{"name": {"leader"}, "password": {"x"}}))
	if n := healthz(t, f)["audit_failures"]; n != float64(1) {
		t.Errorf("audit_failures %v once the log works again, want still 1", n)
	}
	if e, _ := audit.Read(f.dir, audit.Filter{}); len(e) != 1 {
		t.Errorf("%d entries after the fault cleared, want 1", len(e))
	}
}

// floodCounts are the refusals of action in the audit: written one by one, and counted in
// summaries.
func floodCounts(t *testing.T, f *fixture, action string) (single, summarised int, summaries []audit.Entry) {
	t.Helper()
	entries, err := audit.Read(f.dir, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch {
		case e.Action == action:
			single++
		case e.Action == access.ActionFlood && e.Target == action:
			var n int
			if _, err := fmt.Sscanf(e.Detail, "%d", &n); err != nil {
				t.Errorf("summary without a count: %q", e.Detail)
			}
			summarised += n
			summaries = append(summaries, e)
		}
	}
	return single, summarised, summaries
}

// TestRefusedFloodSummarised: a flood of CSRF-less logins from one connection writes a few lines
// and then summaries ("N refused logins from 127.0.0.1 in T s"), every refusal counted in one
// or the other; past the limit it is answered 429 with a Retry-After; a real login from the same
// address still gets in. The same for a flood of bad API tokens. Before, each refusal was an
// fsynced line of its own: 1 000 refusals, 1 000 lines.
func TestRefusedFloodSummarised(t *testing.T) {
	f := newFixture(t)
	const n = 1000
	c := f.anonymous(t)
	tooMany := 0
	for range n {
		res, _ := c.do("POST", "/login", form(url.Values{"name": {"leader"}, "password": {"x"}}))
		switch res.StatusCode {
		case http.StatusForbidden:
		case http.StatusTooManyRequests:
			tooMany++
			if res.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		default:
			t.Fatalf("a CSRF-less login: %d", res.StatusCode)
		}
	}
	if tooMany == 0 {
		t.Error("no refused login was answered 429")
	}
	// the flood does not keep the address's people out
	if res, body := c.do("POST", "/login", form(url.Values{"name": {"unit"}, "password": {f.password["unit"]}, "csrf": {c.loginCSRF()}})); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a real login from the flooding address: %d\n%s", res.StatusCode, shortBody(body))
	}
	script := f.anonymous(t)
	script.token = "minsheng_not-a-real-token"
	var last *http.Response
	var lastBody string
	for range 100 {
		last, lastBody = script.do("GET", "/api/v1/targets", nil)
	}
	if last.StatusCode != http.StatusTooManyRequests || !strings.Contains(lastBody, `"too_many"`) || last.Header.Get("Retry-After") == "" {
		t.Errorf("the 100th bad token: %d %q %s", last.StatusCode, last.Header.Get("Retry-After"), lastBody)
	}
	f.site.Guard.Close() // the floods' windows end with the server

	single, summarised, sums := floodCounts(t, f, audit.ActionLoginFailed)
	if single+summarised != n || single > n/10 || len(sums) == 0 {
		t.Errorf("%d refused logins: %d lines and %d in %d summaries, want every one counted and at most %d lines",
			n, single, summarised, len(sums), n/10)
	}
	for _, e := range sums {
		if e.RemoteAddr != "127.0.0.1" || e.Outcome != audit.OutcomeDenied ||
			!strings.Contains(e.Detail, "refused logins from 127.0.0.1 in") || !strings.Contains(e.Detail, "次登录被拒绝") {
			t.Errorf("summary %+v", e)
		}
	}
	single, summarised, _ = floodCounts(t, f, access.ActionDenied)
	if single+summarised != 100 || single > 50 {
		t.Errorf("100 bad tokens: %d lines and %d summarised", single, summarised)
	}
}

// TestLoginFloodDoesNotLockOthersOut: 30 guessers at once from one address, the right password
// from another gets in meanwhile; the guessers are answered 401 or 429 with a Retry-After, never
// an error.
func TestLoginFloodDoesNotLockOthersOut(t *testing.T) {
	f := newFixture(t)
	const guessers = 30
	cs := make([]*client, guessers)
	csrf := make([]string, guessers)
	for i := range cs {
		cs[i] = f.anonymous(t)
		csrf[i] = cs[i].loginCSRF()
	}
	var wg sync.WaitGroup
	statuses := make(chan string, guessers)
	start := make(chan struct{})
	for i, c := range cs {
		wg.Go(func() {
			<-start
			res, _ := c.do("POST", "/login", form(url.Values{"name": {"admin"}, "password": {"guess " + fmt.Sprint(i)}, "csrf": {csrf[i]}}))
			statuses <- fmt.Sprintf("%d %s", res.StatusCode, res.Header.Get("Retry-After"))
		})
	}
	other := f.anonymousFrom(t, "127.0.0.2")
	otherCSRF := other.loginCSRF()
	close(start)
	res, body := other.do("POST", "/login", form(url.Values{"name": {"admin"}, "password": {f.password["admin"]}, "csrf": {otherCSRF}}))
	wg.Wait()
	close(statuses)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("the administrator from 127.0.0.2 during a flood of guesses from 127.0.0.1: %d\n%s", res.StatusCode, shortBody(body))
	}
	for s := range statuses {
		code, retry, _ := strings.Cut(s, " ")
		if code != "401" && !(code == "429" && retry != "") {
			t.Errorf("a guess answered %q, want 401, or 429 with Retry-After", s)
		}
	}
	// and after the flood, the administrator at 127.0.0.2 still gets in
	other = f.anonymousFrom(t, "127.0.0.2")
	if res, _ := other.do("POST", "/login", form(url.Values{"name": {"admin"}, "password": {f.password["admin"]}, "csrf": {other.loginCSRF()}})); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the administrator from 127.0.0.2 after the flood: %d", res.StatusCode)
	}
}
