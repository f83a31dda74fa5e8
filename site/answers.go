package site

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/warehouse"
)

// Answers is the one holder of the current answers that every route reads, the API's and the
// pages' alike: the answers of the warehouse CURRENT names, held in memory (package indicators,
// so a request never queries DuckDB), and the folder's ingest history. A new warehouse is loaded
// beside the one serving and swapped in by one pointer, so a swap fails no request and none sees
// half of each. The pipeline of this process hands each build it swaps in to Built; Watch finds
// the builds of other processes (minsheng build beside a running server).
type Answers struct {
	dir     string
	log     *slog.Logger
	current atomic.Pointer[indicators.Snapshot]
	loadErr atomic.Pointer[error] // why no warehouse is loaded, while none is
	reload  sync.Mutex
	runs    *lake.RunCache
}

// NewAnswers holds the answers of data folder dir, with the ingest history's times in loc (nil:
// time.Local) and what it loads logged to log (nil: stderr). Call Reload (or Watch) to load.
func NewAnswers(dir string, loc *time.Location, log *slog.Logger) *Answers {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	a := &Answers{dir: dir, log: log, runs: lake.NewRunCache(dir, loc)}
	noWarehouse := error(minsheng.Errorf(minsheng.EUNAVAILABLE, "数据仓库尚未加载", "the warehouse is not loaded yet"))
	a.loadErr.Store(&noWarehouse)
	return a
}

// Snapshot is the answers being served, nil before the first load.
func (a *Answers) Snapshot() *indicators.Snapshot { return a.current.Load() }

// Current is the answers being served or, before the first load, why there are none (an
// EUNAVAILABLE error while no build exists).
func (a *Answers) Current() (*indicators.Snapshot, error) {
	if snap := a.current.Load(); snap != nil {
		return snap, nil
	}
	return nil, *a.loadErr.Load()
}

// Runs is the ingest history, newest first.
func (a *Answers) Runs() ([]lake.Run, error) { return a.runs.Runs() }

// Reload loads the warehouse CURRENT names if it is not the one being served. It reports whether
// it moved to a new file. On an error the served answers stay as they were.
func (a *Answers) Reload(ctx context.Context) (bool, error) {
	a.reload.Lock()
	defer a.reload.Unlock()
	name, err := os.ReadFile(lake.Layout{Dir: a.dir}.Current())
	if err == nil {
		if snap := a.current.Load(); snap != nil && filepath.Base(snap.Path) == strings.TrimSpace(string(name)) {
			return false, nil
		}
	}
	db, err := warehouse.Open(a.dir)
	if err != nil {
		if a.current.Load() == nil {
			a.loadErr.Store(&err)
		}
		return false, err
	}
	// the snapshot holds everything: the file is closed at once, so the next build may prune it
	snap, err := indicators.Load(ctx, db)
	db.Close()
	if err != nil {
		return false, err
	}
	a.current.Store(snap)
	a.log.Info("warehouse loaded", "file", filepath.Base(snap.Path), "years", snap.Years())
	return true, nil
}

// Built is handed a build the pipeline has just swapped in (pipeline.OnBuild), and loads it at
// once: the server serves a build of its own process without waiting for Watch. A build made
// since by anyone is loaded instead, as CURRENT names it. A failure is logged; the previous
// answers still serve.
func (a *Answers) Built(ctx context.Context, res *warehouse.BuildResult) {
	if _, err := a.Reload(ctx); err != nil && ctx.Err() == nil {
		a.log.Error("loading the new warehouse failed; still serving the previous one", "file", filepath.Base(res.Path), "err", err)
	}
}

// Watch reloads whenever CURRENT changes, checking every interval until ctx ends: for builds made
// by another process, since this process's own are handed to Built.
func (a *Answers) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := a.Reload(ctx); err != nil && !errors.Is(err, context.Canceled) {
			var me *minsheng.Error
			if !errors.As(err, &me) || me.Code != minsheng.EUNAVAILABLE {
				a.log.Error("warehouse reload failed; still serving the previous one", "err", err)
			}
		}
	}
}
