package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func readAll(t *testing.T, path, name string) (fileInfo, [][]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v utf8Validator
	v.Write(b)
	info, err := sniff(path, name, v.Valid())
	if err != nil {
		t.Fatalf("sniff(%s): %v", name, err)
	}
	tb, err := openTable(path, info, "")
	if err != nil {
		t.Fatalf("openTable(%s): %v", name, err)
	}
	defer tb.Close()
	var rows [][]string
	for tb.Next() {
		rows = append(rows, append([]string(nil), tb.Row()...))
	}
	if err := tb.Err(); err != nil {
		t.Fatal(err)
	}
	return info, rows
}

func TestCSVEncodings(t *testing.T) {
	text := "2024年困难职工帮扶救助台账\n姓名,身份证号,乡镇(街道)\n张三丰,\"11010519491231002X\",松兹街道\n"
	want := [][]string{{"2024年困难职工帮扶救助台账"}, {"姓名", "身份证号", "乡镇(街道)"}, {"张三丰", "11010519491231002X", "松兹街道"}}
	gbk, _ := simplifiedchinese.GB18030.NewEncoder().String(text)
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(
		"2024年困难职工帮扶救助台账\n姓名\t身份证号\t乡镇(街道)\n张三丰\t11010519491231002X\t松兹街道\n")
	cases := []struct{ name, body, enc string }{
		{"a.csv", text, "utf-8"},
		{"b.csv", "\xef\xbb\xbf" + text, "utf-8-bom"},
		{"c.csv", gbk, "gb18030"},
		{"d.txt", u16, "utf-16le"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		p := filepath.Join(dir, c.name)
		os.WriteFile(p, []byte(c.body), 0o600)
		info, rows := readAll(t, p, c.name)
		if info.Encoding != c.enc {
			t.Errorf("%s: encoding %s, want %s", c.name, info.Encoding, c.enc)
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("%s: rows %q, want %q", c.name, rows, want)
		}
	}
}

func TestDelimiter(t *testing.T) {
	if delimiter([]byte("a\tb\tc\n1\t2\t3")) != '\t' || delimiter([]byte("a,b,\"x\ty\"\n")) != ',' {
		t.Error("delimiter picked wrong")
	}
}

// Every split of a multi-byte text across two writes must still read as valid, and GBK as not.
func TestUTF8Validator(t *testing.T) {
	s := []byte("困难职工,帮扶救助")
	for i := 0; i <= len(s); i++ {
		var v utf8Validator
		v.Write(s[:i])
		v.Write(s[i:])
		if !v.Valid() {
			t.Fatalf("split at %d: not valid", i)
		}
	}
	// Random texts cut at random places into many writes: the verdict is utf8.Valid's.
	r := rand.New(rand.NewPCG(7, 8))
	pieces := [][]byte{[]byte("a"), []byte("困"), []byte("丰"), []byte("\U0001F600"), {0xE4}, {0xBD}, {0xFF}, {0xC2}, {0xF0, 0x9F}}
	for i := 0; i < 20_000; i++ {
		var text []byte
		for k := r.IntN(8); k > 0; k-- {
			text = append(text, pieces[r.IntN(len(pieces))]...)
		}
		var v utf8Validator
		rest := text
		for len(rest) > 0 {
			n := r.IntN(len(rest) + 1)
			v.Write(rest[:n])
			rest = rest[n:]
		}
		if v.Valid() != utf8.Valid(text) {
			t.Fatalf("%q in pieces: valid %v, utf8.Valid says %v", text, v.Valid(), utf8.Valid(text))
		}
	}
	gbk, _ := simplifiedchinese.GB18030.NewEncoder().Bytes(s)
	var v utf8Validator
	v.Write(gbk)
	if v.Valid() {
		t.Error("GBK text taken for UTF-8")
	}
	var cut utf8Validator
	cut.Write(s[:len(s)-1]) // a rune cut at the end of the file
	if cut.Valid() {
		t.Error("a truncated rune taken for valid")
	}
}

func TestSniffRefusals(t *testing.T) {
	dir := t.TempDir()
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("xl/workbook.xml")
	w.Write(bytes.Repeat([]byte("<a/>"), 5000))
	zw.Close()
	for name, body := range map[string][]byte{
		"empty.csv":   nil,
		"report.pdf":  []byte("%PDF-1.4\n..."),
		"old.xls":     {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1},
		"notzip.xlsx": []byte("姓名,身份证号\n"),
		"binary.csv":  {'a', 0, 'b', 0},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, body, 0o600)
		if info, err := sniff(p, name, true); err == nil {
			t.Errorf("sniff(%s) = %+v, want a refusal", name, info)
		}
	}
	// A truncated workbook passes the magic bytes but not the unzip.
	p := filepath.Join(dir, "cut.xlsx")
	os.WriteFile(p, zb.Bytes()[:zb.Len()/2], 0o600)
	if _, err := openXLSX(p, ""); err == nil {
		t.Error("truncated xlsx opened")
	}
}

