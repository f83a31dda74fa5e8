package ingest_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/idcard"
	"github.com/minsheng/minsheng/lake"
)

// Whole-file fuzz targets: the bytes are ingested as an upload through New and IngestFile into
// a fresh data folder, and the folder is checked end to end. Every input ends in one of two
// ways: landed (every data row counted once, landed or rejected with a reason, the lake and the
// quarantine holding exactly those rows), or refused whole with a message in Chinese and
// English and nothing in the lake. Seeds: testdata/fuzz/FuzzIngestCSV (realistic CSVs of the
// registry's sources: GBK, BOM, tabs, quoted line breaks, a stray opening quote, title rows, 合计
// footers) and xlsx workbooks made here with excelize.

// fuzzSources are the sources a fuzz input may be sent to: the input's first value picks one.
var fuzzSources = func() []string {
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		panic(err)
	}
	var out []string
	for _, s := range reg.Sources {
		out = append(out, s.Code)
	}
	return out
}()

// sourceIndex is the index of a source in fuzzSources, for the seeds.
func sourceIndex(tb testing.TB, code string) uint8 {
	for i, c := range fuzzSources {
		if c == code {
			return uint8(i)
		}
	}
	tb.Fatalf("no source %s", code)
	return 0
}

// ingestBytes ingests body as an upload named name for the source picked by source.
func ingestBytes(t *testing.T, source uint8, name string, body []byte) (*lake.Report, string) {
	t.Helper()
	in, dir := newIngester(t)
	up := filepath.Join(t.TempDir(), "upload")
	if err := os.WriteFile(up, body, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := in.IngestFile(context.Background(), fuzzSources[int(source)%len(fuzzSources)], up, name)
	if err != nil {
		t.Fatalf("IngestFile: %v (a file's fault is a report, never an error)", err)
	}
	return rep, dir
}

func FuzzIngestCSV(f *testing.F) {
	// The seeds the other tests use, as their sources receive them.
	f.Add(sourceIndex(f, "worker_aid"), gbk(f, workerAidCSV))
	f.Add(sourceIndex(f, "worker_aid"), []byte(workerAidCSV))
	f.Fuzz(func(t *testing.T, source uint8, body []byte) {
		rep, dir := ingestBytes(t, source, "台账.csv", body)
		checkOutcome(t, dir, rep, body)
		checkNoClearID(t, dir, rep, csvText(body))
		if rep.Status != lake.StatusLanded {
			return
		}
		if rep.Format != "csv" {
			t.Fatalf("a CSV read as %q", rep.Format)
		}
		text := body
		switch rep.Encoding {
		case "utf-16le", "utf-16be":
			order := unicode.LittleEndian
			if rep.Encoding == "utf-16be" {
				order = unicode.BigEndian
			}
			text, _ = unicode.UTF16(order, unicode.UseBOM).NewDecoder().Bytes(body)
		}
		lines := physicalLines(text)
		// Every row read sits on lines of its own below the header: at most the lines there are.
		if rep.HeaderRow < 1 || rep.HeaderRow+rep.Rows+rep.Skipped > lines {
			t.Fatalf("header at line %d, %d rows and %d skipped in %d lines", rep.HeaderRow, rep.Rows, rep.Skipped, lines)
		}
		for _, r := range append(landedRows(t, dir, rep), quarantinedRows(t, dir, rep)...) {
			if int(r) <= rep.HeaderRow || int(r) > lines {
				t.Fatalf("row %d: outside lines %d-%d", r, rep.HeaderRow+1, lines)
			}
		}
		// Every physical line accounted for (issue 9, point 2), counted here apart from ingest.
		if rep.Lines != lines {
			t.Fatalf("the report counts %d lines, the file has %d", rep.Lines, lines)
		}
		if got := rep.TitleRows + 1 + rep.Rows + rep.Skipped + rep.BlankLines + rep.ContinuedLines; got != lines {
			t.Fatalf("%d lines accounted for (title %d, header 1, rows %d, footer or blank %d, empty %d, inside cells %d), the file has %d",
				got, rep.TitleRows, rep.Rows, rep.Skipped, rep.BlankLines, rep.ContinuedLines, lines)
		}
	})
}

func FuzzIngestXLSX(f *testing.F) {
	for _, seed := range xlsxSeeds(f) {
		f.Add(seed.source, seed.body)
	}
	f.Fuzz(func(t *testing.T, source uint8, body []byte) {
		rep, dir := ingestBytes(t, source, "台账.xlsx", body)
		checkOutcome(t, dir, rep, body)
		checkNoClearID(t, dir, rep, xlsxXML(body))
		if rep.Status != lake.StatusLanded {
			return
		}
		if rep.Format != "xlsx" {
			t.Fatalf("an xlsx read as %q", rep.Format)
		}
		// A workbook landed only if it could be read to its end (issue 9, point 3): every
		// worksheet and the shared strings unpack whole (sizes and CRC as declared) and are
		// well-formed XML.
		if err := xlsxReadable(body); err != nil {
			t.Fatalf("a damaged workbook landed (%d rows, %d landed): %v", rep.Rows, rep.Landed, err)
		}
	})
}

// checkOutcome checks what ingest made of one file in a fresh data folder.
func checkOutcome(t *testing.T, dir string, rep *lake.Report, body []byte) {
	t.Helper()
	switch rep.Status {
	case lake.StatusLanded:
		if rep.Rows != rep.Landed+rep.Rejected || rep.Landed < 0 || rep.Rejected < 0 || rep.Skipped < 0 || rep.Flagged > rep.Rows {
			t.Fatalf("landed: rows %d != landed %d + rejected %d (skipped %d, flagged %d)", rep.Rows, rep.Landed, rep.Rejected, rep.Skipped, rep.Flagged)
		}
		if (rep.LakeFile != "") != (rep.Landed > 0) || (rep.QuarantineFile != "") != (rep.Rejected > 0) {
			t.Fatalf("landed %d in %q, rejected %d in %q", rep.Landed, rep.LakeFile, rep.Rejected, rep.QuarantineFile)
		}
		landed := landedRows(t, dir, rep)
		quarantined := quarantinedRows(t, dir, rep)
		if len(landed) != rep.Landed || len(quarantined) != rep.Rejected {
			t.Fatalf("the lake holds %d rows (report: %d landed), the quarantine %d (report: %d rejected)",
				len(landed), rep.Landed, len(quarantined), rep.Rejected)
		}
		seen := map[int32]bool{}
		for _, r := range append(landed, quarantined...) {
			if seen[r] {
				t.Fatalf("row %d counted twice (landed: %v, quarantined: %v)", r, landed, quarantined)
			}
			seen[r] = true
		}
		reasons := 0
		for code, n := range rep.Reasons {
			if n < 1 || n > rep.Rejected || code == "" {
				t.Fatalf("reason %q for %d of %d rejected rows", code, n, rep.Rejected)
			}
			reasons += n
		}
		if reasons < rep.Rejected {
			t.Fatalf("%d rejected rows, %d reasons: a row rejected without one", rep.Rejected, reasons)
		}
	case lake.StatusRejected:
		if rep.MessageZh == "" || rep.MessageEn == "" {
			t.Fatalf("refused without a message: %+v", rep)
		}
		if rep.Rows != 0 || rep.Landed != 0 || rep.Rejected != 0 || rep.LakeFile != "" || rep.QuarantineFile != "" {
			t.Fatalf("refused whole, yet %+v", rep.Entry)
		}
		for _, root := range []string{"lake", "quarantine"} {
			if files := filesUnder(t, filepath.Join(dir, root)); len(files) > 0 {
				t.Fatalf("refused whole (%s), yet %s holds %v", rep.MessageEn, root, files)
			}
		}
	default:
		t.Fatalf("status %q: %+v", rep.Status, rep)
	}
	// The manifest commits exactly this report, which is on disk as returned.
	entries, err := lake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || jsonOf(t, entries[0]) != jsonOf(t, rep.Entry) {
		t.Fatalf("manifest %+v, want the one entry %+v", entries, rep.Entry)
	}
	onDisk, err := lake.ReadReport(dir, rep.SHA256, rep.IngestedAt)
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, onDisk) != jsonOf(t, rep) {
		t.Fatalf("report on disk %s\nreturned %s", jsonOf(t, onDisk), jsonOf(t, rep))
	}
	archived := filesUnder(t, filepath.Join(dir, "archive"))
	if len(archived) != 1 {
		t.Fatalf("archive holds %v, want the original", archived)
	}
	if b, err := os.ReadFile(archived[0]); err != nil || !bytes.Equal(b, body) {
		t.Fatalf("the archived original differs from the bytes sent (%v)", err)
	}
	// Nothing temporary is left: no partial file, nothing in DIR/tmp.
	for _, p := range filesUnder(t, dir) {
		if strings.HasSuffix(p, ".partial") || strings.HasPrefix(p, filepath.Join(dir, "tmp")+string(filepath.Separator)) {
			t.Fatalf("left behind: %s", p)
		}
	}
}

