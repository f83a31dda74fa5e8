package site_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/minsheng/minsheng/internal/browser"
)

// TestLoginInBrowser: in a real Chromium at a phone's width, the overview sends a person to the
// login page, which loads with no console error and asks no other host; typing the name and
// password and submitting the form lands on the overview with its charts drawn. Screenshots of
// both are left for a person in screenshots/.
func TestLoginInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	f := newFixture(t)
	b := browser.New(t)
	p := b.Visit(t, f.url+"/", 390, 844)
	var where struct {
		Path  string `json:"path"`
		Ready string `json:"ready"`
		Forms int    `json:"forms"`
	}
	const probe = `({path: location.pathname, ready: (document.body && document.body.dataset.chartsReady) || "", forms: document.querySelectorAll("form.login-form").length})`
	p.Eval(t, probe, &where)
	if where.Path != "/login" || where.Forms != 1 {
		t.Fatalf("the overview without a login shows %+v, want the login form", where)
	}
	dir := os.Getenv("MINSHENG_SCREENSHOTS")
	if dir == "" {
		dir, _ = filepath.Abs("../screenshots")
	}
	p.Screenshot(t, filepath.Join(dir, "login-390.png"))
	var ok bool
	p.Eval(t, `(() => {
		document.querySelector('input[name=name]').value = 'leader';
		document.querySelector('input[name=password]').value = `+jsString(f.password["leader"])+`;
		document.querySelector('form.login-form button[type=submit]').click();
		return true;
	})()`, &ok)
	ctx, cancel := context.WithTimeout(p.Context(), time.Minute)
	defer cancel()
	for where.Path != "/" || where.Ready != "1" {
		if ctx.Err() != nil {
			t.Fatalf("after submitting the login form: %+v", where)
		}
		// the page navigates under the probe: an error here is the old page going away
		if raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](probe)); err == nil {
			json.Unmarshal(raw, &where)
		}
		time.Sleep(50 * time.Millisecond)
	}
	charts := p.Charts(t)
	if len(charts) == 0 {
		t.Fatal("the overview after login has no chart")
	}
	for _, c := range charts {
		if !c.Canvas || c.Points == 0 {
			t.Errorf("chart %s: canvas %v, %d points", c.ID, c.Canvas, c.Points)
		}
	}
	if errs := p.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	if far := browser.NonLoopback(p.Requests()); len(far) > 0 {
		t.Errorf("requests to other hosts: %v", far)
	}
	p.Screenshot(t, filepath.Join(dir, "overview-after-login-390.png"))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
