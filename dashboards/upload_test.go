package dashboards_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/dashboards"
	"github.com/minsheng/minsheng/internal/browser"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/pipeline"
	webshell "github.com/minsheng/minsheng/site"
	"github.com/minsheng/minsheng/uploads"
)

// uploadSite serves the pages with the real upload service on a fresh data folder. The stand-in
// for the access guard acts as 县总工会's user unless X-Test-As says otherwise ("none": anonymous).
func uploadSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := handlake.Config(t, dir)
	p, err := pipeline.New(pipeline.Config{Dir: dir, Registry: cfg.Registry, County: cfg.County, Plans: cfg.Plans,
		Key: handlake.Key, BuildDelay: time.Hour}) // no build needed here: Close ends the wait
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	log, err := audit.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := uploads.New(uploads.Config{Dir: dir, Registry: cfg.Registry, Pipeline: p, Audit: log})
	if err != nil {
		t.Fatal(err)
	}
	answers := webshell.NewAnswers(dir, nil, nil)
	as := map[string]*account.Principal{
		"":        {Kind: account.KindUser, Name: "gonghui", Role: account.RoleUnit, Unit: "县总工会"},
		"canlian": {Kind: account.KindUser, Name: "canlian", Role: account.RoleUnit, Unit: "县残联"},
		"leader":  {Kind: account.KindUser, Name: "xianzhang", Role: account.RoleLeader},
	}
	pages := dashboards.New(dashboards.Config{Source: answers, Registry: cfg.Registry, Uploads: svc, Dir: dir})
	r := webshell.NewEngine(nil, nil, func(c *gin.Context) {
		if p, ok := as[c.GetHeader("X-Test-As")]; ok {
			access.WithPrincipal(c, p, "csrf-token-of-the-session")
		}
	})
	api.New(api.Config{Answers: answers, Dir: dir}).Register(r)
	pages.Register(r)
	hs := httptest.NewServer(r)
	t.Cleanup(hs.Close)
	return hs.URL
}

func postForm(t *testing.T, url, as, source, name string, body []byte) (int, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField(access.CSRFField, "csrf-token-of-the-session")
	mw.WriteField("source", source)
	w, _ := mw.CreateFormFile("file", name)
	w.Write(body)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, url+"/upload", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Test-As", as)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(page)
}

