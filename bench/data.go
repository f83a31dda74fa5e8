package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/minsheng/minsheng/fixtures"
	"github.com/minsheng/minsheng/lake"
)

// fixturesInfo is the generated year: the lead units' own mixed files.
type fixturesInfo struct {
	dir       string
	rows      int            // data rows, landed + rejected, as the generator counts them
	files     int            // files
	byFormat  map[string]int // data rows per format
	bytes     int64
	generated time.Duration // 0 when reused
}

// csvInfo is the same year as UTF-8 CSV files: what both ingest and DuckDB read.
type csvInfo struct {
	inbox     string // DIR/csv/inbox/<source>/<file>.csv
	files     []csvFile
	rows      int
	bytes     int64
	converted time.Duration // 0 when reused
}

// csvFile is one converted file and what DuckDB needs to read it.
type csvFile struct {
	Path   string `json:"path"`   // absolute
	Source string `json:"source"` // the registry source
	From   string `json:"from"`   // the fixtures format it was converted from
	Skip   int    `json:"skip"`   // lines above the header (title rows)
	Rows   int    `json:"rows"`   // data rows the generator wrote
}

func marker(o options) string { return fmt.Sprintf("scale=%g seed=%d year=2024\n", o.scale, o.seed) }

// done reports whether a folder holds a finished step for these options.
func done(dir string, o options) bool {
	b, err := os.ReadFile(filepath.Join(dir, ".bench-done"))
	return err == nil && string(b) == marker(o)
}

func markDone(dir string, o options) error {
	return os.WriteFile(filepath.Join(dir, ".bench-done"), []byte(marker(o)), 0o644)
}

// ensureFixtures generates the year with `minsheng fixtures`, or reuses a folder the driver
// finished generating with the same scale and seed.
func ensureFixtures(ctx context.Context, o options) (*fixturesInfo, error) {
	dir := filepath.Join(o.dir, "fixtures")
	fx := &fixturesInfo{dir: dir}
	if !done(dir, o) {
		logf("generating the year: minsheng fixtures --scale %g (a few minutes at 100)", o.scale)
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		m := measure(ctx, nil, o.minsheng, "fixtures", "--year", "2024", "--seed", fmt.Sprint(o.seed),
			"--scale", fmt.Sprint(o.scale), "--out", dir)
		if m.exitErr != nil {
			return nil, m.exitErr
		}
		fx.generated = m.wall
		if err := markDone(dir, o); err != nil {
			return nil, err
		}
	} else {
		logf("reusing %s", dir)
	}
	exp, err := fixtures.ReadExpected(filepath.Join(dir, "expected.json"))
	if err != nil {
		return nil, err
	}
	fx.byFormat = map[string]int{}
	for _, f := range exp.Files {
		fx.rows += f.Rows
		fx.files++
		fx.byFormat[f.Format] += f.Rows
		if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path))); err == nil {
			fx.bytes += st.Size()
		}
	}
	return fx, nil
}

