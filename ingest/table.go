package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

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
	// Account is what the file held once read to its end: records returned, empty lines
	// skipped, lines that continued a quoted cell, and the lines (or sheet rows) in the file
	// counted apart from the parse; records + blank + continued == physical, or a line was lost.
	Account() (records, blank, continued, physical int)
	Strays() []int // lines whose opening quote was read as text
	// Info: rows of a sheet that are hidden, and rows given a merged cell's value.
	Info() (hidden, merged int)
}

// fileInfo is what ingest learnt of a file while archiving it.
type fileInfo struct {
	Format   string // xlsx | xls | ods | csv
	Encoding string // utf-8 | utf-8-bom | gb18030 | utf-16le | utf-16be (CSV only)
	Comma    rune   // the text's delimiter, one of csvDelimiters; 0: the most frequent (see delimiter)
}

// csvDelimiters are the delimiters text is read with; unreadDelimiters are recognised in a
// header row only to say so.
var (
	csvDelimiters    = []rune{',', '\t', ';'}
	unreadDelimiters = []rune{'|'}
)

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
		// An OpenDocument file names its type first, uncompressed: "mimetype" and the type.
		mime := make([]byte, 128)
		m, _ := f.ReadAt(mime, 30)
		mime = mime[:m]
		switch {
		case bytes.HasPrefix(mime, []byte("mimetypeapplication/vnd.oasis.opendocument.spreadsheet")) || ext == ".ods":
			return fileInfo{Format: "ods"}, nil
		case bytes.HasPrefix(mime, []byte("mimetypeapplication/vnd.oasis.opendocument.")):
			return fileInfo{}, errFile("文件是 OpenDocument 文档而不是表格;请上传 .xlsx、.xls、.ods 或 CSV 表格",
				"the file is an OpenDocument document, not a spreadsheet; upload an .xlsx, .xls, .ods or CSV spreadsheet")
		}
		return fileInfo{Format: "xlsx"}, nil
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}): // OLE2: .xls, or an encrypted xlsx
		if st, err := f.Stat(); err == nil && st.Size() < 512 { // not even the container's header
			return fileInfo{}, errDamaged("OLE2", 0, fmt.Errorf("%d bytes", st.Size()))
		}
		return fileInfo{Format: "xls"}, nil
	case ext == ".xlsx" || ext == ".xlsm":
		return fileInfo{}, errFile("文件扩展名为 .xlsx,但内容不是 Excel 工作簿(文件可能已损坏或被截断)",
			"the file is named .xlsx but is not an Excel workbook (it may be damaged or truncated)")
	case ext == ".ods":
		return fileInfo{}, errFile("文件扩展名为 .ods,但内容不是 ODS 表格(文件可能已损坏或被截断)",
			"the file is named .ods but is not an ODS spreadsheet (it may be damaged or truncated)")
	case ext == ".xls" && webPage(f):
		// What many systems' "导出 Excel" sends: a web page (or Excel 2003 XML) named .xls.
		return fileInfo{}, errFile("文件扩展名为 .xls,但内容是网页(HTML)或 Excel 2003 XML,不是 Excel 工作簿;请在 Excel 或 WPS 中打开,另存为 .xlsx 后重新上传",
			"the file is named .xls but holds a web page (HTML) or Excel 2003 XML, not a workbook; open it in Excel or WPS, save it as .xlsx and upload again")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return fileInfo{Format: "csv", Encoding: "utf-16le"}, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return fileInfo{Format: "csv", Encoding: "utf-16be"}, nil
	case bytes.HasPrefix(head, []byte("%PDF")) || bytes.IndexByte(head, 0) >= 0:
		return fileInfo{}, errFile("文件不是表格:可以上传 Excel(.xlsx、.xls)、WPS 或 LibreOffice 表格(.ods)、CSV 或制表符分隔的文本(.csv、.txt)", "the file is not a spreadsheet: send Excel (.xlsx, .xls), OpenDocument (.ods), CSV or tab-separated text (.csv, .txt)")
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
	switch info.Format {
	case "xlsx":
		return openXLSX(path, sheet)
	case "xls":
		return openXLS(path, sheet)
	case "ods":
		return openODS(path, sheet)
	}
	return openCSV(path, info.Encoding, info.Comma)
}

// workbookSheets lists the sheets of a workbook in their order; nil for text, which has none.
func workbookSheets(path string, info fileInfo) ([]string, error) {
	switch info.Format {
	case "xlsx":
		return xlsxSheets(path)
	case "xls":
		return xlsSheets(path)
	case "ods":
		return odsSheets(path)
	}
	return nil, nil
}

// webPage tells whether a file starts as HTML or XML does (after a BOM and blanks).
func webPage(f *os.File) bool {
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	head = bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte("\xef\xbb\xbf")), " \t\r\n")
	lower := bytes.ToLower(head)
	for _, p := range []string{"<html", "<!doctype html", "<table", "<?xml", "<meta"} {
		if bytes.HasPrefix(lower, []byte(p)) {
			return true
		}
	}
	return false
}

