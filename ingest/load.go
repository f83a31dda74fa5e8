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
// under temporary names, renaming them into place only when the whole file was read.
func (in *Ingester) load(ctx context.Context, src *minsheng.Source, path, name string, validUTF8 bool, now time.Time, rep *lake.Report) error {
	info, err := sniff(path, name, validUTF8)
	if err != nil {
		return err
	}
	rep.Format, rep.Encoding = info.Format, info.Encoding
	t, h, err := in.openWithHeader(path, info, src)
	if err != nil {
		return err
	}
	defer t.Close()
	pos, titles := h.pos, h.titles
	rep.HeaderRow, rep.Sheet = h.row, h.sheet
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	plan := newRowPlan(src, in.cfg.County, pos, today)
	footer := newFooterMatcher(in.cfg.Registry.FooterMarkers)

	part := lake.Partition(in.layout.Lake(), src.Code, rep.IngestDate)
	qpart := lake.Partition(in.layout.Quarantine(), src.Code, rep.IngestDate)
	lw := &partWriter{dir: part, name: rep.SHA256 + ".parquet"}
	qw := &partWriter{dir: qpart, name: rep.SHA256 + ".parquet"}
	defer lw.abort()
	defer qw.abort()
	lakeSchemaV, _ := lakeSchema(src)
	qSchema, qIdx := quarantineSchema()
	// The lake file is made on the first row group committed: a file none of whose rows
	// landed has none.
	writer := lw.writer(lakeSchemaV)

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel (deferred below, so run first): no goroutine outlives the table
	defer cancel()
	segBatches := rowGroupRows / batchRows
	work := make(chan *segment, in.cfg.Workers)
	order := make(chan *segment, in.cfg.Workers)
	// Batches and row groups go round again once used, instead of being garbage: the rows in
	// flight are bounded by the channels above, and so are these.
	freeBatches := make(chan *batch, segBatches*(in.cfg.Workers*2+3))
	freeGroups := make(chan *parquet.ConcurrentRowGroupWriter, in.cfg.Workers*2+2)
	readErr := make(chan error, 1)
	wg.Add(1)
	go func() { // reader: the one goroutine touching the table
		defer wg.Done()
		var seg *segment
		defer func() {
			if seg != nil {
				close(seg.batches)
			}
			close(work)
			close(order)
		}()
		nb := 0 // batches sent in seg
		b := &batch{}
		send := func() bool {
			if seg == nil {
				seg = &segment{batches: make(chan *batch, segBatches), done: make(chan struct{})}
				select {
				case order <- seg:
				case <-ctx.Done():
					close(seg.batches)
					seg = nil
					return false
				}
				select {
				case work <- seg:
				case <-ctx.Done():
					return false
				}
			}
			ncells := len(b.cells) // b is the worker's once sent
			seg.batches <- b       // never waits: the channel holds a whole segment
			select {
			case b = <-freeBatches:
			default:
				b = &batch{cells: make([]string, 0, ncells), ends: make([]int, 0, batchRows), nums: make([]int, 0, batchRows), stray: make([]bool, 0, batchRows)}
			}
			if nb++; nb == segBatches {
				close(seg.batches)
				seg, nb = nil, 0
			}
			return true
		}
		for t.Next() {
			b.cells = append(b.cells, t.Row()...)
			b.ends = append(b.ends, len(b.cells))
			b.nums = append(b.nums, t.RowNum())
			// A stray quote flags its row here, where the row is known to be read as data or
			// not: one on a title or 合计 line flags no row, and one on a row flagged for
			// another reason too makes it no more than one flagged row.
			strays := t.Strays()
			b.stray = append(b.stray, len(strays) > 0 && strays[len(strays)-1] == t.RowNum())
			if len(b.nums) == batchRows && !send() {
				readErr <- ctx.Err()
				return
			}
		}
		if err := t.Err(); err != nil {
			readErr <- err
			return
		}
		if len(b.nums) > 0 && !send() {
			readErr <- ctx.Err()
			return
		}
		readErr <- nil
	}()
	for w := 0; w < in.cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := newValidator(plan, in.cfg.Key, rep.SHA256)
			cols := make([][]parquet.Value, plan.nLeaves)
			for seg := range work {
				for b := range seg.batches {
					if seg.err != nil || ctx.Err() != nil {
						continue // drain: the load is failing
					}
					o := outcome{}
					for i := range b.nums {
						raw := b.row(i)
						if plan.blank(raw) || footer.isFooter(raw) {
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
							n := notedRow{num: b.nums[i], stray: b.stray[i]}
							if !ok {
								n.probs = append([]problem(nil), v.probs...)
								n.values = v.rowValues()
							}
							if len(v.flags) > 0 {
								n.flags = append([]problem(nil), v.flags...)
							}
							o.noted = append(o.noted, n)
						}
					}
					if o.landed > 0 {
						if seg.rg == nil {
							select {
							case seg.rg = <-freeGroups:
							default:
								seg.rg = writer.BeginRowGroup()
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
					seg.outcomes = append(seg.outcomes, o)
					clear(b.cells) // the column buffers hold copies of what landed
					b.cells, b.ends, b.nums, b.stray = b.cells[:0], b.ends[:0], b.nums[:0], b.stray[:0]
					select {
					case freeBatches <- b:
					default:
					}
				}
				if seg.rg != nil && seg.err == nil {
					if err := seg.rg.Flush(); err != nil { // compress the last pages here, not in the committer
						seg.err = fmt.Errorf("ingest: write: %w", err)
					}
				}
				close(seg.done)
			}
		}()
	}

	rep.Reasons, rep.Flags = map[string]int{}, map[string]int{}
	var qwriter *parquet.Writer
	landed := false
	header := func(col int) string { return src.Columns[col].Header }
	for seg := range order {
		select {
		case <-seg.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if seg.err != nil {
			return seg.err
		}
		if seg.rg != nil {
			if _, err := seg.rg.Commit(); err != nil {
				return fmt.Errorf("ingest: write: %w", err)
			}
			landed = true
			select { // empty again, and ready for another segment
			case freeGroups <- seg.rg:
			default:
			}
		}
		for _, o := range seg.outcomes {
			rep.Rows += o.rows
			rep.Landed += o.landed
			rep.Skipped += o.skipped
			for _, n := range o.noted {
				if fl := n.flags; len(fl) > 0 || n.stray {
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
							rep.FirstFlagged = append(rep.FirstFlagged, lake.Rejection{Row: n.num, Column: header(f.col), Code: f.reason.Code, Zh: f.reason.Zh, En: f.reason.En, Value: f.value})
						}
					}
				}
				if n.probs == nil {
					continue
				}
				rep.Rejected++
				if qwriter == nil {
					if qwriter, err = qw.open(qSchema); err != nil {
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
					rj := lake.Rejection{Row: n.num, Column: header(p.col), Code: p.reason.Code, Zh: p.reason.Zh, En: p.reason.En, Value: p.value}
					if len(rep.First) < firstRejected {
						rep.First = append(rep.First, rj)
					}
					qrows = append(qrows, quarantineRow(qIdx, rep, src.Code, rj, n.values))
				}
				if _, err := qwriter.WriteRows(qrows); err != nil {
					return fmt.Errorf("ingest: quarantine: %w", err)
				}
			}
		}
	}
	if err := <-readErr; err != nil {
		return err
	}
	if err := account(t, rep, titles); err != nil {
		return err
	}
	rep.HiddenRows, rep.MergedRows = t.Info()
	if landed {
		if rep.LakeFile, err = lw.commit(writer, in.rel); err != nil {
			return err
		}
	}
	if qwriter != nil {
		if rep.QuarantineFile, err = qw.commit(qwriter, in.rel); err != nil {
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
