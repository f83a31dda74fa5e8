package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/minsheng/minsheng"
)

// The OpenDocument spreadsheet reader (.ods, as LibreOffice and WPS save it): content.xml
// streamed with encoding/xml from the zip, as the xlsx reader streams a sheet, and read to the
// entry's end so that the zip reader's length and CRC checks refuse a damaged file whole.
//
// Cells come out as the xlsx reader gives them: office:value as the shortest decimal (1500,
// 1234.5), a date (office:date-value 2024-03-05) as its Excel serial (45356: days since
// 1899-12-30), a time as the fraction of a day, booleans as 1 and 0, error cells as their text
// (#VALUE!), text as its paragraphs joined by line breaks (comments left out). A formula is its
// cached value.
//
// ODF compresses runs: number-columns-repeated and number-rows-repeated. LibreOffice writes a
// row's trailing empty cells as one cell repeated to column 16384, and the empty rows after the
// data as one row repeated to row 1 048 576: empty runs are counted, never materialised, and
// empty rows after the last one holding a value are not given at all. A repeated cell or row
// that holds a value is given as often as it says, up to Excel's 16 384 columns, 1 048 576 rows
// and maxODSCells cells given in all: a run of a few bytes cannot expand into a sheet no ledger
// is.
//
// Hidden rows (table:visibility collapse or filter) and merged ranges (number-rows-spanned) are
// read, so Info counts as the xlsx reader's does.

const (
	maxODSCells = 32 << 20 // cells holding a value, given from one sheet: about what 768 MB of xlsx holds
	maxODSRows  = 1 << 20
	maxODSCols  = 16384
)

const (
	nsOffice  = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
	nsTable   = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
	nsText    = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
	nsCalcExt = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
)

// errODSDamaged is the one message for a spreadsheet that cannot be read to its end.
func errODSDamaged(row int, err error) error {
	err = cutShort(err)
	if row > 0 {
		return errFile("ODS 表格文件已损坏或被截断:工作表第 %d 行之后无法读取(%v),整个文件未导入;请在 WPS 或 LibreOffice 中打开并另存为 .xlsx 后重新上传",
			"the ODS spreadsheet is damaged or truncated: the sheet cannot be read after row %d (%v); nothing of it was ingested; open it in WPS or LibreOffice, save it as .xlsx and upload again",
			row, err)
	}
	return errFile("ODS 表格文件已损坏或被截断,无法读取(%v),整个文件未导入;请在 WPS 或 LibreOffice 中打开并另存为 .xlsx 后重新上传",
		"the ODS spreadsheet is damaged or truncated and cannot be read (%v); nothing of it was ingested; open it in WPS or LibreOffice, save it as .xlsx and upload again",
		err)
}

// odsRun is a run of empty rows read ahead: given only if a row holding a value follows.
type odsRun struct {
	n      int
	hidden bool
}

// odsTable streams one sheet of content.xml.
type odsTable struct {
	z   *zip.ReadCloser
	rc  io.ReadCloser
	dec *xml.Decoder

	row, cur   []string
	num        int // the row number of Row
	records    int
	repeat     int  // further copies of cur to give
	curHidden  bool // cur's rows are hidden
	empty      []odsRun
	done       bool // the sheet's end reached and content.xml read to its end
	cells      int  // cells holding a value given so far
	read       int  // rows read from the XML, empty ones included
	err        error
	text       strings.Builder
	merged     merger
	hiddenRead int
}

// openODSZip opens the archive and refuses one that is encrypted or unpacks too far.
func openODSZip(path string) (*zip.ReadCloser, *zip.File, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, errFile("ODS 表格文件已损坏或被截断,无法解压,整个文件未导入;请在 WPS 或 LibreOffice 中打开并另存为 .xlsx 后重新上传",
			"the ODS spreadsheet is damaged or truncated and cannot be unpacked; nothing of it was ingested; open it in WPS or LibreOffice, save it as .xlsx and upload again")
	}
	fail := func(err error) (*zip.ReadCloser, *zip.File, error) {
		z.Close()
		return nil, nil, err
	}
	if err := checkRatio(z); err != nil {
		return fail(err)
	}
	pp := newParts(z)
	// A password-protected document keeps its manifest in clear and says there which parts are
	// encrypted; content.xml is then not XML at all.
	if mf := pp.find("META-INF/manifest.xml"); mf != nil {
		b, err := readPart(mf, maxPartXML)
		if err != nil {
			return fail(errODSDamaged(0, err))
		}
		if bytes.Contains(b, []byte("encryption-data")) {
			return fail(errEncrypted())
		}
	}
	content := pp.find("content.xml")
	if content == nil {
		return fail(errFile("文件不是 ODS 表格(缺少 content.xml),整个文件未导入", "the file is not an ODS spreadsheet (no content.xml); nothing of it was ingested"))
	}
	if content.UncompressedSize64 > maxSheetXML {
		return fail(errBomb(content.UncompressedSize64))
	}
	return z, content, nil
}