// ensureCSV writes every file of the year as UTF-8 CSV, row for row: DuckDB's read_csv reads
// neither GBK nor xlsx without an extension fetched from the internet, so the comparison is on
// these files, and ingest reads exactly the same ones. Title rows, aliases, footers and bad rows
// stay as the units wrote them; xlsx cells are written as their raw values (dates as serials), as
// ingest reads them.
func ensureCSV(ctx context.Context, o options, fx *fixturesInfo) (*csvInfo, error) {
	dir := filepath.Join(o.dir, "csv")
	ci := &csvInfo{inbox: lake.Layout{Dir: dir}.Inbox()}
	list := filepath.Join(dir, "files.json")
	if done(dir, o) {
		b, err := os.ReadFile(list)
		if err == nil && json.Unmarshal(b, &ci.files) == nil {
			logf("reusing %s", dir)
			return ci.sum(), nil
		}
	}
	logf("converting the year to UTF-8 CSV for DuckDB (once per scale)")
	start := time.Now()
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	exp, err := fixtures.ReadExpected(filepath.Join(fx.dir, "expected.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range exp.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		src := filepath.Join(fx.dir, filepath.FromSlash(f.Path))
		base := strings.TrimSuffix(filepath.Base(f.Path), filepath.Ext(f.Path))
		dst := filepath.Join(ci.inbox, f.Source, base+".csv")
		skip, err := convert(src, dst, f.Format)
		if err != nil {
			return nil, fmt.Errorf("convert %s: %w", f.Path, err)
		}
		ci.files = append(ci.files, csvFile{Path: dst, Source: f.Source, From: f.Format, Skip: skip, Rows: f.Rows})
	}
	b, _ := json.MarshalIndent(ci.files, "", "  ")
	if err := os.WriteFile(list, b, 0o644); err != nil {
		return nil, err
	}
	if err := markDone(dir, o); err != nil {
		return nil, err
	}
	ci.converted = time.Since(start)
	logf("converted %d files in %s", len(ci.files), ci.converted.Round(time.Second))
	return ci.sum(), nil
}

func (ci *csvInfo) sum() *csvInfo {
	ci.rows, ci.bytes = 0, 0
	for _, f := range ci.files {
		ci.rows += f.Rows
		if st, err := os.Stat(f.Path); err == nil {
			ci.bytes += st.Size()
		}
	}
	return ci
}

// convert writes one fixtures file as UTF-8 CSV and returns the number of lines above its header.
func convert(src, dst, format string) (skip int, err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	bw := bufio.NewWriterSize(out, 1<<20)
	w := csv.NewWriter(bw)
	skip = -1
	n := 0
	write := func(rec []string) error {
		if skip < 0 && nonEmpty(rec) >= 3 {
			skip = n
		}
		n++
		return w.Write(rec)
	}
	if format == "xlsx" {
		err = readXLSX(src, write)
	} else {
		err = readCSV(src, format, write)
	}
	if err != nil {
		return 0, err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if skip < 0 {
		return 0, errors.New("no header row found")
	}
	return skip, out.Close()
}

func nonEmpty(rec []string) int {
	n := 0
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			n++
		}
	}
	return n
}

func readCSV(path, format string, each func([]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var text io.Reader = f
	switch format {
	case "csv-gbk", "tsv-gbk":
		text = transform.NewReader(f, simplifiedchinese.GB18030.NewDecoder())
	case "csv-utf8-bom":
		text = transform.NewReader(f, unicode.UTF8BOM.NewDecoder())
	}
	r := csv.NewReader(bufio.NewReaderSize(text, 1<<20))
	if strings.HasPrefix(format, "tsv") {
		r.Comma = '\t'
	}
	r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = -1, true, true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := each(rec); err != nil {
			return err
		}
	}
}

func readXLSX(path string, each func([]string) error) error {
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetList()[0])
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := rows.Columns()
		if err != nil {
			return err
		}
		if err := each(rec); err != nil {
			return err
		}
	}
	return rows.Error()
}

// linkTree fills dst with hard links to every file under src (a copy where links fail), so each
// run ingests the same bytes from a fresh inbox without copying a gigabyte.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if err := os.Link(path, to); err == nil {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(to)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// buildBaseline builds the minsheng binary of a git revision, for the "before" ingest figure.
func buildBaseline(ctx context.Context, o options) (path, rev string, err error) {
	b, err := exec.CommandContext(ctx, "git", "-C", o.repo, "rev-parse", "--short", o.baseline).Output()
	if err != nil {
		return "", "", fmt.Errorf("baseline %q: %w", o.baseline, err)
	}
	rev = strings.TrimSpace(string(b))
	src := filepath.Join(o.dir, "baseline", rev)
	path = filepath.Join(o.dir, "baseline", "minsheng-"+rev)
	if _, err := os.Stat(path); err == nil {
		return path, rev, nil
	}
	logf("building the baseline ingest at %s", rev)
	os.RemoveAll(src)
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", "", err
	}
	sh := fmt.Sprintf("git -C %q archive --format=tar %s | tar -x -C %q", o.repo, rev, src)
	if out, err := exec.CommandContext(ctx, "bash", "-c", sh).CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("baseline: %v: %s", err, out)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", path, "./cmd/minsheng")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("baseline build: %v: %s", err, out)
	}
	return path, rev, nil
}

// dirSize is the bytes of the files under a folder.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
