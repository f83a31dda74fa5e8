package dashboards_test

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
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
			checkTables(t, p, path)
			if path == "/" {
				checkNames(t, p)
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

// tableLayout is what checkTables reads of a page's tables from the DOM.
type tableLayout struct {
	Tables, Cards, Rows, Chips int
	Hidden                     []string // a row whose status chip or a card's cell is out of view without scrolling sideways
	Unmarked                   []string // a table that scrolls sideways without saying so
	NotCards                   []string // a table of class cards still laid out as a table on a phone
}

const tablesJS = `(() => {
  const W = window.innerWidth, phone = W < 600;
  const out = {tables: 0, cards: 0, rows: 0, chips: 0, hidden: [], unmarked: [], notCards: []};
  const name = (el) => (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
  document.querySelectorAll('.table-wrap').forEach((w) => {
    const table = w.querySelector('table');
    if (!table) return;
    out.tables++;
    const cards = table.classList.contains('cards');
    if (cards) out.cards++;
    if (cards && phone && getComputedStyle(table.querySelector('thead')).position !== 'absolute') out.notCards.push(name(table));
    if (w.scrollWidth > w.clientWidth + 1 && !w.classList.contains('scrolls')) out.unmarked.push(name(table));
    const box = w.getBoundingClientRect();
    const left = Math.max(0, box.left) - 0.5, right = Math.min(W, box.right) + 0.5;
    table.querySelectorAll('tbody tr').forEach((tr) => {
      out.rows++;
      const must = Array.from(tr.querySelectorAll('.status'));
      out.chips += must.length;
      if (cards && phone) must.push(...Array.from(tr.querySelectorAll('td')).filter((td) => getComputedStyle(td).display !== 'none'));
      for (const el of must) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.left < left || r.right > right) {
          out.hidden.push(name(tr) + ': ' + name(el) + ' at ' + Math.round(r.left) + '..' + Math.round(r.right));
          break;
        }
      }
    });
  });
  return out;
})()`

// checkTables: at a phone's width every table row's status chip is in view without scrolling
// sideways, and so is every cell of a table laid out as cards; a table that still scrolls says
// so. Read from the DOM of the real browser, not from a screenshot.
func checkTables(t *testing.T, p *browser.Page, path string) tableLayout {
	t.Helper()
	var l tableLayout
	p.Eval(t, tablesJS, &l)
	if p.Width < 600 {
		for _, h := range l.Hidden {
			t.Errorf("%s at %d px: out of view without a sideways scroll: %s", path, p.Width, h)
		}
		for _, n := range l.NotCards {
			t.Errorf("%s at %d px: the table %q is not laid out as cards", path, p.Width, n)
		}
	}
	for _, u := range l.Unmarked {
		t.Errorf("%s at %d px: the table %q scrolls sideways without saying so", path, p.Width, u)
	}
	return l
}

// checkNames: the completion chart's item names as ECharts lays them out at this width: at a
// desk's width each has the room of its whole text on one line (measured in the page's font); on
// a phone each wraps, none is cut or left out.
func checkNames(t *testing.T, p *browser.Page) {
	t.Helper()
	var got struct {
		Width    float64
		Widest   float64
		Overflow string
		Interval string
		Longest  string
	}
	p.Eval(t, `(() => {
		const ax = echarts.getInstanceByDom(document.getElementById('chart-completion')).getOption().yAxis[0];
		const ctx = document.createElement('canvas').getContext('2d');
		ctx.font = '12px ' + getComputedStyle(document.body).fontFamily;
		let widest = 0, longest = '';
		for (const n of ax.data) {
			const w = ctx.measureText(n).width;
			if (w > widest) { widest = w; longest = n; }
		}
		return {width: ax.axisLabel.width, widest, longest, overflow: ax.axisLabel.overflow, interval: String(ax.axisLabel.interval)};
	})()`, &got)
	if got.Overflow == "truncate" || got.Interval != "0" {
		t.Errorf("at %d px the chart's names are %s (interval %s): want every name shown, wrapped, never cut", p.Width, got.Overflow, got.Interval)
	}
	if p.Width >= 1000 && got.Width < got.Widest {
		t.Errorf("at %d px the chart's names have %.0f px, and %q needs %.0f", p.Width, got.Width, got.Longest, got.Widest)
	}
}

func shotName(path string) string {
	p, _ := url.PathUnescape(strings.Trim(path, "/"))
	if p == "" {
		return "overview"
	}
	return strings.ReplaceAll(p, "/", "-")
}

// TestOverviewPrints: printed, the overview keeps its colours (print-color-adjust: exact), hides
// the navigation, the account bar, the date form and the buttons, fills its first page (the
// table starts there), and makes A4 pages each with the as-of line and the page number at its
// foot, read back from the PDF with poppler.
func TestOverviewPrints(t *testing.T) {
	s := demoSite(t)
	b := browser.New(t)
	p := b.Visit(t, s.url+"/", 1280, 900)
	ctx, cancel := context.WithTimeout(p.Context(), time.Minute)
	defer cancel()
	var shown struct {
		Nav, Who, Form, Actions, Chart, ChipBG, ChipAdjust string
		CanvasWidth                                        float64
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	// the test site has no login: an account bar as a logged-in page has it
	// as a browser does when asked to print: the print media, then beforeprint
	p.Eval(t, `(() => {
			window.dispatchEvent(new Event('beforeprint'));
			const who = document.createElement('div');
			who.className = 'who screen-only';
			who.innerHTML = '<span>某某 · 县领导</span><form><button>退出</button></form>';
			document.querySelector('header.top').appendChild(who);
			const chip = document.querySelector('.status.s-严重滞后, .status.s-未达标, .status.s-滞后');
			return {
				nav: getComputedStyle(document.querySelector('header nav')).display,
				who: getComputedStyle(who).display,
				form: getComputedStyle(document.querySelector('form.asof')).display,
				actions: getComputedStyle(document.querySelector('.actions')).display,
				chart: getComputedStyle(document.querySelector('.chart canvas')).display,
				chipBG: getComputedStyle(chip).backgroundColor,
				chipAdjust: getComputedStyle(chip).printColorAdjust,
				canvasWidth: Math.max(...[...document.querySelectorAll('.chart canvas')].map(c => c.getBoundingClientRect().width)),
			};
		})()`, &shown)
	if shown.Nav != "none" || shown.Who != "none" || shown.Form != "none" || shown.Actions != "none" || shown.Chart == "none" {
		t.Errorf("print styles: %+v, want the navigation, the account bar, the date form and the buttons hidden, the chart shown", shown)
	}
	if shown.CanvasWidth > 703 { // A4's 186 mm inside the margins
		t.Errorf("a chart is drawn %.0f px wide for printing: it runs off the paper and is cut", shown.CanvasWidth)
	}
	if shown.ChipAdjust != "exact" || shown.ChipBG == "rgba(0, 0, 0, 0)" || shown.ChipBG == "" {
		t.Errorf("a status chip prints as %s (print-color-adjust %q), want its colour kept", shown.ChipBG, shown.ChipAdjust)
	}
	yes := true
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
	if err != nil {
		t.Fatal(err)
	}
	pdf := res.Data
	if !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatalf("not a PDF (%d bytes)", len(pdf))
	}
	out := filepath.Join(screenshotDir(t), "overview-print.pdf")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	pages := pdfPages(t, out)
	if len(pages) == 0 {
		t.Fatal("a PDF without pages")
	}
	for i, pg := range pages {
		// A4 is 210 × 297 mm: 595 × 842 points, give or take Chromium's rounding
		if math.Abs(pg.W-595.3) > 2 || math.Abs(pg.H-841.9) > 2 {
			t.Errorf("page %d: %.1f × %.1f points, want A4 (595 × 842)", i+1, pg.W, pg.H)
		}
		for _, want := range []string{"2024 年民生实事 · 统计截至 2024-10-31 · 序时进度", fmt.Sprintf("第 %d 页,共 %d 页", i+1, len(pages))} {
			if !strings.Contains(pg.Text, want) {
				t.Errorf("page %d lacks its foot %q:\n%s", i+1, want, pg.Text)
			}
		}
		for _, screen := range []string{"导出 Excel", "退出", "查看", "参保考核"} {
			if strings.Contains(pg.Text, screen) {
				t.Errorf("page %d prints %q, which is for the screen", i+1, screen)
			}
		}
	}
	if !strings.Contains(pages[0].Text, "全部指标") || !strings.Contains(pages[0].Text, "牵头单位") {
		t.Errorf("the first page does not start the table (it is left half empty):\n%s", pages[0].Text)
	}
	t.Logf("the overview prints on %d A4 pages (%d bytes of PDF): %s", len(pages), len(pdf), out)
}