func newODSDecoder(r io.Reader) *xml.Decoder {
	dec := xml.NewDecoder(bufio.NewReaderSize(r, 256<<10))
	dec.Strict = true
	return dec
}

// nextTable reads up to the next table:table of the spreadsheet and returns its name; io.EOF at
// the document's end.
func nextTable(dec *xml.Decoder) (string, error) {
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Space == nsTable && se.Name.Local == "table" {
			return attr(se, nsTable, "name"), nil
		}
	}
}

func attr(se xml.StartElement, space, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local && a.Name.Space == space {
			return a.Value
		}
	}
	return ""
}

// odsSheets lists a spreadsheet's sheets in their order.
func odsSheets(path string) ([]string, error) {
	z, content, err := openODSZip(path)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	rc, err := content.Open()
	if err != nil {
		return nil, errODSDamaged(0, err)
	}
	defer rc.Close()
	dec := newODSDecoder(rc)
	var out []string
	for {
		name, err := nextTable(dec)
		if err == io.EOF {
			break
		}
		if err == nil {
			out = append(out, name)
			err = dec.Skip()
		}
		if err != nil {
			return nil, errODSDamaged(0, err)
		}
	}
	if len(out) == 0 {
		return nil, errFile("ODS 表格文件中没有工作表", "the ODS spreadsheet has no sheet")
	}
	return out, nil
}

func openODS(path, sheet string) (table, error) {
	z, content, err := openODSZip(path)
	if err != nil {
		return nil, err
	}
	t := &odsTable{z: z}
	fail := func(err error) (table, error) {
		t.Close()
		return nil, err
	}
	if t.rc, err = content.Open(); err != nil {
		return fail(errODSDamaged(0, err))
	}
	t.dec = newODSDecoder(t.rc)
	for first := true; ; first = false {
		name, err := nextTable(t.dec)
		if err == io.EOF {
			if first {
				return fail(errFile("ODS 表格文件中没有工作表", "the ODS spreadsheet has no sheet"))
			}
			return fail(errFile("ODS 表格文件中没有名为“%s”的工作表", "the ODS spreadsheet has no sheet named %q", sheet))
		}
		if err != nil {
			return fail(errODSDamaged(0, err))
		}
		if sheet == "" || name == sheet {
			return t, nil
		}
		if err := t.dec.Skip(); err != nil {
			return fail(errODSDamaged(0, err))
		}
	}
}

func (t *odsTable) Next() bool {
	for t.err == nil {
		switch {
		case len(t.empty) > 0 && (t.repeat > 0 || t.merged.reach() > t.num):
			// empty rows before a row holding a value, or under a merged range running on
			run := &t.empty[0]
			if run.n--; run.n == 0 {
				t.empty = t.empty[1:]
			}
			return t.give(t.cur[:0], run.hidden)
		case t.repeat > 0:
			t.repeat--
			return t.give(t.cur, t.curHidden)
		case t.done:
			return false // the empty rows after the last value are not given
		}
		if err := t.readRow(); err != nil {
			t.err = err
		}
	}
	return false
}

// give makes a row the current one.
func (t *odsTable) give(cells []string, hidden bool) bool {
	if t.num >= maxODSRows {
		t.err = errODSDamaged(t.num, fmt.Errorf("a row past row %d", maxODSRows))
		return false
	}
	if t.cells += len(cells); t.cells > maxODSCells {
		t.err = minsheng.Errorf(minsheng.ETOOLARGE,
			"ODS 表格展开后单元格过多(超过 %d 个),疑似异常文件,已拒绝;真实台账请拆分为多个文件上传",
			"the ODS spreadsheet expands to too many cells (over %d), as no ledger does, and was refused; split a real ledger into several files",
			maxODSCells)
		return false
	}
	t.num++
	t.records++
	t.row = append(t.row[:0], cells...)
	if hidden {
		t.hiddenRead++
	}
	t.row = t.merged.apply(t.num, t.row)
	return true
}

