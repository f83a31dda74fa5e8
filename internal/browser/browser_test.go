package browser

import (
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// page is a stand-in for a dashboard: a .chart that a hand-written script draws on (no
// ECharts: a stub echarts.getInstanceByDom gives the series), a .chart left empty, an
// image from a host that is not on this machine, a script that is missing (404), a
// console.error and an uncaught exception, then chartsReady.
const page = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>民生 测试</title>
<style>body{margin:0;font-family:sans-serif} .chart{width:100%;height:200px}</style>
</head><body>
<h1>民生仪表盘</h1>
<div class="chart" id="drawn"></div>
<div class="chart" id="empty"></div>
<img src="http://example.invalid/x.png" alt="">
<script src="/missing.js"></script>
<script>
window.echarts = {getInstanceByDom: (el) => el.id === 'drawn'
  ? {getOption: () => ({series: [{data: [1, 2, 3]}, {data: [[0, 4], [1, 5]]}, {data: {not: 'an array'}}]})}
  : undefined};
const el = document.getElementById('drawn');
const c = document.createElement('canvas');
c.width = el.clientWidth; c.height = el.clientHeight;
c.style.width = c.width + 'px'; c.style.height = c.height + 'px';
el.appendChild(c);
const g = c.getContext('2d');
g.fillStyle = 'rgb(255,0,0)';
g.fillRect(0, 0, c.width, c.height);
console.error('boom', 42);
console.log('just a log');
</script>
<script>throw new Error('late failure');</script>
<script>document.body.dataset.chartsReady = '1';</script>
</body></html>`

func serve(t *testing.T, body string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestVisit(t *testing.T) {
	srv := serve(t, page)
	start := time.Now()
	b := New(t)
	t.Logf("New: %v (%s)", time.Since(start).Round(time.Millisecond), b.Path)

	for _, vp := range []struct{ w, h int }{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprintf("%dx%d", vp.w, vp.h), func(t *testing.T) {
			start := time.Now()
			p := b.Visit(t, srv.URL+"/", vp.w, vp.h)
			t.Logf("Visit: %v", time.Since(start).Round(time.Millisecond))

			charts := p.Charts(t)
			if len(charts) != 2 {
				t.Fatalf("charts: %+v, want 2", charts)
			}
			drawn, empty := charts[0], charts[1]
			if drawn.ID != "drawn" || !drawn.Canvas || !drawn.ECharts || drawn.Series != 3 || drawn.Points != 5 {
				t.Errorf("drawn chart: %+v, want a canvas and 3 series of 5 points", drawn)
			}
			if drawn.Width != float64(vp.w) || drawn.Height != 200 || drawn.X != 0 || drawn.Right() > float64(p.Width) {
				t.Errorf("drawn chart's box: %+v, want %d wide and 200 high at x=0", drawn.Rect, vp.w)
			}
			if empty.ID != "empty" || empty.Canvas || empty.ECharts || empty.Points != 0 {
				t.Errorf("empty chart: %+v, want no canvas and no instance", empty)
			}
			if empty.Y != drawn.Bottom() {
				t.Errorf("empty chart at y=%v, want %v (just below the drawn one)", empty.Y, drawn.Bottom())
			}
			if w := p.ScrollWidth(t); w != vp.w {
				t.Errorf("scrollWidth %d, want %d", w, vp.w)
			}

			errs := p.ConsoleErrors()
			for _, want := range []string{"error: boom 42", "exception: Uncaught Error: late failure", "log:error: Failed to load resource"} {
				if !slices.ContainsFunc(errs, func(e string) bool { return strings.HasPrefix(e, want) }) {
					t.Errorf("console errors lack %q: %q", want, errs)
				}
			}
			if slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, "just a log") || strings.Contains(e, "favicon") }) {
				t.Errorf("console.log or the missing favicon counted as an error: %q", errs)
			}

			reqs := p.Requests()
			status := map[string]int{}
			for _, r := range reqs {
				status[r.URL] = r.Status
			}
			if status[srv.URL+"/"] != 200 || status[srv.URL+"/missing.js"] != 404 {
				t.Errorf("statuses: %v; requests: %+v", status, reqs)
			}
			if ext := NonLoopback(reqs); !slices.Equal(ext, []string{"http://example.invalid/x.png"}) {
				t.Errorf("NonLoopback: %q, want the example.invalid image; requests: %+v", ext, reqs)
			}

			var title string
			p.Eval(t, `document.title`, &title)
			var sum int
			p.Eval(t, `Promise.resolve(40).then((x) => x + 2)`, &sum)
			if title != "民生 测试" || sum != 42 {
				t.Errorf("Eval: title %q, sum %d", title, sum)
			}

			path := filepath.Join(t.TempDir(), "shots", "page.png")
			start = time.Now()
			p.Screenshot(t, path)
			t.Logf("Screenshot: %v", time.Since(start).Round(time.Millisecond))
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatalf("screenshot does not decode as PNG: %v", err)
			}
			if img.Bounds().Dx() != vp.w {
				t.Errorf("screenshot is %v, want %d wide", img.Bounds(), vp.w)
			}
			// The canvas was filled red: the screenshot shows it.
			r, g, bl, _ := img.At(int(drawn.X)+10, int(drawn.Y)+10).RGBA()
			if r>>8 < 200 || g>>8 > 50 || bl>>8 > 50 {
				t.Errorf("pixel inside the drawn chart is %d,%d,%d, want red", r>>8, g>>8, bl>>8)
			}
			if os.Getenv("MINSHENG_KEEP_SHOTS") != "" { // to look at one by hand
				data, _ := os.ReadFile(path)
				_ = os.WriteFile(filepath.Join(os.TempDir(), fmt.Sprintf("browser-selftest-%d.png", vp.w)), data, 0o644)
			}
		})
	}
}

// fatalTB records the failure of a helper that must stop the test, and stops only the
// goroutine that runs the helper.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatal(args ...any) {
	f.fail(fmt.Sprint(args...))
}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fail(fmt.Sprintf(format, args...))
}
func (f *fatalTB) fail(msg string) {
	f.mu.Lock()
	f.msg = msg
	f.mu.Unlock()
	runtime.Goexit()
}

// expectFatal runs fn with a fatalTB and returns the message it failed with, or fails t
// when it did not fail.
func expectFatal(t *testing.T, fn func(tb testing.TB)) string {
	t.Helper()
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	if f.msg == "" {
		t.Fatal("it did not fail")
	}
	return f.msg
}

func TestVisitNotReady(t *testing.T) {
	srv := serve(t, `<!doctype html><html><body><div class="chart" id="c"></div>
<script>console.error('chart init failed')</script></body></html>`)
	b := New(t)
	b.Timeout = 2 * time.Second
	msg := expectFatal(t, func(tb testing.TB) { b.Visit(tb, srv.URL+"/", 800, 600) })
	for _, want := range []string{"was not ready within 2s", `document.readyState="complete"`, "body.dataset.chartsReady=unset",
		"200 Document", "error: chart init failed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, msg)
		}
	}
}

func TestVisitUnreachable(t *testing.T) {
	srv := serve(t, page)
	url := srv.URL + "/"
	srv.Close() // nothing listens there now
	b := New(t)
	msg := expectFatal(t, func(tb testing.TB) { b.Visit(tb, url, 800, 600) })
	if !strings.Contains(msg, "ERR_CONNECTION_REFUSED") {
		t.Errorf("failure message: %s", msg)
	}
}

func TestNoChromium(t *testing.T) {
	t.Setenv(EnvChromium, filepath.Join(t.TempDir(), "no-such-chromium"))
	msg := expectFatal(t, func(tb testing.TB) { New(tb) })
	if !strings.Contains(msg, "make browser") || !strings.Contains(msg, EnvChromium) {
		t.Errorf("failure message: %s", msg)
	}
}

func TestNonLoopback(t *testing.T) {
	var reqs []Request
	for _, u := range []string{
		"http://127.0.0.1:8080/", "http://localhost/x", "http://[::1]:9/y", "http://127.0.0.2/z", "http://app.localhost/",
		"data:image/png;base64,AAAA", "blob:http://127.0.0.1:8080/0b1e", "about:blank",
		"https://cdn.example.com/echarts.min.js", "http://10.0.0.1/", "http://example.invalid/x.png",
		"https://cdn.example.com/echarts.min.js", "http://[::ffff:8.8.8.8]/",
	} {
		reqs = append(reqs, Request{URL: u})
	}
	want := []string{"https://cdn.example.com/echarts.min.js", "http://10.0.0.1/", "http://example.invalid/x.png", "http://[::ffff:8.8.8.8]/"}
	if got := NonLoopback(reqs); !slices.Equal(got, want) {
		t.Errorf("NonLoopback = %q, want %q", got, want)
	}
}
