package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/warehouse"
)

// benchKey is the pseudonym key of every bench run: fixed, so two runs land the same pseudonyms.
const benchKey = "62656e63682d6b65792d6e6f742d7573656420696e2d70726f64756374696f6e"

const (
	childDuckDB = "__duckdb-copy"
	childBuild  = "__build"
)

type ingestBin struct {
	label, path string
	baseline    bool
}

// ingestResult is one ingest run over a set of files.
type ingestResult struct {
	label    string
	files    string // "csv" (the UTF-8 CSV files DuckDB reads too) or "mixed" (the units' own files)
	baseline bool
	m        measured
	walls    []time.Duration // every round's wall time; m is the fastest round
	rows     int             // rows ingest reported (landed + rejected)
	expected int             // data rows the generator wrote
	landed   int
	rejected int
	refused  int // files refused whole
	lake     int64
	quar     int64
}

func (r *ingestResult) rate() float64 { return float64(r.rows) / r.m.wall.Seconds() }

// bestIngest keeps the faster of two rounds, and every round's time.
func bestIngest(a, b *ingestResult) *ingestResult {
	if a == nil {
		b.walls = []time.Duration{b.m.wall}
		return b
	}
	walls := append(a.walls, b.m.wall)
	if b.m.wall < a.m.wall {
		a = b
	}
	a.walls = walls
	return a
}

func bestDuck(a, b *duckResult) *duckResult {
	if a == nil {
		b.walls = []time.Duration{b.m.wall}
		return b
	}
	walls := append(a.walls, b.m.wall)
	if b.m.wall < a.m.wall {
		a = b
	}
	a.walls = walls
	return a
}

func seconds(ds []time.Duration) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%.1f", d.Seconds()))
	}
	return strings.Join(parts, ", ")
}

// runIngest ingests an inbox into a fresh data folder with one binary, and reads the manifest.
func runIngest(ctx context.Context, o options, b ingestBin, files, inbox string, expected int) (*ingestResult, string, error) {
	name := "ingest-" + files
	if b.baseline {
		name += "-baseline"
	}
	dir := filepath.Join(o.dir, "runs", name)
	if err := os.RemoveAll(dir); err != nil {
		return nil, "", err
	}
	if err := linkTree(inbox, lake.Layout{Dir: dir}.Inbox()); err != nil {
		return nil, "", err
	}
	logf("%s on the %s files …", b.label, files)
	m := measure(ctx, []string{"MINSHENG_PII_KEY=" + benchKey}, b.path, "ingest", "--data", dir)
	if m.exitErr != nil {
		return nil, "", m.exitErr
	}
	res := &ingestResult{label: b.label, files: files, baseline: b.baseline, m: m, expected: expected}
	entries, err := lake.ReadManifest(dir)
	if err != nil {
		return nil, "", err
	}
	for _, e := range entries {
		res.rows += e.Rows
		res.landed += e.Landed
		res.rejected += e.Rejected
		if e.Status == lake.StatusRejected {
			res.refused++
		}
	}
	res.lake = dirSize(lake.Layout{Dir: dir}.Lake())
	res.quar = dirSize(lake.Layout{Dir: dir}.Quarantine())
	logf("  %d rows (%d landed, %d rejected) in %s: %.0f rows/s, CPU %.0f%%, peak RSS %s",
		res.rows, res.landed, res.rejected, m.wall.Round(100*time.Millisecond), res.rate(), m.cpuPercent(), mib(m.maxRSS))
	if expected >= 0 && res.rows != expected || res.refused > 0 {
		return nil, "", fmt.Errorf("%s read %d rows (%d files refused whole); the generator wrote %d", b.label, res.rows, res.refused, expected)
	}
	return res, dir, nil
}

// duckResult is DuckDB's CSV-to-Parquet of the same files.
type duckResult struct {
	m       measured
	walls   []time.Duration
	version string
	threads int
	written int64 // rows DuckDB wrote: it parses, casts and drops rows it cannot cast; it validates nothing
	rows    int   // data rows the generator wrote
	parquet int64
}

func (r *duckResult) rate() float64 { return float64(r.rows) / r.m.wall.Seconds() }