// TestUploadPage: the form offers the unit's own sources and carries the CSRF field; a file
// with bad rows shows the counts and the rejected rows by Excel row, masked; another unit's
// source is 403 and a file refused whole 400, each with the form again; the file then shows
// among the unit's recent files. A leader has no upload page; nobody anonymous either.
func TestUploadPage(t *testing.T) {
	url := uploadSite(t)
	res, body := fetch(t, url+"/upload")
	page := string(body)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `<option value="worker_aid">困难职工帮扶救助台账</option>`) ||
		strings.Contains(page, `value="child_rehab"`) || !strings.Contains(page, `name="csrf" value="csrf-token-of-the-session"`) ||
		!strings.Contains(page, `enctype="multipart/form-data"`) || !strings.Contains(page, `type="file" name="file"`) ||
		!strings.Contains(page, "尚未收到本单位的文件") {
		t.Errorf("the form: %d\n%s", res.StatusCode, page)
	}
	if res, _ := fetch(t, url+"/upload", "X-Test-As", "leader"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a leader's upload page: %d, want 403", res.StatusCode)
	}
	if res, _ := fetch(t, url+"/upload", "X-Test-As", "none"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("an anonymous upload page: %d, want 401", res.StatusCode)
	}

	gbk, _ := simplifiedchinese.GB18030.NewEncoder().String(`序号,受助人姓名,公民身份号码,乡镇（街道）,帮扶类型,救助金额（元）,个人自付医疗费用,救助日期
1,张三丰,11010519491231002X,松兹街道,生活救助,"1,500.00",,2024/3/5
2,赵六,110105194912310021,松兹街道,生活救助,100,,2024-03-05
3,钱七,11010519491231002X,火星镇,生活救助,100,,2024-03-05
`)
	status, page := postForm(t, url, "", "worker_aid", `C:\台账\帮扶.csv`, []byte(gbk))
	// by hand: line 2 lands, line 3 (check digit) and line 4 (火星镇) are rejected
	for _, want := range []string{"上传结果:帮扶.csv", "读取行数<b>3</b>", "已入库<b>1</b>", `退回<b class="flag">2</b>`,
		`<td class="num">3</td><td>身份证号</td>`, "110105********0021", `<td class="num">4</td><td>乡镇</td>`, "火星镇"} {
		if !strings.Contains(page, want) {
			t.Errorf("the result page lacks %q", want)
		}
	}
	if status != http.StatusOK {
		t.Errorf("result page: %d", status)
	}
	if en := englishOnPage([]byte(page)); en != nil {
		t.Errorf("the result page shows English: %q", en)
	}
	// every rejected row, to fix and send back: the result links the workbook, for this unit only
	link := rejectionsLink.FindString(page)
	if link == "" || !strings.Contains(page, "下载全部 2 行退回的行(Excel)") {
		t.Errorf("the result page offers no workbook of the rejected rows")
	} else {
		res, b := fetch(t, url+link)
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if res.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("the rejected rows' workbook: %d %v", res.StatusCode, err)
		}
		rows, _ := f.GetRows("退回的行")
		f.Close()
		if len(rows) != 4+2 || rows[4][0] != "3" || rows[4][1] != "身份证号" || rows[4][3] != "110105********0021" ||
			rows[5][0] != "4" || rows[5][1] != "乡镇" || rows[5][3] != "火星镇" {
			t.Errorf("the rejected rows' workbook: %q", rows)
		}
		for _, r := range rows {
			for _, clear := range []string{"张三丰", "赵六", "110105194912310021"} {
				if strings.Contains(strings.Join(r, "|"), clear) {
					t.Errorf("the workbook shows %q in clear", clear)
				}
			}
		}
		if res, _ := fetch(t, url+link, "X-Test-As", "canlian"); res.StatusCode != http.StatusForbidden {
			t.Errorf("another unit's rejected rows: %d, want 403", res.StatusCode)
		}
	}
	if !strings.Contains(page, `accept=".xlsx,.xls,.ods,.csv,.tsv,.txt"`) {
		t.Errorf("the file dialog does not offer every format that is read")
	}
	for _, clear := range []string{"张三丰", "赵六", "110105194912310021", "11010519491231002X"} {
		if strings.Contains(page, clear) {
			t.Errorf("the result page shows %q in clear", clear)
		}
	}
	status, page = postForm(t, url, "canlian", "worker_aid", "a.csv", []byte(gbk))
	if status != http.StatusForbidden || !strings.Contains(page, "由县总工会报送") || !strings.Contains(page, `value="child_rehab"`) {
		t.Errorf("another unit's source: %d\n%s", status, page)
	}
	status, page = postForm(t, url, "", "worker_aid", "notes.csv", []byte("just some notes\n"))
	if status != http.StatusBadRequest || !strings.Contains(page, "找不到表头") || !strings.Contains(page, "文件未能导入") {
		t.Errorf("a file refused whole: %d\n%s", status, page)
	}
	if en := englishOnPage([]byte(page)); en != nil {
		t.Errorf("the refusal shows English: %q", en)
	}
	_, body = fetch(t, url+"/upload")
	if page := string(body); !strings.Contains(page, "帮扶.csv") || !strings.Contains(page, "notes.csv") {
		t.Errorf("the recent files lack the uploads:\n%s", page)
	}
	if en := englishOnPage(body); en != nil {
		t.Errorf("the upload page shows English: %q", en)
	}
}

// TestUploadPageInBrowser: the upload page after an upload, at a desk's width and a phone's: no
// console error, nothing from another host, nothing overflowing sideways.
func TestUploadPageInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	url := uploadSite(t)
	postForm(t, url, "", "worker_aid", "帮扶台账（2024年1-6月）最终版本-修订稿.csv", []byte("序号,受助人姓名,公民身份号码,乡镇,帮扶类型,救助金额,个人自付医疗费用,救助日期\n"+
		"1,张三,110105194912310021,火星镇,医疗救助,一千五,,2024-02-30\n"))
	b := browser.New(t)
	for _, width := range []int{1280, 390} {
		p := b.Visit(t, url+"/upload", width, 900)
		if errs := p.ConsoleErrors(); len(errs) > 0 {
			t.Errorf("at %d px: console errors %q", width, errs)
		}
		if ext := browser.NonLoopback(p.Requests()); len(ext) > 0 {
			t.Errorf("requests leaving the machine: %q", ext)
		}
		if w := p.ScrollWidth(t); w > width {
			t.Errorf("at %d px the page is %d px wide: something overflows sideways", width, w)
		}
		if l := checkTables(t, p, "/upload"); width < 600 && (l.Cards == 0 || l.Rows == 0) {
			t.Errorf("at %d px the upload page shows no table as cards: %+v", width, l)
		}
		p.Screenshot(t, filepath.Join(screenshotDir(t), fmt.Sprintf("%d-upload.png", width)))
	}
}