// referenceCSV reads text with encoding/csv alone, as the table did before lines without quotes
// were split by hand: the rows and the line each starts on.
func referenceCSV(text string, comma rune) ([][]string, []int, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = comma
	r.FieldsPerRecord, r.LazyQuotes = -1, true
	var rows [][]string
	var nums []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nums, nil
		}
		if err != nil {
			return rows, nums, err
		}
		line, _ := r.FieldPos(0)
		rows, nums = append(rows, rec), append(nums, line)
	}
}

// The hand split and encoding/csv together read every text exactly as encoding/csv alone:
// quotes, fields over several lines, CRLF and lone CR, blank lines, bare quotes, tabs, lines
// longer than the buffer, a last line without a newline; except where a quote opens a field
// that would swallow rows (see TestCSVStrayQuote), which encoding/csv reads as one cell. Every
// line of every text is accounted for.
func TestCSVLinesAsEncodingCSV(t *testing.T) {
	compared := 0
	r := rand.New(rand.NewPCG(9, 10))
	pieces := []string{"a", "张三", "1,500.00", ",", ",", "\t", "\n", "\n", "\r\n", "\r", "\"", "\"\"", " ", "x\"y", "\"q,\nr\"", strings.Repeat("长", 2000)}
	for i := 0; i < 5000; i++ {
		var b strings.Builder
		for k := r.IntN(40); k > 0; k-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := b.String()
		if text == "" {
			continue
		}
		tb := newCSVTable(strings.NewReader(text), 4096)
		wantRows, wantNums, wantErr := referenceCSV(text, tb.r.Comma)
		var rows [][]string
		var nums []int
		for tb.Next() {
			rows, nums = append(rows, append([]string(nil), tb.Row()...)), append(nums, tb.RowNum())
		}
		if tb.Err() == nil {
			records, blank, continued, physical := tb.Account()
			if records != len(rows) || records+blank+continued != physical || continued < 0 {
				t.Fatalf("%.400q: %d records (%d rows), %d blank, %d continued, %d lines", text, records, len(rows), blank, continued, physical)
			}
		}
		if len(tb.Strays()) > 0 || tb.Err() != nil && strings.Contains(tb.Err().Error(), "stray quote") {
			continue
		}
		compared++
		if (tb.Err() != nil) != (wantErr != nil) || !reflect.DeepEqual(rows, wantRows) || !reflect.DeepEqual(nums, wantNums) {
			t.Fatalf("%.400q:\n got rows %.400q at lines %v (err %v)\nwant rows %.400q at lines %v (err %v)", text, rows, nums, tb.Err(), wantRows, wantNums, wantErr)
		}
	}
	if compared < 2000 {
		t.Errorf("only %d of 5000 texts read without a stray quote", compared)
	}
}

// A quote a clerk typed at the start of a cell ("王伟) is text: the rows after it land as rows
// (encoding/csv alone read 98 of 100 rows as one cell). A cell's own line breaks stay one cell.
func TestCSVStrayQuote(t *testing.T) {
	var b strings.Builder
	b.WriteString("序号,姓名,身份证号,金额\n")
	for i := 1; i <= 100; i++ {
		name := "张三"
		if i == 2 {
			name = "\"王伟"
		}
		fmt.Fprintf(&b, "%d,%s,34082619900101123X,100\n", i, name)
	}
	b.WriteString("合计,,,10000\n")
	cases := []struct {
		name, text string
		rows       int
		strays     []int
		row        int
		cell       string // the second cell of that row
	}{
		{"stray to the end", b.String(), 102, []int{3}, 2, "\"王伟"},
		{"stray closed by a later quoted cell", strings.Replace(b.String(), "50,张三,", "50,\"张三\",", 1), 102, []int{3}, 2, "\"王伟"},
		{"a cell's own line break", "序号,姓名,备注,金额\n1,张三,\"第一行\n第二行,有逗号\",100\n2,李四,,200\n", 3, nil, 1, "张三"},
		{"a line break in the first column", "备注,金额\n\"第一行\n第二行\",100\n", 2, nil, 1, "100"},
		{"quoted amounts", "姓名,金额\n张三,\"1,500.00\"\n李四,\"2,000\"\n", 3, nil, 1, "1,500.00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newCSVTable(strings.NewReader(c.text), 4096)
			var rows [][]string
			for tb.Next() {
				rows = append(rows, append([]string(nil), tb.Row()...))
			}
			if tb.Err() != nil {
				t.Fatal(tb.Err())
			}
			if len(rows) != c.rows || !reflect.DeepEqual(tb.Strays(), c.strays) {
				t.Fatalf("%d rows, strays at %v; want %d rows, strays at %v\n%q", len(rows), tb.Strays(), c.rows, c.strays, rows)
			}
			if rows[c.row][1] != c.cell {
				t.Errorf("row %d: %q", c.row, rows[c.row])
			}
			records, blank, continued, physical := tb.Account()
			if records+blank+continued != physical {
				t.Errorf("%d records + %d blank + %d continued != %d lines", records, blank, continued, physical)
			}
		})
	}
}
