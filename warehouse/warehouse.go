// Package warehouse turns the lake into the DuckDB warehouse the API serves from: it loads the
// committed Parquet files, the year's plans and the county profile, runs the models of sql/ in
// order, runs the data tests, and swaps the new file in atomically. Serving opens the current file
// read-only (Open); a build never touches the file being served.
//
//	DIR/warehouse/minsheng-<timestamp>.duckdb   one file per successful build
//	DIR/warehouse/CURRENT                       the name of the file to serve (temp + rename)
//	DIR/warehouse/.build.lock                   one build at a time per data folder
package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
	msql "github.com/minsheng/minsheng/sql"
)

// TimeZone is the county's: DuckDB sessions use it, so a timestamp shows as the county reads it.
const TimeZone = "Asia/Shanghai"

// Config is what a build needs.
type Config struct {
	Dir      string // the data folder (lake.Layout)
	Registry *minsheng.Registry
	County   *minsheng.County
	Plans    map[int]*minsheng.Plan
}

// BuildResult is what a build made.
type BuildResult struct {
	Path     string           // the new warehouse file, now CURRENT
	Duration time.Duration    // the whole build, swap included
	Files    int              // committed lake files read
	Rows     map[string]int64 // rows per table built or loaded (models, lake_files, plan_*, ...)
	Models   []string         // models in the order they ran
	Tests    []string         // data tests run, all passed
	// Absent lists, per source, the registry columns no committed file of the source has: read
	// as null. Expected for a column added to the registry after its files were written; for
	// any other column it means the lake and the registry disagree.
	Absent map[string][]string
	// Timings is the time of each step: "load", "lake", every model and test by name,
	// "checkpoint", for finding the slow step at scale.
	Timings map[string]time.Duration
}

// TestFailure is a data test that returned rows: the build is refused and CURRENT is untouched.
type TestFailure struct {
	Test  string
	Rows  int      // rows shown (at most maxShownRows; more may exist)
	First []string // the first offending rows, as column=value lists
}

const maxShownRows = 5

func (e *TestFailure) Error() string {
	return fmt.Sprintf("warehouse: data test %s failed; first offending rows:\n  %s",
		e.Test, strings.Join(e.First, "\n  "))
}

const (
	filePrefix = "minsheng-"
	fileSuffix = ".duckdb"
)

// Build builds a new warehouse file from the committed lake and makes it CURRENT. A build that
// fails at any step (a model, a data test, the context) deletes its own file and leaves CURRENT
// and the file it names as they were. After the swap it removes older warehouse files, keeping
// the new one and the one it replaced (a reader may still have it open).
func Build(ctx context.Context, cfg Config) (*BuildResult, error) {
	start := time.Now()
	if cfg.Dir == "" || cfg.Registry == nil || cfg.County == nil || len(cfg.Plans) == 0 {
		return nil, errors.New("warehouse: Dir, Registry, County and Plans are required")
	}
	layout := lake.Layout{Dir: cfg.Dir}
	dir := layout.Warehouse()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	lk, err := lockBuild(layout.BuildLock())
	if err != nil {
		return nil, err
	}
	defer lk.unlock()

	entries, err := lake.ReadManifest(cfg.Dir)
	if err != nil {
		return nil, err
	}
	committed := lake.Committed(entries)

	name := filePrefix + start.UTC().Format("20060102T150405.000000000Z") + fileSuffix
	path := layout.WarehouseFile(name)
	res, err := build(ctx, cfg, path, committed)
	if err != nil {
		removeDB(path)
		return nil, err
	}
	// DuckDB creates its file by the process's umask; the warehouse holds pseudonyms and masked
	// rows, readable by the service user only, like everything else in the folder.
	for _, p := range []string{path, path + ".wal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			removeDB(path)
			return nil, fmt.Errorf("warehouse: %w", err)
		}
	}
	previous, _ := current(layout)
	if err := lake.WriteFileAtomic(layout.Current(), []byte(name+"\n"), 0o600); err != nil {
		removeDB(path)
		return nil, fmt.Errorf("warehouse: swap: %w", err)
	}
	prune(layout, name, previous)
	res.Path = path
	res.Duration = time.Since(start)
	return res, nil
}

// build writes the warehouse file at path: tables loaded from Go, the lake as views, the models,
// the data tests, a checkpoint.
func build(ctx context.Context, cfg Config, path string, committed []lake.Entry) (*BuildResult, error) {
	db, err := openDuckDB(path, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// One connection for the whole build: the intermediate models are temporary tables, visible
	// to the connection that made them alone.
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	defer conn.Close()
	// The models do not rely on row order; letting DuckDB drop it saves memory at scale.
	if _, err := conn.ExecContext(ctx, "set preserve_insertion_order = false"); err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}

	res := &BuildResult{Files: len(committed), Rows: map[string]int64{}, Timings: map[string]time.Duration{}}
	step := time.Now()
	lap := func(name string) {
		res.Timings[name] = time.Since(step)
		step = time.Now()
	}
	if err := loadTables(ctx, conn, cfg, committed, res.Rows); err != nil {
		return nil, err
	}
	lap("load")
	if res.Absent, err = createLakeViews(ctx, conn, cfg.Dir, cfg.Registry, committed); err != nil {
		return nil, err
	}
	if err := createNameMasks(ctx, conn, cfg.Registry); err != nil {
		return nil, err
	}
	lap("lake")

	models, err := msql.Models()
	if err != nil {
		return nil, err
	}
	for _, m := range models {
		if err := runModel(ctx, conn, m, res.Rows); err != nil {
			return nil, err
		}
		res.Models = append(res.Models, m.Name)
		lap(m.Name)
	}

	tests, err := msql.Tests()
	if err != nil {
		return nil, err
	}
	for _, t := range tests {
		if err := runTest(ctx, conn, t); err != nil {
			return nil, err
		}
		res.Tests = append(res.Tests, t.Name)
		lap("test " + t.Name)
	}

	if _, err := conn.ExecContext(ctx, "checkpoint"); err != nil {
		return nil, fmt.Errorf("warehouse: checkpoint: %w", err)
	}
	lap("checkpoint")
	if err := conn.Close(); err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	if err := db.Close(); err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	return res, nil
}

