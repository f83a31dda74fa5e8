package dashboards_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minsheng/minsheng/notes"
)

// needTool is a program a test cannot do without: under `make test` (MINSHENG_REQUIRE_TOOLS=1)
// and on CI (CI=true) its absence fails the test (the project's setup installs it: .ci/run and
// the Makefile), elsewhere it skips with how to get it. LibreOffice is soffice or libreoffice,
// as `make office` takes either for installed.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	names := []string{name}
	if name == "soffice" {
		names = append(names, "libreoffice")
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not installed: apt-get install -y %s (make test installs it)", name, pkg)
	if os.Getenv("CI") == "true" || os.Getenv("MINSHENG_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// sofficePDF converts a workbook to PDF with LibreOffice headless, as an office would print it:
// a fresh profile each run (two runs never share one) and a time limit.
func sofficePDF(t *testing.T, name string, xlsx []byte) string {
	t.Helper()
	soffice := needTool(t, "soffice", "libreoffice-calc-nogui")
	dir := t.TempDir()
	in := filepath.Join(dir, name)
	if err := os.WriteFile(in, xlsx, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--norestore", "--nolockcheck", "--convert-to", "pdf", "--outdir", dir, in)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out, err := cmd.CombinedOutput()
	pdf := strings.TrimSuffix(in, filepath.Ext(in)) + ".pdf"
	if _, serr := os.Stat(pdf); err != nil || serr != nil {
		t.Fatalf("soffice --convert-to pdf %s: %v %v\n%s", name, err, serr, out)
	}
	return pdf
}

// pdfPage is one printed page: its size in points and its text.
type pdfPage struct {
	W, H float64
	Text string
}

var pageSize = regexp.MustCompile(`Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts`)

// pdfPages reads a PDF's pages with poppler's pdfinfo and pdftotext.
func pdfPages(t *testing.T, pdf string) []pdfPage {
	t.Helper()
	pdfinfo := needTool(t, "pdfinfo", "poppler-utils")
	pdftotext := needTool(t, "pdftotext", "poppler-utils")
	info, err := exec.Command(pdfinfo, pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo: no page count in\n%s", info)
	}
	n, _ := strconv.Atoi(string(m[1]))
	sizes, err := exec.Command(pdfinfo, "-f", "1", "-l", strconv.Itoa(n), pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	pages := make([]pdfPage, n)
	for _, s := range pageSize.FindAllStringSubmatch(string(sizes), -1) {
		i, _ := strconv.Atoi(s[1])
		pages[i-1].W, _ = strconv.ParseFloat(s[2], 64)
		pages[i-1].H, _ = strconv.ParseFloat(s[3], 64)
	}
	text, err := exec.Command(pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for i, p := range strings.Split(string(text), "\f") {
		if i < n {
			pages[i].Text = p
		}
	}
	return pages
}

// TestExportPrintsAsSent: the 通报 and an item's workbook, converted to PDF by LibreOffice as an
// office prints them: A4 landscape, one page wide (the first and the last column on every page),
// the header row, the title and the as-of date on every page, and the page number; the sheets
// of the workbook hold percentages as percent cells, dates as date cells and statuses coloured.
func TestExportPrintsAsSent(t *testing.T) {
	s := demoSite(t)
	// the 通报 as it goes out: with the lead units' latest progress, one of them long
	ns := newNotesSite(t)
	ns.add(t, notes.Draft{Year: 2024, Code: "14", Date: "2024-10-31", Kind: "note",
		Text: strings.Repeat("十月发放助医款共 42 万元,覆盖全部乡镇;", 6)})
	ns.add(t, notes.Draft{Year: 2024, Code: "13b", Date: "2024-10-15", Kind: "milestone", Stage: "竣工验收", Text: "综合体通过竣工验收"})
	_, tongbao := fetch(t, ns.url+"/export/overview.xlsx")
	_, item := fetch(t, s.url+"/export/targets/20.xlsx")
	for _, c := range []struct {
		name, file  string
		body        []byte
		title       string
		first, last string // the first and the last column's headers
		maxPages    int
	}{
		{"通报", "tongbao.xlsx", tongbao, "2024 年民生实事项目进度通报", "编号", "最新进展", 2},
		// four sheets (指标, 月度, 分乡镇, 数据检查): one page each
		{"20", "20.xlsx", item, "孤儿、事实无人抚养儿童基本生活保障标准", "", "", 4},
	} {
		pdf := sofficePDF(t, c.file, c.body)
		pages := pdfPages(t, pdf)
		if b, err := os.ReadFile(pdf); err == nil { // for a person to look at, beside the screenshots
			os.MkdirAll(screenshotDir(t), 0o755)
			os.WriteFile(filepath.Join(screenshotDir(t), "export-"+strings.TrimSuffix(c.file, ".xlsx")+".pdf"), b, 0o644)
		}
		if len(pages) == 0 || len(pages) > c.maxPages {
			t.Errorf("%s: %d pages, want 1 to %d", c.name, len(pages), c.maxPages)
		}
		for i, p := range pages {
			if math.Abs(p.W-841.9) > 2 || math.Abs(p.H-595.3) > 2 {
				t.Errorf("%s page %d: %.1f × %.1f pt, want A4 landscape (842 × 595)", c.name, i+1, p.W, p.H)
			}
			for _, want := range []string{c.title, "统计截至 2024-10-31", fmt.Sprintf("第 %d 页,共 %d 页", i+1, len(pages)), c.first, c.last} {
				if !strings.Contains(p.Text, want) {
					t.Errorf("%s page %d lacks %q:\n%s", c.name, i+1, want, p.Text)
				}
			}
		}
		t.Logf("%s prints on %d A4 landscape page(s)", c.name, len(pages))
	}
}