// readRow reads the next table:table-row of the sheet (in a row group or header rows, too) into
// t.cur and t.repeat, or an empty one into t.empty; at the sheet's end it reads content.xml to its
// end and sets t.done.
func (t *odsTable) readRow() error {
	fail := func(err error) error {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return errODSDamaged(t.num, err)
	}
	for {
		tok, err := t.dec.Token()
		if err != nil {
			return fail(err)
		}
		switch x := tok.(type) {
		case xml.EndElement:
			if x.Name.Space == nsTable && x.Name.Local == "table" {
				for { // the other sheets, to the entry's end (the zip reader checks it there)
					if _, err := t.dec.Token(); err != nil {
						if err != io.EOF {
							return fail(err)
						}
						if _, err := io.Copy(io.Discard, t.rc); err != nil {
							return fail(err)
						}
						t.done = true
						return nil
					}
				}
			}
		case xml.StartElement:
			if x.Name.Space != nsTable {
				continue
			}
			switch x.Name.Local {
			case "table-row":
			case "table-column", "table-columns", "table-header-columns", "table-column-group",
				"shapes", "named-expressions", "table-source", "scenario", "dde-source":
				if err := t.dec.Skip(); err != nil {
					return fail(err)
				}
				continue
			default:
				continue // table-row-group, table-header-rows, table-rows: rows inside
			}
			n := 1
			hidden := false
			for _, a := range x.Attr {
				if a.Name.Space != nsTable {
					continue
				}
				switch a.Name.Local {
				case "number-rows-repeated":
					v, err := strconv.Atoi(a.Value)
					if err != nil || v < 1 {
						return fail(fmt.Errorf("number-rows-repeated %q", a.Value))
					}
					n = min(v, maxODSRows+1)
				case "visibility":
					hidden = a.Value == "collapse" || a.Value == "filter"
				}
			}
			if err := t.readCells(t.read + 1); err != nil {
				return fail(err)
			}
			t.read += n
			if len(t.cur) == 0 {
				if k := len(t.empty); k > 0 && t.empty[k-1].hidden == hidden {
					t.empty[k-1].n += n
				} else {
					t.empty = append(t.empty, odsRun{n: n, hidden: hidden})
				}
				continue
			}
			t.repeat, t.curHidden = n, hidden
			return nil
		}
	}
}

// readCells reads the cells of the current table:table-row into t.cur, trailing empty ones left
// out; row is its number, for the merged ranges anchored in it.
func (t *odsTable) readCells(row int) error {
	t.cur = t.cur[:0]
	col := 0 // cells read, empty ones included
	for {
		tok, err := t.dec.Token()
		if err != nil {
			return err
		}
		switch x := tok.(type) {
		case xml.EndElement:
			if x.Name.Space == nsTable && x.Name.Local == "table-row" {
				return nil
			}
		case xml.StartElement:
			if x.Name.Space != nsTable || x.Name.Local != "table-cell" && x.Name.Local != "covered-table-cell" {
				if err := t.dec.Skip(); err != nil {
					return err
				}
				continue
			}
			n, rows, cols := 1, 1, 1
			for _, a := range x.Attr {
				if a.Name.Space != nsTable {
					continue
				}
				var p *int
				switch a.Name.Local {
				case "number-columns-repeated":
					p = &n
				case "number-rows-spanned":
					p = &rows
				case "number-columns-spanned":
					p = &cols
				default:
					continue
				}
				v, err := strconv.Atoi(a.Value)
				if err != nil || v < 1 {
					return fmt.Errorf("%s %q", a.Name.Local, a.Value)
				}
				*p = min(v, maxODSRows+1)
			}
			v, err := t.cellValue(x)
			if err != nil {
				return err
			}
			if rows > 1 && x.Name.Local == "table-cell" && col < maxODSCols {
				t.merged.pending = append(t.merged.pending, merge{r1: row, r2: row + rows - 1, c1: col + 1, c2: min(col+cols, maxODSCols)})
			}
			if v == "" { // empty cells add nothing, as in the xlsx reader; a later one pads
				col = min(col+n, maxODSCols)
				continue
			}
			if col+n > maxODSCols {
				return fmt.Errorf("a cell past column %d", maxODSCols)
			}
			for len(t.cur) < col {
				t.cur = append(t.cur, "")
			}
			for ; n > 0; n-- {
				t.cur = append(t.cur, v)
				col++
			}
		}
	}
}

