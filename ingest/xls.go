package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/minsheng/minsheng"
)

// The legacy workbook reader: .xls as Excel 97–2003 and WPS save it (BIFF8), and Excel 5/95's
// (BIFF5, whose 8-bit strings are in the workbook's code page: GBK, 936, on a Chinese desktop).
//
// The two readers the module proxy offers were measured on a workbook LibreOffice 7.4 saved as
// .xls (a title, text, an ID number typed as text, a date, a number stored as text, 1234.5, -3,
// cached formula values, a boolean, an error, a second sheet):
//   - github.com/extrame/xls v0.0.1 (2017, its last release) read 1234.5 as the date
//     "1653-06-08T00:25:26Z" and 3 as "1900-01-02T00:00:00Z", lost every formula's value, moved
//     the second sheet's C2 to its first column, and panicked (a nil pointer) on a row the sheet
//     leaves out and on a truncated file;
//   - github.com/shakinm/xlsReader v0.9.12 (2022) read -3 as 1073741821 (an RK integer's sign
//     lost), dropped every formula's cached value (number, text, boolean, error) and refused a
//     truncated file with "EOF".
//
// So the records are read here, from the OLE2 container github.com/richardlehane/mscfb opens
// (excelize's own dependency, for encrypted xlsx). The Workbook stream is read whole (an .xls is
// uncompressed: the stream is no larger than the file, and capped); every record of the sheet is
// framed and checked to the sheet's EOF record before a row is given, so a truncated or damaged
// file is refused whole, as xlsx is.
//
// Cells come out as the xlsx reader gives them: numbers as excelize writes them (the shortest
// decimal, "1500", "1234.5"; dates are serials, 45356), text as text (an ID number typed as
// text intact), booleans as 1 and 0, error cells as their text (#VALUE!), a formula as its cached
// value. Hidden rows (the ROW record's zero height) and merged ranges (MERGEDCELLS) are read, so
// Info counts as the xlsx reader's does.

const (
	maxXLSStream = 128 << 20 // a BIFF8 sheet at its 65 536-row limit with 40 columns is ~40 MB
	maxXLSCells  = 16 << 20  // cell records of one sheet: BIFF8's own 65 536 rows × 256 columns
	maxXLSCols   = 16384     // as the xlsx reader (XFD); BIFF8 itself has 256
)

// BIFF record types.
const (
	biffFormula     = 0x0006
	biffEOF         = 0x000A
	biffFilePass    = 0x002F
	biffContinue    = 0x003C
	biffCodePage    = 0x0042
	biffBoundSheet  = 0x0085
	biffMulRK       = 0x00BD
	biffRString     = 0x00D6
	biffMergedCells = 0x00E5
	biffSST         = 0x00FC
	biffLabelSST    = 0x00FD
	biffNumber      = 0x0203
	biffLabel       = 0x0204
	biffBoolErr     = 0x0205
	biffString      = 0x0207
	biffRow         = 0x0208
	biffArray       = 0x0221
	biffTable       = 0x0236
	biffRK          = 0x027E
	biffBOF         = 0x0809
	biffShrFmla     = 0x04BC
)

func errEncrypted() error {
	return errFile("文件已加密(设有打开密码,或用“保护工作簿”加了密),无法读取;请在 Excel 或 WPS 中打开,在“文件 → 信息 → 保护工作簿 → 用密码进行加密”(WPS:“文件 → 文档加密 → 密码加密”)中清空密码,另存为 .xlsx 后重新上传",
		"the file is encrypted (it has a password to open, or a protected workbook) and cannot be read; open it in Excel or WPS, clear the password (File → Info → Protect Workbook → Encrypt with Password; WPS: File → Document Encryption), save it as .xlsx and upload again")
}

func errXLSTooOld() error {
	return errFile("这是 Excel 2.x–4.0 的旧格式,无法读取;请在 Excel 或 WPS 中打开,另存为 .xlsx 后重新上传",
		"this is an Excel 2.x–4.0 file, too old to read; open it in Excel or WPS, save it as .xlsx and upload again")
}

func errNotWorkbook() error {
	return errFile("文件不是 Excel 工作簿(可能是 Word 等其他 Office 文件),整个文件未导入;请上传 .xlsx、.xls、.ods 或 CSV 表格",
		"the file is not an Excel workbook (another Office file, such as a Word document); nothing of it was ingested; upload an .xlsx, .xls, .ods or CSV spreadsheet")
}

