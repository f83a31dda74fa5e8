package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/lake"
)

// A file refused whole is no original: sent again to the right source it lands, and the report
// of its refusal stays. Before, the second send was answered "already ingested" and nothing
// landed.
func TestRefusedFileCanBeSentAgain(t *testing.T) {
	dir := t.TempDir()
	in := tickingIngester(t, dir)
	src := filepath.Join(t.TempDir(), "a.csv")
	writeFile(t, src, gbk(t, workerAidCSV))
	ctx := context.Background()
	first, err := in.IngestFile(ctx, "legal_aid", src, "困难职工.csv") // the wrong 台账 picked in the form
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != lake.StatusRejected || !strings.Contains(first.MessageZh, "缺少必需的列") && !strings.Contains(first.MessageZh, "找不到表头") {
		t.Fatalf("first send: %s %s", first.Status, first.MessageZh)
	}
	second, err := in.IngestFile(ctx, "worker_aid", src, "困难职工.csv")
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != lake.StatusLanded || second.Landed == 0 {
		t.Fatalf("second send: %s %q, %d landed", second.Status, second.MessageZh, second.Landed)
	}
	// a third send of the landed bytes, to either source, is a duplicate naming the original
	for _, s := range []string{"worker_aid", "legal_aid"} {
		third, err := in.IngestFile(ctx, s, src, "again.csv")
		if err != nil {
			t.Fatal(err)
		}
		if third.Status != lake.StatusDuplicate || !strings.Contains(third.MessageZh, "困难职工.csv") {
			t.Fatalf("third send to %s: %s %q", s, third.Status, third.MessageZh)
		}
	}
	reports, err := lake.ReadReports(dir)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, r := range reports {
		statuses = append(statuses, r.Status)
	}
	if strings.Join(statuses, ",") != "rejected,landed,duplicate,duplicate" {
		t.Errorf("reports: %v", statuses)
	}
}

// Two files with the same bytes in one run, one in the wrong folder: the one in the right folder
// lands whichever is read first.
func TestSameBytesWrongAndRightFolderInOneRun(t *testing.T) {
	in, dir := newIngester(t)
	put(t, dir, "legal_aid", "a.csv", gbk(t, workerAidCSV))
	put(t, dir, "worker_aid", "a.csv", gbk(t, workerAidCSV))
	sum := run(t, in)
	got := map[string]string{}
	for _, r := range sum.Reports {
		got[r.Source] = r.Status
	}
	if got["legal_aid"] == lake.StatusLanded || got["worker_aid"] != lake.StatusLanded {
		t.Fatalf("statuses: %v", got)
	}
}

// An inbox file refused under one registry is read again once the registry changes (an alias
// added), and not before: a nightly run does not refuse the same file every night.
func TestRefusedInboxFileRetriedAfterRegistryFix(t *testing.T) {
	_, dir := newIngester(t)
	body := strings.Replace(workerAidCSV, "救助金额（元）", "帮扶金额数", 1) // a header no alias knows yet
	put(t, dir, "worker_aid", "a.csv", gbk(t, body))
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(reg *minsheng.Registry) *ingest.Ingester {
		in, err := ingest.New(ingest.Config{Dir: dir, Registry: reg, County: county, Key: testKey, Workers: 2, Now: ticking()})
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	s1 := run(t, mk(reg))
	if len(s1.Reports) != 1 || s1.Reports[0].Status != lake.StatusRejected {
		t.Fatalf("first run: %+v", s1.Reports)
	}
	if s2 := run(t, mk(reg)); len(s2.Reports) != 0 || s2.Skipped != 1 {
		t.Fatalf("second run, same registry: %d reports, %d skipped", len(s2.Reports), s2.Skipped)
	}
	src, _ := reg.Source("worker_aid")
	for i := range src.Columns {
		if src.Columns[i].Header == "救助金额（元）" || strings.HasPrefix(src.Columns[i].Header, "救助金额") {
			src.Columns[i].Aliases = append(src.Columns[i].Aliases, "帮扶金额数")
		}
	}
	s3 := run(t, mk(reg))
	if len(s3.Reports) != 1 || s3.Reports[0].Status != lake.StatusLanded || s3.Reports[0].Landed == 0 {
		t.Fatalf("after the registry fix: %+v", s3.Reports)
	}
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// ticking is a clock on the tests' day that moves a second at each reading, so that each report
// of the same bytes has a name of its own.
func ticking() func() time.Time {
	var mu sync.Mutex
	at := time.Date(2024, 11, 1, 3, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		at = at.Add(time.Second)
		return at
	}
}

func tickingIngester(t testing.TB, dir string) *ingest.Ingester {
	t.Helper()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(ingest.Config{Dir: dir, Registry: reg, County: county, Key: testKey, Workers: 2, Now: ticking()})
	if err != nil {
		t.Fatal(err)
	}
	return in
}
