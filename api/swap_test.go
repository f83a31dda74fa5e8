package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minsheng/minsheng/fixtures"
	"github.com/minsheng/minsheng/idcard"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/warehouse"
)

// TestSwapUnderLoad: requests run in a loop while new builds are swapped in, as the server's own
// watcher finds them; none fails, and the numbers move when a new extract lands.
func TestSwapUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the demo year three times")
	}
	dir := t.TempDir()
	cfg := config(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := fixtures.Generate(ctx, fixtures.Options{Year: 2024, Seed: 2, AsOf: demoAsOf, Out: dir,
		Registry: cfg.Registry, County: cfg.County}); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(ingest.Config{Dir: dir, Registry: cfg.Registry, County: cfg.County, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := warehouse.Build(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	srv := newAPI(testConfig{Dir: dir, Location: shanghai(t)})
	if _, err := srv.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	go srv.Watch(ctx, 20*time.Millisecond)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	before := actual09(t, hs.URL)

	var ok, failed atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	paths := []string{"/api/v1/targets?year=2024", "/api/v1/targets/10?year=2024&as_of=2024-06-30",
		"/api/v1/assessment/enrollment?year=2024", "/api/v1/checks?year=2024", "/healthz"}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, err := http.Get(hs.URL + paths[i%len(paths)])
				if err == nil {
					var v map[string]any
					err = json.NewDecoder(res.Body).Decode(&v)
					res.Body.Close()
					if err == nil && res.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s: %d %v", paths[i%len(paths)], res.StatusCode, v)
					}
				}
				if err != nil {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		}()
	}

	// a new extract of 县总工会 with one more aid on the newest record date, then a build
	addWorkerAid(t, dir)
	if _, err := in.Run(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := warehouse.Build(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, srv, first.Path)
	// and a rebuild of the same lake: the file the server moved to is replaced again
	second, err := warehouse.Build(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, srv, second.Path)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()

	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed during the swaps; first: %v", n, n+ok.Load(), firstFailure.Load())
	}
	if ok.Load() < 10 {
		t.Errorf("only %d requests ran during the swaps", ok.Load())
	}
	if after := actual09(t, hs.URL); after != before+1 {
		t.Errorf("09 is %v after the new extract, was %v: want one more", after, before)
	}
	t.Logf("%d requests during two swaps, none failed", ok.Load())
}

func waitFor(t *testing.T, srv *testServer, path string) {
	deadline := time.Now().Add(time.Minute)
	for srv.Snapshot().Path != path {
		if time.Now().After(deadline) {
			t.Fatalf("the server still serves %s, not %s", srv.Snapshot().Path, path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func actual09(t *testing.T, base string) float64 {
	var d indicators.TargetDetail
	get(t, base+"/api/v1/targets/09?year=2024", http.StatusOK, &d)
	return val(d.Actual)
}

// addWorkerAid writes a CSV the way 县总工会 would, with one 生活救助 to a new person dated on
// the newest record date, so the indicator moves without moving the as-of date.
func addWorkerAid(t *testing.T, dir string) {
	first17 := "34082619800101123"
	id := first17 + string(idcard.CheckChar(first17))
	body := "姓名,身份证号,乡镇,帮扶类型,救助金额,救助日期\r\n" +
		"测试人," + id + ",松兹街道,生活救助,800,2024-10-31\r\n"
	path := filepath.Join(dir, "inbox", "worker_aid", "补报.csv")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}
