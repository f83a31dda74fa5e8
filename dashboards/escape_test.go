package dashboards_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"html"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/notes"
)

// Hostile text where the data can carry it: a township of the county profile, a target's title
// and lead unit in the year's registry. Each must render as text, never as markup or a formula.
const (
	evilTownship = `</script><img src=x onerror=alert(1)>镇`
	evilTitle    = `=cmd|' /c calc'!A0 </script><b>粗</b>`
	evilUnit     = `<img src=x onerror=alert(2)>局`
)

func evilSite(t *testing.T) *site {
	dir := t.TempDir()
	cfg := shippedConfig(t, dir)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"region_code", "乡镇", "村(社区)"})
	w.Write([]string{"340826", "松兹街道", "长集社区"})
	w.Write([]string{"340826", evilTownship, `"><svg onload=alert(3)>村`})
	w.Flush()
	county, err := minsheng.ParseCounty(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	cfg.County = county
	plan, err := os.ReadFile("../config/targets/2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(plan), "lead_unit: 县总工会, title: 困难职工帮扶救助人次",
		`lead_unit: "`+evilUnit+`", title: "`+evilTitle+`"`, 1)
	p, err := minsheng.ParsePlan([]byte(text), cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	if tg, _ := p.Target("09"); tg.Title != evilTitle || tg.LeadUnit != evilUnit {
		t.Fatalf("the plan was not changed: %+v", tg)
	}
	cfg.Plans = map[int]*minsheng.Plan{2024: p}
	s := serve(t, cfg)
	t.Cleanup(s.srv.Close)
	return s
}

// TestHostileTextIsText: html/template escapes the hostile names in text, attributes and URLs,
// and the chart options carry them as JSON strings inside an attribute, exactly.
func TestHostileTextIsText(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a warehouse")
	}
	s := evilSite(t)
	paths := []string{"/", "/targets/09", "/targets/10", "/assessment/enrollment", "/units/" + url.PathEscape(evilUnit)}
	for _, p := range paths {
		res, body := fetch(t, s.url+p)
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", p, res.StatusCode)
			continue
		}
		page := string(body)
		// no tag of the data's: the pages themselves use no <img> or <svg>, and <b> never before 粗
		for _, raw := range []string{"<img", "<b>粗", "<svg"} {
			if i := strings.Index(page, raw); i >= 0 {
				t.Errorf("%s: the raw markup %q is in the page: …%s…", p, raw, page[max(0, i-80):min(len(page), i+80)])
			}
		}
		if strings.Count(page, "</script>") != strings.Count(page, "<script") {
			t.Errorf("%s: a </script> without its <script>", p)
		}
		// the text is there, escaped, for a person to read
		if p == "/" && (!strings.Contains(page, html.EscapeString(evilTitle)) && !strings.Contains(page, "&lt;/script&gt;&lt;b&gt;粗")) {
			t.Errorf("%s: the hostile title is not shown as text", p)
		}
		if p == "/targets/09" {
			found := false
			for _, m := range optionAttr.FindAllStringSubmatch(page, -1) {
				var opt struct {
					XAxis []struct{ Data []string } `json:"xAxis"`
					YAxis []struct{ Data []string } `json:"yAxis"`
				}
				if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &opt); err != nil {
					t.Fatalf("option: %v", err)
				}
				for _, a := range append(opt.XAxis, opt.YAxis...) {
					for _, d := range a.Data {
						found = found || d == evilTownship
					}
				}
			}
			if !found {
				t.Errorf("%s: the township chart does not carry the township's exact name", p)
			}
		}
	}
	// the export escapes the formula text with an apostrophe
	f := openXLSX(t, s.url+"/export/overview.xlsx")
	rows, _ := f.GetRows(f.GetSheetName(f.GetActiveSheetIndex()))
	found := false
	for _, r := range rows {
		for _, c := range r {
			if strings.Contains(c, "cmd|") {
				found = true
				if !strings.HasPrefix(c, "'") && !strings.HasPrefix(c, "(九) =") {
					t.Errorf("formula text exported as %q", c)
				}
			}
		}
	}
	if !found {
		t.Error("the hostile title is not in the export")
	}
	f9 := openXLSX(t, s.url+"/export/targets/09.xlsx")
	if title, _ := f9.GetCellValue("指标", "A1"); !strings.HasPrefix(title, "(九) =cmd") && !strings.HasPrefix(title, "'") {
		t.Errorf("09's title cell %q", title)
	}
	if v, _ := f9.GetCellValue("月度", "A1"); !strings.HasPrefix(v, "'=cmd") {
		t.Errorf("a title starting with = is exported as %q, want it escaped with an apostrophe", v)
	}
}

// TestHostileNoteIsText: a lead unit's note is text on every page that shows it and in the Excel
// bulletin, whatever markup or formula it carries.
func TestHostileNoteIsText(t *testing.T) {
	s := newNotesSite(t)
	evil := "=cmd|' /c calc'!A0 </script><script>alert(1)</script><img src=x onerror=alert(2)>\"><svg onload=alert(3)>"
	s.add(t, notes.Draft{Year: 2024, Code: "14", Date: "2024-10-31", Kind: "note", Text: evil})
	s.add(t, notes.Draft{Year: 2024, Code: "13b", Date: "2024-10-31", Kind: "milestone", Stage: "施工", Text: "<b>粗</b>" + evil})
	for _, p := range []string{"/", "/targets/14", "/targets/13b", "/units/" + url.PathEscape("县民政局")} {
		for _, as := range []string{"leader", "minzheng"} { // the owner's page has the correction list too
			res, body := fetch(t, s.url+p, "X-Test-As", as)
			page := string(body)
			if res.StatusCode != 200 {
				t.Errorf("%s as %s: %d", p, as, res.StatusCode)
				continue
			}
			for _, raw := range []string{"<img", "<b>粗", "<svg", "alert(1)</script>"} {
				if i := strings.Index(page, raw); i >= 0 {
					t.Errorf("%s as %s: the raw markup %q is in the page: …%s…", p, as, raw, page[max(0, i-80):min(len(page), i+80)])
				}
			}
			if strings.Count(page, "</script>") != strings.Count(page, "<script") {
				t.Errorf("%s as %s: a </script> without its <script>", p, as)
			}
			if !strings.Contains(page, "&lt;img src=x onerror=alert(2)&gt;") {
				t.Errorf("%s as %s: the note is not shown as text", p, as)
			}
		}
	}
	f := openXLSX(t, s.url+"/export/overview.xlsx")
	rows, _ := f.GetRows("通报")
	for _, r := range rows {
		for _, c := range r {
			if strings.Contains(c, "cmd|") && strings.HasPrefix(c, "=") {
				t.Errorf("a note exported as formula text %q", c)
			}
		}
	}
}