// xlsBook is a workbook's stream and what its globals hold.
type xlsBook struct {
	data   []byte
	biff8  bool
	enc    encoding.Encoding // BIFF5's 8-bit strings
	sst    []string
	sheets []xlsSheet
}

type xlsSheet struct {
	name string
	off  int // of the sheet's BOF record in the stream
}

// biffRec is one record: its type and its body's place in the stream.
type biffRec struct {
	typ    uint16
	off, n int
}

func (b *xlsBook) rec(off int) (biffRec, error) {
	if off < 0 || off+4 > len(b.data) {
		return biffRec{}, io.ErrUnexpectedEOF
	}
	r := biffRec{typ: binary.LittleEndian.Uint16(b.data[off:]), off: off + 4, n: int(binary.LittleEndian.Uint16(b.data[off+2:]))}
	if r.off+r.n > len(b.data) {
		return biffRec{}, io.ErrUnexpectedEOF
	}
	return r, nil
}

func (b *xlsBook) body(r biffRec) []byte { return b.data[r.off : r.off+r.n] }

// cursor reads a record's body and the CONTINUE records after it as one run of bytes.
func (b *xlsBook) cursor(r biffRec) *biffCursor {
	c := &biffCursor{parts: [][]byte{b.body(r)}}
	for off := r.off + r.n; ; {
		n, err := b.rec(off)
		if err != nil || n.typ != biffContinue {
			return c
		}
		c.parts = append(c.parts, b.body(n))
		off = n.off + n.n
	}
}

func openXLSBook(path string) (*xlsBook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data, err := readXLSStream(f, st.Size())
	if err != nil {
		return nil, err
	}
	b := &xlsBook{data: data}
	if err := b.readGlobals(); err != nil {
		return nil, err
	}
	return b, nil
}

// readXLSStream reads the workbook stream out of the OLE2 container. mscfb reads bytes anyone may
// send: a panic in it is a damaged file, not a crash.
func readXLSStream(f *os.File, size int64) (data []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			data, err = nil, errDamaged("OLE2", 0, fmt.Errorf("%v", p))
		}
	}()
	if err := checkOLE2Whole(f, size); err != nil {
		return nil, errDamaged("OLE2", 0, cutShort(err))
	}
	doc, err := mscfb.New(f)
	if err != nil {
		return nil, errDamaged("OLE2", 0, cutShort(err))
	}
	var book *mscfb.File
	encrypted := false
	for e, err := doc.Next(); err != io.EOF; e, err = doc.Next() {
		if err != nil {
			return nil, errDamaged("OLE2", 0, cutShort(err))
		}
		if len(e.Path) > 0 { // in a storage: an embedded object's
			continue
		}
		switch strings.ToLower(e.Name) {
		case "workbook": // BIFF8
			book = e
		case "book": // BIFF5, unless a Workbook stream is there too
			if book == nil {
				book = e
			}
		case "encryptioninfo", "encryptedpackage": // an xlsx with a password to open
			encrypted = true
		}
	}
	switch {
	case encrypted:
		return nil, errEncrypted()
	case book == nil:
		return nil, errNotWorkbook()
	case book.Size > maxXLSStream:
		return nil, minsheng.Errorf(minsheng.ETOOLARGE,
			"Excel 文件过大(工作簿 %d MB,上限 %d MB),已拒绝;请拆分为多个文件上传",
			"the Excel file is too large (a workbook of %d MB, at most %d MB is read); split it into several files",
			book.Size>>20, maxXLSStream>>20)
	case book.Size > size: // a stream cannot hold more than the file: a chain that runs in circles
		return nil, errDamaged("Workbook", 0, fmt.Errorf("stream of %d bytes in a file of %d", book.Size, size))
	}
	data = make([]byte, book.Size)
	if _, err := io.ReadFull(book, data); err != nil {
		return nil, errDamaged("Workbook", 0, cutShort(err))
	}
	return data, nil
}

// cutShort names an end of file met too soon in words: the message is for a clerk.
func cutShort(err error) error {
	if strings.Contains(err.Error(), "EOF") {
		return errors.New("the file ends before it should")
	}
	return err
}

