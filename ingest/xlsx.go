package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/minsheng/minsheng"
)

// The workbook reader. We read xlsx ourselves, from the zip with encoding/xml, instead of through
// excelize, for three reasons the attacks on ingest showed:
//   - excelize's row iterator ends quietly on an XML error or a cut zip entry, so a damaged sheet
//     landed in part; here any read error, and a zip entry whose CRC or length does not match
//     (which Go's zip reader reports only at the entry's end, so every entry is read to it),
//     refuses the file whole;
//   - excelize unpacks a large sheet to a temporary file under os.TempDir(): the clear names and
//     ID numbers of the sheet, left behind by a killed process; this reader streams the sheet
//     and writes nothing anywhere;
//   - its size limits trust the sizes the archive declares; here the sheet and the shared strings
//     each have a cap far below excelize's, and Go's reader holds the entry to its declared size.
//
// Cells are read as excelize reads them with RawCellValue: numbers and dates as stored (dates are
// serials), shared and inline strings with their rich-text runs joined and phonetic runs (rPh)
// left out, _xHHHH_ escapes decoded, booleans as 0 and 1, error cells as their text (#VALUE!).

// Limits on what a workbook may unpack to. Measured on the fixtures: the demo county's largest
// sheet (the 低保 roster, a year of monthly rows) is 6 MiB of XML at 8 times its packed size;
// the province-sized bench year (`make bench`, 100 times the county) makes it 630 MiB, the most
// any real file here will be. Ledgers pack 5 to 20 times; a zip bomb a thousand times or more, and
// the ratio stops it before a byte is unpacked (an 11 MB upload unpacks to 660 MB at most, where
// before 2 GB passed). The caps are held while reading, not only as declared.
const (
	maxSheetXML   = 768 << 20 // one sheet's XML, unpacked
	maxSharedXML  = 256 << 20 // the shared-strings table's XML, unpacked
	maxPartXML    = 8 << 20   // the workbook, its relationships and the content types
	maxZipRatio   = 60        // unpacked / packed of the whole archive, past a floor
	zipRatioFloor = 64 << 20  // below this much unpacked, any ratio is harmless
	maxCellRunes  = 32767     // Excel's own limit on a cell's text
)

// errDamaged is the one message for a workbook that cannot be read to its end.
func errDamaged(part string, row int, err error) error {
	if row > 0 {
		return errFile("Excel 文件已损坏或被截断:工作表第 %d 行之后无法读取(%s),整个文件未导入;请在 Excel 中打开并另存为 .xlsx 后重新上传",
			"the Excel file is damaged or truncated: the sheet cannot be read after row %d (%s); nothing of it was ingested; open it in Excel, save it as .xlsx and upload again",
			row, part+": "+err.Error())
	}
	return errFile("Excel 文件已损坏或被截断,无法读取(%s),整个文件未导入;请在 Excel 中打开并另存为 .xlsx 后重新上传",
		"the Excel file is damaged or truncated and cannot be read (%s); nothing of it was ingested; open it in Excel, save it as .xlsx and upload again",
		part+": "+err.Error())
}

func errBomb(unpacked uint64) error {
	return minsheng.Errorf(minsheng.ETOOLARGE,
		"Excel 文件解压后过大(%d MB,压缩率异常),疑似压缩炸弹,已拒绝;真实台账请拆分为多个文件上传",
		"the Excel file unpacks to %d MB at an abnormal ratio (a zip bomb?) and was refused; split a real ledger into several files",
		unpacked>>20)
}

// xlsxTable streams one sheet's rows. Only the shared-strings table (the distinct texts) is held
// in memory.
type xlsxTable struct {
	z       *zip.ReadCloser
	rc      io.ReadCloser
	dec     *xml.Decoder
	sst     []string
	row     []string
	num     int // the row number of Row
	records int
	next    int // the row number of the next <row> element read (0: none read yet)
	cur     []string
	done    bool // </sheetData> reached and the entry read to its end
	err     error
	text    strings.Builder

	hidden     int
	merged     merger // the merged ranges spanning rows
	nextHidden bool   // the pending row is hidden
}

