package dashboards_test

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/minsheng/minsheng/internal/browser"
)

// screenshotDir is where the browser tests leave their screenshots for a person to look at:
// $MINSHENG_SCREENSHOTS, or screenshots/ at the top of the repository (git-ignored).
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("MINSHENG_SCREENSHOTS"); d != "" {
		return d
	}
	d, err := filepath.Abs("../screenshots")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPagesInBrowser: every page in a real headless Chromium at a desk's width and a phone's:
// it loads with no console error, asks nothing of another host, every chart holds a drawn canvas
// with data, and nothing overflows the window sideways. Screenshots are written for a person.
func TestPagesInBrowser(t *testing.T) {
	s := demoSite(t)
	b := browser.New(t)
	dir := screenshotDir(t)
	for _, width := range []int{1280, 390} {
		for _, path := range pagePaths(s) {
			start := time.Now()
			p := b.Visit(t, s.url+path, width, 900)
			took := time.Since(start)
			name := fmt.Sprintf("%d-%s.png", width, shotName(path))
			if errs := p.ConsoleErrors(); len(errs) > 0 {
				t.Errorf("%s at %d px: console errors %q", path, width, errs)
			}
			if ext := browser.NonLoopback(p.Requests()); len(ext) > 0 {
				t.Errorf("%s: requests leaving the machine: %q", path, ext)
			}
			for _, r := range p.Requests() {
				if r.Status >= 400 || r.Error != "" {
					t.Errorf("%s: %s answered %d %s", path, r.URL, r.Status, r.Error)
				}
			}
			charts := p.Charts(t)
			if len(charts) == 0 && !strings.Contains(path, "县医保局") && !strings.Contains(path, "县退役军人事务局") {
				t.Errorf("%s: no chart", path)
			}
			for _, c := range charts {
				if !c.Canvas || !c.ECharts || c.Points == 0 {
					t.Errorf("%s at %d px: chart %s not drawn with data: %+v", path, width, c.ID, c)
				}
				if c.Right() > float64(width)+0.5 || c.Width < float64(width)/2 {
					t.Errorf("%s at %d px: chart %s spans %.0f..%.0f px", path, width, c.ID, c.X, c.Right())
				}
			}
			if w := p.ScrollWidth(t); w > width {
				t.Errorf("%s at %d px: the page is %d px wide: something overflows sideways", path, width, w)
			}
			p.Screenshot(t, filepath.Join(dir, name))
			if path == "/" {
				// the page weight: every request the browser made, fetched again as it sends them
				// (gzip accepted), bytes on the wire
				total := 0
				for _, r := range p.Requests() {
					if strings.HasPrefix(r.URL, s.url) {
						_, body := fetch(t, r.URL, "Accept-Encoding", "gzip")
						total += len(body)
					}
				}
				t.Logf("overview at %d px: %d requests, %d bytes compressed, rendered (charts drawn) in %s",
					width, len(p.Requests()), total, took.Round(time.Millisecond))
			}
		}
	}
	t.Logf("screenshots in %s", dir)
}

func shotName(path string) string {
	p, _ := url.PathUnescape(strings.Trim(path, "/"))
	if p == "" {
		return "overview"
	}
	return strings.ReplaceAll(p, "/", "-")
}

// TestOverviewPrints: printed, the overview hides the navigation and the date form, shows the
// as-of line on every page, and makes an A4 PDF with the chart in it.
func TestOverviewPrints(t *testing.T) {
	s := demoSite(t)
	b := browser.New(t)
	p := b.Visit(t, s.url+"/", 1280, 900)
	ctx, cancel := context.WithTimeout(p.Context(), time.Minute)
	defer cancel()
	var shown struct {
		Nav, Form, AsOf, Chart string
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	p.Eval(t, `({
			nav: getComputedStyle(document.querySelector('header nav')).display,
			form: getComputedStyle(document.querySelector('form.asof')).display,
			asOf: getComputedStyle(document.querySelector('.print-asof')).position,
			chart: getComputedStyle(document.querySelector('.chart canvas')).display,
		})`, &shown)
	if shown.Nav != "none" || shown.Form != "none" || shown.AsOf != "fixed" || shown.Chart == "none" {
		t.Errorf("print styles: %+v, want nav and form hidden, the as-of line fixed on every page, the chart shown", shown)
	}
	yes := true
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
	if err != nil {
		t.Fatal(err)
	}
	pdf := res.Data
	// A4 is 210 × 297 mm: 595 × 842 points, give or take Chromium's rounding
	boxes := regexp.MustCompile(`MediaBox \[0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\]`).FindAllStringSubmatch(string(pdf), -1)
	pages := len(boxes)
	if !strings.HasPrefix(string(pdf), "%PDF") || pages == 0 {
		t.Fatalf("not a PDF with pages (%d bytes)", len(pdf))
	}
	for _, b := range boxes {
		w, _ := strconv.ParseFloat(b[1], 64)
		h, _ := strconv.ParseFloat(b[2], 64)
		if math.Abs(w-595.3) > 2 || math.Abs(h-841.9) > 2 {
			t.Errorf("a page of %s × %s points, want A4 (595 × 842)", b[1], b[2])
		}
	}
	out := filepath.Join(screenshotDir(t), "overview-print.pdf")
	if err := os.WriteFile(out, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("the bulletin prints to %d bytes of A4 PDF (%d A4 pages): %s", len(pdf), pages, out)
}