// checkOLE2Whole refuses a container cut short: every sector its allocation table uses must
// start inside the file. mscfb reads only the sectors of the streams asked for, so a file cut
// after the workbook stream (its directory, its summary) would otherwise open; a cut file is
// refused whole, as a cut zip is.
func checkOLE2Whole(f io.ReaderAt, size int64) error {
	head := make([]byte, 512)
	if _, err := f.ReadAt(head, 0); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	shift := binary.LittleEndian.Uint16(head[0x1E:])
	if shift != 9 && shift != 12 {
		return fmt.Errorf("sector size 2^%d", shift)
	}
	ss := int64(1) << shift
	// sector n starts at (n+1)*ss: the header fills sector -1. One that starts in the file is
	// held (the last may be short: some writers do not pad it).
	held := max(0, (size-ss+ss-1)/ss)
	nFAT := int64(binary.LittleEndian.Uint32(head[0x2C:]))
	if nFAT < 1 || nFAT > held {
		return fmt.Errorf("%d allocation sectors in a file of %d", nFAT, held)
	}
	// where the allocation table is: 109 sectors named in the header, the rest in a chain
	var fat []uint32
	for i := 0; i < 109 && int64(len(fat)) < nFAT; i++ {
		fat = append(fat, binary.LittleEndian.Uint32(head[0x4C+4*i:]))
	}
	buf := make([]byte, ss)
	next := binary.LittleEndian.Uint32(head[0x44:])
	for hops := int64(0); int64(len(fat)) < nFAT; hops++ {
		if hops > held || int64(next) >= held {
			return fmt.Errorf("DIFAT sector %d of %d", next, held)
		}
		if _, err := f.ReadAt(buf, (int64(next)+1)*ss); err != nil {
			return fmt.Errorf("DIFAT sector %d: %w", next, err)
		}
		for i := int64(0); i < ss/4-1 && int64(len(fat)) < nFAT; i++ {
			fat = append(fat, binary.LittleEndian.Uint32(buf[4*i:]))
		}
		next = binary.LittleEndian.Uint32(buf[ss-4:])
	}
	for k, sec := range fat {
		if int64(sec) >= held {
			return fmt.Errorf("allocation sector %d past the file's %d", sec, held)
		}
		if _, err := f.ReadAt(buf, (int64(sec)+1)*ss); err != nil {
			return fmt.Errorf("allocation sector %d: %w", sec, err)
		}
		for i := int64(0); i < ss/4; i++ {
			n := int64(k)*(ss/4) + i
			if e := binary.LittleEndian.Uint32(buf[4*i:]); e != 0xFFFFFFFF && n >= held { // not FREESECT
				return fmt.Errorf("sector %d in use, past the file's %d", n, held)
			}
		}
	}
	return nil
}

// readGlobals reads the workbook globals: the sheets, the shared strings, the code page, and
// refuses an encrypted workbook.
func (b *xlsBook) readGlobals() error {
	fail := func(err error) error { return errDamaged("Workbook", 0, cutShort(err)) }
	r, err := b.rec(0)
	if err != nil {
		return fail(err)
	}
	switch r.typ {
	case biffBOF:
	case 0x0009, 0x0209, 0x0409: // BIFF2, 3, 4
		return errXLSTooOld()
	default:
		return fail(fmt.Errorf("no BOF record"))
	}
	body := b.body(r)
	if len(body) < 4 {
		return fail(fmt.Errorf("short BOF record"))
	}
	switch binary.LittleEndian.Uint16(body) {
	case 0x0600:
		b.biff8 = true
	case 0x0500:
	default:
		return errXLSTooOld()
	}
	if binary.LittleEndian.Uint16(body[2:]) != 0x0005 { // a lone worksheet, as Excel 4 saved
		return errXLSTooOld()
	}
	b.enc = simplifiedchinese.GB18030
	for off := r.off + r.n; ; {
		r, err := b.rec(off)
		if err != nil {
			return fail(err)
		}
		off = r.off + r.n
		body := b.body(r)
		switch r.typ {
		case biffEOF:
			if len(b.sheets) == 0 {
				return errFile("Excel 文件中没有工作表", "the Excel file has no sheet")
			}
			return nil
		case biffFilePass:
			return errEncrypted()
		case biffCodePage:
			if len(body) >= 2 {
				b.enc = codePage(binary.LittleEndian.Uint16(body))
			}
		case biffBoundSheet:
			if len(body) < 7 {
				return fail(fmt.Errorf("short BOUNDSHEET record"))
			}
			if body[5] != 0 { // a chart, macro or VBA sheet: no cells
				continue
			}
			c := &biffCursor{parts: [][]byte{body[6:]}}
			n, err := c.byte()
			if err != nil {
				return fail(err)
			}
			var name string
			if b.biff8 {
				name, err = c.unicode(int(n))
			} else {
				name, err = c.bytes8(int(n), b.enc)
			}
			if err != nil {
				return fail(fmt.Errorf("sheet name: %w", err))
			}
			b.sheets = append(b.sheets, xlsSheet{name: name, off: int(binary.LittleEndian.Uint32(body))})
		case biffSST:
			if err := b.readSST(r); err != nil {
				return fail(fmt.Errorf("shared strings: %w", err))
			}
		}
	}
}

