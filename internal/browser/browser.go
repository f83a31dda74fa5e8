// Package browser drives a real headless Chromium for the tests of the dashboards: the
// server-rendered pages with ECharts charts. It is used only by tests.
//
// A test starts one browser and visits pages in it; each visit is a new tab with its own
// viewport, and the tab records every request, every console message and every uncaught
// exception from its first moment:
//
//	b := browser.New(t) // fails the test, telling to run `make browser`, when there is no Chromium
//	p := b.Visit(t, srv.URL+"/dashboard", 1280, 800) // waits for body[data-charts-ready="1"]
//	if errs := p.ConsoleErrors(); len(errs) > 0 {
//		t.Errorf("console errors: %q", errs)
//	}
//	if ext := browser.NonLoopback(p.Requests()); len(ext) > 0 {
//		t.Errorf("requests that leave the machine: %q", ext)
//	}
//	for _, c := range p.Charts(t) {
//		if !c.Canvas || c.Points == 0 || c.Right() > float64(p.Width) {
//			t.Errorf("chart %s: %+v", c.ID, c)
//		}
//	}
//	p.Screenshot(t, filepath.Join(t.TempDir(), "dashboard.png"))
//
// The pages' script must set document.body.dataset.chartsReady = "1" once every chart is
// initialised; Visit waits for it and for the load event, and fails with what it saw when
// they do not come within Browser.Timeout.
//
// Chromium is found through $MINSHENG_CHROMIUM, then /usr/bin/chromium, then chromium or
// chromium-browser on the PATH. `make browser` installs Debian's chromium and a CJK font
// (fonts-wqy-zenhei), and `make test` depends on it.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// EnvChromium names the variable that points at a Chromium (or Chrome) binary to use
// instead of the one found on the machine.
const EnvChromium = "MINSHENG_CHROMIUM"

// DefaultTimeout bounds the start of the browser, each Visit (navigation and the wait for
// chartsReady) and each other call into the page.
const DefaultTimeout = 30 * time.Second

// Browser is one headless Chromium process. Its Visit opens a new tab; tabs of one Browser
// may be used from parallel subtests.
type Browser struct {
	// Path is the Chromium binary that runs.
	Path string
	// Timeout bounds each Visit and each call into a page; New sets DefaultTimeout.
	Timeout time.Duration

	ctx    context.Context // the browser's first tab: the parent of every Visit's tab
	output *syncBuffer     // Chromium's stdout and stderr
}

// FindChromium returns the Chromium binary to use, or an error that says how to install one.
func FindChromium() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("$%s=%q is not an executable file: point it at Chromium, or unset it and run `make browser`", EnvChromium, p)
		}
		return p, nil
	}
	if fi, err := os.Stat("/usr/bin/chromium"); err == nil && !fi.IsDir() {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found ($" + EnvChromium + " unset; no /usr/bin/chromium; no chromium or chromium-browser on PATH): " +
		"run `make browser` (it installs Debian's chromium and fonts-wqy-zenhei with apt-get), or set $" + EnvChromium)
}

// New starts a headless Chromium for the test and closes it when the test ends. With no
// Chromium on the machine the test fails (it never skips) and says to run `make browser`.
func New(t testing.TB) *Browser {
	t.Helper()
	path, err := FindChromium()
	if err != nil {
		t.Fatal("browser: " + err.Error())
	}
	b := &Browser{Path: path, Timeout: DefaultTimeout, output: &syncBuffer{}}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // we run as root on CI, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), // the machine's network is closed: no calls home
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.CombinedOutput(b.output),
		// No UserDataDir: chromedp makes a fresh temporary one for each start, and removes it
		// (after killing any leftover child process) when the browser ends.
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc() // waits for the process to end and its profile to be removed
	})
	// The first Do starts the process; its context must outlive the call (a timeout on it
	// would end the browser), so the start is bounded from outside.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err = <-started:
	case <-time.After(b.Timeout):
		err = fmt.Errorf("no answer after %v", b.Timeout)
	}
	if err != nil {
		t.Fatalf("browser: starting %s: %v\nits output:\n%s", path, err, b.output.String())
	}
	b.ctx = ctx
	return b
}

// Request is one network request of a page.
type Request struct {
	URL    string
	Status int    // HTTP status of the response; 0 when none came (failed, blocked, data: URL)
	Type   string // resource type as Chromium names it: Document, Script, Stylesheet, Image, XHR, Fetch, Font…
	Error  string // why loading failed, such as net::ERR_NAME_NOT_RESOLVED; empty when it did not
}