// The flagged rows are named for what they are: rows that landed and that the clerk should check
// (a stray quote, an ID number masked in a text cell, formula-like text), each with its own
// reason, a whole-row one marked as such. Before, the count was labelled "公式文本(按文本保存)"
// and the list "按文本保存的单元格" whatever the reason: here a stray quote showed under both.
func TestUploadPageFlaggedRows(t *testing.T) {
	url := uploadSite(t)
	body := "序号,受助人姓名,公民身份号码,乡镇,帮扶类型,救助金额,个人自付医疗费用,救助日期\n" +
		"1,\"王伟,340826199001010013,孚玉镇,生活救助,500,,2024-03-05\n" +
		"2,李四,340826199001010013,孚玉镇,生活救助,100,,2024-03-05\n"
	status, page := postForm(t, url, "", "worker_aid", "帮扶.csv", []byte(body))
	if status != http.StatusOK {
		t.Fatalf("result page: %d\n%s", status, page)
	}
	for _, want := range []string{"已入库<b>2</b>", "需核对的行<b>1</b>", "需核对的单元格(前 1 处)",
		`<td class="num">2</td><td>整行</td><td class="wrap">该行有一个没有闭合的引号`} {
		if !strings.Contains(page, want) {
			t.Errorf("the result page lacks %q", want)
		}
	}
	for _, jargon := range []string{"公式文本", "按文本保存"} {
		if strings.Contains(page, jargon) {
			t.Errorf("the result page still says %q", jargon)
		}
	}
	if en := englishOnPage([]byte(page)); en != nil {
		t.Errorf("the result page shows English: %q", en)
	}
}

// A workbook's result says which sheet was read, how many rows were hidden in Excel (read all the
// same) and how many took a merged cell's value; a CSV's says none of it. Before, the page
// said nothing of them.
func TestUploadPageWorkbook(t *testing.T) {
	url := uploadSite(t)
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "填表说明:请在“数据”表中填写")
	f.NewSheet("数据")
	for i, r := range [][]any{
		{"姓名", "身份证号", "乡镇", "帮扶类型", "救助金额", "救助日期"},
		{"张三", "11010519491231002X", "松兹街道", "生活救助", 100, "2024-03-05"},
		{"李四", "340826199001010013", nil, "生活救助", 200, "2024-03-05"},
		{"王五", "340826199001010013", nil, "生活救助", 300, "2024-03-05"},
		{"赵六", "340826199001010013", "孚玉镇", "生活救助", 400, "2024-03-05"},
	} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("数据", cell, &r)
	}
	f.MergeCell("数据", "C2", "C4")
	f.SetRowVisible("数据", 5, false)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	status, page := postForm(t, url, "", "worker_aid", "帮扶.xlsx", buf.Bytes())
	const said = "读取工作表“数据”;其中 1 行在 Excel 中被隐藏,已照常读取,请确认是否应删除;2 行的空单元格取自合并单元格(如合并的乡镇)。"
	if status != http.StatusOK || !strings.Contains(page, "已入库<b>4</b>") || !strings.Contains(page, said) {
		t.Errorf("the result page (%d) lacks %q:\n%s", status, said, page)
	}
	if en := englishOnPage([]byte(page)); en != nil {
		t.Errorf("the result page shows English: %q", en)
	}
	_, page = postForm(t, url, "", "worker_aid", "帮扶.csv", []byte("姓名,身份证号,乡镇,帮扶类型,救助金额,救助日期\n张三,11010519491231002X,松兹街道,生活救助,100,2024-03-05\n"))
	for _, no := range []string{"工作表", "隐藏", "合并单元格"} {
		if strings.Contains(page, no) {
			t.Errorf("a CSV's result page says %q", no)
		}
	}
}
