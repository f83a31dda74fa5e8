package ingest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

const (
	batchRows     = 2048     // rows the reader hands on at a time
	rowGroupRows  = 64 << 10 // rows of one Parquet row group: one worker validates and encodes it
	firstRejected = 20       // rejected cells listed in a report; the quarantine has them all
)

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

// batch is a run of raw rows, in file order: the cells of all its rows in one slice.
type batch struct {
	cells []string
	ends  []int  // ends[i] is where row i's cells end in cells
	nums  []int  // the row number a person sees in Excel
	stray []bool // the row's line opened a quote that never closed, read as text (CSV)
}

func (b *batch) row(i int) []string {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.cells[start:b.ends[i]]
}

// outcome is what became of a batch's rows, for the report: counts, and the rows to name.
type outcome struct {
	rows, landed, skipped int
	noted                 []notedRow // rejected or flagged rows, in file order
}

type notedRow struct {
	num          int
	probs, flags []problem // probs nil when the row landed
	stray        bool      // flagged stray_quote: a quote read as text, in no one column
	values       string    // of a rejected row: its cells that name no one, for the unit to find and fix it
}

// segment is one row group's worth of batches: one worker validates them all and encodes the
// landed rows into a row group of its own, so both cores encode and compress; the rows groups
// are committed to the file in order.
type segment struct {
	batches  chan *batch // the reader's batches; closed when the segment is complete
	done     chan struct{}
	outcomes []outcome
	rg       *parquet.ConcurrentRowGroupWriter // nil when no row of the segment landed
	err      error
}

// load reads a file, validates its rows on all workers and writes the lake and quarantine files
// under temporary names, renaming them into place only when the whole file was read. Three kinds
// of goroutine share the work: one reader hands the rows on in batches (readBatches), the workers
// each validate a segment of them into a row group (validateSegments), and load itself commits
// the segments in file order and writes the report (commitSegments).
func (in *Ingester) load(ctx context.Context, src *minsheng.Source, path, name string, validUTF8 bool, now time.Time, rep *lake.Report) error {
	t, h, err := in.findHeader(path, name, validUTF8, src, rep)
	if err != nil {
		return err
	}
	defer t.Close()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	plan := newRowPlan(src, in.cfg.County, h.pos, today)
	footer := newFooterMatcher(in.cfg.Registry.FooterMarkers)
	out := in.newOutputs(src, rep)
	defer out.abort()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel (deferred below, so run first): no goroutine outlives the table
	defer cancel()
	pl := newPipeline(ctx, in.cfg.Workers, plan, footer, out.writer)
	readErr := make(chan error, 1)
	wg.Add(1)
	go func() { // reader: the one goroutine touching the table
		defer wg.Done()
		readErr <- pl.readBatches(t)
	}()
	for w := 0; w < in.cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pl.validateSegments(newValidator(plan, in.cfg.Key, rep.SHA256))
		}()
	}
	if err := out.commitSegments(pl, src, rep); err != nil {
		return err
	}
	if err := <-readErr; err != nil {
		return err
	}
	if err := account(t, rep, h.titles); err != nil {
		return err
	}
	rep.HiddenRows, rep.MergedRows = t.Info()
	return out.commit(in.rel, rep)
}

// findHeader sniffs what the file is and opens it down to its header row, noting both in the
// report: a file refused here (not a table, no header) is refused before any goroutine starts.
func (in *Ingester) findHeader(path, name string, validUTF8 bool, src *minsheng.Source, rep *lake.Report) (table, *header, error) {
	info, err := sniff(path, name, validUTF8)
	if err != nil {
		return nil, nil, err
	}
	rep.Format, rep.Encoding = info.Format, info.Encoding
	t, h, err := in.openWithHeader(path, info, src)
	if err != nil {
		return nil, nil, err
	}
	rep.HeaderRow, rep.Sheet = h.row, h.sheet
	return t, h, nil
}

// pipeline is what the reader, the workers and the committer of one load share: the segments in
// flight, and the batches and row groups that go round again once used instead of being garbage.
// The rows in flight are bounded by the channels, and so are the batches and row groups.
type pipeline struct {
	ctx         context.Context // cancelled when the load fails: every goroutine then stops
	plan        *rowPlan
	footer      *footerMatcher
	writer      *parquet.Writer // the lake file's: row groups are begun on it
	segBatches  int             // batches in a segment
	work        chan *segment   // segments for a worker to take
	order       chan *segment   // the same segments, in file order, for the committer
	freeBatches chan *batch
	freeGroups  chan *parquet.ConcurrentRowGroupWriter
}

