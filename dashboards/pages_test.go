package dashboards_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/minsheng/minsheng/indicators"
)

var (
	srcAttr    = regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	optionAttr = regexp.MustCompile(`data-option="([^"]*)"`)
	rowCode    = regexp.MustCompile(`<tr>\s*<td>([0-9]{2}[a-z]?)</td>`)
)

// TestPagesRender: every page answers 200 in Chinese with the as-of date, loads scripts and
// styles only from this server (each of which answers), and carries a chart option that parses.
func TestPagesRender(t *testing.T) {
	s := demoSite(t)
	for _, p := range pagePaths(s) {
		res, body := fetch(t, s.url+p)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", p, res.StatusCode, res.Header.Get("Content-Type"))
			continue
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if !contains(body, "统计截至 2024-10-31") {
			t.Errorf("%s: no as-of date in the page", p)
		}
		for _, m := range srcAttr.FindAllStringSubmatch(string(body), -1) {
			u := html.UnescapeString(m[1])
			if strings.Contains(u, "://") || strings.HasPrefix(u, "//") {
				t.Errorf("%s: refers to another host: %s", p, u)
			}
			if strings.HasPrefix(u, "/static/") {
				if r, _ := fetch(t, s.url+u); r.StatusCode != http.StatusOK {
					t.Errorf("%s: asset %s: %d", p, u, r.StatusCode)
				}
			}
		}
		opts := optionAttr.FindAllStringSubmatch(string(body), -1)
		// a unit page draws its count items; 县医保局 (19a, 19b) and 县退役军人事务局 (17) have none
		if len(opts) == 0 && !strings.Contains(p, "县医保局") && !strings.Contains(p, "县退役军人事务局") {
			t.Errorf("%s: no chart", p)
		}
		for _, m := range opts {
			var v map[string]any
			if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &v); err != nil || v["series"] == nil {
				t.Errorf("%s: chart option does not parse or has no series: %v", p, err)
			}
		}
	}
}

// TestOverviewOrder: the overview's table lists every target once, those to act on first.
func TestOverviewOrder(t *testing.T) {
	s := demoSite(t)
	_, body := fetch(t, s.url+"/")
	var list indicators.Targets
	_, b := fetch(t, s.url+"/api/v1/targets")
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, tg := range list.Targets {
		status[tg.Code] = tg.Status
	}
	rank := map[string]int{"严重滞后": 0, "未达标": 1, "滞后": 2, "无数据": 3, "正常": 4, "已完成": 5, "达标": 5, "监测": 6}
	rows := rowCode.FindAllStringSubmatch(string(body), -1)
	if len(rows) != len(list.Targets) {
		t.Fatalf("%d rows, want %d", len(rows), len(list.Targets))
	}
	prev := -1
	for _, r := range rows {
		st, ok := status[r[1]]
		if !ok {
			t.Errorf("row %s is no target", r[1])
		}
		if rank[st] < prev {
			t.Errorf("%s (%s) after a target ranked lower", r[1], st)
		}
		prev = rank[st]
	}
	if st := status[rows[0][1]]; st != "严重滞后" && st != "未达标" && st != "滞后" {
		t.Errorf("the first row is %s (%s): the demo has lagging targets", rows[0][1], st)
	}
}

// TestAssets: the vendored ECharts is the one ASSETS.md records; assets are served gzip-compressed
// under a checksummed URL with a year's cache; an old checksum is not served.
func TestAssets(t *testing.T) {
	s := demoSite(t)
	md, err := os.ReadFile("assets/ASSETS.md")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("assets/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if !bytes.Contains(md, []byte(hex.EncodeToString(sum[:]))) {
		t.Fatalf("echarts.min.js (sha256 %x) is not the file ASSETS.md records", sum)
	}
	_, page := fetch(t, s.url+"/")
	m := regexp.MustCompile(`/static/([0-9a-f]{12})/echarts\.min\.js`).FindStringSubmatch(string(page))
	if m == nil || m[1] != hex.EncodeToString(sum[:])[:12] {
		t.Fatalf("the page loads ECharts from %v, want its checksum in the URL", m)
	}
	res, body := fetch(t, s.url+m[0], "Accept-Encoding", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("headers %v", res.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, raw) || len(body) > len(raw)/2 {
		t.Errorf("gzip body %d bytes, unpacks to the file: %v", len(body), bytes.Equal(plain, raw))
	}
	if res, _ := fetch(t, s.url+m[0], "If-None-Match", res.Header.Get("ETag")); res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d", res.StatusCode)
	}
	if res, _ := fetch(t, s.url+"/static/000000000000/echarts.min.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a wrong checksum: %d", res.StatusCode)
	}
}