// codePage is the encoding of a BIFF5 workbook's 8-bit strings. A code page not listed is read
// as GB18030: the county's, and what an unmarked Chinese file is.
func codePage(cp uint16) encoding.Encoding {
	switch cp {
	case 950:
		return traditionalchinese.Big5
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1252, 0x8001:
		return charmap.Windows1252
	case 10000, 0x8000:
		return charmap.Macintosh
	}
	return simplifiedchinese.GB18030 // 936 (GBK), and the rest
}

// readSST reads the shared-strings table, over its CONTINUE records.
func (b *xlsBook) readSST(r biffRec) error {
	c := b.cursor(r)
	if err := c.skip(4); err != nil { // the count of uses
		return err
	}
	unique, err := c.u32()
	if err != nil {
		return err
	}
	b.sst = make([]string, 0, min(int(unique), r.n))
	for i := uint32(0); i < unique && !c.done(); i++ {
		s, err := c.richString()
		if err != nil {
			return fmt.Errorf("string %d: %w", i, err)
		}
		b.sst = append(b.sst, s)
	}
	return nil
}

// biffCursor reads across a record's body and its CONTINUE records.
type biffCursor struct {
	parts [][]byte
	p, i  int
}

// done: no byte left.
func (c *biffCursor) done() bool {
	for c.p < len(c.parts) && c.i >= len(c.parts[c.p]) {
		c.p, c.i = c.p+1, 0
	}
	return c.p >= len(c.parts)
}

func (c *biffCursor) byte() (byte, error) {
	if c.done() {
		return 0, io.ErrUnexpectedEOF
	}
	v := c.parts[c.p][c.i]
	c.i++
	return v, nil
}

func (c *biffCursor) u16() (uint16, error) {
	lo, err := c.byte()
	if err != nil {
		return 0, err
	}
	hi, err := c.byte()
	return uint16(lo) | uint16(hi)<<8, err
}

func (c *biffCursor) u32() (uint32, error) {
	lo, err := c.u16()
	if err != nil {
		return 0, err
	}
	hi, err := c.u16()
	return uint32(lo) | uint32(hi)<<16, err
}

func (c *biffCursor) skip(n int) error {
	for n > 0 {
		if c.done() {
			return io.ErrUnexpectedEOF
		}
		k := min(n, len(c.parts[c.p])-c.i)
		c.i += k
		n -= k
	}
	return nil
}

// unicode reads a BIFF8 string's flags byte and n characters. A string split over a CONTINUE
// record goes on after a flags byte of its own there: the split part may be stored in the other
// width.
func (c *biffCursor) unicode(n int) (string, error) {
	flags, err := c.byte()
	if err != nil {
		return "", err
	}
	return c.chars(n, flags&1 != 0)
}

func (c *biffCursor) chars(n int, wide bool) (string, error) {
	u := make([]uint16, 0, n)
	for n > 0 {
		if c.p >= len(c.parts) {
			return "", io.ErrUnexpectedEOF
		}
		if c.i >= len(c.parts[c.p]) { // the string goes on in the next CONTINUE record
			c.p, c.i = c.p+1, 0
			if c.p >= len(c.parts) || len(c.parts[c.p]) == 0 {
				return "", io.ErrUnexpectedEOF
			}
			wide = c.parts[c.p][0]&1 != 0
			c.i = 1
			continue
		}
		part := c.parts[c.p][c.i:]
		if wide {
			k := min(n, len(part)/2)
			if k == 0 {
				return "", fmt.Errorf("a character split across records")
			}
			for j := 0; j < k; j++ {
				u = append(u, binary.LittleEndian.Uint16(part[2*j:]))
			}
			c.i += 2 * k
			n -= k
		} else { // "compressed": the low bytes of UTF-16, that is Latin-1
			k := min(n, len(part))
			for _, x := range part[:k] {
				u = append(u, uint16(x))
			}
			c.i += k
			n -= k
		}
	}
	return string(utf16.Decode(u)), nil
}