// runDuckDB runs DuckDB in a child process on the converted files, one COPY per file.
func runDuckDB(ctx context.Context, o options, ci *csvInfo) (*duckResult, error) {
	out := filepath.Join(o.dir, "runs", "duckdb")
	if err := os.RemoveAll(out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	list := filepath.Join(o.dir, "csv", "files.json")
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logf("DuckDB read_csv → COPY TO parquet (zstd) on the same %d files …", len(ci.files))
	m := measure(ctx, nil, self, childDuckDB, list, out)
	if m.exitErr != nil {
		return nil, m.exitErr
	}
	res := &duckResult{m: m, rows: ci.rows}
	var child struct {
		Version string `json:"version"`
		Threads int    `json:"threads"`
		Rows    int64  `json:"rows"`
	}
	if err := json.Unmarshal(m.stdout, &child); err != nil {
		return nil, fmt.Errorf("duckdb child: %w: %s", err, m.stdout)
	}
	res.version, res.threads, res.written = child.Version, child.Threads, child.Rows
	res.parquet = dirSize(out)
	logf("  DuckDB %s, %d threads: %d rows written in %s: %.0f rows/s, CPU %.0f%%, peak RSS %s",
		res.version, res.threads, res.written, m.wall.Round(100*time.Millisecond), res.rate(), m.cpuPercent(), mib(m.maxRSS))
	if !o.keep {
		os.RemoveAll(out)
	}
	return res, nil
}

// duckChild is the DuckDB process: every file through read_csv (its sniffer decides the
// delimiter and the types) into one zstd Parquet file each, as DuckDB's own tool would.
func duckChild(ctx context.Context, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: " + childDuckDB + " FILES.json OUTDIR")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var files []csvFile
	if err := json.Unmarshal(b, &files); err != nil {
		return err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	var res struct {
		Version string `json:"version"`
		Threads int    `json:"threads"`
		Rows    int64  `json:"rows"`
	}
	if err := db.QueryRowContext(ctx, `select version(), current_setting('threads')`).Scan(&res.Version, &res.Threads); err != nil {
		return err
	}
	for i, f := range files {
		// A title row above the header is skipped; a footer or a cell that does not cast to the
		// sniffed type is dropped (ignore_errors) instead of failing the file; short rows are
		// padded with nulls.
		q := fmt.Sprintf(`copy (select * from read_csv(%s, header = true, skip = %d, null_padding = true, ignore_errors = true))
			to %s (format parquet, compression zstd)`, lit(f.Path), f.Skip, lit(filepath.Join(args[1], fmt.Sprintf("%02d-%s.parquet", i, f.Source))))
		var n int64
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		res.Rows += n
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// buildResult is the warehouse build.
type buildResult struct {
	how       string // the command line, or "warehouse.Build (fallback)"
	m         measured
	warehouse int64
	err       error
}

// hasSubcommand reports whether the binary knows a subcommand: `minsheng X --help` exits 0 for
// one it knows, 2 for one it does not.
func hasSubcommand(ctx context.Context, bin, sub string) bool {
	m := run1(ctx, false, nil, bin, sub, "--help")
	return m.exitErr == nil
}

// runBuild builds the warehouse from the lake of a data folder: `minsheng build --data DIR`, or,
// while the binary has no build subcommand, warehouse.Build in a child process of the driver.
func runBuild(ctx context.Context, o options, dir string) (*buildResult, error) {
	res := &buildResult{}
	if err := os.RemoveAll(lake.Layout{Dir: dir}.Warehouse()); err != nil {
		return nil, err
	}
	if hasSubcommand(ctx, o.minsheng, "build") {
		res.how = "minsheng build --data DIR"
		logf("minsheng build --data %s …", dir)
		res.m = measure(ctx, []string{"MINSHENG_PII_KEY=" + benchKey}, o.minsheng, "build", "--data", dir)
	} else {
		res.how = "warehouse.Build (the binary has no build subcommand yet)"
		logf("minsheng has no build subcommand: building with warehouse.Build in a child process …")
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		res.m = measure(ctx, nil, self, childBuild, dir)
	}
	res.err = res.m.exitErr
	res.warehouse = dirSize(lake.Layout{Dir: dir}.Warehouse())
	if res.err != nil {
		logf("  build failed: %v", res.err)
	} else {
		logf("  built in %s, peak RSS %s, warehouse %s", res.m.wall.Round(100*time.Millisecond), mib(res.m.maxRSS), mib(res.warehouse))
	}
	return res, nil
}

// buildChild builds the warehouse of a data folder with the shipped registry, county and plans.
func buildChild(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: " + childBuild + " DIR")
	}
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		return err
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		return err
	}
	plans, err := minsheng.LoadPlans("", reg)
	if err != nil {
		return err
	}
	res, err := warehouse.Build(ctx, warehouse.Config{Dir: args[0], Registry: reg, County: county, Plans: plans})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "built %s in %s from %d files\n", res.Path, res.Duration.Round(time.Millisecond), res.Files)
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// runFlat ingests the largest CSV file alone, and a file of its first tenth, for peak memory
// against file size.
func runFlat(ctx context.Context, o options, ci *csvInfo) ([]*ingestResult, error) {
	var big csvFile
	for _, f := range ci.files {
		if f.Rows > big.Rows {
			big = f
		}
	}
	var out []*ingestResult
	for _, part := range []int{10, 1} {
		inbox := filepath.Join(o.dir, "runs", fmt.Sprintf("flat-inbox-%d", part))
		os.RemoveAll(inbox)
		dst := filepath.Join(inbox, big.Source, filepath.Base(big.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := headLines(big.Path, dst, big.Skip+1+big.Rows/part); err != nil {
			return nil, err
		}
		res, dir, err := runIngest(ctx, o, ingestBin{label: fmt.Sprintf("largest file, 1/%d", part), path: o.minsheng}, "flat", inbox, -1)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
		os.RemoveAll(dir)
		os.RemoveAll(inbox)
	}
	return out, nil
}

// headLines copies the first n lines of a file.
func headLines(src, dst string, n int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(in, 1<<20)
	bw := bufio.NewWriterSize(out, 1<<20)
	lines := 0
	for lines < n {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			bw.Write(line)
			lines++
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			out.Close()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