// TestPageErrors: a wrong address or date is a page in Chinese with the English beside it.
func TestPageErrors(t *testing.T) {
	s := demoSite(t)
	for path, want := range map[string]int{
		"/targets/99": http.StatusNotFound, "/units/县教育局": http.StatusNotFound, "/nowhere": http.StatusNotFound,
		"/?as_of=2024-13-01": http.StatusBadRequest, "/?year=2024&as_of=2023-12-31": http.StatusBadRequest,
		"/export/targets/10.csv": http.StatusNotFound,
	} {
		res, body := fetch(t, s.url+path)
		if res.StatusCode != want || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
			!contains(body, "返回总览") {
			t.Errorf("%s: %d %s, want %d and an HTML page", path, res.StatusCode, res.Header.Get("Content-Type"), want)
		}
	}
	// the API keeps its JSON errors
	if res, _ := fetch(t, s.url+"/api/v1/nothing"); !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("/api/v1/nothing: %s", res.Header.Get("Content-Type"))
	}
}

// TestEnrollmentClaimsByGroup: the enrollment page's 医疗救助 ratio table lists every person group
// the API answers, with its claims, compliant claims and rate, and draws their chart.
func TestEnrollmentClaimsByGroup(t *testing.T) {
	s := demoSite(t)
	var e indicators.Enrollment
	_, b := fetch(t, s.url+"/api/v1/assessment/enrollment")
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.ClaimsByGroup) == 0 {
		t.Fatal("the demo year has no 医疗救助 claims by group")
	}
	res, body := fetch(t, s.url+"/assessment/enrollment")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/assessment/enrollment: %d", res.StatusCode)
	}
	page := string(body)
	_, section, ok := strings.Cut(page, "医疗救助报销比例达标情况(按人员类别)")
	if !ok {
		t.Fatal("no section 医疗救助报销比例达标情况(按人员类别)")
	}
	section, _, _ = strings.Cut(section, "</section>")
	for _, h := range []string{"人员类别", "规定比例", "结算笔数", "达标笔数", "达标率", "是否达标"} {
		if !strings.Contains(section, ">"+h+"</th>") {
			t.Errorf("no column %s", h)
		}
	}
	for _, g := range e.ClaimsByGroup {
		row := regexp.MustCompile(`<tr><td>` + regexp.QuoteMeta(g.PersonGroup) + `</td>.*?</tr>`).FindString(section)
		if row == "" {
			t.Errorf("no row for %s", g.PersonGroup)
			continue
		}
		cells := regexp.MustCompile(`<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(row, -1)
		if len(cells) != 6 || cells[2][1] != strconv.FormatInt(g.Claims, 10) || cells[3][1] != strconv.FormatInt(g.Compliant, 10) {
			t.Errorf("%s: row %s, want %d claims, %d compliant", g.PersonGroup, row, g.Claims, g.Compliant)
			continue
		}
		if g.Rate != nil {
			want := strconv.FormatFloat(math.Round(*g.Rate*10000)/100, 'f', 2, 64) + "%"
			status := map[bool]string{true: "达标", false: "未达标"}[g.Meets]
			if cells[4][1] != want || !strings.Contains(cells[5][1], ">"+status+"<") {
				t.Errorf("%s: rate %s, %s; want %s, %s", g.PersonGroup, cells[4][1], cells[5][1], want, status)
			}
		}
	}
	if !strings.Contains(section, `id="chart-claims-group"`) {
		t.Error("no chart of the groups")
	}
}
