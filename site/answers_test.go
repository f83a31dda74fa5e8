package site_test

import (
	"context"
	"testing"
	"time"

	"github.com/minsheng/minsheng/warehouse"
)

// TestBuildsReachTheAnswers: a build of the site's own pipeline is served as soon as the build
// returns, handed over without any polling; a build made by another process (warehouse.Build
// here, as `minsheng build` beside the server) is found by Watch.
func TestBuildsReachTheAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds warehouses")
	}
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := f.pipeline.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.site.Answers.Snapshot().Path; got != res.Path {
		t.Fatalf("after the pipeline's build the site serves %s, not the new %s", got, res.Path)
	}
	other, err := warehouse.Build(ctx, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.site.Answers.Snapshot().Path; got != res.Path {
		t.Fatalf("another process's build reached the answers without Watch: %s", got)
	}
	done := make(chan struct{})
	go func() { defer close(done); f.site.Answers.Watch(ctx, 20*time.Millisecond) }()
	deadline := time.Now().Add(time.Minute)
	for f.site.Answers.Snapshot().Path != other.Path {
		if time.Now().After(deadline) {
			t.Fatalf("Watch did not find the other process's build %s", other.Path)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}
