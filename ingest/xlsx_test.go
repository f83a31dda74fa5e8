package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/fixtures"
)

// excelizeRows reads a sheet as ingest read it before its own reader: excelize's row iterator
// with RawCellValue, one row per Next.
func excelizeRows(t *testing.T, path, sheet string) ([][]string, []int) {
	t.Helper()
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sheet == "" {
		sheet = f.GetSheetList()[0]
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	var nums []int
	for n := 1; rows.Next(); n++ {
		r, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		out, nums = append(out, r), append(nums, n)
	}
	return out, nums
}

func readAllRows(t *testing.T, path, sheet string) ([][]string, []int, error) {
	t.Helper()
	tb, err := openXLSX(path, sheet)
	if err != nil {
		return nil, nil, err
	}
	defer tb.Close()
	var out [][]string
	var nums []int
	for tb.Next() {
		out, nums = append(out, append([]string{}, tb.Row()...)), append(nums, tb.RowNum())
	}
	return out, nums, tb.Err()
}

// trimRows drops trailing empty cells and trailing empty rows, which the two readers may differ
// in without any difference to ingest (a missing cell is an empty one).
func trimRows(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		for len(r) > 0 && r[len(r)-1] == "" {
			r = r[:len(r)-1]
		}
		out[i] = append([]string{}, r...)
	}
	for len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out
}

// Every cell kind a unit's workbook holds reads as excelize read it: shared and inline strings,
// rich text with phonetic runs, numbers, date serials, booleans, error cells, formulas with
// their cached values, rows and cells left out of the XML, a second sheet chosen by name.
func TestXLSXCellsAsExcelize(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "XX县2024年残疾人台账")
	f.SetCellValue("Sheet1", "A3", "姓名")
	f.SetCellValue("Sheet1", "B3", "身份证号")
	f.SetCellValue("Sheet1", "C3", "金额")
	f.SetCellValue("Sheet1", "A4", "张三")
	f.SetCellStr("Sheet1", "B4", "34082619900101123X")
	f.SetCellValue("Sheet1", "C4", 1234.5)
	f.SetCellValue("Sheet1", "D4", true)
	f.SetCellFormula("Sheet1", "E4", "C4*2")
	f.SetCellValue("Sheet1", "F4", "a_x000D_b & <c>")
	f.SetCellRichText("Sheet1", "A6", []excelize.RichTextRun{{Text: "李"}, {Text: "四", Font: &excelize.Font{Bold: true}}})
	f.SetCellValue("Sheet1", "H6", 45292) // a date serial
	f.SetCellValue("Sheet1", "B7", "  空格  ")
	f.NewSheet("数据")
	f.SetCellValue("数据", "A1", "第二张表")
	f.SetCellValue("数据", "C2", 3)
	p := filepath.Join(dir, "a.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	// a cached formula value, as Excel saves it (excelize writes the formula without one)
	for _, sheet := range []string{"", "数据"} {
		want, wantNums := excelizeRows(t, p, sheet)
		got, nums, err := readAllRows(t, p, sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(trimRows(got), trimRows(want)) || !reflect.DeepEqual(nums[:len(wantNums)], wantNums) {
			t.Errorf("sheet %q:\n got %q at %v\nwant %q at %v", sheet, got, nums, want, wantNums)
		}
	}
	if _, _, err := readAllRows(t, p, "没有这张表"); err == nil || !strings.Contains(err.Error(), "没有名为") {
		t.Errorf("a missing sheet: %v", err)
	}
}

// Hand-written sheet XML as Excel, WPS and LibreOffice write it: inline strings, phonetic runs,
// cached formula values, error cells, rows without r, escapes.
func TestXLSXHandWrittenParts(t *testing.T) {
	sheet := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>内联</t></is></c></row>
<row><c t="s"><v>1</v></c><c t="str"><f>A1&amp;"x"</f><v>公式_x000A_值</v></c><c t="e"><v>#VALUE!</v></c></row>
<row r="5"><c r="B5" t="b"><v>1</v></c><c r="C5"><v>1.5E-3</v></c><c r="D5" s="1"><v>45292</v></c></row>
</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>`
	shared := `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">
<si><t xml:space="preserve"> 台账 </t></si><si><r><rPr><b/></rPr><t>王</t></r><r><t>五</t></r><rPh sb="0" eb="1"><t>ワン</t></rPh></si></sst>`
	p := filepath.Join(t.TempDir(), "hand.xlsx")
	os.WriteFile(p, workbook(t, sheet, shared, nil), 0o600)
	got, nums, err := readAllRows(t, p, "")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{" 台账 ", "", "内联"}, {"王五", "公式\n值", "#VALUE!"}, {}, {}, {"", "1", "1.5E-3", "45292"}}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(nums, []int{1, 2, 3, 4, 5}) {
		t.Errorf("got %q at %v\nwant %q", got, nums, want)
	}
}

// workbook zips a minimal workbook around one sheet's XML; damage, when given, rewrites the
// sheet's zip entry.
func workbook(t *testing.T, sheet, shared string, damage func(zw *zip.Writer, body []byte)) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	add("[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)
	add("_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	if shared != "" {
		add("xl/sharedStrings.xml", shared)
	}
	if damage != nil {
		damage(zw, []byte(sheet))
	} else {
		add("xl/worksheets/sheet1.xml", sheet)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sheetOfRows(n int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	b.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>受助职工姓名</t></is></c></row>`)
	for i := 2; i <= n; i++ {
		b.WriteString(`<row r="` + itoa(i) + `"><c r="A` + itoa(i) + `" t="inlineStr"><is><t>行` + itoa(i) + `</t></is></c></row>`)
	}
	b.WriteString(`</sheetData></worksheet>`)
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// A workbook that cannot be read to its end is refused whole, naming the row it stopped after:
// a sheet entry shorter than its header declares (excelize landed 101 of 200 rows), an XML error
// in the middle of the sheet (excelize landed 3 of 50), a sheet cut before </sheetData>, a CRC
// that does not match.
func TestXLSXDamagedIsRefusedWhole(t *testing.T) {
	good := sheetOfRows(200)
	cases := map[string]func(zw *zip.Writer, body []byte){
		"entry shorter than declared": func(zw *zip.Writer, body []byte) {
			h := &zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Store,
				CRC32: crc32.ChecksumIEEE(body), CompressedSize64: uint64(len(body)), UncompressedSize64: uint64(len(body))}
			w, _ := zw.CreateRaw(h)
			w.Write(body[:len(body)/2]) // the rows after the middle are missing
		},
		"xml error mid-sheet": func(zw *zip.Writer, body []byte) {
			bad := strings.Replace(string(body), `<row r="4">`, `<row r="4"><<`, 1)
			w, _ := zw.Create("xl/worksheets/sheet1.xml")
			io.WriteString(w, bad)
		},
		"cut before sheetData ends": func(zw *zip.Writer, body []byte) {
			w, _ := zw.Create("xl/worksheets/sheet1.xml")
			w.Write(body[:len(body)*2/3])
		},
		"crc mismatch": func(zw *zip.Writer, body []byte) {
			flipped := bytes.Replace(body, []byte("行150<"), []byte("行151<"), 1)
			h := &zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Store,
				CRC32: crc32.ChecksumIEEE(body), CompressedSize64: uint64(len(flipped)), UncompressedSize64: uint64(len(flipped))}
			w, _ := zw.CreateRaw(h)
			w.Write(flipped)
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "d.xlsx")
			os.WriteFile(p, workbook(t, good, "", damage), 0o600)
			rows, _, err := readAllRows(t, p, "")
			if err == nil {
				t.Fatalf("read %d rows and no error", len(rows))
			}
			refusal := err
			// what ingest did before, through excelize's row iterator
			if f, err := excelize.OpenFile(p, excelize.Options{RawCellValue: true}); err == nil {
				n := 0
				if rs, err := f.Rows("Sheet1"); err == nil {
					for rs.Next() {
						n++
					}
					t.Logf("excelize read %d of 200 rows, error %v; now refused: %v", n, rs.Error(), refusal)
				}
				f.Close()
			} else {
				t.Logf("excelize refused it too: %v", err)
			}
			if minsheng.ErrorCode(err) != minsheng.EINVALID || !strings.Contains(err.Error(), "损坏或被截断") {
				t.Errorf("error %v", err)
			}
		})
	}
	// the same workbook undamaged reads every row
	p := filepath.Join(t.TempDir(), "ok.xlsx")
	os.WriteFile(p, workbook(t, good, "", nil), 0o600)
	rows, _, err := readAllRows(t, p, "")
	if err != nil || len(rows) != 200 {
		t.Fatalf("undamaged: %d rows, %v", len(rows), err)
	}
}

