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
	rowCode    = regexp.MustCompile(`<tr>\s*<td[^>]*>([0-9]{2}[a-z]?)</td>`)
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
			err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &v)
			if base, ok := v["baseOption"].(map[string]any); ok { // an option with media queries
				v = base
			}
			if err != nil || v["series"] == nil {
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
		status[tg.Code] = string(tg.Status)
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

// TestPageErrors: a wrong address or date is a page in Chinese (the English stays in the API's
// message and the log).
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
		if en := englishOnPage(body); en != nil {
			t.Errorf("%s: English on the page: %q", path, en)
		}
	}
	// the API keeps its JSON errors
	if res, _ := fetch(t, s.url+"/api/v1/nothing"); !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("/api/v1/nothing: %s", res.Header.Get("Content-Type"))
	}
}

// TestPageYearChecked: a page reads ?year= and ?as_of= as the API does (web.ParseQuery): a year
// out of range or not a number is a 400 saying what a year looks like, a year without a plan a
// 404, a date outside the year a 400; each with the Chinese half of the API's message, and on
// every page that takes a year, the exports included.
func TestPageYearChecked(t *testing.T) {
	s := demoSite(t)
	cases := []struct {
		query  string
		status int
		says   string
	}{
		{"?year=99999", http.StatusBadRequest, "year 应为四位年份(如 2024),而不是 &#34;99999&#34;"},
		{"?year=1800", http.StatusBadRequest, "year 应为四位年份(如 2024),而不是 &#34;1800&#34;"},
		{"?year=twenty", http.StatusBadRequest, "year 应为四位年份(如 2024),而不是 &#34;twenty&#34;"},
		{"?year=2023", http.StatusNotFound, "没有 2023 年的目标清单"},
		{"?year=2024&as_of=2025-01-01", http.StatusBadRequest, "统计日期 as_of=2025-01-01 不在 2024 年内"},
		{"?as_of=31/10/2024", http.StatusBadRequest, "as_of 应为 YYYY-MM-DD 格式的日期"},
	}
	for _, path := range []string{"/", "/targets/09", "/units/县民政局", "/assessment/enrollment",
		"/export/overview.xlsx", "/export/targets/09.xlsx"} {
		for _, c := range cases {
			res, body := fetch(t, s.url+path+c.query)
			if res.StatusCode != c.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
				!contains(body, c.says) {
				t.Errorf("%s%s: %d %s, want %d and a page saying %s", path, c.query, res.StatusCode,
					res.Header.Get("Content-Type"), c.status, c.says)
			}
			if en := englishOnPage(body); en != nil {
				t.Errorf("%s%s: English on the page: %q", path, c.query, en)
			}
		}
	}
	// a year with a plan, given as asked, is kept in the page's links
	if res, body := fetch(t, s.url+"/?year=2024&as_of=2024-06-30"); res.StatusCode != http.StatusOK ||
		!contains(body, "?as_of=2024-06-30&amp;year=2024") {
		t.Errorf("/?year=2024&as_of=2024-06-30: %d, or its links lose the query", res.StatusCode)
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
		row := regexp.MustCompile(`<tr><td[^>]*>` + regexp.QuoteMeta(g.PersonGroup) + `</td>.*?</tr>`).FindString(section)
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

var (
	scriptOrStyle = regexp.MustCompile(`(?s)<(script|style|code)\b.*?</(script|style|code)>`)
	anyTag        = regexp.MustCompile(`(?s)<[^>]*>`)
	// three Latin words in a row is English prose; names such as Excel, JSON or SHA-256 alone are not
	englishRun = regexp.MustCompile(`[A-Za-z']{2,}[ ,;:]+[A-Za-z']{2,}[ ,;:]+[A-Za-z']{2,}`)
	roleCode   = regexp.MustCompile(`\b(leader|unit|assessor|admin|user|token|landed|rejected|duplicate)\b`)
)

// englishOnPage is the English a person would read on an HTML page: the text between its tags
// (scripts, styles and code samples aside), not its attributes; nil when there is none.
func englishOnPage(body []byte) []string {
	text := html.UnescapeString(anyTag.ReplaceAllString(scriptOrStyle.ReplaceAllString(string(body), " "), " "))
	out := englishRun.FindAllString(text, -1)
	return append(out, roleCode.FindAllString(text, -1)...)
}

// TestPagesChineseOnly: no page shows English prose or a role's or status's code: every page
// of the demo as it is, and a unit page's refusals.
func TestPagesChineseOnly(t *testing.T) {
	s := demoSite(t)
	for _, p := range pagePaths(s) {
		_, body := fetch(t, s.url+p)
		if en := englishOnPage(body); en != nil {
			t.Errorf("%s: English on the page: %q", p, en)
		}
	}
}

var (
	chartDiv   = regexp.MustCompile(`(?s)<div class="chart" id="([^"]+)"[^>]*aria-label="([^"]*)" data-option="([^"]*)"></div>(<ul class="legend".*?</ul>)?`)
	swatchVar  = regexp.MustCompile(`--c: (#[0-9a-fA-F]{6})`)
	pageCharts = func(t *testing.T, body []byte) map[string]struct {
		Title, Legend string
		Option        map[string]any
	} {
		out := map[string]struct {
			Title, Legend string
			Option        map[string]any
		}{}
		for _, m := range chartDiv.FindAllStringSubmatch(string(body), -1) {
			var v map[string]any
			if err := json.Unmarshal([]byte(html.UnescapeString(m[3])), &v); err != nil {
				t.Fatalf("chart %s: %v", m[1], err)
			}
			if base, ok := v["baseOption"].(map[string]any); ok {
				base["media"] = v["media"]
				v = base
			}
			out[m[1]] = struct {
				Title, Legend string
				Option        map[string]any
			}{html.UnescapeString(m[2]), html.UnescapeString(m[4]), v}
		}
		return out
	}
)

// dig walks a decoded option: a string is a key, an int an index.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// TestChartsSayWhatTheyShow: the completion chart's names wrap on a phone and have a line's room
// on a desk (a media query), every colour of its bars has a legend entry; the target's label on
// a rate chart is at the top of its line, off the axis' numbers; 19a's monthly chart is named for
// the 参保率 it draws; its months without data are marked 无数据.
func TestChartsSayWhatTheyShow(t *testing.T) {
	s := demoSite(t)
	_, body := fetch(t, s.url+"/")
	c := pageCharts(t, body)["chart-completion"]
	label := dig(c.Option, "yAxis", 0, "axisLabel")
	if dig(label, "overflow") != "break" || dig(label, "interval") != "0" {
		t.Errorf("the completion chart's names: %v, want them wrapped (overflow break) and every one shown", label)
	}
	if w, _ := dig(c.Option, "media", 0, "option", "yAxis", 0, "axisLabel", "width").(float64); w < 300 ||
		dig(c.Option, "media", 0, "query", "minWidth") != 700.0 {
		t.Errorf("the completion chart's media query %v: want names 300 px wide or more from 700 px", c.Option["media"])
	}
	legend := map[string]bool{}
	for _, m := range swatchVar.FindAllStringSubmatch(c.Legend, -1) {
		legend[strings.ToLower(m[1])] = true
	}
	data, _ := dig(c.Option, "series", 0, "data").([]any)
	for _, d := range data {
		if col, _ := dig(d, "itemStyle", "color").(string); !legend[strings.ToLower(col)] {
			t.Errorf("a bar coloured %s has no legend entry (legend %q)", col, c.Legend)
		}
	}
	if len(data) == 0 || !strings.Contains(c.Legend, "序时进度") {
		t.Errorf("completion chart: %d bars, legend %q", len(data), c.Legend)
	}

	_, body = fetch(t, s.url+"/assessment/enrollment")
	e := pageCharts(t, body)["chart-enrollment"]
	if pos := dig(e.Option, "series", 0, "markLine", "label", "position"); pos != "start" || !strings.Contains(e.Legend, "低于目标") {
		t.Errorf("the enrollment chart's target label at %v (want start: the top of the line), legend %q", pos, e.Legend)
	}

	_, body = fetch(t, s.url+"/targets/19a")
	m := pageCharts(t, body)["chart-monthly"]
	if !contains(body, "<h2>各月参保率(截至各月末)</h2>") || !strings.Contains(m.Title, "参保率") ||
		dig(m.Option, "series", 0, "name") != "参保率 %" || contains(body, "达标比例") {
		t.Errorf("19a's monthly chart is named %q / %v: want it named for the 参保率 it draws", m.Title, dig(m.Option, "series", 0, "name"))
	}
	var det indicators.TargetDetail
	_, b := fetch(t, s.url+"/api/v1/targets/19a")
	if err := json.Unmarshal(b, &det); err != nil {
		t.Fatal(err)
	}
	var empty []string
	for _, mo := range det.Monthly {
		if mo.Actual == nil {
			empty = append(empty, mo.Month)
		}
	}
	marked, _ := dig(m.Option, "series", 0, "markArea", "data").([]any)
	if len(empty) == 0 || len(marked) != len(empty) || !strings.Contains(m.Legend, "无数据") {
		t.Fatalf("19a: months without data %v, marked %v, legend %q", empty, marked, m.Legend)
	}
	for i, a := range marked {
		if dig(a, 0, "name") != "无数据" || dig(a, 0, "xAxis") != empty[i] || dig(a, 1, "xAxis") != empty[i] {
			t.Errorf("19a: mark %d is %v, want 无数据 over %s", i, a, empty[i])
		}
	}
}

var (
	whySection = regexp.MustCompile(`(?s)<section class="card" id="why">.*?</section>`)
	whyTotal   = regexp.MustCompile(`共核查 (\d+) \S+,其中 <b class="flag">(\d+) `)
	whyTown    = regexp.MustCompile(`<tr><td class="card-title">([^<]+)</td><td class="num">(\d+)</td><td class="num flag">(\d+)</td>`)
)

// TestWhyNotMet: a standard item that is 未达标 (15, 20) says why on its page: how many of its
// records fell short, by township (summing to the whole), and its checks with violations, whose
// masked lists are one click away for the item's lead unit only. An item that is not 未达标
// says nothing of the kind.
func TestWhyNotMet(t *testing.T) {
	s := demoSite(t)
	for _, code := range []string{"15", "20"} {
		var det indicators.TargetDetail
		_, b := fetch(t, s.url+"/api/v1/targets/"+code)
		if err := json.Unmarshal(b, &det); err != nil {
			t.Fatal(err)
		}
		if det.Status != "未达标" || det.Numerator == nil || det.Denominator == nil {
			t.Fatalf("%s is %s (%v / %v): the demo's standard items 15 and 20 are 未达标", code, det.Status, det.Numerator, det.Denominator)
		}
		_, body := fetch(t, s.url+"/targets/"+code, "X-Test-As", "minzheng")
		sec := whySection.Find(body)
		m := whyTotal.FindSubmatch(sec)
		wantShort := *det.Denominator - int64(math.Round(*det.Numerator))
		if m == nil || string(m[1]) != strconv.FormatInt(*det.Denominator, 10) || string(m[2]) != strconv.FormatInt(wantShort, 10) || wantShort == 0 {
			t.Errorf("%s: why %q, want %d of %d short", code, m, wantShort, *det.Denominator)
			continue
		}
		var sum int64
		for _, tw := range whyTown.FindAllSubmatch(sec, -1) {
			n, _ := strconv.ParseInt(string(tw[3]), 10, 64)
			sum += n
		}
		if sum != wantShort {
			t.Errorf("%s: the townships' shortfalls sum to %d, the item's is %d", code, sum, wantShort)
		}
		withViolations := false
		for _, ch := range det.Checks {
			withViolations = withViolations || ch.Violations > 0
		}
		if withViolations != bytes.Contains(sec, []byte(`/violations?year=2024">查看明细(已脱敏)</a>`)) {
			t.Errorf("%s: checks with violations %v, the lead unit's links to them:\n%s", code, withViolations, sec)
		}
		if _, lb := fetch(t, s.url+"/targets/"+code, "X-Test-As", "leader"); bytes.Contains(whySection.Find(lb), []byte("/violations")) ||
			withViolations != bytes.Contains(whySection.Find(lb), []byte("明细只向牵头单位")) {
			t.Errorf("%s: a leader's page links the violations, or does not say whose they are", code)
		}
	}
	for _, code := range []string{"19a", "16b", "09"} {
		if _, body := fetch(t, s.url+"/targets/"+code); whySection.Match(body) {
			t.Errorf("%s is not a standard item 未达标, yet its page says why it is", code)
		}
	}
}