type lakeRow struct {
	Row int32 `parquet:"_row"`
}

type quarantineCell struct {
	Row int32 `parquet:"row"`
}

// landedRows are the row numbers in the lake file of a report.
func landedRows(t *testing.T, dir string, rep *lake.Report) []int32 {
	t.Helper()
	if rep.LakeFile == "" {
		return nil
	}
	rows, err := parquet.ReadFile[lakeRow](filepath.Join(dir, rep.LakeFile))
	if err != nil {
		t.Fatalf("lake file: %v", err)
	}
	out := make([]int32, len(rows))
	for i, r := range rows {
		out[i] = r.Row
	}
	return out
}

// quarantinedRows are the distinct row numbers in the quarantine file of a report (one row per
// rejected cell there).
func quarantinedRows(t *testing.T, dir string, rep *lake.Report) []int32 {
	t.Helper()
	if rep.QuarantineFile == "" {
		return nil
	}
	cells, err := parquet.ReadFile[quarantineCell](filepath.Join(dir, rep.QuarantineFile))
	if err != nil {
		t.Fatalf("quarantine file: %v", err)
	}
	var out []int32
	seen := map[int32]bool{}
	for _, c := range cells {
		if !seen[c.Row] {
			seen[c.Row] = true
			out = append(out, c.Row)
		}
	}
	return out
}

