// Package pipeline is the one way new extracts become answers: ingest what is new in the inbox,
// then rebuild the warehouse when the lake changed (or none has been built). The nightly run of
// the server, `make run` and uploads all go through it, so they cannot drift apart.
package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

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
	// BuildDelay is how long BuildSoon waits for more uploads before it builds, so a unit sending
	// several files at once gets one build; 1 s when zero.
	BuildDelay time.Duration
	Log        *slog.Logger // where a background build's failure is told; slog.Default when nil
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
	mu  sync.Mutex // held by a run or a build: the nightly run and a background build never overlap

	// the background build of BuildSoon
	soon    sync.Mutex
	pending bool // asked for since the running build started (or none runs)
	running bool // a goroutine is waiting or building
	closed  bool
	ctx     context.Context // ends at Close: cancels a background build
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// uploads: one ingester, so that uploads share the folder's lock and run side by side; at
	// most one file at a time per lead unit, and two in all, so one unit sending large files
	// never makes another wait behind them.
	upMu    sync.Mutex
	up      *ingest.Ingester
	slots   chan struct{}
	perUnit map[string]chan struct{}

	onBuild atomic.Pointer[func(context.Context, *warehouse.BuildResult)] // OnBuild's
}

// New checks the configuration. Call Close when done, so no background build outlives its owner.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Dir == "" || cfg.Registry == nil || cfg.County == nil || len(cfg.Plans) == 0 {
		return nil, errors.New("pipeline: Dir, Registry, County and Plans are required")
	}
	if cfg.BuildDelay <= 0 {
		cfg.BuildDelay = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	p := &Pipeline{cfg: cfg, slots: make(chan struct{}, uploadsAtOnce), perUnit: map[string]chan struct{}{}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// Close cancels a background build and waits for it to end; BuildSoon does nothing after it.
// Safe to call more than once.
func (p *Pipeline) Close() error {
	p.soon.Lock()
	p.closed = true
	p.soon.Unlock()
	p.cancel()
	p.wg.Wait()
	return nil
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

// Upload ingests one file for a source now (an upload through the API or the page), waiting for
// a running ingest to end; name is only the file's name to show, path is where its bytes are. A
// file refused whole is a report with status rejected, not an error. It does not build: call
// BuildSoon when the report says rows landed.
// Errors: EINVALID for an unknown source; others are the folder's.
func (p *Pipeline) Upload(ctx context.Context, source, path, name string) (*lake.Report, error) {
	src, ok := p.cfg.Registry.Source(source)
	if !ok {
		return nil, minsheng.Errorf(minsheng.EINVALID, "未知的数据源“%s”", "unknown source %q", source)
	}
	p.upMu.Lock()
	if p.up == nil {
		in, err := ingest.New(ingest.Config{Dir: p.cfg.Dir, Registry: p.cfg.Registry, County: p.cfg.County, Key: p.cfg.Key})
		if err != nil {
			p.upMu.Unlock()
			return nil, err
		}
		p.up = in
	}
	in := p.up
	unit := p.perUnit[src.LeadUnit]
	if unit == nil {
		unit = make(chan struct{}, 1)
		p.perUnit[src.LeadUnit] = unit
	}
	p.upMu.Unlock()
	for _, slot := range []chan struct{}{unit, p.slots} { // the unit's own first: a unit waits behind itself
		select {
		case slot <- struct{}{}:
			defer func() { <-slot }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return in.IngestFile(ctx, source, path, name)
}

// uploadsAtOnce is how many uploaded files are ingested at once, each by several goroutines.
const uploadsAtOnce = 2

// OnBuild sets who is handed each build this pipeline swaps in, as soon as it is swapped in
// (by Run, Build or BuildSoon): the serving site's holder of the current answers, which loads it
// at once (site.Answers.Built). A build made by another process is not handed over; the holder
// watches for those. f runs before the build's caller gets the result.
func (p *Pipeline) OnBuild(f func(ctx context.Context, res *warehouse.BuildResult)) {
	p.onBuild.Store(&f)
}

// BuildSoon asks for a rebuild in the background and returns at once. Requests made while one
// waits, and all those made while one builds, are served by one more build; a build never runs
// beside the nightly run (they share the pipeline's lock). The build is handed to OnBuild's
// function. A failed build is logged; the previous warehouse serves.
func (p *Pipeline) BuildSoon() {
	p.soon.Lock()
	defer p.soon.Unlock()
	if p.closed {
		return
	}
	p.pending = true
	if p.running {
		return
	}
	p.running = true
	p.wg.Add(1)
	go p.buildLoop()
}

// buildLoop builds while builds are asked for, waiting BuildDelay first to gather a burst of
// uploads into one build.
func (p *Pipeline) buildLoop() {
	defer p.wg.Done()
	t := time.NewTimer(p.cfg.BuildDelay)
	defer t.Stop()
	select {
	case <-p.ctx.Done():
	case <-t.C:
	}
	for {
		p.soon.Lock()
		if !p.pending || p.closed || p.ctx.Err() != nil {
			p.running = false
			p.soon.Unlock()
			return
		}
		p.pending = false
		p.soon.Unlock()
		if _, err := p.Build(p.ctx); err != nil && p.ctx.Err() == nil {
			p.cfg.Log.Error("background build after an upload failed; the previous warehouse still serves", "err", err)
		}
	}
}

// Build rebuilds the warehouse from the lake as it is.
func (p *Pipeline) Build(ctx context.Context) (*warehouse.BuildResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.build(ctx)
}

func (p *Pipeline) build(ctx context.Context) (*warehouse.BuildResult, error) {
	res, err := warehouse.Build(ctx, warehouse.Config{Dir: p.cfg.Dir, Registry: p.cfg.Registry, County: p.cfg.County, Plans: p.cfg.Plans})
	if err != nil {
		return nil, err
	}
	if f := p.onBuild.Load(); f != nil && *f != nil {
		(*f)(ctx, res)
	}
	return res, nil
}

// built reports whether a warehouse has been swapped in.
func built(dir string) bool {
	_, err := os.Stat(lake.Layout{Dir: dir}.Current())
	return !errors.Is(err, fs.ErrNotExist)
}