// csvTable reads CSV or tab-separated text in any of the encodings sniff names. A line without a
// quote is split on the delimiter here, which is all encoding/csv would do with it; a line with a
// quote (which may open a field running over several lines) is read by encoding/csv.
//
// A quote that opens a field and does not close on its line is how a clerk types a name
// ("王伟), more often than a cell with a line break in it; encoding/csv would read every line
// after it, up to the next stray quote or the end of the file, as that one cell. So before a line
// with an unclosed quote goes to encoding/csv, the lines the field would run over are looked at:
// when the field never closes, or runs over a line that holds as many fields as the line it
// opens on (a row, not the rest of a cell), the quote is taken as literal text and the line is
// read on its own (counted in strays). Every line read is counted, by the parser and apart from
// it by the bytes themselves (see Account).
type csvTable struct {
	f        *os.File
	br       *bufio.Reader
	r        *csv.Reader
	nl       *lineCounter
	comma    byte
	row      []string
	split    []string // the fields of a line split here, reused
	num      int
	err      error
	lines    int // lines read so far, by either
	csvLines int // lines encoding/csv has read so far (its own line numbers count these)
	records  int
	width    int   // the most fields of a record so far
	blank    int   // empty lines skipped
	strays   []int // lines whose opening quote was read as text
}

const csvBufferSize = 256 << 10

func openCSV(path, enc string, comma rune) (table, error) {
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
	if comma != 0 { // nothing is read yet but the head delimiter peeked at
		t.r.Comma, t.comma = comma, byte(comma)
	}
	return t, nil
}

// lineCounter counts the lines of the decoded text as it passes, apart from any parsing.
type lineCounter struct {
	r        io.Reader
	newlines int
	any      bool // a byte was read
	last     byte
	eof      bool
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.newlines += bytes.Count(p[:n], []byte{'\n'})
		c.last, c.any = p[n-1], true
	}
	if err == io.EOF {
		c.eof = true
	}
	return n, err
}

// lines is the number of lines in the text: a last line without a newline counts.
func (c *lineCounter) lines() int {
	if c.any && c.last != '\n' {
		return c.newlines + 1
	}
	return c.newlines
}

func newCSVTable(text io.Reader, size int) *csvTable {
	nl := &lineCounter{r: text}
	// At least 4096 bytes: a smaller bufio.Reader would be wrapped by encoding/csv in a buffer of
	// its own, which would read ahead of the lines split here.
	br := bufio.NewReaderSize(nl, max(size, 4096))
	head, _ := br.Peek(64 << 10)
	r := csv.NewReader(br) // reads from br itself: a bufio.Reader this large is not wrapped again
	r.Comma = delimiter(head)
	r.FieldsPerRecord = -1 // title and footer rows have fewer cells
	r.LazyQuotes = true
	r.ReuseRecord = true
	return &csvTable{br: br, r: r, nl: nl, comma: byte(r.Comma)}
}

// delimiter picks the separator the opening lines hold the most of, outside quotes: a comma, a
// tab (Excel's "Unicode text", and many systems' .txt exports) or a semicolon (a CSV saved on a
// European-locale desktop), whatever the file is named. A tie is a comma.
func delimiter(head []byte) rune {
	var n [3]int // , \t ;
	quoted := false
	for _, c := range head {
		switch c {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				n[0]++
			}
		case '\t':
			if !quoted {
				n[1]++
			}
		case ';':
			if !quoted {
				n[2]++
			}
		}
	}
	best := 0
	for i := 1; i < 3; i++ {
		if n[i] > n[best] {
			best = i
		}
	}
	return []rune{',', '\t', ';'}[best]
}

