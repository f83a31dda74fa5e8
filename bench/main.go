// Command bench is `make bench`: it generates (or reuses) a province-sized year, ingests it, builds
// the warehouse and serves it, and measures each step side by side, in the same run, with what
// the step is compared against:
//
//   - ingest rows/s against DuckDB's own read_csv then COPY ... TO parquet of the same CSV files
//     (both in their own process, both free to use every core);
//   - the build's seconds;
//   - requests/s and p99 latency of /api/v1/targets against a bare Gin handler answering the
//     same bytes, with wrk in a second process on loopback;
//   - the peak resident memory of every process measured.
//
// It prints a table and rewrites the generated part of BENCHMARKS.md (between the bench markers).
//
//	bench [--dir bench-data] [--scale 100] [--minsheng bin/minsheng] [--bare bin/bench-bare]
//	      [--baseline REV] [--out BENCHMARKS.md] [--duration 15s] [--connections 32]
//
// Environment: BENCH_DIR, BENCH_SCALE, BENCH_BASELINE stand for the flags of the same name.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minsheng/minsheng/lake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The driver runs DuckDB and the fallback build in child processes of itself, so that each
	// measured step has a process, and a peak memory, of its own.
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case childDuckDB:
			exit(duckChild(ctx, os.Args[2:]))
		case childBuild:
			exit(buildChild(ctx, os.Args[2:]))
		}
	}
	exit(run(ctx, os.Args[1:]))
}

func exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// options are the driver's settings.
type options struct {
	dir         string  // scratch folder: fixtures, converted CSV, runs
	scale       float64 // fixtures --scale
	seed        int64
	minsheng    string // the binary under test
	bare        string // the bare Gin server
	baseline    string // a git revision whose ingest is measured on the same files ("before")
	out         string // BENCHMARKS.md
	duration    time.Duration
	connections int
	mixed       bool // also ingest the fixtures' own mixed files (xlsx, GBK, TSV)
	keep        bool // keep the run folders afterwards
	repeat      int  // rounds of the ingest comparison; the best of each is reported
	repo        string
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", envOr("BENCH_DIR", "bench-data"), "scratch folder (reused when it already holds the same scale)")
	scale, _ := strconv.ParseFloat(envOr("BENCH_SCALE", "100"), 64)
	fs.Float64Var(&o.scale, "scale", scale, "fixtures scale: 100 is a province-sized year (about 11 million rows)")
	fs.Int64Var(&o.seed, "seed", 1, "fixtures seed")
	fs.StringVar(&o.minsheng, "minsheng", "bin/minsheng", "the minsheng binary to measure")
	fs.StringVar(&o.bare, "bare", "bin/bench-bare", "the bare Gin server binary")
	fs.StringVar(&o.baseline, "baseline", os.Getenv("BENCH_BASELINE"), "a git revision whose ingest is also measured on the same files (before/after)")
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "the report to update (empty: none)")
	fs.DurationVar(&o.duration, "duration", 15*time.Second, "wrk duration per server")
	fs.IntVar(&o.connections, "connections", 32, "wrk connections")
	fs.BoolVar(&o.mixed, "mixed", envOr("BENCH_MIXED", "1") != "0", "also ingest the fixtures' own mixed files (xlsx, GBK CSV, TSV)")
	fs.BoolVar(&o.keep, "keep", false, "keep the run folders (lakes, archives) afterwards")
	repeat, _ := strconv.Atoi(envOr("BENCH_REPEAT", "2"))
	fs.IntVar(&o.repeat, "repeat", repeat, "rounds of DuckDB and ingest on the CSV files, in turn; the best of each is reported")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.repeat = max(o.repeat, 1)
	var err error
	if o.repo, err = os.Getwd(); err != nil {
		return err
	}
	for _, p := range []*string{&o.dir, &o.minsheng, &o.bare} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
	}
	if _, err := os.Stat(o.minsheng); err != nil {
		return fmt.Errorf("%s: %w (run `make build` first)", o.minsheng, err)
	}
	r := &report{opts: o, machine: machineInfo(), started: time.Now()}
	logf("machine: %s", r.machine)
	logf("scratch folder %s, scale %g", o.dir, o.scale)

	// 1. The year's files, and the same files as UTF-8 CSV.
	fx, err := ensureFixtures(ctx, o)
	if err != nil {
		return err
	}
	r.fixtures = fx
	conv, err := ensureCSV(ctx, o, fx)
	if err != nil {
		return err
	}
	r.csv = conv

	// 2. Ingest against DuckDB, on the same CSV files; the baseline binary on the same files too.
	bins := []ingestBin{{label: "minsheng ingest", path: o.minsheng}}
	if o.baseline != "" {
		p, rev, err := buildBaseline(ctx, o)
		if err != nil {
			return err
		}
		bins = append(bins, ingestBin{label: "minsheng ingest @" + rev + " (before)", path: p, baseline: true})
		r.baselineRev = rev
	}
	// Rounds in turn (DuckDB, then each ingest), the best of each kept: other work on the
	// machine slows one run or another, rarely all of them.
	var lakeDir string
	best := map[string]*ingestResult{}
	for round := 0; round < o.repeat; round++ {
		d, err := runDuckDB(ctx, o, conv)
		if err != nil {
			return err
		}
		r.duck = bestDuck(r.duck, d)
		for _, b := range bins {
			res, dir, err := runIngest(ctx, o, b, "csv", conv.inbox, conv.rows)
			if err != nil {
				return err
			}
			best[b.label] = bestIngest(best[b.label], res)
			if !b.baseline {
				lakeDir = dir
			} else if !o.keep {
				os.RemoveAll(dir)
			}
		}
	}
	for _, b := range bins {
		r.ingests = append(r.ingests, best[b.label])
	}
	if r.flat, err = runFlat(ctx, o, conv); err != nil {
		return err
	}
	if o.mixed {
		res, dir, err := runIngest(ctx, o, bins[0], "mixed", lake.Layout{Dir: fx.dir}.Inbox(), fx.rows)
		if err != nil {
			return err
		}
		r.ingests = append(r.ingests, res)
		if !o.keep {
			os.RemoveAll(dir)
		}
	}

	// 3. Build the warehouse from the lake the CSV ingest wrote.
	r.build, err = runBuild(ctx, o, lakeDir)
	if err != nil {
		return err
	}

	// 4. Serve it, and load it against a bare Gin handler.
	if r.build.err == nil {
		r.api, err = runAPI(ctx, o, lakeDir)
		if err != nil {
			return err
		}
	} else {
		r.api = &apiResult{skipped: "the build failed: " + r.build.err.Error()}
	}
	r.finished = time.Now()
	r.loadEnd = loadAvg()
	fmt.Println()
	fmt.Print(r.table())
	if o.out != "" {
		if err := r.write(o.out); err != nil {
			return err
		}
		logf("wrote %s", o.out)
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// errSkip marks a step that could not run here, with the reason to print.
var errSkip = errors.New("skipped")

func trimOutput(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}
