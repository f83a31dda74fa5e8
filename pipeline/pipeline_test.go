package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/idcard"
	"github.com/minsheng/minsheng/pipeline"
	"github.com/minsheng/minsheng/warehouse"
)

// TestRun: the first run builds a warehouse even from an empty lake (so the server has
// something to serve); a run with nothing new builds nothing; a run after a file lands rebuilds,
// and the new record counts.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, _ := minsheng.LoadCounty("")
	plans, _ := minsheng.LoadPlans("", reg)
	p, err := pipeline.New(pipeline.Config{Dir: dir, Registry: reg, County: county, Plans: plans, Key: []byte("pipeline-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := p.Run(ctx)
	if err != nil || res.Build == nil {
		t.Fatalf("first run: %+v %v, want a build", res, err)
	}
	res, err = p.Run(ctx)
	if err != nil || res.Build != nil {
		t.Fatalf("a run with nothing new: %+v %v, want no build", res, err)
	}

	first17 := "34082619800101123"
	id := first17 + string(idcard.CheckChar(first17))
	if err := os.MkdirAll(filepath.Join(dir, "inbox", "worker_aid"), 0o700); err != nil {
		t.Fatal(err)
	}
	csv := "姓名,身份证号,乡镇,帮扶类型,救助金额,救助日期\r\n测试人," + id + ",松兹街道,生活救助,800,2024-03-05\r\n"
	if err := os.WriteFile(filepath.Join(dir, "inbox", "worker_aid", "a.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err = p.Run(ctx)
	if err != nil || res.Build == nil || len(res.Ingest.Reports) != 1 {
		t.Fatalf("a run after a new file: %+v %v, want one report and a build", res, err)
	}
	db, err := warehouse.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var actual *float64
	if err := db.SQL().QueryRowContext(ctx, `select actual from mart_indicator_daily
		where year = 2024 and code = '09' and as_of_on = date '2024-03-05'`).Scan(&actual); err != nil {
		t.Fatal(err)
	}
	if actual == nil || *actual != 1 {
		t.Errorf("09 on 2024-03-05: %v, want the one new aid", actual)
	}
}

// TestUploadThenBuildSoon: an upload lands at once without building; BuildSoon, asked several
// times, builds in the background and CURRENT moves; Close waits for the build, and BuildSoon
// after Close starts nothing.
func TestUploadThenBuildSoon(t *testing.T) {
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
	ctx := context.Background()
	if _, err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	current := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "warehouse", "CURRENT"))
		return string(b)
	}
	before := current()

	first17 := "34082619800101123"
	id := first17 + string(idcard.CheckChar(first17))
	path := filepath.Join(t.TempDir(), "upload")
	csv := "姓名,身份证号,乡镇,帮扶类型,救助金额,救助日期\r\n测试人," + id + ",松兹街道,生活救助,800,2024-03-05\r\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := p.Upload(ctx, "worker_aid", path, `C:\台账\a.csv`)
	if err != nil || rep.Status != "landed" || rep.Landed != 1 || rep.FileName != "a.csv" {
		t.Fatalf("upload: %+v %v", rep, err)
	}
	if _, err := p.Upload(ctx, "no_such_source", path, "a.csv"); minsheng.ErrorCode(err) != minsheng.EINVALID {
		t.Errorf("unknown source: %v, want EINVALID", err)
	}
	if current() != before {
		t.Fatal("Upload built: it should leave that to BuildSoon")
	}
	// a nightly run at the same time shares the lock with the background build
	done := make(chan error, 1)
	go func() { _, err := p.Run(ctx); done <- err }()
	for range 3 {
		p.BuildSoon()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for current() == before {
		if time.Now().After(deadline) {
			t.Fatal("CURRENT did not change after BuildSoon")
		}
		time.Sleep(20 * time.Millisecond)
	}
	db, err := warehouse.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var actual *float64
	err = db.SQL().QueryRowContext(ctx, `select actual from mart_indicator_daily
		where year = 2024 and code = '09' and as_of_on = date '2024-03-05'`).Scan(&actual)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if actual == nil || *actual != 1 {
		t.Errorf("09 after the background build: %v, want the uploaded aid", actual)
	}
	p.Close()
	after := current()
	p.BuildSoon() // closed: nothing starts
	p.Close()
	if current() != after {
		t.Error("a build ran after Close")
	}
}

// TestCloseCancelsWaitingBuild: Close during the delay returns without building.
func TestCloseCancelsWaitingBuild(t *testing.T) {
	dir := t.TempDir()
	reg, _ := minsheng.LoadRegistry("")
	county, _ := minsheng.LoadCounty("")
	plans, _ := minsheng.LoadPlans("", reg)
	p, err := pipeline.New(pipeline.Config{Dir: dir, Registry: reg, County: county, Plans: plans,
		Key: []byte("pipeline-test-key"), BuildDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p.BuildSoon()
	p.Close()
	if _, err := os.Stat(filepath.Join(dir, "warehouse", "CURRENT")); err == nil {
		t.Error("a build ran although Close came first")
	}
}
