package uploads_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/pipeline"
	"github.com/minsheng/minsheng/site"
	"github.com/minsheng/minsheng/uploads"
)

// The principals the stand-in for the access guard sets, by the X-Test-As header.
var principals = map[string]*account.Principal{
	"union":   {Kind: account.KindToken, Name: "union-script", Role: account.RoleUnit, Unit: "县总工会", TokenID: "t1"},
	"canlian": {Kind: account.KindUser, Name: "canlian", Role: account.RoleUnit, Unit: "县残联"},
	"leader":  {Kind: account.KindUser, Name: "xianzhang", Role: account.RoleLeader},
	"admin":   {Kind: account.KindUser, Name: "root", Role: account.RoleAdmin},
}

// env is a data folder inside a parent folder of its own (so a path trick would show as a file
// beside it), the real pipeline, audit log and upload service, served on a loopback port.
type env struct {
	parent, dir string
	p           *pipeline.Pipeline
	srv         *httptest.Server
	answers     *site.Answers // the pipeline hands its builds to it, as in the site
}

func newEnv(t *testing.T, maxBytes int64) *env {
	t.Helper()
	parent := t.TempDir()
	return newEnvAt(t, filepath.Join(parent, "county", "data"), maxBytes)
}

func newEnvAt(t *testing.T, dir string, maxBytes int64) *env {
	t.Helper()
	parent := filepath.Dir(filepath.Dir(dir))
	cfg := handlake.Config(t, dir)
	p, err := pipeline.New(pipeline.Config{Dir: dir, Registry: cfg.Registry, County: cfg.County, Plans: cfg.Plans,
		Key: handlake.Key, BuildDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	log, err := audit.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := uploads.New(uploads.Config{Dir: dir, Registry: cfg.Registry, Pipeline: p, Audit: log, MaxBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	// served as the site serves it: the API beside the uploads on site's engine, over its holder
	answers := site.NewAnswers(dir, nil, nil)
	p.OnBuild(answers.Built)
	r := site.NewEngine(nil, nil, func(c *gin.Context) { // stands in for the access guard
		if pr, ok := principals[c.GetHeader("X-Test-As")]; ok {
			access.WithPrincipal(c, pr, "")
		}
	})
	api.New(api.Config{Answers: answers, Dir: dir}).Register(r)
	svc.Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &env{parent: parent, dir: dir, p: p, srv: srv, answers: answers}
}

// post sends a multipart upload with the fields in order (a file part when name is set).
type field struct{ name, value, fileName string }

func (e *env) post(t *testing.T, as string, fields ...field) (int, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if f.fileName != "" {
			w, err := mw.CreateFormFile(f.name, f.fileName)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(f.value))
		} else {
			mw.WriteField(f.name, f.value)
		}
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/uploads", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if as != "" {
		req.Header.Set("X-Test-As", as)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body
}

func upload(source, name string, body []byte) []field {
	return []field{{name: "source", value: source}, {name: "file", value: string(body), fileName: name}}
}

func decode(t *testing.T, body []byte) uploads.Response {
	t.Helper()
	var r uploads.Response
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return r
}

// apiError is the project's error shape.
func apiError(t *testing.T, body []byte) (code, message string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an error answer: %s", body)
	}
	return e.Error.Code, e.Error.Message
}

// files lists every file under root, relative, sorted.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// lakeFiles are the landed and quarantined Parquet files.
func (e *env) lakeFiles(t *testing.T) string {
	t.Helper()
	return fmt.Sprint(files(t, filepath.Join(e.dir, "lake")), files(t, filepath.Join(e.dir, "quarantine")))
}

// ingested is everything an ingest writes: the lake, the archive, the reports and the manifest.
func (e *env) ingested(t *testing.T) string {
	t.Helper()
	m, _ := os.ReadFile(filepath.Join(e.dir, "manifest.jsonl"))
	return fmt.Sprint(e.lakeFiles(t), files(t, filepath.Join(e.dir, "archive")), files(t, filepath.Join(e.dir, "reports")), len(m))
}

func (e *env) tmpEmpty(t *testing.T) {
	t.Helper()
	if left := files(t, filepath.Join(e.dir, "tmp")); len(left) != 0 {
		t.Errorf("uploads left in DIR/tmp: %v", left)
	}
}

func handCSV(t *testing.T, source, name string) []byte {
	t.Helper()
	reg, _ := minsheng.LoadRegistry("")
	src, _ := reg.Source(source)
	path := filepath.Join(t.TempDir(), "x.csv")
	handlake.WriteCSV(t, path, src, handlake.Files()[source][name])
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A GBK CSV as Excel on a Chinese Windows saves it (the ingest tests' file): lines 1 title, 2
// blank, 3 header, 4-11 data, 12 an empty row, 13 合计, 14 制表人. By hand: 4, 5, 6, 11 land; 7
// (ID check digit), 8 (火星镇), 9 (一千五, 2024-02-30, no 自付 for 医疗救助) and 10 (-20) are rejected.
const workerAidCSV = `2024年困难职工帮扶救助台账
,,,,,,,,
序号,受助人姓名,公民身份号码,乡镇（街道）,帮扶类型,救助金额（元）,个人自付医疗费用,救助日期,备注
1,张三丰,11010519491231002X,松兹街道,生活救助,"1,500.00",,2024/3/5,
2,李四,340826199001010013,孚玉镇,医疗救助,800元,1000,2024年4月1日,
3,王五,'340826199001010013, 松兹街道 ,子女助学,2000,,20240601,
4,赵六,110105194912310021,松兹街道,生活救助,100,,2024-03-05,校验位错
5,钱七,11010519491231002X,火星镇,生活救助,100,,2024-03-05,
6,孙八,11010519491231002X,松兹街道,医疗救助,一千五,,2024-02-30,
7,周九,110105491231002,松兹街道,生活救助,-20,,2024.3.5,
8,吴十,11010519491231002x,松兹街道,生活救助,300,,45356,
9,,,,,,,,
合计,,,,,"4,580",,,
制表人:某某  审核人:某某,,,,,,,,
`

func gbk(t *testing.T, s string) []byte {
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoodUpload: a clean file is 201 with every row accepted (5 rows in the hand lake's first
// worker_aid file), nothing rejected, the temporary copy removed, the upload in the audit log.
func TestGoodUpload(t *testing.T) {
	e := newEnv(t, 0)
	status, body := e.post(t, "union", upload("worker_aid", "2024年1-6月帮扶台账.csv", handCSV(t, "worker_aid", "2024年1-6月帮扶台账.csv"))...)
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, body)
	}
	r := decode(t, body)
	if r.Status != lake.StatusLanded || r.Rows != 5 || r.Accepted != 5 || r.Rejected != 0 || len(r.FirstRejections) != 0 ||
		r.Source != "worker_aid" || r.LeadUnit != "县总工会" || r.FileName != "2024年1-6月帮扶台账.csv" || !r.Rebuild {
		t.Errorf("answer %+v", r)
	}
	for _, p := range handlake.Persons {
		if strings.Contains(string(body), p.ID) || strings.Contains(string(body), p.Name) {
			t.Errorf("the answer holds a clear name or ID: %s", body)
		}
	}
	e.tmpEmpty(t)
	// the same bytes again: read, not ingested twice
	status, body = e.post(t, "union", upload("worker_aid", "again.csv", handCSV(t, "worker_aid", "2024年1-6月帮扶台账.csv"))...)
	if r := decode(t, body); status != http.StatusOK || r.Status != lake.StatusDuplicate || !strings.Contains(r.Message, "2024年1-6月帮扶台账.csv") {
		t.Errorf("a duplicate: %d %s", status, body)
	}
	entries, err := audit.Read(e.dir, audit.Filter{Action: audit.ActionUpload})
	if err != nil || len(entries) != 2 {
		t.Fatalf("audit: %v %v", entries, err)
	}
	if en := entries[0]; en.Actor != "union-script" || en.ActorKind != audit.KindToken || en.Role != account.RoleUnit ||
		en.Unit != "县总工会" || en.Outcome != audit.OutcomeOK || en.Target != "worker_aid/2024年1-6月帮扶台账.csv" ||
		en.RemoteAddr == "" || !strings.Contains(en.Detail, "accepted 5, rejected 0") {
		t.Errorf("audit entry %+v", en)
	}
}

// TestRejectedRows: a GBK file with bad rows lands its good rows; the answer counts the rejected
// ones and names their Excel rows, columns and reasons in both languages, masked.
func TestRejectedRows(t *testing.T) {
	e := newEnv(t, 0)
	status, body := e.post(t, "union", upload("worker_aid", "帮扶台账.csv", gbk(t, workerAidCSV))...)
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, body)
	}
	r := decode(t, body)
	if r.Encoding != "gb18030" || r.HeaderRow != 3 || r.Rows != 8 || r.Accepted != 4 || r.Rejected != 4 || r.Skipped != 3 {
		t.Errorf("counts %+v, want gb18030 header 3, 8 rows, 4 accepted, 4 rejected, 3 skipped", r)
	}
	got := map[string]bool{}
	rows := map[int]bool{}
	for _, x := range r.FirstRejections {
		got[fmt.Sprintf("%d %s %s %s", x.Row, x.Column, x.Code, x.Value)] = true
		rows[x.Row] = true
		if x.Zh == "" || x.En == "" {
			t.Errorf("a rejection without its reason in both languages: %+v", x)
		}
	}
	for _, want := range []string{
		"7 身份证号 id_invalid 110105********0021",
		"8 乡镇 township_unknown 火星镇",
		"9 救助金额 money_invalid 一千五",
		"9 救助日期 date_invalid 2024-02-30",
		"10 救助金额 money_negative -20",
	} {
		if !got[want] {
			t.Errorf("first rejections lack %q: %v", want, got)
		}
	}
	if fmt.Sprint(rows) != fmt.Sprint(map[int]bool{7: true, 8: true, 9: true, 10: true}) {
		t.Errorf("rejected rows %v, want 7 8 9 10", rows)
	}
	for _, clear := range []string{"赵六", "钱七", "11010519491231002X", "110105194912310021", "张三丰"} {
		if strings.Contains(string(body), clear) {
			t.Errorf("the answer holds %q in clear", clear)
		}
	}
}

func zipBomb() []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0"?><Types/>`))
	w, _ = zw.Create("xl/worksheets/sheet1.xml")
	zeros := make([]byte, 1<<20)
	for range 300 { // 300 MiB of zeros deflate to about 300 KiB
		w.Write(zeros)
	}
	zw.Close()
	return b.Bytes()
}

// TestBadFilesThroughHTTP: every file the ingest refuses whole (its tests' kinds) is 400 with
// ingest's message in both languages, and nothing lands; formula text lands as text, flagged.
func TestBadFilesThroughHTTP(t *testing.T) {
	e := newEnv(t, 0)
	before := e.lakeFiles(t)
	var xb bytes.Buffer
	excelize.NewFile().Write(&xb)
	for _, c := range []struct {
		name string
		body []byte
		zh   string
	}{
		{"empty.csv", nil, "文件为空"},
		{"photo.xlsx", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "不是 Excel"},
		{"scan.pdf", []byte("%PDF-1.7\n%\xe2\xe3"), "文件不是表格:可以上传"},
		{"cut.xlsx", xb.Bytes()[:xb.Len()/2], "损坏或被截断"},
		{"bomb.xlsx", zipBomb(), "压缩炸弹"},
		{"old.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, "另存为 .xlsx"},
		{"noid.csv", []byte("姓名,乡镇,帮扶类型,救助金额,救助日期\n张三,松兹街道,生活救助,100,2024-03-05\n"), "缺少必需的列:身份证号"},
		{"text.csv", []byte("just some notes\nnothing tabular here\n"), "找不到表头"},
	} {
		status, body := e.post(t, "union", upload("worker_aid", c.name, c.body)...)
		if status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", c.name, status, body)
			continue
		}
		code, msg := apiError(t, body)
		zh, en, _ := strings.Cut(msg, " / ")
		if code != minsheng.EINVALID || !strings.Contains(zh, c.zh) || en == "" {
			t.Errorf("%s: %s %q, want invalid with %q and English", c.name, code, msg, c.zh)
		}
	}
	if after := e.lakeFiles(t); after != before {
		t.Errorf("refused files changed the lake: %s -> %s", before, after)
	}
	e.tmpEmpty(t)
	if failed, _ := audit.Read(e.dir, audit.Filter{Outcome: audit.OutcomeFailed}); len(failed) != 8 {
		t.Errorf("%d failed uploads in the audit log, want 8", len(failed))
	}

	// formula text is data: it lands as text and is flagged (child_rehab is 县残联's)
	status, body := e.post(t, "canlian", upload("child_rehab", "rehab.csv", []byte("姓名,身份证号,乡镇,残疾类别,是否脑瘫,康复机构,救助金额,其中生活费补助,救助日期\n"+
		"小明,340826201801010011,松兹街道,孤独症,否,\"=cmd|' /c calc'!A0\",12000,3000,2024-05-01\n"+
		"小红,34082620180101002X,松兹街道,听力,否,县康复中心,8000,0,2024-05-01\n"))...)
	r := decode(t, body)
	if status != http.StatusCreated || r.Accepted != 2 || r.Flagged != 1 || len(r.FirstFlagged) != 1 || r.FirstFlagged[0].Row != 2 ||
		r.FirstFlagged[0].Code != "formula_text" {
		t.Errorf("formula text: %d %s", status, body)
	}
}

// TestRefusals: the request-level refusals, each with its status and the error shape, none of
// them touching the lake; a refusal for another unit's source is denied in the audit log.
func TestRefusals(t *testing.T) {
	e := newEnv(t, 0)
	good := handCSV(t, "worker_aid", "2024年7-10月帮扶台账.csv")
	before := e.ingested(t)
	for _, c := range []struct {
		what   string
		as     string
		fields []field
		status int
		code   string
		text   string
	}{
		{"no principal", "", upload("worker_aid", "a.csv", good), 401, minsheng.EUNAUTHORIZED, "登录"},
		{"unknown source", "union", upload("no_such_source", "a.csv", good), 400, minsheng.EINVALID, "未知的数据源"},
		{"empty source", "union", upload("", "a.csv", good), 400, minsheng.EINVALID, "source"},
		{"no source field", "union", []field{{name: "file", value: string(good), fileName: "a.csv"}}, 400, minsheng.EINVALID, "source"},
		{"no file field", "union", []field{{name: "source", value: "worker_aid"}}, 400, minsheng.EINVALID, "缺少文件"},
		{"a file field without a file", "union", []field{{name: "source", value: "worker_aid"}, {name: "file", value: string(good)}}, 400, minsheng.EINVALID, "缺少文件"},
		{"two files", "union", append(upload("worker_aid", "a.csv", good), field{name: "file", value: "x", fileName: "b.csv"}), 400, minsheng.EINVALID, "一个文件"},
		{"another unit's source", "canlian", upload("worker_aid", "a.csv", good), 403, minsheng.EFORBIDDEN, "县总工会"},
		{"another unit's source, file first", "canlian", []field{{name: "file", value: string(good), fileName: "a.csv"}, {name: "source", value: "worker_aid"}}, 403, minsheng.EFORBIDDEN, "县总工会"},
		{"a leader", "leader", upload("worker_aid", "a.csv", good), 403, minsheng.EFORBIDDEN, "牵头单位"},
		{"an admin", "admin", upload("worker_aid", "a.csv", good), 403, minsheng.EFORBIDDEN, "牵头单位"},
	} {
		status, body := e.post(t, c.as, c.fields...)
		if status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.what, status, c.status, body)
			continue
		}
		code, msg := apiError(t, body)
		if code != c.code || !strings.Contains(msg, c.text) || !strings.Contains(msg, " / ") {
			t.Errorf("%s: %s %q, want %s with %q in both languages", c.what, code, msg, c.code, c.text)
		}
	}
	// not multipart at all
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/uploads", strings.NewReader(`{"source":"worker_aid"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-As", "union")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("a JSON body: %d, want 400", res.StatusCode)
	}
	// nothing was ingested: the audit log is the only trace
	if after := e.ingested(t); after != before {
		t.Errorf("refused uploads changed the data folder: %s -> %s", before, after)
	}
	e.tmpEmpty(t)
	denied, _ := audit.Read(e.dir, audit.Filter{Outcome: audit.OutcomeDenied})
	if len(denied) != 4 {
		t.Fatalf("%d denied uploads in the audit log, want 4: %+v", len(denied), denied)
	}
	// refused as soon as the source is read, before the file: its name is not known
	if d := denied[0]; d.Actor != "canlian" || d.Unit != "县残联" || d.Target != "worker_aid" || d.Action != audit.ActionUpload {
		t.Errorf("denied entry %+v", d)
	}
	if d := denied[1]; d.Target != "worker_aid/a.csv" {
		t.Errorf("denied entry with the file first %+v", d)
	}
}

