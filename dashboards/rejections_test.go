package dashboards_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/lake"
)

var (
	rejectionsLink = regexp.MustCompile(`/export/rejections/([0-9a-f]{64})\.xlsx`)
	clearID        = regexp.MustCompile(`[1-9]\d{16}[\dXx]`)
)

// TestUnitPageNewestFiles: the unit page's 最近文件 is each extract's newest file. The demo's
// inbox holds two files of some extracts (the roster of 2024-06-30 and of 2024-10-15; the
// allowances of 1-6月 and 7-10月), ingested together in whatever order the workers took them.
func TestUnitPageNewestFiles(t *testing.T) {
	s := demoSite(t)
	_, body := fetch(t, s.url+"/units/"+url.PathEscape("县民政局"))
	for _, want := range []string{"低收入人口和脱贫人口名单(2024年10月15日).xlsx", "2024年7-10月残疾人两项补贴发放明细.xlsx"} {
		if !contains(body, want) {
			t.Errorf("县民政局's 最近文件 lacks its newest file %s", want)
		}
	}
	for _, older := range []string{"低收入人口和脱贫人口名单(2024年6月30日)", "2024年1-6月残疾人两项补贴发放明细"} {
		if contains(body, older) {
			t.Errorf("县民政局's 最近文件 shows the older %s", older)
		}
	}
}

// TestRejectionsWorkbook: the unit page offers every rejected row of a file as xlsx to the
// file's own lead unit and the administrator (a link per file with rejected rows), no one else;
// the workbook has every rejected cell (not only the report's first 20) by Excel row, column,
// reason and masked value, and no ID number in clear.
func TestRejectionsWorkbook(t *testing.T) {
	s := demoSite(t)
	unitPage := "/units/" + url.PathEscape("县民政局")
	_, body := fetch(t, s.url+unitPage, "X-Test-As", "minzheng")
	links := rejectionsLink.FindAllStringSubmatch(string(body), -1)
	if len(links) == 0 || !contains(body, "下载全部退回的行(Excel)") {
		t.Fatalf("县民政局's own page offers no rejected rows")
	}
	for _, as := range []string{"leader", "canlian", ""} {
		if _, b := fetch(t, s.url+unitPage, "X-Test-As", as); rejectionsLink.Match(b) {
			t.Errorf("县民政局's page offers its rejected rows to %q", as)
		}
	}
	// the allowances of 7-10月: hundreds of rejected rows
	var run lake.Run
	_, b := fetch(t, s.url+"/api/v1/ingest/runs?source=disability_allowance", "X-Test-As", "minzheng")
	var runs api.Runs
	if err := json.Unmarshal(b, &runs); err != nil {
		t.Fatal(err)
	}
	for _, r := range runs.Runs {
		if strings.Contains(r.FileName, "7-10月") {
			run = r
		}
	}
	if run.Rejected <= 20 {
		t.Fatalf("the demo's 7-10月 allowances have %d rejected rows: want more than a report's first 20", run.Rejected)
	}
	var detail api.RunDetail
	_, b = fetch(t, s.url+"/api/v1/ingest/runs/"+run.SHA256, "X-Test-As", "minzheng")
	if err := json.Unmarshal(b, &detail); err != nil {
		t.Fatal(err)
	}
	path := s.url + "/export/rejections/" + run.SHA256 + ".xlsx"
	for as, want := range map[string]int{"leader": http.StatusForbidden, "canlian": http.StatusForbidden, "": http.StatusUnauthorized} {
		if res, _ := fetch(t, path, "X-Test-As", as); res.StatusCode != want {
			t.Errorf("the rejected rows as %q: %d, want %d", as, res.StatusCode, want)
		}
	}
	if res, _ := fetch(t, s.url+"/export/rejections/nothing.xlsx", "X-Test-As", "minzheng"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a wrong name: %d, want 404", res.StatusCode)
	}
	res, body := fetch(t, path, "X-Test-As", "minzheng")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("the rejected rows: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("退回的行")
	if len(rows) < 5 || len(rows[3]) < 5 || strings.Join(rows[3][:4], "|") != "Excel 行号|列|原因|值(已脱敏)" || !strings.Contains(rows[0][0], run.FileName) {
		t.Fatalf("the workbook's head: %q", rows[:min(len(rows), 4)])
	}
	data := rows[4:]
	// the cells of the original row that name no one stand beside each rejected cell
	extra := rows[3][4:]
	for _, h := range extra {
		if h == "姓名" || h == "身份证号" {
			t.Errorf("a column naming people among the row's values: %q", extra)
		}
	}
	filled := 0
	for _, r := range data {
		for _, c := range r[min(4, len(r)):] {
			if c != "" {
				filled++
			}
		}
	}
	if filled == 0 {
		t.Errorf("no row has its other cells (%q)", extra)
	}
	persons := map[string]bool{}
	for _, r := range data {
		for _, c := range r {
			if clearID.MatchString(c) {
				t.Errorf("an ID number in clear: %q", r)
			}
		}
		if _, err := strconv.Atoi(r[0]); err != nil || len(r) < 3 || r[2] == "" {
			t.Errorf("a row without its Excel row or reason: %q", r)
		}
		persons[r[0]] = true
	}
	if len(persons) != run.Rejected {
		t.Errorf("the workbook has %d rejected rows, the report %d", len(persons), run.Rejected)
	}
	for i, fr := range detail.FirstRejections {
		r := data[i]
		if r[0] != strconv.Itoa(fr.Row) || r[1] != fr.Column || r[2] != fr.Zh || (len(r) > 3 && r[3] != fr.Value) {
			t.Errorf("rejected cell %d: %q, the report says %+v", i, r, fr)
		}
	}
	t.Logf("%s: %d rejected rows, %d cells in the workbook (the report lists %d)", run.FileName, len(persons), len(data), len(detail.FirstRejections))
}