// richString reads a shared string (XLUnicodeRichExtendedString): its rich-text runs and its
// phonetic block are left out, as the xlsx reader leaves out rPh.
func (c *biffCursor) richString() (string, error) {
	n, err := c.u16()
	if err != nil {
		return "", err
	}
	flags, err := c.byte()
	if err != nil {
		return "", err
	}
	var runs uint16
	var ext uint32
	if flags&0x08 != 0 {
		if runs, err = c.u16(); err != nil {
			return "", err
		}
	}
	if flags&0x04 != 0 {
		if ext, err = c.u32(); err != nil {
			return "", err
		}
	}
	s, err := c.chars(int(n), flags&1 != 0)
	if err != nil {
		return "", err
	}
	if err := c.skip(4 * int(runs)); err != nil {
		return "", err
	}
	if ext > uint32(maxXLSStream) {
		return "", fmt.Errorf("phonetic block of %d bytes", ext)
	}
	return s, c.skip(int(ext))
}

// bytes8 reads n 8-bit characters in the workbook's code page (BIFF5).
func (c *biffCursor) bytes8(n int, enc encoding.Encoding) (string, error) {
	raw := make([]byte, 0, n)
	for ; n > 0; n-- {
		x, err := c.byte()
		if err != nil {
			return "", err
		}
		raw = append(raw, x)
	}
	ascii := true
	for _, x := range raw {
		if x >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(raw), nil
	}
	s, err := enc.NewDecoder().Bytes(raw)
	if err != nil {
		return "", err
	}
	return string(s), nil
}

// label reads a cell's or a formula result's own string (XLUnicodeString; BIFF5: 8-bit).
func (b *xlsBook) label(c *biffCursor) (string, error) {
	n, err := c.u16()
	if err != nil {
		return "", err
	}
	if b.biff8 {
		return c.unicode(int(n))
	}
	return c.bytes8(int(n), b.enc)
}

// xlsSheets lists a workbook's worksheets in their order.
func xlsSheets(path string) ([]string, error) {
	b, err := openXLSBook(path)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(b.sheets))
	for i, s := range b.sheets {
		out[i] = s.name
	}
	return out, nil
}

// xlsCell is where a record holding cells of a row starts.
type xlsCell struct {
	off uint32
	row uint16
}

// xlsTable gives one sheet's rows, from the cell records found and checked when it was opened.
type xlsTable struct {
	b       *xlsBook
	cells   []xlsCell // by row
	ci      int
	last    int // the last row holding a cell record
	hidden  map[int]bool
	row     []string
	num     int
	records int
	err     error
	merged  merger

	hiddenRead int
}

func openXLS(path, sheet string) (table, error) {
	b, err := openXLSBook(path)
	if err != nil {
		return nil, err
	}
	want := b.sheets[0]
	if sheet != "" {
		found := false
		for _, s := range b.sheets {
			if s.name == sheet {
				want, found = s, true
				break
			}
		}
		if !found {
			return nil, errFile("Excel 文件中没有名为“%s”的工作表", "the Excel file has no sheet named %q", sheet)
		}
	}
	return b.openSheet(want)
}

