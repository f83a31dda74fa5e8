package ingest_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/lake"
)

var testKey = []byte("0123456789abcdef-test-key")

// newIngester returns an ingester on a fresh data folder, with a fixed key and clock.
func newIngester(t testing.TB) (*ingest.Ingester, string) {
	t.Helper()
	dir := t.TempDir()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(ingest.Config{
		Dir: dir, Registry: reg, County: county, Key: testKey, Workers: 2,
		Now: func() time.Time { return time.Date(2024, 11, 1, 3, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return in, dir
}

func put(t testing.TB, dir, source, name string, body []byte) string {
	t.Helper()
	p := filepath.Join(dir, "inbox", source, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func gbk(t testing.TB, s string) []byte {
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t testing.TB, in *ingest.Ingester) *ingest.Summary {
	t.Helper()
	s, err := in.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func duck(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pseudonym is the key's HMAC-SHA256 of the ID number, cut to 128 bits, worked out here apart
// from the code under test.
func pseudonym(id string) string {
	m := hmac.New(sha256.New, testKey)
	m.Write([]byte(id))
	u, _ := uuid.FromBytes(m.Sum(nil)[:16])
	return u.String()
}

// A GBK CSV as Excel on a Chinese Windows saves it, with a title, a blank line, aliases, a footer.
// Lines: 1 title, 2 blank, 3 header, 4-11 data, 12 empty template row, 13 合计, 14 制表人.
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

func TestIngestGBKCSV(t *testing.T) {
	in, dir := newIngester(t)
	put(t, dir, "worker_aid", "2024年帮扶台账.csv", gbk(t, workerAidCSV))
	s := run(t, in)
	if len(s.Reports) != 1 {
		t.Fatalf("%d reports", len(s.Reports))
	}
	r := s.Reports[0]
	if r.Status != lake.StatusLanded || r.Encoding != "gb18030" || r.HeaderRow != 3 {
		t.Fatalf("report %+v", r)
	}
	// Worked out by hand from the lines above: 4, 5, 6, 11 land; 7, 8, 9, 10 are rejected.
	if r.Rows != 8 || r.Landed != 4 || r.Rejected != 4 || r.Skipped != 3 {
		t.Errorf("rows %d landed %d rejected %d skipped %d; want 8 4 4 3", r.Rows, r.Landed, r.Rejected, r.Skipped)
	}
	wantReasons := map[string]int{"id_invalid": 1, "township_unknown": 1, "money_invalid": 1, "date_invalid": 1, "required_missing": 1, "money_negative": 1}
	if fmt.Sprint(r.Reasons) != fmt.Sprint(wantReasons) {
		t.Errorf("reasons %v, want %v", r.Reasons, wantReasons)
	}

	db := duck(t)
	lf := filepath.Join(dir, r.LakeFile)
	var n, persons int
	var amount float64
	var rows string
	err := db.QueryRow(`select count(*), count(distinct person_id), sum(amount_yuan)::double,
		string_agg(_row::varchar, ',' order by _row) from read_parquet(?)`, lf).Scan(&n, &persons, &amount, &rows)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || persons != 2 || amount != 4600 || rows != "4,5,6,11" {
		t.Errorf("lake: %d rows, %d persons, %.2f yuan, rows %s; want 4, 2, 4600.00, 4,5,6,11", n, persons, amount, rows)
	}
	var name, masked, id, sex, aided string
	var age int
	err = db.QueryRow(`select name_masked, person_id_masked, person_id::varchar, person_sex, person_age, aided_on::varchar
		from read_parquet(?) where _row = 4`, lf).Scan(&name, &masked, &id, &sex, &age, &aided)
	if err != nil {
		t.Fatal(err)
	}
	// Born 1949-12-31, aided 2024-03-05: 74. The 17th digit 2 is even: a woman.
	if name != "张*丰" || masked != "110105********002X" || id != pseudonym("11010519491231002X") || sex != "女" || age != 74 || aided != "2024-03-05" {
		t.Errorf("row 4 = %s %s %s %s %d %s", name, masked, id, sex, age, aided)
	}
	var serialDay string
	db.QueryRow(`select aided_on::varchar from read_parquet(?) where _row = 11`, lf).Scan(&serialDay)
	if serialDay != "2024-03-05" {
		t.Errorf("Excel serial 45356 landed as %s", serialDay)
	}

	// The quarantine holds every rejected cell, masked, by the row a person sees.
	q := filepath.Join(dir, r.QuarantineFile)
	got := map[string]bool{}
	res, err := db.Query(`select "row", "column", reason_code, value_masked from read_parquet(?) order by all`, q)
	if err != nil {
		t.Fatal(err)
	}
	for res.Next() {
		var row int
		var col, code, val string
		res.Scan(&row, &col, &code, &val)
		got[fmt.Sprintf("%d %s %s %s", row, col, code, val)] = true
	}
	for _, want := range []string{
		"7 身份证号 id_invalid 110105********0021",
		"8 乡镇 township_unknown 火星镇",
		"9 救助金额 money_invalid 一千五",
		"9 救助日期 date_invalid 2024-02-30",
		"9 个人自付医疗费用 required_missing ",
		"10 救助金额 money_negative -20",
	} {
		if !got[want] {
			t.Errorf("quarantine lacks %q; has %v", want, got)
		}
	}
	if len(got) != 6 {
		t.Errorf("quarantine has %d cells, want 6", len(got))
	}
}

// An xlsx as a unit saves it: a merged title, a 填报单位 line, real date cells (serials once read
// raw), IDs as text, a footer.
func TestIngestXLSX(t *testing.T) {
	in, dir := newIngester(t)
	f := excelize.NewFile()
	sh := "Sheet1"
	f.SetCellValue(sh, "A1", "2024年特殊困难老年人家庭适老化改造台账")
	f.MergeCell(sh, "A1", "H1")
	f.SetCellValue(sh, "A2", "填报单位:县民政局")
	f.SetSheetRow(sh, "A3", &[]any{"户主", "户主身份证号", "乡镇", "村（社区）", "对象类别", "改造金额(元)", "验收日期", "验收结果"})
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	rows := [][]any{
		{"陈老汉", "11010519491231002X", "松兹街道", "长集社区", "分散供养特困人员", 3500.5, time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC), "合格"},
		{"林大妈", "340826199001010013", "孚玉镇", "长集社区", "低保对象", 3000, time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), "合格"},
		{"郑阿婆", "340826195001010015", "孚玉镇", "小岗村", "其他", 2800, "", "未验收"},
	}
	for i, r := range rows {
		cell := fmt.Sprintf("A%d", 4+i)
		f.SetSheetRow(sh, cell, &r)
		f.SetCellStyle(sh, fmt.Sprintf("G%d", 4+i), fmt.Sprintf("G%d", 4+i), dateStyle)
	}
	f.SetSheetRow(sh, "A8", &[]any{"合计", "", "", "", "", 9300.5})
	var buf bytes.Buffer
	f.Write(&buf)
	put(t, dir, "elderly_home_mod", "适老化改造.xlsx", buf.Bytes())

	r := run(t, in).Reports[0]
	// Row 5: 长集社区 is in 松兹街道, not 孚玉镇. Row 6 is not yet inspected: it lands, undated.
	// Row 7 is empty and row 8 the 合计: both skipped.
	if r.Status != lake.StatusLanded || r.HeaderRow != 3 || r.Format != "xlsx" {
		t.Fatalf("report %+v", r)
	}
	db := duck(t)
	var landed string
	db.QueryRow(`select string_agg(_row::varchar || ':' || coalesce(inspected_on::varchar,'-') || ':' || amount_yuan::varchar, ' ' order by _row)
		from read_parquet(?)`, filepath.Join(dir, r.LakeFile)).Scan(&landed)
	var quarantined string
	db.QueryRow(`select string_agg("row"::varchar || ':' || reason_code, ' ' order by "row") from read_parquet(?)`,
		filepath.Join(dir, r.QuarantineFile)).Scan(&quarantined)
	if !strings.HasPrefix(landed, "4:2024-05-20:3500.50") || !strings.Contains(quarantined, "5:village_unknown") {
		t.Errorf("landed %q, quarantined %q", landed, quarantined)
	}
	if landed != "4:2024-05-20:3500.50 6:-:2800.00" || quarantined != "5:village_unknown" {
		t.Errorf("landed %q, quarantined %q", landed, quarantined)
	}
	if r.Landed != 2 || r.Rejected != 1 || r.Skipped != 2 {
		t.Errorf("landed %d rejected %d skipped %d", r.Landed, r.Rejected, r.Skipped)
	}
}

func lakeFiles(t testing.TB, dir string) []string {
	var out []string
	for _, root := range []string{"lake", "quarantine"} {
		filepath.Walk(filepath.Join(dir, root), func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				out = append(out, p)
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

func zipBomb(t testing.TB) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0"?><Types/>`))
	w, _ = zw.Create("xl/worksheets/sheet1.xml")
	zeros := make([]byte, 1<<20)
	for i := 0; i < 300; i++ { // 300 MiB of zeros deflate to about 300 KiB
		w.Write(zeros)
	}
	zw.Close()
	return b.Bytes()
}

// xlsb is the shape of an Excel binary workbook (.xlsb): the package parts of an xlsx, with the
// workbook and its sheets in binary records (.bin) instead of XML. With no workbook.bin part
// named by the relationships (as a hand-zipped copy may be), it still holds xl/workbook.bin.
func xlsb(withRels bool) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>`))
	if withRels {
		w, _ = zw.Create("_rels/.rels")
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>`))
	}
	w, _ = zw.Create("xl/workbook.bin")
	w.Write([]byte{0x83, 0x01, 0x00, 0x80, 0x01, 0x00, 0x99, 0x01, 0x00, 0x84, 0x01, 0x00})
	w, _ = zw.Create("xl/worksheets/sheet1.bin")
	w.Write([]byte{0x81, 0x01, 0x00, 0x82, 0x01, 0x00})
	zw.Close()
	return b.Bytes()
}

// Every bad file gets one clear message in Chinese and English, and changes nothing else.
func TestBadFiles(t *testing.T) {
	in, dir := newIngester(t)
	put(t, dir, "worker_aid", "good.csv", gbk(t, workerAidCSV))
	run(t, in)
	before := lakeFiles(t, dir)

	good := gbk(t, workerAidCSV)
	var xb bytes.Buffer
	excelize.NewFile().Write(&xb)
	cases := []struct {
		source, name string
		body         []byte
		zh           string
	}{
		{"worker_aid", "empty.csv", nil, "文件为空"},
		{"worker_aid", "photo.xlsx", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "不是 Excel"},
		{"worker_aid", "scan.pdf", []byte("%PDF-1.7\n%\xe2\xe3"), "文件不是表格:可以上传"},
		{"worker_aid", "cut.xlsx", xb.Bytes()[:xb.Len()/2], "损坏或被截断"},
		{"worker_aid", "bomb.xlsx", zipBomb(t), "压缩炸弹"},
		{"worker_aid", "old.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, "另存为 .xlsx"},
		{"worker_aid", "noid.csv", []byte("姓名,乡镇,帮扶类型,救助金额,救助日期\n张三,松兹街道,生活救助,100,2024-03-05\n"), "缺少必需的列:身份证号"},
		{"legal_aid", "wrong-folder.csv", append([]byte("x"), good...), "缺少必需的列"},
		{"worker_aid", "text.csv", []byte("just some notes\nnothing tabular here\n"), "找不到表头"},
		// before: "不是 Excel 工作簿(缺少 workbook.xml)" without the fix, or an XML error
		{"worker_aid", "binary.xlsb", xlsb(true), "这是 Excel 二进制工作簿(.xlsb),系统不能读取:请在 Excel 中打开,“另存为”Excel 工作簿(.xlsx)后重新上传"},
		{"worker_aid", "binary-renamed.xlsx", xlsb(false), "这是 Excel 二进制工作簿(.xlsb)"},
	}
	for _, c := range cases {
		put(t, dir, c.source, c.name, c.body)
	}
	put(t, dir, "no_such_source", "x.csv", good)
	put(t, dir, "worker_aid", "copy-of-good.csv", good)
	s := run(t, in)

	byName := map[string]lake.Report{}
	for _, r := range s.Reports {
		byName[r.FileName] = r
	}
	for _, c := range cases {
		r, ok := byName[c.name]
		if !ok {
			t.Errorf("%s: no report", c.name)
			continue
		}
		if r.Status != lake.StatusRejected || !strings.Contains(r.MessageZh, c.zh) || r.MessageEn == "" || r.Landed != 0 {
			t.Errorf("%s: %s %q / %q, want rejected with %q", c.name, r.Status, r.MessageZh, r.MessageEn, c.zh)
		}
	}
	if r := byName["copy-of-good.csv"]; r.Status != lake.StatusDuplicate || !strings.Contains(r.MessageZh, "good.csv") {
		t.Errorf("the same bytes again: %s %s", r.Status, r.MessageZh)
	}
	if len(s.Unknown) != 1 || !strings.Contains(s.Unknown[0], "no_such_source") {
		t.Errorf("unknown folders: %v", s.Unknown)
	}
	if after := lakeFiles(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("bad files changed the lake:\n%v\n%v", before, after)
	}
	// A second run handles nothing again: every file is in the manifest.
	if s2 := run(t, in); len(s2.Reports) != 0 || s2.Skipped != len(cases)+2 {
		t.Errorf("second run: %d reports, %d skipped", len(s2.Reports), s2.Skipped)
	}
	// Every original is archived, readable by the service user only.
	filepath.Walk(filepath.Join(dir, "archive"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", p, info.Mode().Perm())
		}
		return nil
	})
}

// Formula text is data: kept as text, flagged, never evaluated. The two IDs' check characters,
// by hand: 34082620180101001 weighs 187, 187 mod 11 = 0 -> '1'; ...002 weighs 189 -> 2 -> 'X'.
func TestFormulaTextIsFlagged(t *testing.T) {
	in, dir := newIngester(t)
	put(t, dir, "child_rehab", "rehab.csv", []byte("姓名,身份证号,乡镇,残疾类别,是否脑瘫,康复机构,救助金额,其中生活费补助,救助日期\n"+
		"小明,340826201801010011,松兹街道,孤独症,否,\"=cmd|' /c calc'!A0\",12000,3000,2024-05-01\n"+
		"小红,34082620180101002X,松兹街道,听力,否,县康复中心,8000,0,2024-05-01\n"))
	r := run(t, in).Reports[0]
	if r.Landed != 2 || r.Flagged != 1 || r.Flags["formula_text"] != 1 || len(r.FirstFlagged) != 1 || r.FirstFlagged[0].Row != 2 {
		t.Fatalf("report %+v", r)
	}
	var inst string
	duck(t).QueryRow(`select rehab_institution from read_parquet(?) where _row = 2`, filepath.Join(dir, r.LakeFile)).Scan(&inst)
	if inst != "=cmd|' /c calc'!A0" {
		t.Errorf("formula text landed as %q", inst)
	}
}