// Every workbook the fixtures write reads exactly as excelize reads it.
func TestXLSXFixturesAsExcelize(t *testing.T) {
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
	n := 0
	filepath.WalkDir(filepath.Join(dir, "inbox"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".xlsx") {
			return err
		}
		n++
		src, _ := reg.Source(filepath.Base(filepath.Dir(p)))
		want, _ := excelizeRows(t, p, src.Sheet)
		got, _, err := readAllRows(t, p, src.Sheet)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if !reflect.DeepEqual(trimRows(got), trimRows(want)) {
			t.Errorf("%s: rows differ from excelize's", p)
		}
		return nil
	})
	if n < 3 {
		t.Fatalf("only %d workbooks among the fixtures", n)
	}
	t.Logf("%d workbooks read as excelize reads them", n)
}

// A sheet past the cap is refused before it is unpacked, even at a ratio a ledger has (before,
// 2 GB of sheet passed when packed at under 200 times).
func TestXLSXSheetOverTheCap(t *testing.T) {
	big := uint64(maxSheetXML + 1<<20)
	b := workbook(t, sheetOfRows(3), "", func(zw *zip.Writer, body []byte) {
		h := &zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Store,
			CompressedSize64: big / 10, UncompressedSize64: big} // as declared; the bytes never unpack
		w, _ := zw.CreateRaw(h)
		w.Write(body)
	})
	p := filepath.Join(t.TempDir(), "big.xlsx")
	os.WriteFile(p, b, 0o600)
	_, _, err := readAllRows(t, p, "")
	if minsheng.ErrorCode(err) != minsheng.ETOOLARGE || !strings.Contains(err.Error(), "过大") {
		t.Fatalf("error %v, want the size refusal", err)
	}
}