// openSheet frames every record of a sheet up to its EOF (a chart embedded in it has BOF and
// EOF of its own), noting where its cells, row heights and merged ranges are.
func (b *xlsBook) openSheet(s xlsSheet) (*xlsTable, error) {
	fail := func(err error) error { return errDamaged("sheet "+s.name, 0, cutShort(err)) }
	t := &xlsTable{b: b, hidden: map[int]bool{}}
	r, err := b.rec(s.off)
	if err != nil {
		return nil, fail(err)
	}
	if r.typ != biffBOF {
		return nil, fail(fmt.Errorf("no BOF record at %d", s.off))
	}
	sorted := true
	depth := 0
	for off := s.off; ; {
		r, err := b.rec(off)
		if err != nil {
			return nil, fail(err)
		}
		rOff := off
		off = r.off + r.n
		switch r.typ {
		case biffBOF:
			depth++
			continue
		case biffEOF:
			if depth--; depth == 0 {
				sort.Slice(t.merged.pending, func(i, j int) bool { return t.merged.pending[i].r1 < t.merged.pending[j].r1 })
				if !sorted { // a writer that wrote cells out of row order
					sort.SliceStable(t.cells, func(i, j int) bool { return t.cells[i].row < t.cells[j].row })
				}
				if len(t.cells) > 0 {
					t.last = int(t.cells[len(t.cells)-1].row) + 1
				}
				return t, nil
			}
			continue
		}
		if depth > 1 {
			continue // an embedded chart's
		}
		body := b.body(r)
		switch r.typ {
		case biffLabelSST, biffLabel, biffRString, biffNumber, biffRK, biffMulRK, biffFormula, biffBoolErr:
			if len(body) < 6 {
				return nil, fail(fmt.Errorf("record %04X of %d bytes", r.typ, len(body)))
			}
			row := binary.LittleEndian.Uint16(body)
			last := int(binary.LittleEndian.Uint16(body[2:]))
			if r.typ == biffMulRK {
				last = int(binary.LittleEndian.Uint16(body[len(body)-2:]))
			}
			if last >= maxXLSCols {
				return nil, fail(fmt.Errorf("row %d: column %d", row+1, last+1))
			}
			if len(t.cells) >= maxXLSCells {
				return nil, minsheng.Errorf(minsheng.ETOOLARGE,
					"工作表的单元格过多(超过 %d 个),已拒绝;请拆分为多个文件上传",
					"the sheet has too many cells (over %d); split it into several files", maxXLSCells)
			}
			if n := len(t.cells); n > 0 && t.cells[n-1].row > row {
				sorted = false
			}
			t.cells = append(t.cells, xlsCell{off: uint32(rOff), row: row})
		case biffRow:
			if len(body) >= 16 && binary.LittleEndian.Uint16(body[12:])&0x20 != 0 { // fDyZero
				t.hidden[int(binary.LittleEndian.Uint16(body))+1] = true
			}
		case biffMergedCells:
			if len(body) < 2 {
				return nil, fail(fmt.Errorf("short MERGEDCELLS record"))
			}
			n := int(binary.LittleEndian.Uint16(body))
			if len(body) < 2+8*n {
				return nil, fail(fmt.Errorf("MERGEDCELLS of %d ranges in %d bytes", n, len(body)))
			}
			for i := 0; i < n; i++ {
				x := body[2+8*i:]
				r1, r2 := int(binary.LittleEndian.Uint16(x))+1, int(binary.LittleEndian.Uint16(x[2:]))+1
				c1, c2 := int(binary.LittleEndian.Uint16(x[4:]))+1, int(binary.LittleEndian.Uint16(x[6:]))+1
				if r2 > r1 && c2 >= c1 && c2 <= maxXLSCols {
					t.merged.pending = append(t.merged.pending, merge{r1: r1, r2: r2, c1: c1, c2: c2})
				}
			}
		}
	}
}

func (t *xlsTable) Next() bool {
	if t.err != nil || t.num >= t.last {
		return false
	}
	t.num++
	t.row = t.row[:0]
	for ; t.ci < len(t.cells) && int(t.cells[t.ci].row)+1 == t.num; t.ci++ {
		if err := t.readCells(int(t.cells[t.ci].off)); err != nil {
			t.err = errDamaged("sheet", t.num-1, cutShort(err))
			t.num--
			return false
		}
	}
	t.records++
	if t.hidden[t.num] {
		t.hiddenRead++
	}
	t.row = t.merged.apply(t.num, t.row)
	return true
}

// set puts a cell's value in the current row: an empty one adds nothing, as in the xlsx reader.
func (t *xlsTable) set(col int, v string) {
	if v == "" {
		return
	}
	for len(t.row) <= col {
		t.row = append(t.row, "")
	}
	t.row[col] = v
}

