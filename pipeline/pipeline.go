// Package pipeline is the one way new extracts become answers: ingest what is new in the inbox,
// then rebuild the warehouse when the lake changed (or none has been built). The nightly run of
// the server, `make run` and uploads all go through it, so they cannot drift apart.
package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/warehouse"
)

// Config is what a run needs: the data folder and the registries it was started with.
type Config struct {
	Dir      string
	Registry *minsheng.Registry
	County   *minsheng.County
	Plans    map[int]*minsheng.Plan
	Key      []byte // the pseudonym key; ingest.LoadKey when nil
}

// Result is what one run did. Build is nil when the lake did not change.
type Result struct {
	Ingest *ingest.Summary
	Build  *warehouse.BuildResult
}

// Pipeline runs ingest then build, one run at a time within the process (the folder locks keep
// other processes apart).
type Pipeline struct {
	cfg Config
	mu  sync.Mutex
}

// New checks the configuration.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Dir == "" || cfg.Registry == nil || cfg.County == nil || len(cfg.Plans) == 0 {
		return nil, errors.New("pipeline: Dir, Registry, County and Plans are required")
	}
	return &Pipeline{cfg: cfg}, nil
}

// Run ingests the inbox and rebuilds the warehouse if a file landed or none exists yet.
func (p *Pipeline) Run(ctx context.Context) (*Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	in, err := ingest.New(ingest.Config{Dir: p.cfg.Dir, Registry: p.cfg.Registry, County: p.cfg.County, Key: p.cfg.Key})
	if err != nil {
		return nil, err
	}
	res := &Result{}
	res.Ingest, err = in.Run(ctx)
	if err != nil {
		return res, err
	}
	landed := false
	for _, r := range res.Ingest.Reports {
		landed = landed || r.Status == lake.StatusLanded
	}
	if !landed && built(p.cfg.Dir) {
		return res, nil
	}
	res.Build, err = p.build(ctx)
	return res, err
}

// Build rebuilds the warehouse from the lake as it is.
func (p *Pipeline) Build(ctx context.Context) (*warehouse.BuildResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.build(ctx)
}

func (p *Pipeline) build(ctx context.Context) (*warehouse.BuildResult, error) {
	return warehouse.Build(ctx, warehouse.Config{Dir: p.cfg.Dir, Registry: p.cfg.Registry, County: p.cfg.County, Plans: p.cfg.Plans})
}

// built reports whether a warehouse has been swapped in.
func built(dir string) bool {
	_, err := os.Stat(filepath.Join(lake.Layout{Dir: dir}.Warehouse(), "CURRENT"))
	return !errors.Is(err, fs.ErrNotExist)
}
