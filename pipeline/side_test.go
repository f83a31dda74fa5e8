package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/idcard"
	"github.com/minsheng/minsheng/pipeline"
)

// One unit's large upload does not hold up another unit's: uploads of different units are
// ingested side by side (before, each waited for the folder's lock, and a small file of 县残联
// waited behind a large one of 县总工会 to its end).
func TestUploadsOfDifferentUnitsSideBySide(t *testing.T) {
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
	defer p.Close()
	first17 := "34082619800101123"
	id := first17 + string(idcard.CheckChar(first17))
	var big strings.Builder
	big.WriteString("姓名,身份证号,乡镇,帮扶类型,救助金额,救助日期\r\n")
	for i := 0; i < 150_000; i++ {
		fmt.Fprintf(&big, "测试人,%s,松兹街道,生活救助,%d,2024-03-05\r\n", id, 100+i%500)
	}
	bigPath := filepath.Join(t.TempDir(), "big.csv")
	os.WriteFile(bigPath, []byte(big.String()), 0o600)
	smallPath := filepath.Join(t.TempDir(), "small.csv")
	os.WriteFile(smallPath, []byte("姓名,身份证号,乡镇,康复机构,残疾类别,救助金额,救助日期\r\n测试童,"+id+",松兹街道,县康复中心,肢体,1000,2024-03-05\r\n"), 0o600)

	ctx := context.Background()
	bigDone := make(chan error, 1)
	go func() {
		rep, err := p.Upload(ctx, "worker_aid", bigPath, "big.csv")
		if err == nil && rep.Landed != 150_000 {
			err = fmt.Errorf("big: %d landed", rep.Landed)
		}
		bigDone <- err
	}()
	// once the big file is being read (its original archived), the small one is sent
	waitFor(t, func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "archive", "*", "*.csv"))
		return len(m) > 0
	})
	rep, err := p.Upload(ctx, "child_rehab", smallPath, "small.csv")
	if err != nil || rep.Landed != 1 {
		t.Fatalf("small: %+v %v", rep, err)
	}
	select {
	case err := <-bigDone:
		t.Fatalf("the small upload ended only after the large one (%v): it waited for it", err)
	default:
	}
	if err := <-bigDone; err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for i := 0; i < 20000 && !ok(); i++ {
		time.Sleep(time.Millisecond)
	}
	if !ok() {
		t.Fatal("timed out")
	}
}