func newPipeline(ctx context.Context, workers int, plan *rowPlan, footer *footerMatcher, writer *parquet.Writer) *pipeline {
	segBatches := rowGroupRows / batchRows
	return &pipeline{
		ctx: ctx, plan: plan, footer: footer, writer: writer, segBatches: segBatches,
		work:        make(chan *segment, workers),
		order:       make(chan *segment, workers),
		freeBatches: make(chan *batch, segBatches*(workers*2+3)),
		freeGroups:  make(chan *parquet.ConcurrentRowGroupWriter, workers*2+2),
	}
}

// reader is the state of readBatches: the segment being filled and the batch being read into.
type reader struct {
	*pipeline
	seg *segment
	nb  int // batches sent in seg
	b   *batch
}

// readBatches reads the table to its end in batches of batchRows rows, batchRows of them to a
// segment, and hands each segment both to a worker and to the committer. It is the one goroutine
// touching the table, and returns why it stopped early (the table's error, or the load's
// cancellation), or nil. Both channels of segments are closed when it returns.
func (p *pipeline) readBatches(t table) error {
	r := &reader{pipeline: p, b: &batch{}}
	defer func() {
		if r.seg != nil {
			close(r.seg.batches)
		}
		close(p.work)
		close(p.order)
	}()
	for t.Next() {
		b := r.b
		b.cells = append(b.cells, t.Row()...)
		b.ends = append(b.ends, len(b.cells))
		b.nums = append(b.nums, t.RowNum())
		// A stray quote flags its row here, where the row is known to be read as data or
		// not: one on a title or 合计 line flags no row, and one on a row flagged for
		// another reason too makes it no more than one flagged row.
		strays := t.Strays()
		b.stray = append(b.stray, len(strays) > 0 && strays[len(strays)-1] == t.RowNum())
		if len(b.nums) == batchRows && !r.send() {
			return p.ctx.Err()
		}
	}
	if err := t.Err(); err != nil {
		return err
	}
	if len(r.b.nums) > 0 && !r.send() {
		return p.ctx.Err()
	}
	return nil
}

// send hands the batch read on in its segment, opening a segment first when none is open and
// closing it once full, and takes a fresh batch to read into. It returns false when the load was
// cancelled meanwhile.
func (r *reader) send() bool {
	if r.seg == nil {
		r.seg = &segment{batches: make(chan *batch, r.segBatches), done: make(chan struct{})}
		select {
		case r.order <- r.seg:
		case <-r.ctx.Done():
			close(r.seg.batches)
			r.seg = nil
			return false
		}
		select {
		case r.work <- r.seg:
		case <-r.ctx.Done():
			return false
		}
	}
	ncells := len(r.b.cells) // b is the worker's once sent
	r.seg.batches <- r.b     // never waits: the channel holds a whole segment
	select {
	case r.b = <-r.freeBatches:
	default:
		r.b = &batch{cells: make([]string, 0, ncells), ends: make([]int, 0, batchRows), nums: make([]int, 0, batchRows), stray: make([]bool, 0, batchRows)}
	}
	if r.nb++; r.nb == r.segBatches {
		close(r.seg.batches)
		r.seg, r.nb = nil, 0
	}
	return true
}

// validateSegments is a worker: it takes segments until the reader has no more. The validator
// and the column buffers are the worker's own, reused from row to row.
func (p *pipeline) validateSegments(v *validator) {
	cols := make([][]parquet.Value, p.plan.nLeaves)
	for seg := range p.work {
		p.validateSegment(seg, v, cols)
	}
}

// validateSegment validates every batch of a segment and encodes the rows that landed into the
// segment's own row group, flushed here so that the committer only has to commit it. Once the
// load is failing, it only drains the segment, so that the reader is never left waiting.
func (p *pipeline) validateSegment(seg *segment, v *validator, cols [][]parquet.Value) {
	for b := range seg.batches {
		if seg.err != nil || p.ctx.Err() != nil {
			continue // drain: the load is failing
		}
		o := p.validateBatch(b, v, cols)
		if o.landed > 0 {
			p.encode(seg, cols)
		}
		seg.outcomes = append(seg.outcomes, o)
		p.recycle(b)
	}
	if seg.rg != nil && seg.err == nil {
		if err := seg.rg.Flush(); err != nil { // compress the last pages here, not in the committer
			seg.err = fmt.Errorf("ingest: write: %w", err)
		}
	}
	close(seg.done)
}