// Rect is a box in CSS pixels, in the coordinates of the document (scrolling does not move it).
type Rect struct {
	X, Y, Width, Height float64
}

// Right is the x of the box's right edge.
func (r Rect) Right() float64 { return r.X + r.Width }

// Bottom is the y of the box's bottom edge.
func (r Rect) Bottom() float64 { return r.Y + r.Height }

// Chart is what Charts finds for one element of class "chart".
type Chart struct {
	ID string
	// Canvas: the element holds a <canvas> whose bitmap and box are both of nonzero size
	// (what ECharts' canvas renderer draws on).
	Canvas bool
	// ECharts: echarts.getInstanceByDom(el) returned an instance.
	ECharts bool
	// Series and Points: the number of series in the instance's option and the sum of
	// their data.length (a series whose data is not an array counts 0). Both 0 when ECharts
	// is false.
	Series int
	Points int
	Rect
}

// Page is one tab that Visit opened. Its records grow as the page goes on (a later request
// or console message shows up in a later call).
type Page struct {
	URL           string
	Width, Height int // the viewport, in CSS pixels

	b   *Browser
	ctx context.Context

	mu       sync.Mutex
	requests []Request
	byID     map[network.RequestID]int // request id → index of its latest entry in requests
	console  []Message
}

// Message is one console message, uncaught exception or browser log entry of a page.
type Message struct {
	// Kind is the console API's type ("log", "warning", "error", "assert"…) for a console
	// call, "exception" for an uncaught exception or unhandled rejection, and "log:LEVEL"
	// ("log:error", "log:warning"…) for an entry of the browser's log, except "favicon:LEVEL"
	// for an entry about /favicon.ico, which Chromium fetches by itself after the load: a
	// server without one is not a page's error.
	Kind string
	Text string
}

// IsError reports whether the message counts as an error: console.error, a failed
// console.assert, an uncaught exception, or a browser log entry of level error.
func (m Message) IsError() bool {
	switch m.Kind {
	case "error", "assert", "exception", "log:error":
		return true
	}
	return false
}

func (m Message) String() string { return m.Kind + ": " + m.Text }

