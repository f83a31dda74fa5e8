package ingest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

const (
	batchRows     = 2048
	rowGroupRows  = 128 << 10 // bounds the writer's memory, whatever the file's size
	firstRejected = 20        // rejected cells listed in a report; the quarantine has them all
)

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

// batch is a run of raw rows on its way through the workers, in file order.
type batch struct {
	raws  [][]string
	nums  []int
	rows  []parquet.Row
	probs [][]problem // per raw row: rejected cells (nil when it landed)
	flags [][]problem
	done  chan struct{}
}

// load reads a file, validates its rows on all workers and writes the lake and quarantine files
// under temporary names, renaming them into place only when the whole file was read.
func (in *Ingester) load(ctx context.Context, src *minsheng.Source, path, name string, validUTF8 bool, now time.Time, rep *lake.Report) error {
	info, err := sniff(path, name, validUTF8)
	if err != nil {
		return err
	}
	rep.Format, rep.Encoding = info.Format, info.Encoding
	t, err := openTable(path, info, src.Sheet)
	if err != nil {
		return err
	}
	defer t.Close()

	m := newHeaderMatcher(in.cfg.Registry, src)
	var pos []int
	var best []int
	bestFound := -1
	for t.Next() {
		p, found := m.match(t.Row())
		if len(m.missingRequired(p)) == 0 {
			pos = p
			rep.HeaderRow = t.RowNum()
			break
		}
		if found > bestFound {
			best, bestFound = p, found
		}
		if t.RowNum() >= maxTitleRows {
			break
		}
	}
	if err := t.Err(); err != nil {
		return err
	}
	if pos == nil {
		if bestFound <= 0 {
			return errFile("找不到表头:前 %d 行中没有“%s”表的列名(文件是否放错了文件夹?)",
				"no header found: none of the first %d rows holds the columns of %q (is the file in the wrong folder?)",
				maxTitleRows, src.Title)
		}
		miss := strings.Join(m.missingRequired(best), "、")
		return errFile("缺少必需的列:%s", "required column missing: %s", miss)
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	plan := newRowPlan(src, in.cfg.County, pos, today)

	part := lake.Partition(in.layout.Lake(), src.Code, rep.IngestDate)
	qpart := lake.Partition(in.layout.Quarantine(), src.Code, rep.IngestDate)
	lw := &partWriter{dir: part, name: rep.SHA256 + ".parquet"}
	qw := &partWriter{dir: qpart, name: rep.SHA256 + ".parquet"}
	defer lw.abort()
	defer qw.abort()
	lakeSchemaV, _ := lakeSchema(src)
	qSchema, qIdx := quarantineSchema()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *batch, in.cfg.Workers*2)
	order := make(chan *batch, in.cfg.Workers*2+1)
	readErr := make(chan error, 1)
	go func() { // reader: the one goroutine touching the table
		defer close(work)
		defer close(order)
		b := &batch{done: make(chan struct{})}
		footer := newFooterMatcher(in.cfg.Registry.FooterMarkers)
		send := func() bool {
			select {
			case order <- b:
			case <-ctx.Done():
				return false
			}
			select {
			case work <- b:
			case <-ctx.Done():
				return false
			}
			b = &batch{done: make(chan struct{})}
			return true
		}
		for t.Next() {
			raw := t.Row()
			if plan.blank(raw) {
				rep.Skipped++
				continue
			}
			if footer.isFooter(raw) {
				rep.Skipped++
				continue
			}
			b.raws = append(b.raws, append([]string(nil), raw...))
			b.nums = append(b.nums, t.RowNum())
			if len(b.raws) == batchRows && !send() {
				readErr <- ctx.Err()
				return
			}
		}
		if err := t.Err(); err != nil {
			readErr <- err
			return
		}
		if len(b.raws) > 0 && !send() {
			readErr <- ctx.Err()
			return
		}
		readErr <- nil
	}()
	for w := 0; w < in.cfg.Workers; w++ {
		go func() {
			v := newValidator(plan, in.cfg.Key)
			for b := range work {
				b.rows = make([]parquet.Row, 0, len(b.raws))
				b.probs = make([][]problem, len(b.raws))
				b.flags = make([][]problem, len(b.raws))
				for i, raw := range b.raws {
					row, ok := v.convert(raw, b.nums[i], rep.SHA256)
					if ok {
						b.rows = append(b.rows, row)
					} else {
						b.probs[i] = append([]problem(nil), v.probs...)
					}
					if len(v.flags) > 0 {
						b.flags[i] = append([]problem(nil), v.flags...)
					}
				}
				b.raws = nil
				close(b.done)
			}
		}()
	}

	rep.Reasons, rep.Flags = map[string]int{}, map[string]int{}
	var writer, qwriter *parquet.Writer
	header := func(col int) string { return src.Columns[col].Header }
	for b := range order {
		select {
		case <-b.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if len(b.rows) > 0 {
			if writer == nil {
				if writer, err = lw.open(lakeSchemaV); err != nil {
					return err
				}
			}
			if _, err := writer.WriteRows(b.rows); err != nil {
				return fmt.Errorf("ingest: write: %w", err)
			}
			rep.Landed += len(b.rows)
		}
		for i, probs := range b.probs {
			rep.Rows++
			if fl := b.flags[i]; len(fl) > 0 {
				rep.Flagged++
				for _, f := range fl {
					rep.Flags[f.reason.Code]++
					if len(rep.FirstFlagged) < firstRejected {
						rep.FirstFlagged = append(rep.FirstFlagged, lake.Rejection{Row: b.nums[i], Column: header(f.col), Code: f.reason.Code, Zh: f.reason.Zh, En: f.reason.En, Value: f.value})
					}
				}
			}
			if probs == nil {
				continue
			}
			rep.Rejected++
			if qwriter == nil {
				if qwriter, err = qw.open(qSchema); err != nil {
					return err
				}
			}
			seen := map[string]bool{}
			qrows := make([]parquet.Row, 0, len(probs))
			for _, p := range probs {
				if !seen[p.reason.Code] {
					rep.Reasons[p.reason.Code]++
					seen[p.reason.Code] = true
				}
				rj := lake.Rejection{Row: b.nums[i], Column: header(p.col), Code: p.reason.Code, Zh: p.reason.Zh, En: p.reason.En, Value: p.value}
				if len(rep.First) < firstRejected {
					rep.First = append(rep.First, rj)
				}
				qrows = append(qrows, quarantineRow(qIdx, rep, src.Code, rj))
			}
			if _, err := qwriter.WriteRows(qrows); err != nil {
				return fmt.Errorf("ingest: quarantine: %w", err)
			}
		}
	}
	if err := <-readErr; err != nil {
		return err
	}
	if writer != nil {
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

func quarantineRow(idx map[string]int, rep *lake.Report, source string, r lake.Rejection) parquet.Row {
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
	return row
}

// partWriter writes one Parquet file under a temporary name in its partition.
type partWriter struct {
	dir, name string
	f         *os.File
	bw        *bufio.Writer
	done      bool
}

func (p *partWriter) open(schema *parquet.Schema) (*parquet.Writer, error) {
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(p.dir, "."+p.name+".*.partial")
	if err != nil {
		return nil, err
	}
	p.f, p.bw = f, bufio.NewWriterSize(f, 1<<20)
	return parquet.NewWriter(p.bw, schema, parquet.MaxRowsPerRowGroup(rowGroupRows), parquet.CreatedBy("minsheng", "", "")), nil
}

// commit closes the writer, syncs, and renames the file into place; it returns its path.
func (p *partWriter) commit(w *parquet.Writer, rel func(string) string) (string, error) {
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("ingest: parquet: %w", err)
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