func runModel(ctx context.Context, conn *sql.Conn, m msql.Model, rows map[string]int64) error {
	if _, err := conn.ExecContext(ctx, m.Create()); err != nil {
		return fmt.Errorf("warehouse: %s: %w", m.Path, err)
	}
	if m.Materialization == msql.DDL {
		return nil
	}
	var n int64
	if err := conn.QueryRowContext(ctx, "select count(*) from "+m.Name).Scan(&n); err != nil {
		return fmt.Errorf("warehouse: %s: %w", m.Path, err)
	}
	rows[m.Name] = n
	return nil
}

// runTest fails with the test's name and its first rows when the test returns any.
func runTest(ctx context.Context, conn *sql.Conn, t msql.Model) error {
	q := fmt.Sprintf("select * from (\n%s\n) as failing limit %d", t.SQL, maxShownRows)
	rs, err := conn.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("warehouse: data test %s: %w", t.Path, err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return err
	}
	f := &TestFailure{Test: t.Name}
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return fmt.Errorf("warehouse: data test %s: %w", t.Path, err)
		}
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = fmt.Sprintf("%s=%v", c, show(vals[i]))
		}
		f.Rows++
		f.First = append(f.First, strings.Join(parts, " "))
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("warehouse: data test %s: %w", t.Path, err)
	}
	if f.Rows > 0 {
		return f
	}
	return nil
}

func show(v any) any {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return fmt.Sprintf("%x", x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format(time.RFC3339)
	}
	return v
}

// openDuckDB opens a warehouse file with the county's time zone on every connection.
func openDuckDB(path string, readOnly bool) (*sql.DB, error) {
	dsn := path
	if readOnly {
		dsn += "?access_mode=READ_ONLY"
	}
	c, err := duckdb.NewConnector(dsn, func(execer driver.ExecerContext) error {
		_, err := execer.ExecContext(context.Background(), "set timezone = '"+TimeZone+"'", nil)
		return err
	})
	if err != nil {
		return nil, friendlyOpenError(err)
	}
	return sql.OpenDB(c), nil
}

// friendlyOpenError turns DuckDB's lock conflict, which names a PID and a file, into what a
// person can act on.
func friendlyOpenError(err error) error {
	if strings.Contains(strings.ToLower(err.Error()), "could not set lock") {
		return &minsheng.Error{
			Code: minsheng.ECONFLICT,
			Zh:   "数据仓库文件被另一个进程占用:minsheng 是否已在此数据目录上运行?",
			En:   "the warehouse file is locked by another process: is minsheng already running on this data folder?",
			Err:  err,
		}
	}
	return fmt.Errorf("warehouse: open: %w", err)
}

// current reads the name CURRENT points to ("" when there is none).
func current(l lake.Layout) (string, error) {
	b, err := os.ReadFile(l.Current())
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if name != filepath.Base(name) || !strings.HasPrefix(name, filePrefix) || !strings.HasSuffix(name, fileSuffix) {
		return "", fmt.Errorf("warehouse: CURRENT names %q, not a warehouse file", name)
	}
	return name, nil
}

// removeDB deletes a warehouse file with its write-ahead log and spill folder.
func removeDB(path string) {
	os.Remove(path)
	os.Remove(path + ".wal")
	os.RemoveAll(path + ".tmp")
}

// prune removes warehouse files other than the current and the previous one. Files are named by
// build time, so a build running in another process cannot lose its file: builds hold the lock.
func prune(l lake.Layout, keep, previous string) {
	entries, err := os.ReadDir(l.Warehouse())
	if err != nil {
		return
	}
	var old []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, filePrefix) || !strings.HasSuffix(n, fileSuffix) || n == keep || n == previous {
			continue
		}
		old = append(old, n)
	}
	sort.Strings(old)
	for _, n := range old {
		removeDB(l.WarehouseFile(n))
	}
}

// buildLock is an advisory lock on the warehouse folder: one build at a time. The kernel drops it
// when the process dies, so a killed build never leaves the folder locked.
type buildLock struct{ f *os.File }

func lockBuild(path string) (*buildLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, minsheng.Errorf(minsheng.ECONFLICT, "另一个数据仓库构建正在此数据目录上运行,请稍后再试",
				"another warehouse build is running on this data folder; try again when it ends")
		}
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	return &buildLock{f}, nil
}

func (l *buildLock) unlock() {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