// merge is a merged range that spans rows: every cell of it takes its top-left cell's value, as
// a clerk reads a 乡镇 merged down over its villages' rows.
type merge struct {
	r1, r2, c1, c2 int
	val            string
}

func openXLSX(path, sheet string) (table, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, errFile("Excel 文件已损坏或被截断,无法解压,整个文件未导入;请在 Excel 中打开并另存为 .xlsx 后重新上传",
			"the Excel file is damaged or truncated and cannot be unpacked; nothing of it was ingested; open it in Excel, save it as .xlsx and upload again")
	}
	t, err := newXLSXTable(z, sheet)
	if err != nil {
		z.Close()
		return nil, err
	}
	return t, nil
}

// xlsxSheets lists a workbook's sheets in their order.
func xlsxSheets(path string) ([]string, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, errFile("Excel 文件已损坏或被截断,无法解压,整个文件未导入;请在 Excel 中打开并另存为 .xlsx 后重新上传",
			"the Excel file is damaged or truncated and cannot be unpacked; nothing of it was ingested; open it in Excel, save it as .xlsx and upload again")
	}
	defer z.Close()
	if err := checkRatio(z); err != nil {
		return nil, err
	}
	book, err := newParts(z).workbook()
	if err != nil {
		return nil, err
	}
	refs, err := readSheetList(book)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range refs {
		out = append(out, r.name)
	}
	if len(out) == 0 {
		return nil, errFile("Excel 文件中没有工作表", "the Excel file has no sheet")
	}
	return out, nil
}

// checkRatio refuses an archive that unpacks to far more than a ledger would, before a byte of
// it is unpacked.
func checkRatio(z *zip.ReadCloser) error {
	var packed, unpacked uint64
	for _, f := range z.File {
		packed += f.CompressedSize64
		unpacked += f.UncompressedSize64
	}
	if unpacked > zipRatioFloor && unpacked > maxZipRatio*max(packed, 1) {
		return errBomb(unpacked)
	}
	return nil
}

// parts finds a workbook's parts by name, as written or in another case.
type parts struct {
	files, lower map[string]*zip.File
}

func newParts(z *zip.ReadCloser) parts {
	p := parts{files: map[string]*zip.File{}, lower: map[string]*zip.File{}}
	for _, f := range z.File {
		p.files[f.Name] = f
		p.lower[strings.ToLower(f.Name)] = f
	}
	return p
}

func (p parts) find(name string) *zip.File {
	name = strings.TrimPrefix(name, "/")
	if f, ok := p.files[name]; ok {
		return f
	}
	return p.lower[strings.ToLower(name)]
}

// workbook is the workbook part: the one _rels/.rels names, else xl/workbook.xml.
func (p parts) workbook() (*zip.File, error) {
	book := "xl/workbook.xml"
	if rels, err := readRels(p.find("_rels/.rels"), ""); err != nil {
		return nil, err
	} else if b, ok := rels.byType("officeDocument"); ok {
		book = b
	}
	bf := p.find(book)
	// An Excel binary workbook (.xlsb) is packed as an xlsx is, with its workbook and sheets in
	// binary records: say what it is and how to save it as one that is read.
	if strings.EqualFold(path.Ext(book), ".bin") || bf == nil && p.find("xl/workbook.bin") != nil {
		return nil, errFile("这是 Excel 二进制工作簿(.xlsb),系统不能读取:请在 Excel 中打开,“另存为”Excel 工作簿(.xlsx)后重新上传,整个文件未导入",
			"this is an Excel binary workbook (.xlsb), which is not read: open it in Excel, save it as an Excel Workbook (.xlsx) and upload again; nothing of it was ingested")
	}
	if bf == nil {
		return nil, errFile("文件不是 Excel 工作簿(缺少 workbook.xml),整个文件未导入", "the file is not an Excel workbook (no workbook.xml); nothing of it was ingested")
	}
	return bf, nil
}