func filesUnder(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// physicalLines counts lines as an editor shows them: each "\n" ends one, and a last line
// without one is a line too.
func physicalLines(text []byte) int {
	n := bytes.Count(text, []byte("\n"))
	if len(text) > 0 && text[len(text)-1] != '\n' {
		n++
	}
	return n
}

// xlsxReadable unpacks a workbook's sheets and shared strings whole and parses their XML.
func xlsxReadable(body []byte) error {
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return err
	}
	for _, f := range z.File {
		name := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		if !strings.HasPrefix(name, "xl/worksheets/") && name != "xl/sharedstrings.xml" || !strings.HasSuffix(name, ".xml") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		d := xml.NewDecoder(rc)
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				rc.Close()
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		// the XML may end before the entry does: read the rest, for the size and CRC checks
		if _, err := io.Copy(io.Discard, rc); err != nil {
			rc.Close()
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		rc.Close()
	}
	return nil
}

type xlsxSeed struct {
	source uint8
	body   []byte
}

// xlsxSeeds are small workbooks as units save them: a merged title, a 填报单位 line, date cells
// (serials once read raw), text and number cells, shared strings, a footer.
func xlsxSeeds(tb testing.TB) []xlsxSeed {
	tb.Helper()
	write := func(f *excelize.File) []byte {
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			tb.Fatal(err)
		}
		f.Close()
		return b.Bytes()
	}
	dateStyle := func(f *excelize.File) int {
		s, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}

	// worker_aid: the rows of workerAidCSV, with real date and number cells
	wa := excelize.NewFile()
	sh := "Sheet1"
	wa.SetCellValue(sh, "A1", "2024年困难职工帮扶救助台账")
	wa.MergeCell(sh, "A1", "I1")
	wa.SetCellValue(sh, "A2", "填报单位:县总工会")
	wa.SetSheetRow(sh, "A3", &[]any{"序号", "受助人姓名", "公民身份号码", "乡镇（街道）", "帮扶类型", "救助金额（元）", "个人自付医疗费用", "救助日期", "备注"})
	ds := dateStyle(wa)
	rows := [][]any{
		{1, "张三丰", "11010519491231002X", "松兹街道", "生活救助", 1500, nil, time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), ""},
		{2, "李四", "340826199001010013", "孚玉镇", "医疗救助", 800.5, 1000, time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), ""},
		{3, "王五", "'340826199001010013", " 松兹街道 ", "子女助学", "2000元", nil, "2024年6月1日", ""},
		{4, "赵六", "110105194912310021", "松兹街道", "生活救助", 100, nil, "2024/3/5", "校验位错"},
		{5, "钱七", "11010519491231002X", "火星镇", "生活救助", 100, nil, 45356, ""},
		{6, "孙八", "110105491231002", "松兹街道", "医疗救助", "一千五", nil, "2024-02-30", ""},
	}
	for i, r := range rows {
		cell := fmt.Sprintf("A%d", 4+i)
		wa.SetSheetRow(sh, cell, &r)
		wa.SetCellStyle(sh, fmt.Sprintf("H%d", 4+i), fmt.Sprintf("H%d", 4+i), ds)
	}
	wa.SetSheetRow(sh, "A11", &[]any{"合计", "", "", "", "", 4500.5})
	wa.SetSheetRow(sh, "A12", &[]any{"制表人:某某", "", "审核人:某某"})
	workerAid := write(wa)

	// child_rehab: a formula-looking text in 康复机构, an ID typed into it too
	cr := excelize.NewFile()
	cr.SetSheetRow(sh, "A1", &[]any{"姓名", "身份证号", "乡镇", "残疾类别", "是否脑瘫", "康复机构", "救助金额", "其中生活费补助", "救助日期"})
	cr.SetSheetRow(sh, "A2", &[]any{"小明", "340826201801010011", "松兹街道", "孤独症", "否", "=cmd|' /c calc'!A0", 12000, 3000, "2024-05-01"})
	cr.SetSheetRow(sh, "A3", &[]any{"小红", "34082620180101002X", "松兹街道", "听力", "否", "县康复中心", 8000, 0, 45413})
	cr.SetSheetRow(sh, "A5", &[]any{"小刚", "340826201801010011", "孚玉镇", "视力", "是", "县康复中心", "8,000.00", "", "2024.5.1"})
	childRehab := write(cr)

	// elderly_home_mod, as TestIngestXLSX sends it
	eh := excelize.NewFile()
	eh.SetCellValue(sh, "A1", "2024年特殊困难老年人家庭适老化改造台账")
	eh.MergeCell(sh, "A1", "H1")
	eh.SetSheetRow(sh, "A3", &[]any{"户主", "户主身份证号", "乡镇", "村（社区）", "对象类别", "改造金额(元)", "验收日期", "验收结果"})
	eh.SetSheetRow(sh, "A4", &[]any{"陈老汉", "11010519491231002X", "松兹街道", "长集社区", "分散供养特困人员", 3500.5, time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC), "合格"})
	eh.SetCellStyle(sh, "G4", "G4", dateStyle(eh))
	eh.SetSheetRow(sh, "A5", &[]any{"林大妈", "340826199001010013", "孚玉镇", "长集社区", "低保对象", 3000, "", "未验收"})
	elderly := write(eh)

	return []xlsxSeed{
		{sourceIndex(tb, "worker_aid"), workerAid},
		// damaged as issue 9 point 3 found: a byte of the sheet's compressed data changed (its
		// CRC no longer matches), and an XML error in the middle of the sheet
		{sourceIndex(tb, "worker_aid"), flipSheetByte(tb, workerAid)},
		{sourceIndex(tb, "worker_aid"), breakSheetXML(tb, workerAid)},
		{sourceIndex(tb, "child_rehab"), childRehab},
		{sourceIndex(tb, "elderly_home_mod"), elderly},
		{sourceIndex(tb, "worker_aid"), excelizeEmpty(tb)},
	}
}

