package pipeline_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/pipeline"
	"github.com/minsheng/minsheng/warehouse"
)

// TestOnBuild: every build the pipeline swaps in, by Run, Build or BuildSoon, is handed to
// OnBuild's function before the caller has it (the server loads it at once, without polling);
// a run that builds nothing hands nothing over.
func TestOnBuild(t *testing.T) {
	dir := t.TempDir()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, _ := minsheng.LoadCounty("")
	plans, _ := minsheng.LoadPlans("", reg)
	p, err := pipeline.New(pipeline.Config{Dir: dir, Registry: reg, County: county, Plans: plans,
		Key: []byte("pipeline-test-key"), BuildDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var mu sync.Mutex
	var handed []string
	p.OnBuild(func(ctx context.Context, res *warehouse.BuildResult) {
		mu.Lock()
		defer mu.Unlock()
		handed = append(handed, res.Path)
	})
	last := func() (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if len(handed) == 0 {
			return 0, ""
		}
		return len(handed), handed[len(handed)-1]
	}
	ctx := context.Background()
	res, err := p.Run(ctx)
	if err != nil || res.Build == nil {
		t.Fatalf("first run: %+v %v", res, err)
	}
	if n, path := last(); n != 1 || path != res.Build.Path {
		t.Fatalf("after the first run: %d handed, the last %q; want 1, %q", n, path, res.Build.Path)
	}
	if res, err := p.Run(ctx); err != nil || res.Build != nil {
		t.Fatalf("a run with nothing new: %+v %v", res, err)
	}
	if n, _ := last(); n != 1 {
		t.Fatalf("a run that built nothing handed %d builds over", n-1)
	}
	b, err := p.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, path := last(); n != 2 || path != b.Path {
		t.Fatalf("after Build: %d handed, the last %q; want 2, %q", n, path, b.Path)
	}
	p.BuildSoon()
	waitFor(t, func() bool { n, path := last(); return n == 3 && path != b.Path })
}