// Visit opens a new tab with a viewport of width×height CSS pixels (device scale 1; below
// 500 wide it also emulates a phone: mobile layout, which honours <meta name=viewport>,
// and touch), navigates to url, and waits until the page has loaded and its script has set
// document.body.dataset.chartsReady to "1". On a failed navigation or a timeout the test
// fails with the requests and console messages seen so far. The tab closes when the test
// ends.
func (b *Browser) Visit(t testing.TB, url string, width, height int) *Page {
	t.Helper()
	p := &Page{URL: url, Width: width, Height: height, b: b, byID: map[network.RequestID]int{}}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(p.record))
	t.Cleanup(cancel)
	p.ctx = ctx

	// As in New: the first Do makes the tab, and its context becomes the tab's life.
	made := make(chan error, 1)
	go func() { made <- chromedp.Do(ctx) }()
	var err error
	select {
	case err = <-made:
	case <-time.After(b.Timeout):
		err = fmt.Errorf("no answer after %v", b.Timeout)
	}
	if err != nil {
		t.Fatalf("browser: opening a tab for %s: %v\nChromium's output:\n%s", url, err, b.output.String())
	}

	vctx, vcancel := context.WithTimeout(ctx, b.Timeout)
	defer vcancel()
	emulate := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if width < 500 {
		emulate = append(emulate, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	if err := chromedp.Do(vctx, chromedp.EmulateViewport(int64(width), int64(height), emulate...)); err != nil {
		t.Fatalf("browser: setting the viewport to %dx%d: %v", width, height, err)
	}
	if err := chromedp.Do(vctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("browser: loading %s: %v\n%s", url, err, p.report())
	}
	const probe = `({ready: document.readyState, charts: document.body ? (document.body.dataset.chartsReady ?? null) : null})`
	var last struct {
		Ready  string  `json:"ready"`
		Charts *string `json:"charts"`
	}
	for {
		raw, err := chromedp.Run(vctx, chromedp.Evaluate[[]byte](probe))
		if err == nil {
			err = json.Unmarshal(raw, &last)
		}
		if err == nil && last.Ready == "complete" && last.Charts != nil && *last.Charts == "1" {
			return p
		}
		if vctx.Err() != nil {
			charts := "unset"
			if last.Charts != nil {
				charts = fmt.Sprintf("%q", *last.Charts)
			}
			state := fmt.Sprintf("document.readyState=%q, body.dataset.chartsReady=%s", last.Ready, charts)
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				state += fmt.Sprintf(" (last error: %v)", err)
			}
			t.Fatalf("browser: %s was not ready within %v: %s\n%s", url, b.Timeout, state, p.report())
		}
		select {
		case <-vctx.Done():
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// Context is the chromedp context of the tab, for actions the harness does not wrap
// (chromedp.Click, chromedp.Text…). Give it a timeout of your own.
func (p *Page) Context() context.Context { return p.ctx }

// record runs in the tab's event loop (chromedp.WithListener): it must be quick and send no
// command.
func (p *Page) record(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request == nil {
			return
		}
		if i, ok := p.byID[ev.RequestID]; ok && ev.RedirectResponse != nil {
			p.requests[i].Status = int(ev.RedirectResponse.Status) // the redirect's own status
		}
		p.byID[ev.RequestID] = len(p.requests)
		p.requests = append(p.requests, Request{URL: ev.Request.URL, Type: string(ev.Type)})
	case *network.EventResponseReceived:
		if i, ok := p.byID[ev.RequestID]; ok && ev.Response != nil {
			p.requests[i].Status = int(ev.Response.Status)
			if p.requests[i].Type == "" {
				p.requests[i].Type = string(ev.Type)
			}
		}
	case *network.EventLoadingFailed:
		if i, ok := p.byID[ev.RequestID]; ok {
			p.requests[i].Error = ev.ErrorText
			if ev.BlockedReason != "" {
				p.requests[i].Error += " (blocked: " + string(ev.BlockedReason) + ")"
			}
		}
	case *runtime.EventConsoleAPICalled:
		p.console = append(p.console, Message{Kind: string(ev.Type), Text: consoleText(ev.Args) + place(ev.StackTrace)})
	case *runtime.EventExceptionThrown:
		p.console = append(p.console, Message{Kind: "exception", Text: exceptionText(ev.ExceptionDetails)})
	case *log.EventEntryAdded:
		if e := ev.Entry; e != nil {
			text := e.Text
			if e.URL != "" {
				text += " (" + e.URL + ")"
			}
			kind := "log:" + string(e.Level)
			if u, err := url.Parse(e.URL); err == nil && u.Path == "/favicon.ico" {
				kind = "favicon:" + string(e.Level) // the browser asks for it by itself
			}
			p.console = append(p.console, Message{Kind: kind, Text: text})
		}
	}
}

// sync makes one round trip to the tab, so that every event Chromium sent before its answer
// has been recorded.
func (p *Page) sync() {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`0`))
}

// Requests is every network request of the page so far, in the order they were sent (a
// redirect is two entries).
func (p *Page) Requests() []Request {
	p.sync()
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Console is every console message, uncaught exception and browser log entry so far.
func (p *Page) Console() []Message {
	p.sync()
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Message(nil), p.console...)
}

// ConsoleErrors is the text of every console.error, failed console.assert, uncaught
// exception or unhandled rejection, and browser log entry of level error (such as a
// resource that failed to load) so far.
func (p *Page) ConsoleErrors() []string {
	var errs []string
	for _, m := range p.Console() {
		if m.IsError() {
			errs = append(errs, m.String())
		}
	}
	return errs
}

// Eval runs the JavaScript expression in the page (a promise is awaited) and decodes its
// JSON value into out; out may be nil to drop the value. An exception fails the test, and
// so does an undefined value when out is not nil.
func (p *Page) Eval(t testing.TB, js string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.b.Timeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browser: eval %s: %v", short(js), err)
	}
	if out == nil {
		return
	}
	if len(raw) == 0 {
		t.Fatalf("browser: eval %s: the value is undefined (or cannot be sent as JSON)", short(js))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("browser: eval %s: decoding %s into %T: %v", short(js), short(string(raw)), out, err)
	}
}

