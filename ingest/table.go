package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/minsheng/minsheng"
)

// table streams the rows of one sheet or CSV file, with the row number a person sees in Excel.
type table interface {
	Next() bool
	Row() []string // valid until the next call to Next
	RowNum() int
	Err() error
	Close() error
}

// Limits on what a file may unpack to. A real ledger compresses 5 to 20 times; a zip bomb a
// thousand times or more.
const (
	maxUnzipped   = 2 << 30  // the whole xlsx, unpacked
	maxZipRatio   = 200      // unpacked / packed, past a small floor
	zipRatioFloor = 64 << 20 // below this much unpacked, any ratio is harmless
)

// fileInfo is what ingest learnt of a file while archiving it.
type fileInfo struct {
	Format   string // xlsx | csv
	Encoding string // utf-8 | utf-8-bom | gb18030 | utf-16le | utf-16be (CSV only)
}

func errFile(zh, en string, args ...any) error {
	return minsheng.Errorf(minsheng.EINVALID, zh, en, args...)
}

// sniff decides a file's format from its first bytes and name, and its text encoding from the
// whole-file UTF-8 validity measured while archiving.
func sniff(path, name string, validUTF8 bool) (fileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileInfo{}, err
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case n == 0:
		return fileInfo{}, errFile("文件为空", "the file is empty")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return fileInfo{Format: "xlsx"}, nil
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return fileInfo{}, errFile("这是旧版 .xls 或加密的 Excel 文件,请在 Excel 中另存为 .xlsx(不加密)后再上传",
			"this is an old .xls or an encrypted Excel file; save it as .xlsx without a password and upload again")
	case ext == ".xlsx" || ext == ".xlsm":
		return fileInfo{}, errFile("文件扩展名为 .xlsx,但内容不是 Excel 工作簿(文件可能已损坏或被截断)",
			"the file is named .xlsx but is not an Excel workbook (it may be damaged or truncated)")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return fileInfo{Format: "csv", Encoding: "utf-16le"}, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return fileInfo{Format: "csv", Encoding: "utf-16be"}, nil
	case bytes.HasPrefix(head, []byte("%PDF")) || bytes.IndexByte(head, 0) >= 0:
		return fileInfo{}, errFile("文件不是 Excel(.xlsx)或 CSV 表格", "the file is not a spreadsheet (.xlsx or CSV)")
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		return fileInfo{Format: "csv", Encoding: "utf-8-bom"}, nil
	case validUTF8:
		return fileInfo{Format: "csv", Encoding: "utf-8"}, nil
	default:
		// What Excel on a Chinese Windows saves as "CSV (逗号分隔)". GB18030 is a superset of GBK.
		return fileInfo{Format: "csv", Encoding: "gb18030"}, nil
	}
}

// openTable opens the sheet (or the CSV text) of a file whose format sniff has decided.
func openTable(path string, info fileInfo, sheet string) (table, error) {
	if info.Format == "xlsx" {
		return openXLSX(path, sheet)
	}
	return openCSV(path, info.Encoding)
}

// csvTable reads CSV or tab-separated text in any of the encodings sniff names. A line without a
// quote is split on the delimiter here, which is all encoding/csv would do with it; a line with a
// quote (which may open a field running over several lines) is read by encoding/csv.
type csvTable struct {
	f        *os.File
	br       *bufio.Reader
	r        *csv.Reader
	comma    byte
	row      []string
	split    []string // the fields of a line split here, reused
	num      int
	err      error
	lines    int // lines read so far, by either
	csvLines int // lines encoding/csv has read so far (its own line numbers count these)
}

const csvBufferSize = 256 << 10