func (t *csvTable) Next() bool {
	if t.err != nil {
		return false
	}
	for {
		line, ok := t.peekLine()
		if !ok {
			break
		}
		quoted := bytes.IndexByte(line, '"') >= 0
		if quoted {
			if !t.stray(line) {
				break // quotes encoding/csv reads as the writer meant them
			}
			line, _ = t.peekLine() // stray looked ahead: the buffer may have moved
		}
		t.lines++
		// as encoding/csv reads a line: "\r\n" ends it as "\n" does, and a last line's "\r" goes
		body := trimEOL(line)
		if len(body) == 0 { // an empty line: skipped
			t.br.Discard(len(line))
			t.blank++
			continue
		}
		rec := string(body) // one string, the fields slices of it, as encoding/csv does
		if quoted {
			t.row = literalFields(rec, t.comma, t.split[:0])
			t.strays = append(t.strays, t.lines)
		} else {
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
		}
		t.br.Discard(len(line))
		t.num = t.lines
		t.records++
		t.width = max(t.width, len(t.row))
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
	if _, err := t.br.Peek(1); err == io.EOF && t.lines > t.nl.lines() {
		// A quote left open to the end: encoding/csv took the last newline into the cell.
		t.lines--
	}
	t.row = rec
	// A line longer than the buffer, which stray could not look past: a cell that holds rows is
	// refused, never read as one cell.
	if end > start {
		for _, f := range rec {
			pieces := strings.Split(strings.TrimSuffix(f, "\n"), "\n")
			for _, p := range pieces[1:] {
				if len(literalFields(p, t.comma, nil)) >= max(2, t.width) {
					t.err = errFile("CSV 第 %d 行的引号没有闭合,其后的行会被读成一个单元格;请删去该行多余的引号(\")后重新上传",
						"CSV line %d opens a quote that never closes, so the lines after it would read as one cell; remove the stray quote (\") and upload again", t.num)
					return false
				}
			}
		}
	}
	t.records++
	t.width = max(t.width, len(t.row))
	return true
}

// Account counts the text's lines from its bytes, apart from the parse.
func (t *csvTable) Account() (records, blank, continued, physical int) {
	return t.records, t.blank, t.lines - t.records - t.blank, t.nl.lines()
}

func (t *csvTable) Info() (hidden, merged int) { return 0, 0 }

func (t *csvTable) Strays() []int { return t.strays }

// stray tells whether a line's quotes must be read as text: a field opens on it and never
// closes, or the record it would make runs over a line shaped as a row of the file (as many
// fields as the widest record so far: the header), or holds more fields than any record before.
// A cell's own line break is kept: its later lines hold fewer fields than a row.
func (t *csvTable) stray(line []byte) bool {
	body := trimEOL(line)
	fields, open := scanFields(body, t.comma, false)
	if !open {
		return false // every quoted field closes on the line
	}
	rowShaped := max(2, t.width)
	if t.width == 0 {
		rowShaped = max(2, len(literalFields(string(body), t.comma, nil)))
	}
	// The lines ahead, as far as the buffer holds them; a cell longer than the buffer (256 KB:
	// Excel's own limit on a cell is 32 767 characters) is not a cell.
	ahead, err := t.br.Peek(t.br.Size())
	atEOF := err != nil
	ahead = ahead[len(line):]
	for len(ahead) > 0 {
		i := bytes.IndexByte(ahead, '\n')
		if i < 0 {
			if !atEOF {
				return true
			}
			i = len(ahead) - 1
		}
		next := trimEOL(ahead[:i+1])
		ahead = ahead[i+1:]
		n := len(literalFields(string(next), t.comma, nil))
		rest, closed := closeQuote(next, t.comma)
		if !closed {
			if n >= rowShaped {
				return true // a whole row inside one cell
			}
			continue
		}
		before := next[:len(next)-len(rest)]
		if n >= rowShaped && (bytes.IndexByte(before, t.comma) >= 0 || len(next) > 0 && next[0] == '"') {
			return true // the quote closes inside a row of its own
		}
		post, open := scanFields(rest, t.comma, true)
		if fields += post; t.width > 0 && fields > t.width {
			return true
		}
		if !open {
			return false
		}
	}
	return true // the field runs to the end of the file
}

func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'})
}

// closeQuote finds where a quoted field that is open at the start of b closes, as encoding/csv
// with LazyQuotes closes it (a quote followed by the delimiter or the line's end; "" is a quote),
// and returns what follows the closing quote.
func closeQuote(b []byte, comma byte) (rest []byte, closed bool) {
	for {
		i := bytes.IndexByte(b, '"')
		if i < 0 {
			return nil, false
		}
		b = b[i+1:]
		switch {
		case len(b) > 0 && b[0] == '"':
			b = b[1:]
		case len(b) == 0:
			return b, true
		case b[0] == comma:
			return b, true
		}
	}
}

// scanFields walks a line's fields as encoding/csv would, from the start of a field (or, with
// afterQuote, just after a closing quote); open reports a quoted field left open at its end.
func scanFields(b []byte, comma byte, afterQuote bool) (fields int, open bool) {
	if afterQuote {
		if len(b) == 0 {
			return 0, false
		}
		b = b[1:] // the delimiter after the closing quote
	}
	for {
		fields++
		if len(b) > 0 && b[0] == '"' {
			rest, closed := closeQuote(b[1:], comma)
			if !closed {
				return fields, true
			}
			if len(rest) == 0 {
				return fields, false
			}
			b = rest[1:]
			continue
		}
		i := bytes.IndexByte(b, comma)
		if i < 0 {
			return fields, false
		}
		b = b[i+1:]
	}
}

// literalFields splits one line into fields: a quoted field that closes on the line is unquoted
// as encoding/csv unquotes it; one that does not is text up to the next delimiter, its quote
// kept.
func literalFields(rec string, comma byte, out []string) []string {
	for {
		if len(rec) > 0 && rec[0] == '"' {
			if rest, closed := closeQuote([]byte(rec[1:]), comma); closed {
				inner := rec[1 : len(rec)-len(rest)-1]
				out = append(out, strings.ReplaceAll(inner, `""`, `"`))
				if len(rest) == 0 {
					return out
				}
				rec = rec[len(rec)-len(rest)+1:]
				continue
			}
		}
		i := strings.IndexByte(rec, comma)
		if i < 0 {
			return append(out, rec)
		}
		out = append(out, rec[:i])
		rec = rec[i+1:]
	}
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
			if err == io.EOF && n > 0 { // the last line, without a newline
				buf, _ := t.br.Peek(n)
				return buf, true
			}
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