func excelizeEmpty(tb testing.TB) []byte {
	var b bytes.Buffer
	if err := excelize.NewFile().Write(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// sheetEntry finds the first worksheet of a workbook.
func sheetEntry(tb testing.TB, body []byte) (*zip.Reader, *zip.File) {
	tb.Helper()
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range z.File {
		if strings.HasPrefix(f.Name, "xl/worksheets/") {
			return z, f
		}
	}
	tb.Fatal("no worksheet")
	return nil, nil
}

// flipSheetByte changes one byte in the middle of the sheet's compressed data.
func flipSheetByte(tb testing.TB, body []byte) []byte {
	_, sh := sheetEntry(tb, body)
	off, err := sh.DataOffset()
	if err != nil {
		tb.Fatal(err)
	}
	out := bytes.Clone(body)
	out[off+int64(sh.CompressedSize64)/2] ^= 0x55
	return out
}

// breakSheetXML rewrites the workbook with a sheet whose XML breaks after its fifth row.
func breakSheetXML(tb testing.TB, body []byte) []byte {
	z, sh := sheetEntry(tb, body)
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		if f == sh {
			cut := 0
			for i := 0; i < 5; i++ {
				cut += bytes.Index(content[cut:], []byte("</row>")) + len("</row>")
			}
			content = append(append(bytes.Clone(content[:cut]), "<row r=\"9\"><c r=\"A9\" t=\"str\"><v>x</c></row>"...), content[cut:]...)
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(content)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// csvText is a CSV's bytes as text, in the encodings ingest reads.
func csvText(body []byte) string {
	switch {
	case bytes.HasPrefix(body, []byte{0xFF, 0xFE}):
		b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder().Bytes(body)
		return string(b)
	case bytes.HasPrefix(body, []byte{0xFE, 0xFF}):
		b, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder().Bytes(body)
		return string(b)
	case utf8.Valid(body):
		return string(body)
	}
	b, _ := simplifiedchinese.GB18030.NewDecoder().Bytes(body)
	return string(b)
}

// xlsxXML is the XML of a workbook's sheets and shared strings, as far as it unpacks.
func xlsxXML(body []byte) string {
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, f := range z.File {
		if rc, err := f.Open(); err == nil {
			io.Copy(&b, io.LimitReader(rc, 1<<20))
			rc.Close()
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// clearIDs are the valid 18-character ID numbers in a text, each a run of its own: no digit, X,
// space or hyphen next to it (a run joined to more digits is a longer number, masked or not by
// ingest's own rule).
func clearIDs(text string) []string {
	var out []string
	edge := func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= '０' && r <= '９' || strings.ContainsRune("Xx Ｘｘ-\u3000", r))
	}
	for _, loc := range idShaped.FindAllStringIndex(text, -1) {
		if loc[0] > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:loc[0]]); !edge(r) {
				continue
			}
		}
		if loc[1] < len(text) {
			if r, _ := utf8.DecodeRuneInString(text[loc[1]:]); !edge(r) {
				continue
			}
		}
		if id, err := idcard.Parse(text[loc[0]:loc[1]], fuzzToday); err == nil {
			out = append(out, id.Number)
		}
	}
	return out
}

var idShaped = regexp.MustCompile(`[0-9]{17}[0-9Xx]`)

// fuzzToday is newIngester's clock.
var fuzzToday = time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)

// checkNoClearID: no valid ID number of the input is in clear in what ingest wrote outside the
// archive (issue 9, point 6): the lake, the quarantine, the report and the manifest.
func checkNoClearID(t *testing.T, dir string, rep *lake.Report, text string) {
	t.Helper()
	ids := clearIDs(text)
	if len(ids) == 0 {
		return
	}
	var written strings.Builder
	for _, p := range filesUnder(t, dir) {
		rel, _ := filepath.Rel(dir, p)
		switch {
		case strings.HasPrefix(rel, "archive"+string(filepath.Separator)):
			continue
		case strings.HasSuffix(p, ".parquet"):
			written.WriteString(parquetStrings(t, p))
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			written.Write(b)
		}
		written.WriteByte('\n')
	}
	for _, id := range ids {
		for _, form := range []string{id, strings.ToLower(id)} {
			if strings.Contains(written.String(), form) {
				t.Fatalf("the ID number %s of the file is in clear outside the archive (%s, %d rows landed)", idcard.Mask(id), rep.Status, rep.Landed)
			}
		}
	}
}

// parquetStrings is every byte-array value of a Parquet file, one a line.
func parquetStrings(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var b strings.Builder
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		buf := make([]parquet.Row, 64)
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				for _, v := range row {
					if v.Kind() == parquet.ByteArray {
						b.Write(v.ByteArray())
						b.WriteByte('\n')
					}
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				rows.Close()
				t.Fatalf("%s: %v", path, err)
			}
		}
		rows.Close()
	}
	return b.String()
}