func newXLSXTable(z *zip.ReadCloser, sheet string) (*xlsxTable, error) {
	if err := checkRatio(z); err != nil {
		return nil, err
	}
	pp := newParts(z)
	find := pp.find
	bf, err := pp.workbook()
	if err != nil {
		return nil, err
	}
	book := bf.Name
	sheets, err := readSheetList(bf)
	if err != nil {
		return nil, err
	}
	if len(sheets) == 0 {
		return nil, errFile("Excel 文件中没有工作表", "the Excel file has no sheet")
	}
	rels, err := readRels(find(path.Join(path.Dir(book), "_rels", path.Base(book)+".rels")), path.Dir(book))
	if err != nil {
		return nil, err
	}
	want := sheets[0]
	if sheet != "" {
		found := false
		for _, s := range sheets {
			if s.name == sheet {
				want, found = s, true
			}
		}
		if !found {
			return nil, errFile("Excel 文件中没有名为“%s”的工作表", "the Excel file has no sheet named %q", sheet)
		}
	}
	target, ok := rels.byID[want.rid]
	if !ok {
		target = path.Join(path.Dir(book), "worksheets", "sheet1.xml")
	}
	sf := find(target)
	if sf == nil {
		return nil, errFile("无法读取工作表“%s”:工作簿中缺少它的内容", "cannot read sheet %q: its part is missing from the workbook", want.name)
	}
	if sf.UncompressedSize64 > maxSheetXML {
		return nil, errBomb(sf.UncompressedSize64)
	}
	t := &xlsxTable{z: z}
	if p, ok := rels.byType("sharedStrings"); ok || find("xl/sharedStrings.xml") != nil {
		if !ok {
			p = "xl/sharedStrings.xml"
		}
		if f := find(p); f != nil {
			if f.UncompressedSize64 > maxSharedXML {
				return nil, errBomb(f.UncompressedSize64)
			}
			if t.sst, err = t.readShared(f); err != nil {
				return nil, err
			}
		}
	}
	if t.merged.pending, err = readMerges(sf); err != nil {
		return nil, err
	}
	rc, err := sf.Open()
	if err != nil {
		return nil, errDamaged(sf.Name, 0, err)
	}
	t.rc = rc
	t.dec = xml.NewDecoder(bufio.NewReaderSize(rc, 256<<10))
	t.dec.Strict = true
	// Find <sheetData>: rows are inside it.
	for {
		tok, err := t.dec.Token()
		if err != nil {
			rc.Close()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, errDamaged(sf.Name, 0, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "sheetData" {
			break
		}
	}
	return t, nil
}

// readAll reads a small part whole, through the zip reader's length and CRC checks.
func readPart(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, errBomb(f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errDamaged(f.Name, 0, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, errDamaged(f.Name, 0, err)
	}
	return b, nil
}

type rels struct {
	byID   map[string]string
	byTyp  map[string]string // the last path segment of the type: officeDocument, worksheet, sharedStrings
	sorted []string
}

func (r rels) byType(t string) (string, bool) { p, ok := r.byTyp[t]; return p, ok }

// readRels reads a relationships part; targets are made absolute against base (the folder of the
// part the relationships belong to). A missing part is no relationships.
func readRels(f *zip.File, base string) (rels, error) {
	r := rels{byID: map[string]string{}, byTyp: map[string]string{}}
	if f == nil {
		return r, nil
	}
	b, err := readPart(f, maxPartXML)
	if err != nil {
		return r, err
	}
	var doc struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
			Mode   string `xml:"TargetMode,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return r, errDamaged(f.Name, 0, err)
	}
	for _, x := range doc.Rel {
		if x.Mode == "External" {
			continue
		}
		p := x.Target
		if strings.HasPrefix(p, "/") {
			p = strings.TrimPrefix(p, "/")
		} else {
			p = path.Join(base, p)
		}
		r.byID[x.ID] = p
		typ := x.Type[strings.LastIndexByte(x.Type, '/')+1:]
		if _, ok := r.byTyp[typ]; !ok {
			r.byTyp[typ] = p
		}
	}
	return r, nil
}

type sheetRef struct{ name, rid string }

func readSheetList(f *zip.File) ([]sheetRef, error) {
	b, err := readPart(f, maxPartXML)
	if err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	var out []sheetRef
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, errDamaged(f.Name, 0, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "sheet" {
			continue
		}
		var s sheetRef
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "name":
				s.name = a.Value
			case "id":
				s.rid = a.Value
			}
		}
		out = append(out, s)
	}
}

// readShared reads the shared-strings table to its end.
func (t *xlsxTable) readShared(f *zip.File) ([]string, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, errDamaged(f.Name, 0, err)
	}
	defer rc.Close()
	dec := xml.NewDecoder(bufio.NewReaderSize(rc, 256<<10))
	dec.Strict = true
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, errDamaged(f.Name, 0, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "si" {
			s, err := t.readText(dec, "si")
			if err != nil {
				return nil, errDamaged(f.Name, 0, err)
			}
			out = append(out, s)
		}
	}
}

// readText reads the text of a string item (<si> or <is>) up to its end element: the <t>
// elements, directly or in rich-text runs, without the phonetic runs (<rPh>).
func (t *xlsxTable) readText(dec *xml.Decoder, end string) (string, error) {
	t.text.Reset()
	inT, inPh := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			switch x.Name.Local {
			case "t":
				inT++
			case "rPh":
				inPh++
			}
		case xml.EndElement:
			switch x.Name.Local {
			case "t":
				inT--
			case "rPh":
				inPh--
			case end:
				return unescapeOOXML(t.text.String()), nil
			}
		case xml.CharData:
			if inT > 0 && inPh == 0 && t.text.Len() < 4*maxCellRunes {
				t.text.Write(x)
			}
		}
	}
}

func (t *xlsxTable) Next() bool {
	if t.err != nil {
		return false
	}
	t.num++
	if t.next == 0 && !t.done {
		if err := t.readRow(); err != nil {
			t.err = err
			return false
		}
	}
	switch {
	case t.next == 0: // no row left
		t.num--
		return false
	case t.next > t.num: // a row the sheet leaves out: empty
		t.row = t.row[:0]
	default:
		t.row, t.cur = t.cur, t.row[:0]
		t.next = 0
		if t.nextHidden {
			t.hidden++
		}
	}
	t.records++
	t.row = t.merged.apply(t.num, t.row)
	return true
}

// Info: hidden rows read, and rows given a merged cell's value.
func (t *xlsxTable) Info() (hidden, merged int) { return t.hidden, t.merged.rows }

// merger gives rows the values of the merged ranges over them, in every workbook format: every cell of a range spanning rows takes its top-left cell's value.
type merger struct {
	pending []merge // by first row, not reached yet
	active  []merge // those covering rows still to come, with their values
	rows    int     // rows given a merged value
}

func (m *merger) apply(num int, row []string) []string {
	for len(m.pending) > 0 && m.pending[0].r1 <= num {
		x := m.pending[0]
		m.pending = m.pending[1:]
		if x.r1 == num && x.c1 <= len(row) {
			x.val = row[x.c1-1]
		}
		if x.val != "" {
			m.active = append(m.active, x)
		}
	}
	if len(m.active) == 0 {
		return row
	}
	filled := false
	keep := m.active[:0]
	for _, x := range m.active {
		if x.r2 < num {
			continue
		}
		keep = append(keep, x)
		if x.r1 == num {
			continue
		}
		for len(row) < x.c2 {
			row = append(row, "")
		}
		for c := x.c1; c <= x.c2; c++ {
			if row[c-1] == "" {
				row[c-1] = x.val
				filled = true
			}
		}
	}
	m.active = keep
	if filled {
		m.rows++
	}
	return row
}

// readMerges reads a sheet's merged ranges that span rows. They are written after the rows, so
// the sheet is unpacked once more and only scanned for them, not parsed: a pass at the speed of
// decompression, for a value every row below them needs.
func readMerges(f *zip.File) ([]merge, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, errDamaged(f.Name, 0, err)
	}
	defer rc.Close()
	const marker = "mergeCells"
	var tail []byte // from the marker on
	var carry []byte
	buf := make([]byte, 1<<20)
	for {
		n, err := rc.Read(buf)
		if tail != nil {
			if len(tail)+n > 2*maxPartXML {
				return nil, errFile("工作表的合并单元格过多(超过 16 MB),无法读取;请取消合并后重新上传",
					"the sheet has more merged cells than can be read (over 16 MB of them); unmerge them and upload again")
			}
			tail = append(tail, buf[:n]...)
		} else if n > 0 {
			look := append(carry, buf[:n]...)
			// "<" never stands in a cell's text (it is written &lt;): only the element matches,
			// with or without a namespace prefix
			i := bytes.Index(look, []byte("<"+marker))
			if j := bytes.Index(look, []byte(":"+marker)); j >= 0 && (i < 0 || j < i) {
				i = j
			}
			if i >= 0 {
				tail = append([]byte(nil), look[i:]...)
			} else {
				carry = append(carry[:0], look[max(0, len(look)-len(marker)-1):]...)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errDamaged(f.Name, 0, err)
		}
	}
	var out []merge
	for _, m := range mergeRef.FindAllSubmatch(tail, -1) {
		c1, r1, ok1 := cellRef(string(m[1]))
		c2, r2, ok2 := cellRef(string(m[2]))
		if ok1 && ok2 && r2 > r1 && c2 >= c1 {
			out = append(out, merge{r1: r1, r2: r2, c1: c1, c2: c2})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].r1 < out[j].r1 })
	return out, nil
}

var mergeRef = regexp.MustCompile(`<(?:\w+:)?mergeCell\b[^>]*?\bref="\$?([A-Za-z]+\$?[0-9]+):\$?([A-Za-z]+\$?[0-9]+)"`)

// cellRef splits "B12" into column 2, row 12.
func cellRef(ref string) (col, row int, ok bool) {
	ref = strings.ReplaceAll(ref, "$", "")
	col, ok = columnOf(ref)
	if !ok {
		return 0, 0, false
	}
	i := strings.IndexAny(ref, "0123456789")
	if i < 0 {
		return 0, 0, false
	}
	row, err := strconv.Atoi(ref[i:])
	return col, row, err == nil && row >= 1 && row <= 1<<20
}

// readRow reads the next <row> element into t.cur and its number into t.next; at </sheetData>
// it reads the entry to its end (the zip reader checks the length and CRC there) and leaves
// t.next at 0.
func (t *xlsxTable) readRow() error {
	fail := func(err error) error {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return errDamaged("sheet", t.num-1, err)
	}
	for {
		tok, err := t.dec.Token()
		if err != nil {
			return fail(err)
		}
		switch x := tok.(type) {
		case xml.EndElement:
			if x.Name.Local == "sheetData" {
				for { // the rest of the sheet (merged cells, page setup) to the entry's end
					if _, err := t.dec.Token(); err != nil {
						if err == io.EOF {
							if _, err := io.Copy(io.Discard, t.rc); err != nil { // nothing should be left
								return fail(err)
							}
							t.done = true
							return nil
						}
						return fail(err)
					}
				}
			}
		case xml.StartElement:
			if x.Name.Local != "row" {
				continue
			}
			n := t.num
			t.nextHidden = false
			for _, a := range x.Attr {
				switch a.Name.Local {
				case "r":
					v, err := strconv.Atoi(a.Value)
					if err != nil || v < 1 || v > 1<<20 {
						return fail(fmt.Errorf("row number %q", a.Value))
					}
					n = v
				case "hidden":
					t.nextHidden = a.Value == "1" || a.Value == "true"
				}
			}
			if n < t.num {
				return fail(fmt.Errorf("row %d after row %d", n, t.num-1))
			}
			t.next = n
			return t.readCells()
		}
	}
}

// readCells reads the cells of the current <row> into t.cur.
func (t *xlsxTable) readCells() error {
	t.cur = t.cur[:0]
	fail := func(err error) error {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return errDamaged("sheet", t.next, err)
	}
	for {
		tok, err := t.dec.Token()
		if err != nil {
			return fail(err)
		}
		switch x := tok.(type) {
		case xml.EndElement:
			if x.Name.Local == "row" {
				return nil
			}
		case xml.StartElement:
			if x.Name.Local != "c" {
				continue
			}
			col := len(t.cur) + 1
			typ := ""
			for _, a := range x.Attr {
				switch a.Name.Local {
				case "r":
					c, ok := columnOf(a.Value)
					if !ok || c < len(t.cur)+1 {
						return fail(fmt.Errorf("cell reference %q", a.Value))
					}
					col = c
				case "t":
					typ = a.Value
				}
			}
			val, err := t.readCell(typ)
			if err != nil {
				return fail(err)
			}
			if val == "" {
				continue // as excelize: an empty cell adds nothing, and a later one pads
			}
			for len(t.cur) < col-1 {
				t.cur = append(t.cur, "")
			}
			t.cur = append(t.cur, val)
		}
	}
}

// readCell reads one <c> element's value up to </c>.
func (t *xlsxTable) readCell(typ string) (string, error) {
	var v string
	haveV := false
	for {
		tok, err := t.dec.Token()
		if err != nil {
			return "", err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			switch x.Name.Local {
			case "v":
				s, err := t.charData("v")
				if err != nil {
					return "", err
				}
				v, haveV = s, true
			case "is":
				s, err := t.readText(t.dec, "is")
				if err != nil {
					return "", err
				}
				if typ == "inlineStr" {
					v, haveV = s, true
				}
			case "f":
				if err := t.dec.Skip(); err != nil {
					return "", err
				}
			}
		case xml.EndElement:
			if x.Name.Local != "c" {
				continue
			}
			if !haveV {
				return "", nil
			}
			switch typ {
			case "s":
				i, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || i < 0 || i >= len(t.sst) {
					return "", fmt.Errorf("shared string %q out of range", v)
				}
				return t.sst[i], nil
			case "inlineStr":
				return v, nil
			case "str":
				return unescapeOOXML(v), nil
			}
			return v, nil
		}
	}
}

// charData reads the text of a simple element up to its end.
func (t *xlsxTable) charData(end string) (string, error) {
	t.text.Reset()
	for {
		tok, err := t.dec.Token()
		if err != nil {
			return "", err
		}
		switch x := tok.(type) {
		case xml.CharData:
			if t.text.Len() < 4*maxCellRunes {
				t.text.Write(x)
			}
		case xml.EndElement:
			if x.Name.Local == end {
				return t.text.String(), nil
			}
		}
	}
}

// columnOf returns the 1-based column of a cell reference such as "AB12".
func columnOf(ref string) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		col = col*26 + int(c-'A'+1)
		if col > 16384 { // XFD, Excel's last column
			return 0, false
		}
	}
	return col, i > 0
}

// unescapeOOXML decodes the _xHHHH_ escapes Office writes for characters XML cannot hold (a
// control character, or a literal "_x" sequence written as _x005F_).
func unescapeOOXML(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteRune(rune(n))
				i += 7
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// Account: a sheet's rows are numbered by the sheet itself (rows it leaves out are read as
// empty), so every number up to the last is a record.
func (t *xlsxTable) Account() (records, blank, continued, physical int) {
	return t.records, 0, 0, t.num
}

func (t *xlsxTable) Strays() []int { return nil }

func (t *xlsxTable) Row() []string { return t.row }
func (t *xlsxTable) RowNum() int   { return t.num }
func (t *xlsxTable) Err() error    { return t.err }
func (t *xlsxTable) Close() error {
	var err error
	if t.rc != nil {
		err = t.rc.Close()
	}
	return errors.Join(err, t.z.Close())
}