// validateBatch converts a batch's rows: blank and 合计 rows are skipped, the values of the rows
// that landed are appended to cols by leaf, and the rejected or flagged rows are noted for the
// report. It is the hot loop: the validator and the column buffers are reused from row to row.
func (p *pipeline) validateBatch(b *batch, v *validator, cols [][]parquet.Value) outcome {
	o := outcome{}
	for i := range b.nums {
		raw := b.row(i)
		if p.plan.blank(raw) || p.footer.isFooter(raw) {
			o.skipped++
			continue
		}
		o.rows++
		ok := v.convert(raw, b.nums[i])
		if ok {
			o.landed++
			for l, val := range v.vals {
				cols[l] = append(cols[l], val)
			}
		}
		if !ok || len(v.flags) > 0 || b.stray[i] {
			o.noted = append(o.noted, v.note(ok, b.nums[i], b.stray[i]))
		}
	}
	return o
}

// note is the row just converted as the report names it: its problems and flags copied, since
// the validator's are reused by the next row.
func (v *validator) note(ok bool, num int, stray bool) notedRow {
	n := notedRow{num: num, stray: stray}
	if !ok {
		n.probs = append([]problem(nil), v.probs...)
		n.values = v.rowValues()
	}
	if len(v.flags) > 0 {
		n.flags = append([]problem(nil), v.flags...)
	}
	return n
}

// encode writes the landed rows of a batch, held in cols by leaf, into the segment's row group
// (begun on the lake file, or one used before), and empties cols for the next batch.
func (p *pipeline) encode(seg *segment, cols [][]parquet.Value) {
	if seg.rg == nil {
		select {
		case seg.rg = <-p.freeGroups:
		default:
			seg.rg = p.writer.BeginRowGroup()
		}
	}
	for l, cw := range seg.rg.ColumnWriters() {
		if _, err := cw.WriteRowValues(cols[l]); err != nil && seg.err == nil {
			seg.err = fmt.Errorf("ingest: write: %w", err)
		}
		clear(cols[l])
		cols[l] = cols[l][:0]
	}
}

// recycle empties a batch and offers it to the reader again.
func (p *pipeline) recycle(b *batch) {
	clear(b.cells) // the column buffers hold copies of what landed
	b.cells, b.ends, b.nums, b.stray = b.cells[:0], b.ends[:0], b.nums[:0], b.stray[:0]
	select {
	case p.freeBatches <- b:
	default:
	}
}

// outputs are the lake and quarantine files of one load, written under temporary names until
// commit renames them into place.
type outputs struct {
	lw, qw  *partWriter
	writer  *parquet.Writer // the lake file's, made on the first row group committed
	landed  bool            // a row group was committed to writer
	qSchema *parquet.Schema
	qIdx    map[string]int
	qwriter *parquet.Writer // nil until a row is rejected
}

func (in *Ingester) newOutputs(src *minsheng.Source, rep *lake.Report) *outputs {
	part := lake.Partition(in.layout.Lake(), src.Code, rep.IngestDate)
	qpart := lake.Partition(in.layout.Quarantine(), src.Code, rep.IngestDate)
	o := &outputs{
		lw: &partWriter{dir: part, name: rep.SHA256 + ".parquet"},
		qw: &partWriter{dir: qpart, name: rep.SHA256 + ".parquet"},
	}
	lakeSchemaV, _ := lakeSchema(src)
	o.qSchema, o.qIdx = quarantineSchema()
	// The lake file is made on the first row group committed: a file none of whose rows
	// landed has none.
	o.writer = o.lw.writer(lakeSchemaV)
	return o
}

// abort removes the temporary files of a load that did not finish.
func (o *outputs) abort() {
	o.qw.abort()
	o.lw.abort()
}

