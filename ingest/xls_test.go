package ingest

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/fixtures"
	"github.com/minsheng/minsheng/lake"
)

// sofficePath finds LibreOffice, which saves the .xls and .ods files these tests read as an
// office suite saves them. Under `make test` (MINSHENG_REQUIRE_TOOLS=1) and CI (CI=true) its
// absence fails the test: .ci/run and `make test` install it (Debian's libreoffice-calc-nogui).
// Elsewhere the test is skipped without it.
func sofficePath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "LibreOffice (soffice) is not installed: `make office` installs it (apt-get install libreoffice-calc-nogui)"
	if os.Getenv("CI") == "true" || os.Getenv("MINSHENG_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// officeConvert saves each of srcs in format (xls, ods, xlsx) with LibreOffice headless, in a
// fresh profile so that runs never share one, and returns the folder of the results.
func officeConvert(t testing.TB, format string, srcs ...string) string {
	t.Helper()
	soffice := sofficePath(t)
	out, profile := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"-env:UserInstallation=file://" + profile, "--headless", "--norestore",
		"--convert-to", format, "--outdir", out}, srcs...)
	cmd := exec.CommandContext(ctx, soffice, args...)
	cmd.Env = append(os.Environ(), "HOME="+profile)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice --convert-to %s: %v\n%s", format, err, b)
	}
	for _, s := range srcs {
		p := filepath.Join(out, strings.TrimSuffix(filepath.Base(s), filepath.Ext(s))+"."+format)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("soffice did not save %s: %v\n%s", p, err, b)
		}
	}
	return out
}

// tableRows reads a file as ingest would (sniffed, then opened) to its end.
func tableRows(t testing.TB, path, sheet string) (rows [][]string, tb table, err error) {
	t.Helper()
	info, err := sniff(path, filepath.Base(path), true)
	if err != nil {
		return nil, nil, err
	}
	tb, err = openTable(path, info, sheet)
	if err != nil {
		return nil, nil, err
	}
	defer tb.Close()
	for tb.Next() {
		if tb.RowNum() != len(rows)+1 {
			t.Fatalf("%s: row %d after %d rows", path, tb.RowNum(), len(rows))
		}
		rows = append(rows, append([]string{}, tb.Row()...))
	}
	return rows, tb, tb.Err()
}