// Screenshot writes a PNG of the whole page (beyond the viewport's height) to path, making
// its folder if needed. Its width is the viewport's, unless the page overflows it.
func (p *Page) Screenshot(t testing.TB, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.b.Timeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("browser: screenshot of %s: %v", p.URL, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// chartsJS reports every .chart element; see Chart.
const chartsJS = `Array.from(document.querySelectorAll('.chart')).map((el) => {
  const r = el.getBoundingClientRect();
  const canvas = Array.from(el.querySelectorAll('canvas')).some((c) => {
    const b = c.getBoundingClientRect();
    return c.width > 0 && c.height > 0 && b.width > 0 && b.height > 0;
  });
  const out = {id: el.id, canvas, echarts: false, series: 0, points: 0,
    x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height};
  const ec = window.echarts && typeof window.echarts.getInstanceByDom === 'function'
    ? window.echarts.getInstanceByDom(el) : null;
  if (ec) {
    out.echarts = true;
    const series = (ec.getOption() || {}).series || [];
    out.series = series.length;
    for (const s of series) {
      const d = s && s.data;
      if (d && typeof d.length === 'number') out.points += d.length;
    }
  }
  return out;
})`

// Charts reports every element of class "chart" on the page, in document order.
func (p *Page) Charts(t testing.TB) []Chart {
	t.Helper()
	var raw []struct {
		ID      string  `json:"id"`
		Canvas  bool    `json:"canvas"`
		ECharts bool    `json:"echarts"`
		Series  int     `json:"series"`
		Points  int     `json:"points"`
		X       float64 `json:"x"`
		Y       float64 `json:"y"`
		Width   float64 `json:"width"`
		Height  float64 `json:"height"`
	}
	p.Eval(t, chartsJS, &raw)
	charts := make([]Chart, len(raw))
	for i, c := range raw {
		charts[i] = Chart{ID: c.ID, Canvas: c.Canvas, ECharts: c.ECharts, Series: c.Series, Points: c.Points,
			Rect: Rect{X: c.X, Y: c.Y, Width: c.Width, Height: c.Height}}
	}
	return charts
}

// ScrollWidth is the width of the document's content (documentElement.scrollWidth): more
// than Width means something overflows the viewport sideways.
func (p *Page) ScrollWidth(t testing.TB) int {
	t.Helper()
	var w int
	p.Eval(t, `document.documentElement.scrollWidth`, &w)
	return w
}

// NonLoopback returns the URLs of the requests whose host is not on this machine (not
// localhost, *.localhost or a loopback address such as 127.0.0.1 or ::1), each once, in
// order. data:, blob: and about: URLs are fine; a URL that does not parse is returned.
func NonLoopback(reqs []Request) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range reqs {
		if isLocal(r.URL) || seen[r.URL] {
			continue
		}
		seen[r.URL] = true
		out = append(out, r.URL)
	}
	return out
}

func isLocal(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "data", "blob", "about":
		return true
	}
	h := strings.ToLower(u.Hostname())
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// report tells what the page did so far, for a failure message. It sends no command, so
// that it works when the tab no longer answers.
func (p *Page) report() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "requests (%d):\n", len(p.requests))
	for _, r := range p.requests {
		fmt.Fprintf(&b, "  %3d %-10s %s", r.Status, r.Type, short(r.URL))
		if r.Error != "" {
			fmt.Fprintf(&b, "  %s", r.Error)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "console (%d):\n", len(p.console))
	for _, m := range p.console {
		fmt.Fprintf(&b, "  %s\n", short(m.String()))
	}
	return b.String()
}

func consoleText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		parts = append(parts, remoteText(a))
	}
	return strings.Join(parts, " ")
}

func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return "null"
	}
	if o.Type == runtime.RemoteObjectTypeString {
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
	}
	switch {
	case o.Type == runtime.RemoteObjectTypeUndefined:
		return "undefined"
	case o.UnserializableValue != "":
		return string(o.UnserializableValue)
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		return string(o.Value)
	}
	return string(o.Type)
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "exception"
	}
	text := d.Text // "Uncaught" or "Uncaught (in promise)"
	if d.Exception != nil {
		desc, _, _ := strings.Cut(remoteText(d.Exception), "\n    at ") // the stack follows
		text = strings.TrimSpace(text + " " + desc)
	}
	switch {
	case d.URL != "":
		text += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	default:
		text += place(d.StackTrace)
	}
	return text
}

// place is " (url:line)" of a stack's top frame, or "".
func place(st *runtime.StackTrace) string {
	if st == nil || len(st.CallFrames) == 0 || st.CallFrames[0].URL == "" {
		return ""
	}
	f := st.CallFrames[0]
	return fmt.Sprintf(" (%s:%d)", f.URL, f.LineNumber+1)
}

func short(s string) string {
	const limit = 300
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}

// syncBuffer collects Chromium's output, which chromedp copies from another goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) < 1<<20 { // keep the first MiB
		b.buf = append(b.buf, p...)
	}
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
