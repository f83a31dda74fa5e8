package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// report is everything one run measured.
type report struct {
	opts              options
	machine           machine
	started, finished time.Time
	loadEnd           string
	fixtures          *fixturesInfo
	csv               *csvInfo
	baselineRev       string
	duck              *duckResult
	ingests           []*ingestResult
	flat              []*ingestResult // the largest file, and its first tenth
	build             *buildResult
	api               *apiResult
}

const (
	beginMark = "<!-- bench:begin: written by `make bench`; edit outside the markers -->"
	endMark   = "<!-- bench:end -->"
)

func (r *report) command() string {
	c := fmt.Sprintf("make bench BENCH_SCALE=%g", r.opts.scale)
	if r.opts.baseline != "" {
		c += " BENCH_BASELINE=" + r.opts.baseline
	}
	return c
}

// table is the run as Markdown: printed, and put between the markers of BENCHMARKS.md.
func (r *report) table() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("### Latest run: %s\n\n", r.started.Format("2006-01-02 15:04 MST"))
	p("Command: `%s` (%s in all). Machine: %s; load average at the end %s (1, 5, 15 min: other work shares the cores, so figures move by 10-20%% between runs).\n\n",
		r.command(), r.finished.Sub(r.started).Round(time.Second), r.machine, r.loadEnd)
	fx := r.fixtures
	var formats []string
	for _, k := range sortedKeys(fx.byFormat) {
		formats = append(formats, fmt.Sprintf("%s %d", k, fx.byFormat[k]))
	}
	p("The year: `minsheng fixtures --scale %g`, %d files, %d data rows (%s), %s as the units send them",
		r.opts.scale, fx.files, fx.rows, strings.Join(formats, ", "), mib(fx.bytes))
	if fx.generated > 0 {
		p(", generated in %s", fx.generated.Round(time.Second))
	}
	p(". The same files as UTF-8 CSV (what DuckDB can read offline, and what the `csv` rows below ingest): %d files, %s.\n\n", len(r.csv.files), mib(r.csv.bytes))

	p("#### Ingest, beside DuckDB's CSV-to-Parquet of the same files\n\n")
	p("| run | files | rows | seconds (each round) | rows/s | vs DuckDB | CPU | CPU µs/row | peak RSS | output |\n")
	p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	d := r.duck
	p("| DuckDB %s `read_csv` → `COPY … TO parquet` (zstd), %d threads | csv | %d | %.1f (%s) | %.0f | 1.00 | %.0f%% | %.2f | %s | %s Parquet, %d rows written |\n",
		d.version, d.threads, d.rows, d.m.wall.Seconds(), seconds(d.walls), d.rate(), d.m.cpuPercent(), d.m.cpuPerRow(d.rows), mib(d.m.maxRSS), mib(d.parquet), d.written)
	for _, in := range r.ingests {
		vs := "—"
		if in.files == "csv" {
			vs = fmt.Sprintf("**%.2f**", in.rate()/d.rate())
		}
		walls := in.walls
		if len(walls) == 0 {
			walls = []time.Duration{in.m.wall}
		}
		p("| %s | %s | %d | %.1f (%s) | %.0f | %s | %.0f%% | %.2f | %s | %s lake + %s quarantine; %d landed, %d rejected |\n",
			in.label, in.files, in.rows, in.m.wall.Seconds(), seconds(walls), in.rate(), vs, in.m.cpuPercent(), in.m.cpuPerRow(in.rows), mib(in.m.maxRSS),
			mib(in.lake), mib(in.quar), in.landed, in.rejected)
	}
	for _, in := range r.ingests {
		if in.baseline {
			for _, now := range r.ingests {
				if !now.baseline && now.files == in.files {
					p("\nBefore → after on the same %s files, same run: %.0f → %.0f rows/s (×%.2f), peak RSS %s → %s.\n",
						in.files, in.rate(), now.rate(), now.rate()/in.rate(), mib(in.m.maxRSS), mib(now.m.maxRSS))
				}
			}
		}
	}
	p("\n`rows` are data rows (landed + rejected); seconds are the wall time of the whole process, the best of %d rounds run in turn (DuckDB, ingest, the baseline ingest; the mixed files once); CPU and peak RSS are of that round.", r.opts.repeat)
	p(" Ingest also archives every original by SHA-256, validates every cell, pseudonymises (HMAC-SHA256) and masks people, quarantines bad cells with reasons and fsyncs its files; DuckDB sniffs types and drops rows that do not cast (footers, bad cells), validating nothing.\n\n")

	if len(r.flat) == 2 {
		small, big := r.flat[0], r.flat[1]
		p("Memory is flat with file size: the largest file alone (%d rows) peaks at %s RSS, its first tenth (%d rows) at %s.\n\n",
			big.rows, mib(big.m.maxRSS), small.rows, mib(small.m.maxRSS))
	}
	p("#### Build\n\n")
	b0 := r.build
	if b0.err != nil {
		p("The build failed: `%v`\n\n", b0.err)
	} else {
		p("| build | seconds | CPU | peak RSS | warehouse file |\n| --- | ---: | ---: | ---: | ---: |\n")
		p("| %s, on the lake of the csv ingest (%d rows landed) | %.1f | %.0f%% | %s | %s |\n\n",
			b0.how, r.landedCSV(), b0.m.wall.Seconds(), b0.m.cpuPercent(), mib(b0.m.maxRSS), mib(b0.warehouse))
	}

	p("#### API: `GET %s`, beside a bare Gin handler\n\n", targetsPath)
	a := r.api
	if a.skipped != "" {
		p("Not measured: %s.\n", a.skipped)
		return b.String()
	}
	p("`%s`; ready (`/healthz` 200) %s after start. Load: `%s URL` from a second process on 127.0.0.1, after a 2 s warm-up, %d rounds in turn, the best of each. The bare server (`bench/bare`) is `gin.New()` with one route answering the same %d bytes from memory.%s\n\n",
		a.serveCmd, a.ready.Round(100*time.Millisecond), a.wrkArgs, r.opts.repeat, a.size, authNote(a.auth))
	p("| server | requests/s | vs bare | p50 | p99 | p99 vs bare | peak RSS |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	p("| minsheng serve | %.0f | **%.2f** | %s | %s | %.2f | %s |\n", a.serve.rps, a.serve.rps/a.bare.rps, a.serve.p50, a.serve.p99,
		float64(a.serve.p99)/float64(a.bare.p99), mib(a.serveRSS))
	p("| bare Gin handler | %.0f | 1.00 | %s | %s | 1.00 | %s |\n", a.bare.rps, a.bare.p50, a.bare.p99, mib(a.bareRSS))
	if a.serve.errors != "" || a.bare.errors != "" {
		p("\nwrk reported: minsheng %q; bare %q.\n", a.serve.errors, a.bare.errors)
	}
	return b.String()
}

func (r *report) landedCSV() int {
	for _, in := range r.ingests {
		if in.files == "csv" && !in.baseline {
			return in.landed
		}
	}
	return 0
}

// write puts the run between the markers of the report file, keeping everything else.
func (r *report) write(path string) error {
	section := beginMark + "\n\n" + r.table() + "\n" + endMark
	old, err := os.ReadFile(path)
	var text string
	switch {
	case os.IsNotExist(err):
		text = "# Benchmarks\n\n" + section + "\n"
	case err != nil:
		return err
	default:
		s := string(old)
		i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
		if i < 0 || j < i {
			text = strings.TrimRight(s, "\n") + "\n\n" + section + "\n"
		} else {
			text = s[:i] + section + s[j+len(endMark):]
		}
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// authNote says how minsheng's requests were authenticated (the bare handler checks nothing).
func authNote(auth string) string {
	if auth == "" {
		return ""
	}
	return " minsheng: " + auth + " (the bare handler checks nothing)."
}