// commitSegments takes the segments in file order, each once its worker is done: it commits the
// segment's row group to the lake file, so the lake keeps the file's order, and adds its
// outcomes to the report and its rejected rows to the quarantine. It returns at the first
// failure, the load's cancellation included.
func (o *outputs) commitSegments(pl *pipeline, src *minsheng.Source, rep *lake.Report) error {
	rep.Reasons, rep.Flags = map[string]int{}, map[string]int{}
	for seg := range pl.order {
		select {
		case <-seg.done:
		case <-pl.ctx.Done():
			return pl.ctx.Err()
		}
		if seg.err != nil {
			return seg.err
		}
		if seg.rg != nil {
			if _, err := seg.rg.Commit(); err != nil {
				return fmt.Errorf("ingest: write: %w", err)
			}
			o.landed = true
			select { // empty again, and ready for another segment
			case pl.freeGroups <- seg.rg:
			default:
			}
		}
		for _, oc := range seg.outcomes {
			rep.Rows += oc.rows
			rep.Landed += oc.landed
			rep.Skipped += oc.skipped
			for _, n := range oc.noted {
				reportFlags(src, rep, n)
				if n.probs == nil {
					continue
				}
				if err := o.quarantine(src, rep, n); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reportFlags counts a flagged row and lists its first flags: a row counts once however many
// flags it has, so that flagged_rows ≤ rows.
func reportFlags(src *minsheng.Source, rep *lake.Report, n notedRow) {
	fl := n.flags
	if len(fl) == 0 && !n.stray {
		return
	}
	rep.Flagged++ // rows, not flags: flagged_rows ≤ rows
	if n.stray {
		r := minsheng.ReasonStrayQuote
		rep.Flags[r.Code]++
		if len(rep.FirstFlagged) < firstRejected {
			rep.FirstFlagged = append(rep.FirstFlagged, lake.Rejection{Row: n.num, Code: r.Code, Zh: r.Zh, En: r.En})
		}
	}
	for _, f := range fl {
		rep.Flags[f.reason.Code]++
		if len(rep.FirstFlagged) < firstRejected {
			rep.FirstFlagged = append(rep.FirstFlagged, lake.Rejection{Row: n.num, Column: src.Columns[f.col].Header, Code: f.reason.Code, Zh: f.reason.Zh, En: f.reason.En, Value: f.value})
		}
	}
}

// quarantine counts a rejected row under each of its reasons once, lists its first problems, and
// writes one quarantine row a problem, opening the quarantine file on the first.
func (o *outputs) quarantine(src *minsheng.Source, rep *lake.Report, n notedRow) error {
	rep.Rejected++
	if o.qwriter == nil {
		var err error
		if o.qwriter, err = o.qw.open(o.qSchema); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	qrows := make([]parquet.Row, 0, len(n.probs))
	for _, p := range n.probs {
		if !seen[p.reason.Code] {
			rep.Reasons[p.reason.Code]++
			seen[p.reason.Code] = true
		}
		rj := lake.Rejection{Row: n.num, Column: src.Columns[p.col].Header, Code: p.reason.Code, Zh: p.reason.Zh, En: p.reason.En, Value: p.value}
		if len(rep.First) < firstRejected {
			rep.First = append(rep.First, rj)
		}
		qrows = append(qrows, quarantineRow(o.qIdx, rep, src.Code, rj, n.values))
	}
	if _, err := o.qwriter.WriteRows(qrows); err != nil {
		return fmt.Errorf("ingest: quarantine: %w", err)
	}
	return nil
}

// commit renames the files written into place, once the whole file was read and accounted for,
// and names them in the report: the lake file only when a row landed, the quarantine file only
// when one was rejected.
func (o *outputs) commit(rel func(string) string, rep *lake.Report) error {
	var err error
	if o.landed {
		if rep.LakeFile, err = o.lw.commit(o.writer, rel); err != nil {
			return err
		}
	}
	if o.qwriter != nil {
		if rep.QuarantineFile, err = o.qw.commit(o.qwriter, rel); err != nil {
			return err
		}
	}
	return nil
}

// header is where a file's header row was found.
type header struct {
	pos    []int // cell index of each registry column
	row    int
	titles int // rows above it
	sheet  string
}

// openWithHeader opens the table of a file and reads it down to its header row. A workbook's
// sheets are each looked at when the source names none: the first that holds every required
// column is read (a clerk often keeps a 说明 sheet first, or the data on 汇总 after it). Text is
// split with the delimiter its header row is written with: the one most frequent in the opening
// lines is tried first, then the others read (a semicolon file whose 备注 holds commas has more
// commas than semicolons); a header found only when split on a delimiter not read (|) refuses the
// file naming that delimiter, never as "找不到表头".
func (in *Ingester) openWithHeader(path string, info fileInfo, src *minsheng.Source) (table, *header, error) {
	m := newHeaderMatcher(in.cfg.Registry, src)
	type try struct {
		sheet string
		comma rune // text only; 0: the most frequent in the opening lines
	}
	var tries []try
	sheets := []string{src.Sheet}
	if info.Format == "csv" {
		tries = append(tries, try{src.Sheet, 0})
		for _, c := range csvDelimiters {
			tries = append(tries, try{src.Sheet, c})
		}
	} else {
		if src.Sheet == "" {
			list, err := workbookSheets(path, info)
			if err != nil {
				return nil, nil, err
			}
			sheets = list
		}
		for _, sheet := range sheets {
			tries = append(tries, try{sheet, 0})
		}
	}
	var best []int
	bestFound := -1
	tried := map[rune]bool{}
	// find reads t down to a row holding every required column.
	find := func(t table, h *header) error {
		for t.Next() {
			p, found := m.match(t.Row())
			if len(m.missingRequired(p)) == 0 {
				h.pos, h.row = p, t.RowNum()
				return nil
			}
			h.titles++
			if found > bestFound {
				best, bestFound = p, found
			}
			if t.RowNum() >= maxTitleRows {
				break
			}
		}
		return t.Err()
	}
	for _, tr := range tries {
		if tried[tr.comma] {
			continue // the delimiter sniffed first
		}
		ti := info
		ti.Comma = tr.comma
		t, err := openTable(path, ti, tr.sheet)
		if err != nil {
			return nil, nil, err
		}
		if ct, ok := t.(*csvTable); ok {
			tried[rune(ct.comma)] = true
		}
		h := &header{sheet: tr.sheet}
		if err := find(t, h); err != nil {
			t.Close()
			return nil, nil, err
		}
		if h.pos != nil {
			if len(sheets) == 1 && info.Format != "csv" && src.Sheet == "" {
				h.sheet = "" // the only sheet: nothing to say
			}
			return t, h, nil
		}
		t.Close()
	}
	if info.Format == "csv" {
		for _, c := range unreadDelimiters {
			ti := info
			ti.Comma = c
			t, err := openTable(path, ti, src.Sheet)
			if err != nil {
				return nil, nil, err
			}
			h := &header{}
			b, bf := best, bestFound
			err = find(t, h)
			t.Close()
			best, bestFound = b, bf // what is missing is told of the file as read
			if err == nil && h.pos != nil {
				return nil, nil, errFile("文件的各列用“%c”分隔,系统只读取逗号、制表符或分号分隔的文本:请在 Excel 或 WPS 中打开(“数据”→“分列”,分隔符选“%c”),另存为 Excel 工作簿(.xlsx)或 CSV(逗号分隔)后重新上传",
					"the file's columns are separated by \"%c\", but only comma-, tab- or semicolon-separated text is read: open it in Excel or WPS (Data → Text to Columns, delimiter \"%c\"), save it as an Excel workbook (.xlsx) or CSV (comma delimited) and upload again",
					c, c)
			}
		}
	}
	if bestFound <= 0 {
		where, whereEn := "", ""
		if len(sheets) > 1 {
			where, whereEn = fmt.Sprintf("(已查看全部 %d 个工作表)", len(sheets)), fmt.Sprintf(" of any of its %d sheets", len(sheets))
		}
		return nil, nil, &minsheng.Error{Code: minsheng.EINVALID,
			Zh: fmt.Sprintf("找不到表头:前 %d 行中没有“%s”表的列名%s(文件是否放错了文件夹?)", maxTitleRows, src.Title, where),
			En: fmt.Sprintf("no header found: none of the first %d rows%s holds the columns of %q (is the file in the wrong folder?)", maxTitleRows, whereEn, src.Title)}
	}
	miss := strings.Join(m.missingRequired(best), "、")
	return nil, nil, errFile("缺少必需的列:%s", "required column missing: %s", miss)
}

// account checks that every line of the file is in the report, once the table is read to its
// end: rows + header + title rows + footer and blank rows + empty lines + lines continuing a
// quoted cell = the lines of the file. A file that does not add up is refused whole, loudly:
// a row lost without a word is the one failure ingest must never have.
func account(t table, rep *lake.Report, titles int) error {
	records, blank, continued, physical := t.Account()
	rep.TitleRows, rep.BlankLines, rep.ContinuedLines, rep.Lines = titles, blank, continued, physical
	if titles+1+rep.Rows+rep.Skipped != records || records+blank+continued != physical {
		return minsheng.Errorf(minsheng.EINVALID,
			"读取核对不符:文件共 %d 行,读到 %d 行(表头前 %d 行、表头 1 行、数据 %d 行、合计或空行 %d 行、空行 %d、单元格内换行 %d);为免漏行,整个文件未导入,请把文件交给系统管理员",
			"line accounting failed: the file has %d lines, %d were read (%d title, 1 header, %d data, %d footer or blank rows, %d empty lines, %d inside cells); nothing of it was ingested, so that no row is lost; give the file to the administrator",
			physical, records+blank+continued, titles, rep.Rows, rep.Skipped, blank, continued)
	}
	return nil
}

func quarantineRow(idx map[string]int, rep *lake.Report, source string, r lake.Rejection, values string) parquet.Row {
	row := make(parquet.Row, len(idx))
	str := func(k, v string) { row[idx[k]] = parquet.ByteArrayValue([]byte(v)).Level(0, 0, idx[k]) }
	str("file_sha256", rep.SHA256)
	str("file_name", rep.FileName)
	str("source", source)
	row[idx["row"]] = parquet.Int32Value(int32(r.Row)).Level(0, 0, idx["row"])
	str("column", r.Column)
	str("reason_code", r.Code)
	str("reason_zh", r.Zh)
	str("reason_en", r.En)
	str("value_masked", r.Value)
	str("row_values", values)
	return row
}

// partWriter writes one Parquet file under a temporary name in its partition.
type partWriter struct {
	dir, name string
	f         *os.File
	bw        *bufio.Writer
	done      bool
}

func (p *partWriter) options(schema *parquet.Schema) []parquet.WriterOption {
	// No statistics in the page headers (readers use the row groups' and the page index's).
	opts := []parquet.WriterOption{schema, parquet.MaxRowsPerRowGroup(rowGroupRows), parquet.CreatedBy("minsheng", "", ""),
		parquet.DataPageStatistics(false)}
	return append(opts, boundsSkipped(schema)...)
}

func (p *partWriter) open(schema *parquet.Schema) (*parquet.Writer, error) {
	if err := p.create(); err != nil {
		return nil, err
	}
	return parquet.NewWriter(p.bw, p.options(schema)...), nil
}

// writer returns a Parquet writer whose file is created by its first write.
func (p *partWriter) writer(schema *parquet.Schema) *parquet.Writer {
	return parquet.NewWriter(lazyFile{p}, p.options(schema)...)
}

type lazyFile struct{ p *partWriter }

func (l lazyFile) Write(b []byte) (int, error) {
	if l.p.f == nil {
		if err := l.p.create(); err != nil {
			return 0, err
		}
	}
	return l.p.bw.Write(b)
}

func (p *partWriter) create() error {
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(p.dir, "."+p.name+".*.partial")
	if err != nil {
		return err
	}
	p.f, p.bw = f, bufio.NewWriterSize(f, 1<<20)
	return nil
}

// commit closes the writer, syncs, and renames the file into place; it returns its path.
func (p *partWriter) commit(w *parquet.Writer, rel func(string) string) (string, error) {
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("ingest: parquet: %w", err)
	}
	if p.f == nil {
		return "", errors.New("ingest: parquet: no row was written")
	}
	if err := p.bw.Flush(); err != nil {
		return "", err
	}
	if err := p.f.Chmod(0o600); err != nil {
		return "", err
	}
	if err := p.f.Sync(); err != nil {
		return "", err
	}
	if err := p.f.Close(); err != nil {
		return "", err
	}
	dst := filepath.Join(p.dir, p.name)
	if err := os.Rename(p.f.Name(), dst); err != nil {
		return "", err
	}
	p.done = true
	return rel(dst), nil
}

// abort removes the temporary file of a load that did not finish.
func (p *partWriter) abort() {
	if p.f != nil && !p.done {
		p.f.Close()
		os.Remove(p.f.Name())
	}
}