func openCSV(path, enc string) (table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var text io.Reader = f
	switch enc {
	case "utf-8-bom":
		text = transform.NewReader(f, unicode.UTF8BOM.NewDecoder())
	case "gb18030":
		text = transform.NewReader(f, simplifiedchinese.GB18030.NewDecoder())
	case "utf-16le":
		text = transform.NewReader(f, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	case "utf-16be":
		text = transform.NewReader(f, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder())
	}
	t := newCSVTable(text, csvBufferSize)
	t.f = f
	return t, nil
}

func newCSVTable(text io.Reader, size int) *csvTable {
	// At least 4096 bytes: a smaller bufio.Reader would be wrapped by encoding/csv in a buffer of
	// its own, which would read ahead of the lines split here.
	br := bufio.NewReaderSize(text, max(size, 4096))
	head, _ := br.Peek(64 << 10)
	r := csv.NewReader(br) // reads from br itself: a bufio.Reader this large is not wrapped again
	r.Comma = delimiter(head)
	r.FieldsPerRecord = -1 // title and footer rows have fewer cells
	r.LazyQuotes = true
	r.ReuseRecord = true
	return &csvTable{br: br, r: r, comma: byte(r.Comma)}
}

// delimiter picks tab or comma by which the opening lines hold more of, outside quotes: Excel
// saves "Unicode text" and many systems export .txt with tabs, whatever the file is named.
func delimiter(head []byte) rune {
	tabs, commas, quoted := 0, 0, false
	for _, c := range head {
		switch c {
		case '"':
			quoted = !quoted
		case '\t':
			if !quoted {
				tabs++
			}
		case ',':
			if !quoted {
				commas++
			}
		}
	}
	if tabs > commas {
		return '\t'
	}
	return ','
}

func (t *csvTable) Next() bool {
	if t.err != nil {
		return false
	}
	for {
		line, ok := t.peekLine()
		if !ok || bytes.IndexByte(line, '"') >= 0 {
			break
		}
		t.lines++
		body := line[:len(line)-1] // as encoding/csv reads a line: "\r\n" ends it as "\n" does
		if n := len(body); n > 0 && body[n-1] == '\r' {
			body = body[:n-1]
		}
		if len(line) == 1 || len(line) == 2 && line[0] == '\r' { // an empty line: skipped
			t.br.Discard(len(line))
			continue
		}
		rec := string(body) // one string, the fields slices of it, as encoding/csv does
		t.split = t.split[:0]
		for {
			i := strings.IndexByte(rec, t.comma)
			if i < 0 {
				t.split = append(t.split, rec)
				break
			}
			t.split = append(t.split, rec[:i])
			rec = rec[i+1:]
		}
		t.row = t.split
		t.br.Discard(len(line))
		t.num = t.lines
		return true
	}
	rec, err := t.r.Read()
	if err == io.EOF {
		return false
	}
	if err != nil {
		t.err = errFile("CSV 第 %d 行之后无法解析:%v", "CSV cannot be parsed after line %d: %v", t.num, err)
		return false
	}
	// The line the record starts on is the row Excel shows: csv skips blank lines, so counting
	// records would drift. encoding/csv numbers only the lines it read itself.
	start, _ := t.r.FieldPos(0)
	end, _ := t.r.FieldPos(len(rec) - 1)
	end += strings.Count(rec[len(rec)-1], "\n") // a quoted last field may run over lines
	t.num = t.lines + start - t.csvLines
	t.lines += end - t.csvLines
	t.csvLines = end
	t.row = rec
	return true
}

// peekLine returns the next whole line, newline included, without consuming it; false when
// none is buffered whole (the last line without a newline, or one longer than the buffer).
func (t *csvTable) peekLine() ([]byte, bool) {
	for {
		n := t.br.Buffered()
		if n > 0 {
			buf, _ := t.br.Peek(n)
			if i := bytes.IndexByte(buf, '\n'); i >= 0 {
				return buf[:i+1], true
			}
			if n >= t.br.Size() {
				return nil, false
			}
		}
		if _, err := t.br.Peek(n + 1); err != nil {
			return nil, false
		}
	}
}

func (t *csvTable) Row() []string { return t.row }
func (t *csvTable) RowNum() int   { return t.num }
func (t *csvTable) Err() error    { return t.err }
func (t *csvTable) Close() error {
	if t.f == nil {
		return nil
	}
	return t.f.Close()
}

// xlsxTable streams one sheet; a sheet never sits whole in memory, though excelize keeps the
// shared-strings table (the distinct texts) in memory.
type xlsxTable struct {
	f    *excelize.File
	rows *excelize.Rows
	row  []string
	num  int
	err  error
}

func openXLSX(path, sheet string) (table, error) {
	if err := checkZip(path); err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, excelize.Options{
		RawCellValue:      true, // dates as serials, numbers unformatted: we parse them ourselves
		UnzipSizeLimit:    maxUnzipped,
		UnzipXMLSizeLimit: 16 << 20,
	})
	if err != nil {
		return nil, errFile("Excel 文件无法打开(可能已损坏或被截断):%v", "the Excel file cannot be opened (it may be damaged or truncated): %v", err)
	}
	if sheet == "" {
		list := f.GetSheetList()
		if len(list) == 0 {
			f.Close()
			return nil, errFile("Excel 文件中没有工作表", "the Excel file has no sheet")
		}
		sheet = list[0]
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, errFile("无法读取工作表“%s”:%v", "cannot read sheet %q: %v", sheet, err)
	}
	return &xlsxTable{f: f, rows: rows}, nil
}

