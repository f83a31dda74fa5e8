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
	got, err := db.Indicators(ctx, 2024, time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range got {
		if in.Code == "09" && (in.Actual == nil || *in.Actual != 1) {
			t.Errorf("09 on 2024-03-05: %v, want the one new aid", in.Actual)
		}
	}
}
