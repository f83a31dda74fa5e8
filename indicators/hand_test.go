package indicators_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/warehouse"
)

// The tests of this package read the hand lake (package handlake): a few rows per source,
// ingested and built for real, loaded once and asked through the Snapshot's public methods only,
// so they hold whatever the loading does inside.

// sharedHand is the hand lake built and loaded once for every test that only reads it.
var sharedHand struct {
	sync.Mutex
	dir  string
	snap *indicators.Snapshot
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedHand.dir != "" {
		os.RemoveAll(sharedHand.dir)
	}
	os.Exit(code)
}

// handSnapshot is the loaded answers of the hand lake's warehouse. A failed build fails the test
// that asked, and the next test tries again.
func handSnapshot(t *testing.T) *indicators.Snapshot {
	t.Helper()
	sharedHand.Lock()
	defer sharedHand.Unlock()
	if sharedHand.snap != nil {
		return sharedHand.snap
	}
	if sharedHand.dir != "" {
		os.RemoveAll(sharedHand.dir)
		sharedHand.dir = ""
	}
	dir, err := os.MkdirTemp("", "minsheng-indicators-hand-")
	if err != nil {
		t.Fatal(err)
	}
	sharedHand.dir = dir
	handlake.Build(t, dir)
	s, err := loadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sharedHand.snap = s
	return s
}

// loadDir loads the current warehouse of the data folder dir; the answers stay in memory, so the
// file is closed at once.
func loadDir(dir string) (*indicators.Snapshot, error) {
	db, err := warehouse.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	defer db.Close()
	return indicators.Load(context.Background(), db)
}