// cellsWorkbook writes a workbook with what a ledger holds, on two sheets: a title merged across,
// text, ID numbers typed as text, a date, a number stored as text, numbers of each kind, a 乡镇
// merged down, a hidden row, formulas (LibreOffice saves their values), a boolean, an error.
func cellsWorkbook(t testing.TB, dir string) string {
	t.Helper()
	f := excelize.NewFile()
	s := "Sheet1"
	set := func(ref string, v any) {
		if err := f.SetCellValue(s, ref, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "XX县2024年残疾人台账")
	f.MergeCell(s, "A1", "E1")
	f.SetSheetRow(s, "A3", &[]any{"姓名", "身份证号", "金额", "日期", "乡镇"})
	set("A4", "张三")
	f.SetCellStr(s, "B4", "34082619900101123X")
	set("C4", 1234.5)
	date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	set("D4", 45356)
	f.SetCellStyle(s, "D4", "D4", date)
	set("E4", "松兹镇")
	f.MergeCell(s, "E4", "E6")
	set("A5", "李四")
	f.SetCellStr(s, "B5", "340826199001011234")
	f.SetCellStr(s, "C5", "1500")
	f.SetCellStr(s, "D5", "2024年3月5日")
	set("A6", "王五 ")
	set("C6", 1500)
	f.SetCellFormula(s, "F6", "C6*2")
	set("G6", true)
	f.SetCellFormula(s, "H6", "1/0")
	set("I6", 0.1)
	set("J6", 123456789012.0)
	set("K6", -3)
	set("L6", 1e-7)
	f.SetCellFormula(s, "M6", `A6&"x"`)
	set("N6", 340826199001011234.0) // an ID number Excel took for a number
	set("O6", -1234.56)
	set("A8", "多行\n文本")
	set("C8", 99.99)
	f.SetRowVisible(s, 5, false)
	f.NewSheet("数据")
	f.SetCellValue("数据", "A1", "第二张表")
	f.SetCellValue("数据", "C2", 3)
	p := filepath.Join(dir, "cells.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// What the cells workbook reads as, from the .xls, .ods and xlsx LibreOffice saves of it.
var cellsWant = [][]string{
	{"XX县2024年残疾人台账"},
	{},
	{"姓名", "身份证号", "金额", "日期", "乡镇"},
	{"张三", "34082619900101123X", "1234.5", "45356", "松兹镇"},
	{"李四", "340826199001011234", "1500", "2024年3月5日", "松兹镇"},
	{"王五 ", "", "1500", "", "松兹镇", "3000", "1", "#DIV/0!", "0.1", "123456789012", "-3", "0.0000001", "王五 x", "3.40826199001011E+17", "-1234.56"},
	{},
	{"多行\n文本", "", "99.99"},
}

// The .xls and .ods LibreOffice saves read as the xlsx it saves of the same workbook, cell for
// cell, with the same hidden and merged rows: dates as serials, numbers stored as text as text,
// ID numbers intact, formulas as their values.
func TestXLSAndODSReadAsXLSX(t *testing.T) {
	src := cellsWorkbook(t, t.TempDir())
	want := map[string][][]string{"": cellsWant, "数据": {{"第二张表"}, {"", "", "3"}}}
	for _, format := range []string{"xlsx", "xls", "ods"} {
		p := filepath.Join(officeConvert(t, format, src), "cells."+format)
		sheets, err := workbookSheets(p, fileInfo{Format: format})
		if err != nil || !reflect.DeepEqual(sheets, []string{"Sheet1", "数据"}) {
			t.Errorf("%s: sheets %q, %v", format, sheets, err)
		}
		for _, sheet := range []string{"", "数据"} {
			rows, tb, err := tableRows(t, p, sheet)
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			// LibreOffice's xlsx holds 1E-007 where excelize's holds 0.0000001: the same number
			if got := trimRows(rows); !reflect.DeepEqual(got, want[sheet]) && (format != "xlsx" || !sameNumbers(got, want[sheet])) {
				t.Errorf("%s sheet %q:\n got %q\nwant %q", format, sheet, got, want[sheet])
			}
			hidden, merged := tb.Info()
			if sheet == "" && (hidden != 1 || merged != 2) {
				t.Errorf("%s: %d hidden rows, %d merged, want 1 and 2", format, hidden, merged)
			}
			records, _, _, physical := tb.Account()
			if records != len(rows) || physical != len(rows) {
				t.Errorf("%s: account %d records, %d rows, of %d read", format, records, physical, len(rows))
			}
		}
		if _, _, err := tableRows(t, p, "没有这张表"); err == nil || !strings.Contains(err.Error(), "没有名为") {
			t.Errorf("%s: a missing sheet: %v", format, err)
		}
	}
}

// sameNumbers: the rows are equal, numbers by their value.
func sameNumbers(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			x, errX := strconv.ParseFloat(a[i][j], 64)
			y, errY := strconv.ParseFloat(b[i][j], 64)
			if a[i][j] != b[i][j] && (errX != nil || errY != nil || x != y) {
				return false
			}
		}
	}
	return true
}

// bilingual checks that err is a message for people, in Chinese and English, holding each of
// zh and en.
func bilingual(t testing.TB, what string, err error, zh, en string) {
	t.Helper()
	var e *minsheng.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: %v, want a message for people", what, err)
		return
	}
	if !strings.Contains(e.Zh, zh) || !strings.Contains(e.En, en) {
		t.Errorf("%s: %q / %q, want %q and %q", what, e.Zh, e.En, zh, en)
	}
	if strings.Contains(e.Zh+e.En, "EOF") {
		t.Errorf("%s: %q says EOF", what, e.Zh)
	}
}