// checkZip refuses archives that would unpack to far more than any ledger: excelize's own limit
// trusts the sizes the archive declares, and Go's zip reader enforces them while reading.
func checkZip(path string) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return errFile("Excel 文件已损坏或被截断,无法解压", "the Excel file is damaged or truncated and cannot be unpacked")
	}
	defer z.Close()
	var packed, unpacked uint64
	for _, f := range z.File {
		packed += f.CompressedSize64
		unpacked += f.UncompressedSize64
	}
	if unpacked > maxUnzipped || unpacked > zipRatioFloor && unpacked > maxZipRatio*max(packed, 1) {
		return minsheng.Errorf(minsheng.ETOOLARGE,
			"Excel 文件解压后过大(%d MB,压缩率异常),疑似压缩炸弹,已拒绝", "the Excel file unpacks to %d MB at an abnormal ratio (a zip bomb?) and was refused",
			unpacked>>20)
	}
	return nil
}

func (t *xlsxTable) Next() bool {
	if t.err != nil || !t.rows.Next() {
		if t.err == nil && t.rows.Error() != nil {
			t.err = errFile("工作表读取失败:%v", "reading the sheet failed: %v", t.rows.Error())
		}
		return false
	}
	t.num++
	row, err := t.rows.Columns()
	if err != nil {
		t.err = errFile("工作表第 %d 行读取失败:%v", "reading row %d of the sheet failed: %v", t.num, err)
		return false
	}
	t.row = row
	return true
}

func (t *xlsxTable) Row() []string { return t.row }
func (t *xlsxTable) RowNum() int   { return t.num }
func (t *xlsxTable) Err() error    { return t.err }
func (t *xlsxTable) Close() error {
	t.rows.Close()
	return t.f.Close()
}

// utf8Validator tells, across arbitrary chunk boundaries, whether a stream is valid UTF-8.
type utf8Validator struct {
	carry []byte
	bad   bool
}

func (v *utf8Validator) Write(p []byte) (int, error) {
	if v.bad {
		return len(p), nil
	}
	b := p
	if len(v.carry) > 0 {
		// Finish the sequence carried over with p's first bytes, without copying p.
		var buf [8]byte
		h := append(append(buf[:0], v.carry...), p[:min(len(p), 4)]...)
		if !utf8.FullRune(h) { // p is too short to finish it
			v.carry = append(v.carry[:0], h...)
			return len(p), nil
		}
		r, size := utf8.DecodeRune(h)
		if r == utf8.RuneError && size == 1 || size <= len(v.carry) {
			v.bad = true
			return len(p), nil
		}
		b = p[size-len(v.carry):]
		v.carry = v.carry[:0]
	}
	// Hold back an incomplete sequence at the end for the next chunk.
	end := len(b)
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			break
		}
		if c >= 0xC0 { // a start byte: is its sequence complete?
			need := 2
			if c >= 0xE0 {
				need = 3
			}
			if c >= 0xF0 {
				need = 4
			}
			if need > i {
				end = len(b) - i
			}
			break
		}
	}
	if !utf8.Valid(b[:end]) {
		v.bad = true
		return len(p), nil
	}
	v.carry = append(v.carry[:0], b[end:]...)
	return len(p), nil
}

// Valid reports the verdict once the whole stream was written.
func (v *utf8Validator) Valid() bool { return !v.bad && len(v.carry) == 0 }
