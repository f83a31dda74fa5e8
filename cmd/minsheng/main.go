// Command minsheng ingests the lead units' extracts, builds the indicator warehouse and serves it.
//
//	minsheng fixtures --year 2024 --out DIR [--seed N] [--as-of 2024-10-31] [--scale 1]
//	minsheng ingest   --data DIR
//	minsheng build    --data DIR
//	minsheng serve    --data DIR --addr HOST:PORT [--nightly 02:00|off]
//	minsheng rekey    --data DIR --new-key-file PATH
//	minsheng user     add|passwd|disable|enable|unlock|list --data DIR ...
//	minsheng token    create|revoke|list --data DIR ...
//	minsheng plan     check [--targets DIR] [FILE ...] | measures
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // the county's time zone on a machine without tzdata

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/fixtures"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/lake"
)

const usage = `minsheng: 民生实事 target tracking / livelihood project tracking

Usage:
  minsheng fixtures --year 2024 --out DIR [--seed N] [--as-of YYYY-MM-DD] [--scale F]
  minsheng ingest   --data DIR
  minsheng build    --data DIR
  minsheng serve    --data DIR [--addr 127.0.0.1:8080] [--nightly 02:00|off]
  minsheng rekey    --data DIR --new-key-file PATH   rotate the pseudonym key (minsheng rekey -h)
  minsheng user     add|passwd|disable|enable|unlock|list --data DIR ...   (minsheng user help)
  minsheng token    create|revoke|list --data DIR ...                      (minsheng token help)
  minsheng demo-accounts --data DIR   one account per role with a random password (make run)
  minsheng plan     check [--targets DIR] [FILE ...] | measures   check a year's list without building

Common flags:
  --data DIR        the data folder (default ./data)
  --registry FILE   a source registry to use instead of the shipped one
  --county FILE     a county profile CSV (default: DIR/county.csv if present, else the demo county)
  --targets DIR     a folder of yearly target files <year>.yaml (default: the shipped ones)

The pseudonym key: MINSHENG_PII_KEY (the key), or MINSHENG_PII_KEY_FILE (a file outside the data
folder), else DIR/pii.key (the demo's; ingest and serve warn).
`

func main() {
	// Everything minsheng writes (the archive's clear originals, the lake, the warehouse, the
	// audit) is the service user's alone, whatever umask the shell or the unit gave.
	syscall.Umask(0o077)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Main holds what every subcommand shares.
type Main struct {
	Data     string
	Registry *minsheng.Registry
	County   *minsheng.County
	Plans    map[int]*minsheng.Plan // the yearly target lists, once loaded (serve, build)
	Stdout   io.Writer
}

// Run runs one subcommand and returns the exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunWithStdin(ctx, args, os.Stdin, stdout, stderr)
}

// RunWithStdin is Run reading standard input from stdin: user add and passwd read passwords there.
func RunWithStdin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	var err error
	switch args[0] {
	case "fixtures":
		err = runFixtures(ctx, args[1:], stdout)
	case "ingest":
		err = runIngest(ctx, args[1:], stdout, stderr)
	case "build":
		err = runBuild(ctx, args[1:], stdout)
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "rekey":
		err = runRekey(ctx, args[1:], stdout, stderr)
	case "user":
		err = runUser(ctx, args[1:], stdin, stdout, stderr)
	case "token":
		err = runToken(ctx, args[1:], stdout)
	case "demo-accounts":
		err = runDemoAccounts(ctx, args[1:], stdout)
	case "plan":
		err = runPlan(ctx, args[1:], stdout)
	default:
		fmt.Fprintf(stderr, "minsheng: 未知命令 / unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "minsheng %s: %s\n", args[0], minsheng.ErrorMessage(err))
		var me *minsheng.Error
		if !errors.As(err, &me) {
			fmt.Fprintf(stderr, "  (%v)\n", err)
		}
		return 1
	}
	return 0
}

// commonFlags registers --data, --registry and --county.
func commonFlags(fs *flag.FlagSet) (data, registry, county *string) {
	data = fs.String("data", "./data", "the data folder")
	registry = fs.String("registry", "", "a source registry file (default: the shipped one)")
	county = fs.String("county", "", "a county profile CSV (default: DATA/county.csv, else the demo county)")
	return
}

func loadMain(data, registry, county string, stdout io.Writer) (*Main, error) {
	reg, err := minsheng.LoadRegistry(registry)
	if err != nil {
		return nil, err
	}
	if county == "" {
		if p := (lake.Layout{Dir: data}).County(); fileExists(p) {
			county = p
		}
	}
	c, err := minsheng.LoadCounty(county)
	if err != nil {
		return nil, err
	}
	return &Main{Data: data, Registry: reg, County: c, Stdout: stdout}, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func runFixtures(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fixtures", flag.ContinueOnError)
	year := fs.Int("year", 2024, "the plan year")
	out := fs.String("out", "./data", "where to write inbox/<source>/ and expected.json")
	seed := fs.Int64("seed", 1, "the random seed: the same seed writes the same files")
	asOf := fs.String("as-of", "", "the extracts' date (default: October 31 of the year)")
	scale := fs.Float64("scale", 1, "1 is the demo county; 100 is a province-sized year")
	_, registry, county := commonFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := loadMain(*out, *registry, *county, stdout)
	if err != nil {
		return err
	}
	var at time.Time
	if *asOf != "" {
		if at, err = time.Parse("2006-01-02", *asOf); err != nil {
			return minsheng.Errorf(minsheng.EINVALID, "--as-of 应为 YYYY-MM-DD", "--as-of must be YYYY-MM-DD")
		}
	}
	exp, err := fixtures.Generate(ctx, fixtures.Options{
		Year: *year, Seed: *seed, AsOf: at, Out: *out, Registry: m.Registry, County: m.County, Scale: *scale,
	})
	if err != nil {
		return err
	}
	rows := 0
	for _, f := range exp.Files {
		rows += f.Rows
	}
	fmt.Fprintf(stdout, "已生成 %d 个文件、%d 行演示数据于 %s / wrote %d demo files, %d rows, to %s (as of %s)\n",
		len(exp.Files), rows, lake.Layout{Dir: *out}.Inbox(), len(exp.Files), rows, lake.Layout{Dir: *out}.Inbox(), exp.AsOf)
	return nil
}

func runIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	data, registry, county := commonFlags(fs)
	workers := fs.Int("workers", 0, "validating goroutines per file (default: the number of CPUs)")
	files := fs.Int("files", 0, "files ingested at once (default 2)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := loadMain(*data, *registry, *county, stdout)
	if err != nil {
		return err
	}
	key, err := checkKey(m.Data, stderr)
	if err != nil {
		return err
	}
	in, err := ingest.New(ingest.Config{Dir: m.Data, Registry: m.Registry, County: m.County, Key: key.Key, Workers: *workers, Files: *files})
	if err != nil {
		return err
	}
	sum, err := in.Run(ctx)
	if sum != nil {
		ingest.WriteSummary(stdout, sum)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "清单 manifest: %s\n", lake.Layout{Dir: m.Data}.Manifest())
	return nil
}