// rawPost writes a request over a plain connection while reading the answer, so a server that
// answers before reading the whole body (413) is seen as it answers. body writes the body.
func (e *env) rawPost(t *testing.T, header string, body func(w io.Writer) error) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	written := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(conn)
		if _, err := io.WriteString(w, header); err != nil {
			written <- err
			return
		}
		err := body(w)
		if err == nil {
			err = w.Flush()
		}
		written <- err
	}()
	conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close() // stops the writer if it is still writing
	<-written
	return res
}

// zeros is an endless reader of CSV-looking bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

// TestTooLarge: over 50 MB is 413, whether the length is declared or only streamed (chunked);
// the body is generated as it is sent, never held in memory; nothing lands or stays in DIR/tmp.
func TestTooLarge(t *testing.T) {
	e := newEnv(t, 0) // the real limit
	before := e.lakeFiles(t)
	const boundary = "BOUNDARY"
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nworker_aid\r\n" +
		"--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n"
	size := int64(uploads.MaxFileBytes + 1<<20)
	tail := "\r\n--" + boundary + "--\r\n"
	req := func(extra string) string {
		return "POST /api/v1/uploads HTTP/1.1\r\nHost: test\r\nX-Test-As: union\r\n" +
			"Content-Type: multipart/form-data; boundary=" + boundary + "\r\n" + extra + "\r\n"
	}

	// declared: refused from the header, before the body is read
	total := int64(len(head)) + size + int64(len(tail))
	res := e.rawPost(t, req(fmt.Sprintf("Content-Length: %d\r\n", total)), func(w io.Writer) error {
		if _, err := io.WriteString(w, head); err != nil {
			return err
		}
		if _, err := io.Copy(w, io.LimitReader(zeros{}, size)); err != nil {
			return err
		}
		_, err := io.WriteString(w, tail)
		return err
	})
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), minsheng.ETOOLARGE) {
		t.Errorf("declared length: %d %s, want 413", res.StatusCode, b)
	}

	// streamed in chunks with no length: refused once the stream passes the limit
	res = e.rawPost(t, req("Transfer-Encoding: chunked\r\n"), func(w io.Writer) error {
		chunk := func(p []byte) error {
			if _, err := fmt.Fprintf(w, "%x\r\n", len(p)); err != nil {
				return err
			}
			if _, err := w.Write(p); err != nil {
				return err
			}
			_, err := io.WriteString(w, "\r\n")
			return err
		}
		if err := chunk([]byte(head)); err != nil {
			return err
		}
		buf := make([]byte, 64<<10)
		zeros{}.Read(buf)
		for sent := int64(0); sent < size; sent += int64(len(buf)) {
			if err := chunk(buf); err != nil {
				return err
			}
		}
		if err := chunk([]byte(tail)); err != nil {
			return err
		}
		_, err := io.WriteString(w, "0\r\n\r\n")
		return err
	})
	b, _ = io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "50 MB") {
		t.Errorf("streamed: %d %s, want 413", res.StatusCode, b)
	}
	if after := e.lakeFiles(t); after != before {
		t.Errorf("an oversized upload changed the lake")
	}
	e.tmpEmpty(t)
	if failed, _ := audit.Read(e.dir, audit.Filter{Outcome: audit.OutcomeFailed}); len(failed) != 2 {
		t.Errorf("%d failed uploads in the audit log, want 2", len(failed))
	}
}