var officeTestdata = flag.Bool("office-testdata", false, "save testdata/xls and testdata/ods again with LibreOffice")

// clerkWorkbook is a workbook as clerks keep one (as in TestWorkbookAsClerksKeepIt): a 说明 sheet
// first and the data on the second, the 乡镇 merged down over its rows, a row hidden.
func clerkWorkbook(t testing.TB, dir string) string {
	t.Helper()
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "填表说明:请在“数据”表中填写")
	f.NewSheet("数据")
	rows := [][]any{
		{"姓名", "身份证号", "乡镇", "帮扶类型", "救助金额", "救助日期"},
		{"张三", "11010519491231002X", "松兹街道", "生活救助", 100, "2024-03-05"},
		{"李四", "340826199001010013", nil, "生活救助", 200.5, "2024-03-05"},
		{"王五", "340826199001010013", nil, "生活救助", 300, 45356},
		{"赵六", "340826199001010013", "孚玉镇", "生活救助", "400", "2024年3月5日"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("数据", cell, &r)
	}
	if err := f.MergeCell("数据", "C2", "C4"); err != nil {
		t.Fatal(err)
	}
	f.SetRowVisible("数据", 5, false)
	p := filepath.Join(dir, "clerk.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// The files under testdata/xls and testdata/ods were saved by LibreOffice 7.4 (`go test
// -run TestOfficeTestdata -office-testdata` saves them again), so the readers are tested on an
// office suite's files where LibreOffice is not installed.
func TestOfficeTestdata(t *testing.T) {
	if *officeTestdata {
		tmp := t.TempDir()
		srcs := []string{cellsWorkbook(t, tmp), clerkWorkbook(t, tmp)}
		for _, format := range []string{"xls", "ods"} {
			out := officeConvert(t, format, srcs...)
			for _, name := range []string{"cells", "clerk"} {
				b, err := os.ReadFile(filepath.Join(out, name+"."+format))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("testdata", format, name+"."+format), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, format := range []string{"xls", "ods"} {
		p := filepath.Join("testdata", format, "cells."+format)
		rows, tb, err := tableRows(t, p, "")
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if got := trimRows(rows); !reflect.DeepEqual(got, cellsWant) {
			t.Errorf("%s:\n got %q\nwant %q", p, got, cellsWant)
		}
		if hidden, merged := tb.Info(); hidden != 1 || merged != 2 {
			t.Errorf("%s: %d hidden rows, %d merged, want 1 and 2", p, hidden, merged)
		}
		if info, err := sniff(p, filepath.Base(p), false); err != nil || info.Format != format {
			t.Errorf("%s: sniffed %+v, %v", p, info, err)
		}
	}
}

// testIngester is an ingester on a fresh data folder, with a fixed key and clock.
func testIngester(t testing.TB) (*Ingester, string) {
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
	in, err := New(Config{Dir: dir, Registry: reg, County: county, Key: []byte("0123456789abcdef-test-key"), Workers: 2,
		Now: func() time.Time { return time.Date(2024, 11, 1, 3, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return in, dir
}

func ingestFiles(t testing.TB, files map[string]string) []lake.Report {
	t.Helper()
	in, dir := testIngester(t)
	for dst, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "inbox", dst)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := in.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s.Reports
}

// The clerk's workbook saved as .xls and .ods lands as its xlsx does: the data sheet found and
// named, the merged 乡镇 given to every row under it, the hidden row counted.
func TestIngestXLSAndODSAsClerksKeepThem(t *testing.T) {
	reps := ingestFiles(t, map[string]string{
		"worker_aid/帮扶.xlsx": clerkWorkbook(t, t.TempDir()),
		"worker_aid/帮扶.xls":  "testdata/xls/clerk.xls",
		"worker_aid/帮扶.ods":  "testdata/ods/clerk.ods",
	})
	if len(reps) != 3 {
		t.Fatalf("%d reports", len(reps))
	}
	for _, r := range reps {
		if r.Status != lake.StatusLanded || r.Sheet != "数据" || r.Landed != 4 || r.Rows != 4 || r.MergedRows != 2 || r.HiddenRows != 1 {
			t.Errorf("%s: %s %q: sheet %q, %d of %d landed (%v), %d merged rows, %d hidden",
				r.FileName, r.Status, r.MessageZh, r.Sheet, r.Landed, r.Rows, r.Reasons, r.MergedRows, r.HiddenRows)
		}
		if want := strings.TrimPrefix(filepath.Ext(r.FileName), "."); r.Format != want {
			t.Errorf("%s: format %q", r.FileName, r.Format)
		}
	}
}

// Every workbook the fixtures write, saved by LibreOffice as .xls and as .ods, reads with the
// rows the xlsx reader gives for the xlsx, and ingests to the same counts.
func TestXLSAndODSFixturesAsXLSX(t *testing.T) {
	if testing.Short() {
		t.Skip("converts every fixture workbook with LibreOffice")
	}
	sofficePath(t)
	dir := t.TempDir()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fixtures.Generate(context.Background(), fixtures.Options{Year: 2024, Seed: 7, Out: dir, Registry: reg, County: county}); err != nil {
		t.Fatal(err)
	}
	books := map[string]string{} // path → source
	filepath.WalkDir(filepath.Join(dir, "inbox"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".xlsx") {
			books[p] = filepath.Base(filepath.Dir(p))
		}
		return err
	})
	if len(books) < 3 {
		t.Fatalf("only %d workbooks among the fixtures", len(books))
	}
	t.Logf("%d fixture workbooks, saved as .xls and .ods", len(books))
	var paths []string
	for p := range books {
		paths = append(paths, p)
	}
	for _, format := range []string{"xls", "ods"} {
		out := officeConvert(t, format, paths...)
		files := map[string]string{}
		for p, source := range books {
			src, _ := reg.Source(source)
			want, _, err := readAllRows(t, p, src.Sheet)
			if err != nil {
				t.Fatal(err)
			}
			conv := filepath.Join(out, strings.TrimSuffix(filepath.Base(p), ".xlsx")+"."+format)
			got, _, err := tableRows(t, conv, src.Sheet)
			if err != nil {
				t.Errorf("%s: %v", conv, err)
				continue
			}
			if !reflect.DeepEqual(trimRows(got), trimRows(want)) {
				t.Errorf("%s: rows differ from the xlsx's", conv)
				g, w := trimRows(got), trimRows(want)
				for i := 0; i < min(len(g), len(w)); i++ {
					if !reflect.DeepEqual(g[i], w[i]) {
						t.Errorf("first difference, row %d:\n got %q\nwant %q", i+1, g[i], w[i])
						break
					}
				}
			}
			files[source+"/"+filepath.Base(p)] = p
			files[source+"/"+filepath.Base(conv)] = conv
		}
		byName := map[string]lake.Report{}
		for _, r := range ingestFiles(t, files) {
			byName[r.Source+"/"+r.FileName] = r
		}
		for p, source := range books {
			x := byName[source+"/"+filepath.Base(p)]
			c := byName[source+"/"+strings.TrimSuffix(filepath.Base(p), ".xlsx")+"."+format]
			if x.Status != lake.StatusLanded || c.Status != x.Status || c.Rows != x.Rows || c.Landed != x.Landed ||
				c.Rejected != x.Rejected || c.Skipped != x.Skipped || c.HeaderRow != x.HeaderRow || c.TitleRows != x.TitleRows ||
				!reflect.DeepEqual(c.Reasons, x.Reasons) || c.MergedRows != x.MergedRows || c.HiddenRows != x.HiddenRows {
				t.Errorf("%s as %s: %s %q, %d rows, %d landed, %d rejected %v, %d skipped, header %d; the xlsx: %s, %d, %d, %d %v, %d, %d",
					p, format, c.Status, c.MessageZh, c.Rows, c.Landed, c.Rejected, c.Reasons, c.Skipped, c.HeaderRow,
					x.Status, x.Rows, x.Landed, x.Rejected, x.Reasons, x.Skipped, x.HeaderRow)
			}
		}
	}
}

// A file cut short anywhere is refused whole, with the message for a damaged file, never "EOF".
func TestXLSAndODSTruncatedRefusedWhole(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"testdata/xls/cells.xls", "testdata/ods/cells.ods", "testdata/xls/clerk.xls"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		cuts := []int{len(b) - 1, len(b) / 2, len(b)/2 + 7, 600, 100, 9}
		if strings.HasSuffix(p, ".xls") {
			for n := 512; n < len(b); n += 512 { // at every sector, as a copy cut by blocks
				cuts = append(cuts, n)
			}
		}
		for _, n := range cuts {
			cut := filepath.Join(dir, "cut"+filepath.Ext(p))
			os.WriteFile(cut, b[:n], 0o600)
			_, _, err := tableRows(t, cut, "")
			bilingual(t, p+" cut to "+strconv.Itoa(n), err, "损坏或被截断", "damaged or truncated")
		}
	}
}

// ole2 builds a compound file as [MS-CFB] specifies: 512-byte sectors, one allocation sector,
// one directory sector, the streams (each of 4096 bytes or more: no mini stream) after them.
func ole2(t testing.TB, streams map[string][]byte) []byte {
	t.Helper()
	const free, end, fatSect, noStream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
	var names []string
	for name := range streams {
		names = append(names, name)
	}
	if len(names) > 3 {
		t.Fatal("ole2: at most 3 streams")
	}
	le := binary.LittleEndian
	fat := []uint32{fatSect, end}
	dir := make([]byte, 512)
	var body []byte
	entry := func(i int, name string, typ byte, child, right, start uint32, size int) {
		e := dir[128*i:]
		u := utf16.Encode([]rune(name))
		for j, c := range u {
			le.PutUint16(e[2*j:], c)
		}
		le.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66], e[67] = typ, 1
		le.PutUint32(e[68:], noStream)
		le.PutUint32(e[72:], right)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint64(e[120:], uint64(size))
	}
	entry(0, "Root Entry", 5, 1, noStream, end, 0)
	for i, name := range names {
		data := streams[name]
		if len(data) < 4096 {
			t.Fatalf("ole2: stream %s of %d bytes", name, len(data))
		}
		start := uint32(len(fat))
		n := (len(data) + 511) / 512
		for k := 0; k < n; k++ {
			if k == n-1 {
				fat = append(fat, end)
			} else {
				fat = append(fat, uint32(len(fat)+1))
			}
		}
		right := uint32(noStream)
		if i+2 <= len(names) {
			right = uint32(i + 2)
		}
		entry(i+1, name, 2, noStream, right, start, len(data))
		body = append(body, data...)
		body = append(body, make([]byte, n*512-len(data))...)
	}
	for i := 1 + len(names); i < 4; i++ { // unused entries
		le.PutUint32(dir[128*i+68:], noStream)
		le.PutUint32(dir[128*i+72:], noStream)
		le.PutUint32(dir[128*i+76:], noStream)
	}
	if len(fat) > 128 {
		t.Fatal("ole2: streams too long for one allocation sector")
	}
	head := make([]byte, 512)
	copy(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le.PutUint16(head[0x18:], 0x3E)
	le.PutUint16(head[0x1A:], 3)
	le.PutUint16(head[0x1C:], 0xFFFE)
	le.PutUint16(head[0x1E:], 9)
	le.PutUint16(head[0x20:], 6)
	le.PutUint32(head[0x2C:], 1) // allocation sectors
	le.PutUint32(head[0x30:], 1) // the directory's first sector
	le.PutUint32(head[0x38:], 4096)
	le.PutUint32(head[0x3C:], end)
	le.PutUint32(head[0x44:], end)
	le.PutUint32(head[0x4C:], 0)
	for i := 1; i < 109; i++ {
		le.PutUint32(head[0x4C+4*i:], free)
	}
	fatSector := make([]byte, 512)
	for i := range 128 {
		v := uint32(free)
		if i < len(fat) {
			v = fat[i]
		}
		le.PutUint32(fatSector[4*i:], v)
	}
	out := append(head, fatSector...)
	out = append(out, dir...)
	return append(out, body...)
}

// biff is a BIFF record stream under construction.
type biff struct{ b []byte }

func (w *biff) rec(typ uint16, body ...[]byte) {
	var all []byte
	for _, p := range body {
		all = append(all, p...)
	}
	w.b = binary.LittleEndian.AppendUint16(w.b, typ)
	w.b = binary.LittleEndian.AppendUint16(w.b, uint16(len(all)))
	w.b = append(w.b, all...)
}

func u16s(v ...uint16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, x)
	}
	return b
}

// pad fills a workbook's globals to a stream of 4096 bytes or more, with a record no reader
// looks at.
func (w *biff) pad() { w.rec(0x00EF, make([]byte, 4200)) }

// An Excel 5/95 workbook (BIFF5) from a Chinese desktop: its sheet name and text in GBK, as its
// CODEPAGE record (936) says, built byte by byte as the format specifies (LibreOffice no longer
// saves BIFF5).
func TestXLSBIFF5GBK(t *testing.T) {
	enc := func(s string) []byte {
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	label := func(row, col uint16, s string) []byte {
		g := enc(s)
		return append(u16s(row, col, 15, uint16(len(g))), g...)
	}
	sheet := &biff{}
	sheet.rec(biffBOF, u16s(0x0500, 0x0010, 0, 0))
	sheet.rec(biffLabel, label(0, 0, "姓名"))
	sheet.rec(biffLabel, label(0, 1, "乡镇"))
	sheet.rec(biffLabel, label(1, 0, "张三"))
	sheet.rec(biffLabel, label(1, 1, "松兹镇"))
	sheet.rec(biffRK, u16s(2, 2, 15), binary.LittleEndian.AppendUint32(nil, 1500<<2|2))
	sheet.rec(biffEOF)
	name := enc("数据")
	book := func(at uint32) []byte {
		g := &biff{}
		g.rec(biffBOF, u16s(0x0500, 0x0005, 0, 0))
		g.rec(biffCodePage, u16s(936))
		g.rec(biffBoundSheet, binary.LittleEndian.AppendUint32(nil, at), []byte{0, 0, byte(len(name))}, name)
		g.pad()
		g.rec(biffEOF)
		return g.b
	}
	globals := book(0)
	stream := append(book(uint32(len(globals))), sheet.b...)
	p := filepath.Join(t.TempDir(), "excel95.xls")
	os.WriteFile(p, ole2(t, map[string][]byte{"Book": stream}), 0o600)
	sheets, err := xlsSheets(p)
	if err != nil || !reflect.DeepEqual(sheets, []string{"数据"}) {
		t.Fatalf("sheets %q, %v", sheets, err)
	}
	rows, _, err := tableRows(t, p, "")
	want := [][]string{{"姓名", "乡镇"}, {"张三", "松兹镇"}, {"", "", "1500"}}
	if err != nil || !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %q, %v; want %q", rows, err, want)
	}
}

// An encrypted workbook is refused with what to do about it: an .xls with a FILEPASS record
// (a password to open, or Excel's default one for a protected workbook), and an encrypted xlsx
// (an OLE2 of EncryptionInfo and EncryptedPackage, as Excel saves one with a password). Another
// Office file in OLE2 is refused as not a workbook.
func TestXLSEncryptedRefused(t *testing.T) {
	g := &biff{}
	g.rec(biffBOF, u16s(0x0600, 0x0005, 0, 0), make([]byte, 8))
	g.rec(biffFilePass, u16s(1, 1, 1), make([]byte, 48)) // RC4: the header, salt and verifier
	g.pad()
	g.rec(biffEOF)
	dir := t.TempDir()
	for name, streams := range map[string]map[string][]byte{
		"filepass.xls":  {"Workbook": g.b},
		"password.xlsx": {"EncryptionInfo": make([]byte, 4096), "EncryptedPackage": make([]byte, 4096)},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, ole2(t, streams), 0o600)
		_, _, err := tableRows(t, p, "")
		bilingual(t, name, err, "加密", "encrypted")
		bilingual(t, name, err, "清空密码", "clear the password")
	}
	p := filepath.Join(dir, "letter.xls")
	os.WriteFile(p, ole2(t, map[string][]byte{"WordDocument": make([]byte, 4096)}), 0o600)
	_, _, err := tableRows(t, p, "")
	bilingual(t, "a Word document", err, "不是 Excel 工作簿", "not an Excel workbook")
}

// A web page or Excel 2003 XML named .xls (what many systems' "导出 Excel" sends) is refused with
// the fix; tab-separated text named .xls is read as text, as before.
func TestXLSThatIsNot(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"export.xls": "\ufeff<html><body><table><tr><td>姓名</td></tr></table></body></html>",
		"xml.xls":    `<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>`,
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		_, err := sniff(p, name, true)
		bilingual(t, name, err, "另存为 .xlsx", "save it as .xlsx")
	}
	p := filepath.Join(dir, "tsv.xls")
	os.WriteFile(p, []byte("姓名\t身份证号\n张三\t34082619900101123X\n"), 0o600)
	if info, err := sniff(p, "tsv.xls", true); err != nil || info.Format != "csv" {
		t.Errorf("tab-separated .xls: %+v, %v", info, err)
	}
}

// The pieces of BIFF8 the office files here may not happen to hold: a shared string split over
// a CONTINUE record, its second part stored wide (a flags byte starts it), with rich-text runs
// and a phonetic block after it; RK numbers in each of their four forms; numbers as written.
func TestBIFFPieces(t *testing.T) {
	wide := func(s string) []byte {
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			b = binary.LittleEndian.AppendUint16(b, u)
		}
		return b
	}
	// "abc" compressed, then "松兹镇" wide in the CONTINUE record; 1 run; 4 bytes of phonetics;
	// then a string "ok" of its own
	first := append(u16s(6), 0x08|0x04)
	first = append(first, u16s(1)...)
	first = binary.LittleEndian.AppendUint32(first, 4)
	first = append(first, "abc"...)
	second := append([]byte{0x01}, wide("松兹镇")...)
	second = append(second, 0, 0, 0, 0, 1, 2, 3, 4) // the run, the phonetic block
	second = append(second, u16s(2)...)
	second = append(second, 0)
	second = append(second, "ok"...)
	c := &biffCursor{parts: [][]byte{first, second}}
	if s, err := c.richString(); err != nil || s != "abc松兹镇" {
		t.Errorf("split string %q, %v", s, err)
	}
	if s, err := c.richString(); err != nil || s != "ok" {
		t.Errorf("the string after it %q, %v", s, err)
	}
	if _, err := c.richString(); err == nil {
		t.Error("read past the end")
	}
	rkInt := func(v int32, x100 bool) uint32 {
		r := uint32(v<<2) | 2
		if x100 {
			r |= 1
		}
		return r
	}
	for v, want := range map[uint32]string{
		rkInt(1500, false):   "1500",
		rkInt(-3, false):     "-3",
		rkInt(123450, true):  "1234.5",
		rkInt(-123456, true): "-1234.56",
		0x3FF00000:           "1",    // the high half of the double 1.0
		0x40938800 | 1:       "12.5", // the double 1250.0's high half, ×100
	} {
		if got := xlsNumber(rk(v)); got != want {
			t.Errorf("rk %#x = %s, want %s", v, got, want)
		}
	}
	for f, want := range map[float64]string{0.1: "0.1", 1e-7: "0.0000001", 123456789012: "123456789012",
		3.40826199001011e17: "3.40826199001011E+17", 45356: "45356", -0.0: "0"} {
		if got := xlsNumber(f); got != want {
			t.Errorf("xlsNumber(%v) = %s, want %s", f, got, want)
		}
	}
}