// readCells reads the cell record at off into the current row.
func (t *xlsTable) readCells(off int) error {
	b := t.b
	r, err := b.rec(off)
	if err != nil {
		return err
	}
	body := b.body(r)
	col := int(binary.LittleEndian.Uint16(body[2:]))
	short := func() error { return fmt.Errorf("record %04X of %d bytes", r.typ, len(body)) }
	switch r.typ {
	case biffLabelSST:
		if len(body) < 10 {
			return short()
		}
		i := binary.LittleEndian.Uint32(body[6:])
		if int64(i) >= int64(len(b.sst)) {
			return fmt.Errorf("shared string %d out of range", i)
		}
		t.set(col, b.sst[i])
	case biffLabel, biffRString:
		c := b.cursor(r)
		c.i = 6
		s, err := b.label(c)
		if err != nil {
			return err
		}
		t.set(col, s)
	case biffNumber:
		if len(body) < 14 {
			return short()
		}
		t.set(col, xlsNumber(math.Float64frombits(binary.LittleEndian.Uint64(body[6:]))))
	case biffRK:
		if len(body) < 10 {
			return short()
		}
		t.set(col, xlsNumber(rk(binary.LittleEndian.Uint32(body[6:]))))
	case biffMulRK:
		n := (len(body) - 6) / 6
		for i := 0; i < n; i++ {
			t.set(col+i, xlsNumber(rk(binary.LittleEndian.Uint32(body[4+6*i+2:]))))
		}
	case biffBoolErr:
		if len(body) < 8 {
			return short()
		}
		t.set(col, boolErr(body[6], body[7] != 0))
	case biffFormula:
		if len(body) < 14 {
			return short()
		}
		v := body[6:14]
		if v[6] != 0xFF || v[7] != 0xFF {
			t.set(col, xlsNumber(math.Float64frombits(binary.LittleEndian.Uint64(v))))
			return nil
		}
		switch v[0] {
		case 1: // boolean
			t.set(col, boolErr(v[2], false))
		case 2: // error
			t.set(col, boolErr(v[2], true))
		case 0: // text: in the STRING record after the formula's own
			s, err := b.formulaString(r.off + r.n)
			if err != nil {
				return err
			}
			t.set(col, s)
		}
	}
	return nil
}

// formulaString reads the STRING record holding a text formula's cached value, which follows
// the FORMULA record and the shared or array formula records that go with it.
func (b *xlsBook) formulaString(off int) (string, error) {
	for {
		r, err := b.rec(off)
		if err != nil {
			return "", err
		}
		switch r.typ {
		case biffShrFmla, biffArray, biffTable, biffContinue:
			off = r.off + r.n
			continue
		case biffString:
			return b.label(b.cursor(r))
		}
		return "", nil // none written: an empty text
	}
}

// rk decodes an RK number: an integer or the high half of a double, either maybe ×100.
func rk(v uint32) float64 {
	var f float64
	if v&2 != 0 {
		f = float64(int32(v) >> 2)
	} else {
		f = math.Float64frombits(uint64(v&^3) << 32)
	}
	if v&1 != 0 {
		f /= 100
	}
	return f
}

// xlsNumber writes a number as the xlsx reader gives one excelize wrote: the shortest decimal
// ("1500", "1234.5", "0.0000001"). An integer past Excel's 15 significant digits is written as
// Excel writes it in xlsx, 3.40826199001011E+17: an ID number Excel took for a number, which
// idcard must recognise as one whose last digits are lost.
func xlsNumber(f float64) string {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	if math.Abs(f) >= 1e15 && f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'E', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// boolErr is a boolean as the xlsx reader gives it (1, 0) or an error cell's text.
func boolErr(v byte, isErr bool) string {
	if !isErr {
		if v != 0 {
			return "1"
		}
		return "0"
	}
	switch v {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	case 0x2A:
		return "#N/A"
	case 0x2B:
		return "#GETTING_DATA"
	}
	return "#VALUE!"
}

// Info: hidden rows read, and rows given a merged cell's value.
func (t *xlsTable) Info() (hidden, merged int) { return t.hiddenRead, t.merged.rows }

// Account: rows are numbered by the sheet; every number up to the last is a record.
func (t *xlsTable) Account() (records, blank, continued, physical int) {
	return t.records, 0, 0, t.num
}

func (t *xlsTable) Strays() []int { return nil }
func (t *xlsTable) Row() []string { return t.row }
func (t *xlsTable) RowNum() int   { return t.num }
func (t *xlsTable) Err() error    { return t.err }
func (t *xlsTable) Close() error  { t.b = nil; return nil }

// reach is the last row an active merged range covers (0: none).
func (m *merger) reach() int {
	r := 0
	for _, x := range m.active {
		r = max(r, x.r2)
	}
	return r
}