// TestPathTricks: a file name with ../ or a Windows path is only shown: the bytes land in the
// lake by their hash, nothing is written outside the data folder, and the name is cut to its
// last part.
func TestPathTricks(t *testing.T) {
	e := newEnv(t, 0)
	bodies := []string{"2024年1-6月帮扶台账.csv", "2024年7-10月帮扶台账.csv"}
	for i, c := range []struct{ name, shown string }{
		{"../../etc/passwd", "passwd"},
		{`C:\x\a.csv`, "a.csv"},
	} {
		status, body := e.post(t, "union", upload("worker_aid", c.name, handCSV(t, "worker_aid", bodies[i]))...)
		r := decode(t, body)
		if status != http.StatusCreated || r.FileName != c.shown || r.Accepted == 0 {
			t.Errorf("%s: %d %s, want 201 shown as %s", c.name, status, body, c.shown)
		}
	}
	outside := files(t, e.parent)
	for _, f := range outside {
		if !strings.HasPrefix(f, "county/data/") {
			t.Errorf("a file outside the data folder: %s", f)
		}
		if base := filepath.Base(f); base == "passwd" || base == "a.csv" || strings.Contains(f, `\`) {
			t.Errorf("a file named after the upload: %s", f)
		}
	}
	e.tmpEmpty(t)
	entries, _ := audit.Read(e.dir, audit.Filter{Action: audit.ActionUpload})
	if len(entries) != 2 || entries[0].Target != "worker_aid/passwd" || entries[1].Target != "worker_aid/a.csv" {
		t.Errorf("audit targets: %+v", entries)
	}
}

// TestUploadRebuilds: after an upload the warehouse is rebuilt in the background: CURRENT moves
// and the API serves the new numbers (09 counts the union's aid records), the build handed by the
// pipeline to the holder of the answers, with no one watching CURRENT.
func TestUploadRebuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds warehouses")
	}
	e := newEnv(t, 0)
	if _, err := e.p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	current := func() string {
		b, _ := os.ReadFile(filepath.Join(e.dir, "warehouse", "CURRENT"))
		return string(b)
	}
	before := current()
	actual09 := func() string {
		res, err := http.Get(e.srv.URL + "/api/v1/targets/09?year=2024&as_of=2024-06-30")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v struct{ Actual *float64 }
		json.NewDecoder(res.Body).Decode(&v)
		if v.Actual == nil {
			return "none"
		}
		return fmt.Sprint(*v.Actual)
	}
	status, body := e.post(t, "union", upload("worker_aid", "a.csv", handCSV(t, "worker_aid", "2024年1-6月帮扶台账.csv"))...)
	if status != http.StatusCreated {
		t.Fatalf("%d %s", status, body)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for current() == before || actual09() != "3" { // by hand at 06-30: A 生活, A 子女, B (handlake)
		if time.Now().After(deadline) {
			t.Fatalf("no new warehouse after the upload: CURRENT %q (was %q), 09 = %s", current(), before, actual09())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A file name's format characters (the direction override U+202E and its kin) are dropped from
// the name shown and logged, for an upload refused before ingest as for one ingested: the audit
// shows "worker_aid/报告xcod.csv", not a name that reads "报告vsc.docx". Before, a refused upload's
// audit target kept the U+202E.
func TestFormatCharactersInNames(t *testing.T) {
	e := newEnv(t, 0)
	good := handCSV(t, "worker_aid", "2024年1-6月帮扶台账.csv")
	status, _ := e.post(t, "canlian", field{name: "file", value: string(good), fileName: "报告\u202excod.csv"}, field{name: "source", value: "worker_aid"})
	if status != http.StatusForbidden {
		t.Fatalf("another unit's source: %d", status)
	}
	status, body := e.post(t, "union", upload("worker_aid", "\u2066台账\u2069\u200e.csv", good)...)
	if r := decode(t, body); status != http.StatusCreated || r.FileName != "台账.csv" {
		t.Errorf("landed: %d, shown as %+q", status, r.FileName)
	}
	entries, _ := audit.Read(e.dir, audit.Filter{Action: audit.ActionUpload})
	if len(entries) != 2 || entries[0].Target != "worker_aid/报告xcod.csv" || entries[1].Target != "worker_aid/台账.csv" {
		t.Errorf("audit targets %+q", entries)
	}
}