// cellValue reads a cell element to its end and returns its value as the xlsx reader would.
func (t *odsTable) cellValue(se xml.StartElement) (string, error) {
	typ, calc := attr(se, nsOffice, "value-type"), attr(se, nsCalcExt, "value-type")
	var v string
	switch typ {
	case "float", "percentage", "currency":
		if s := attr(se, nsOffice, "value"); s != "" {
			v = odsNumber(s)
		} else {
			typ = "" // no value: its text
		}
	case "date":
		s := attr(se, nsOffice, "date-value")
		d, ok := odsDate(s)
		if !ok {
			return "", fmt.Errorf("date-value %q", s)
		}
		v = d
	case "time":
		s := attr(se, nsOffice, "time-value")
		d, ok := odsDuration(s)
		if !ok {
			return "", fmt.Errorf("time-value %q", s)
		}
		v = d
	case "boolean":
		if b := attr(se, nsOffice, "boolean-value"); b == "true" || b == "1" {
			v = "1"
		} else {
			v = "0"
		}
	}
	text, err := t.cellText()
	if err != nil {
		return "", err
	}
	switch {
	case calc == "error": // a formula's error: its text is the code, #DIV/0!
		return text, nil
	case typ == "string":
		if s := attr(se, nsOffice, "string-value"); s != "" {
			return s, nil
		}
		return text, nil
	case typ == "":
		return text, nil // no type: an old writer's text, or an empty cell
	}
	return v, nil
}

// cellText reads a cell's paragraphs to the cell's end: their text, joined by line breaks, with
// text:s spaces and text:tab tabs; comments (office:annotation) and drawings are left out.
func (t *odsTable) cellText() (string, error) {
	t.text.Reset()
	paras := 0
	for {
		tok, err := t.dec.Token()
		if err != nil {
			return "", err
		}
		switch x := tok.(type) {
		case xml.EndElement: // the cell's own: its other children are read whole below
			return t.text.String(), nil
		case xml.StartElement:
			if x.Name.Space == nsText && (x.Name.Local == "p" || x.Name.Local == "h") {
				if paras++; paras > 1 {
					t.text.WriteByte('\n')
				}
				if err := t.paragraph(); err != nil {
					return "", err
				}
				continue
			}
			if err := t.dec.Skip(); err != nil {
				return "", err
			}
		}
	}
}

// paragraph reads a text:p to its end into t.text.
func (t *odsTable) paragraph() error {
	depth := 1
	for depth > 0 {
		tok, err := t.dec.Token()
		if err != nil {
			return err
		}
		switch x := tok.(type) {
		case xml.CharData:
			if t.text.Len() < 4*maxCellRunes {
				t.text.Write(x)
			}
		case xml.EndElement:
			depth--
		case xml.StartElement:
			depth++
			if x.Name.Space != nsText {
				continue
			}
			switch x.Name.Local {
			case "s":
				n := 1
				if c, err := strconv.Atoi(attr(x, nsText, "c")); err == nil && c > 0 {
					n = min(c, maxCellRunes)
				}
				if t.text.Len()+n < 4*maxCellRunes {
					t.text.WriteString(strings.Repeat(" ", n))
				}
			case "tab":
				t.text.WriteByte('\t')
			case "line-break":
				t.text.WriteByte('\n')
			case "note", "ruby-text": // a footnote, a reading aid: not the cell's text
				if err := t.dec.Skip(); err != nil {
					return err
				}
				depth--
			}
		}
	}
	return nil
}

// odsNumber writes office:value as xlsNumber writes a number; a value that is not one is kept.
func odsNumber(s string) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return s
	}
	return xlsNumber(f)
}

// odsDate turns office:date-value (2024-03-05, or 2024-03-05T10:30:00) into an Excel serial.
func odsDate(s string) (string, bool) {
	var d time.Time
	var err error
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00"} {
		if d, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		return "", false
	}
	d = time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), d.Nanosecond(), time.UTC)
	days := d.Sub(excelEpoch).Hours() / 24
	return xlsNumber(math.Round(days*1e9) / 1e9), true
}

// odsDuration turns office:time-value (PT10H30M00S) into the fraction of a day Excel stores.
func odsDuration(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "PT")
	if !ok {
		return "", false
	}
	var secs float64
	for rest != "" {
		i := strings.IndexAny(rest, "HMS")
		if i <= 0 {
			return "", false
		}
		v, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return "", false
		}
		secs += v * map[byte]float64{'H': 3600, 'M': 60, 'S': 1}[rest[i]]
		rest = rest[i+1:]
	}
	return xlsNumber(math.Round(secs/86400*1e12) / 1e12), true
}

// Info: hidden rows read, and rows given a merged cell's value.
func (t *odsTable) Info() (hidden, merged int) { return t.hiddenRead, t.merged.rows }

// Account: rows are numbered by the sheet; every number up to the last is a record.
func (t *odsTable) Account() (records, blank, continued, physical int) {
	return t.records, 0, 0, t.num
}

func (t *odsTable) Strays() []int { return nil }
func (t *odsTable) Row() []string { return t.row }
func (t *odsTable) RowNum() int   { return t.num }
func (t *odsTable) Err() error    { return t.err }
func (t *odsTable) Close() error {
	var err error
	if t.rc != nil {
		err = t.rc.Close()
	}
	return errors.Join(err, t.z.Close())
}
