package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

// What a run killed between renaming its Parquet and writing its manifest line leaves behind is
// removed, and the file is ingested again exactly once.
func TestRecoverOrphans(t *testing.T) {
	in, dir := newIngester(t)
	put(t, dir, "worker_aid", "a.csv", gbk(t, workerAidCSV))
	r := run(t, in).Reports[0]

	// Simulate the crash: the file's manifest line is gone, its Parquet and a temp file remain.
	os.Remove(filepath.Join(dir, "manifest.jsonl"))
	partial := filepath.Join(filepath.Dir(filepath.Join(dir, r.LakeFile)), ".x.parquet.123.partial")
	os.WriteFile(partial, []byte("half"), 0o600)

	r2 := run(t, in).Reports[0]
	if r2.Status != lake.StatusLanded || r2.Landed != r.Landed {
		t.Fatalf("re-ingest: %+v", r2)
	}
	if _, err := os.Stat(partial); !os.IsNotExist(err) {
		t.Error("a temporary file survived recovery")
	}
	es, _ := lake.ReadManifest(dir)
	if len(es) != 1 {
		t.Errorf("%d manifest entries, want 1", len(es))
	}
	var n int
	duck(t).QueryRow(`select count(*) from read_parquet(?)`, filepath.Join(dir, "lake", "*", "*", "*.parquet")).Scan(&n)
	if n != r.Landed {
		t.Errorf("lake holds %d rows, want %d", n, r.Landed)
	}
}

// Two copies of the same bytes in one run, ingested at the same time: one lands, one is a
// duplicate of it, and the lake holds the rows once.
func TestSameBytesTwiceInOneRun(t *testing.T) {
	in, dir := newIngester(t)
	body := gbk(t, workerAidCSV)
	put(t, dir, "worker_aid", "a.csv", body)
	put(t, dir, "worker_aid", "b.csv", body)
	s := run(t, in)
	statuses := map[string]int{}
	for _, r := range s.Reports {
		statuses[r.Status]++
	}
	if statuses[lake.StatusLanded] != 1 || statuses[lake.StatusDuplicate] != 1 {
		t.Fatalf("statuses %v", statuses)
	}
	var n int
	duck(t).QueryRow(`select count(*) from read_parquet(?)`, filepath.Join(dir, "lake", "*", "*", "*.parquet")).Scan(&n)
	if n != 4 {
		t.Errorf("lake holds %d rows, want the 4 of one copy", n)
	}
}

// An upload: the bytes are anywhere, the name is what the person gave (path and all), the source
// is named by the request.
func TestIngestFileUpload(t *testing.T) {
	in, dir := newIngester(t)
	tmp := filepath.Join(t.TempDir(), "upload-123")
	os.WriteFile(tmp, gbk(t, workerAidCSV), 0o600)
	r, err := in.IngestFile(context.Background(), "worker_aid", tmp, `..\..\C:\帮扶台账.csv`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != lake.StatusLanded || r.Landed != 4 || r.Rejected != 4 || r.InboxPath != "" || r.FileName != "帮扶台账.csv" {
		t.Errorf("upload report %+v", r.Entry)
	}
	if _, err := in.IngestFile(context.Background(), "no_such_source", tmp, "x.csv"); minsheng.ErrorCode(err) != minsheng.EINVALID {
		t.Errorf("unknown source: %v", err)
	}
	if r2, _ := in.IngestFile(context.Background(), "worker_aid", tmp, "again.csv"); r2.Status != lake.StatusDuplicate {
		t.Errorf("the same upload twice: %s", r2.Status)
	}
	if entries, _ := lake.ReadManifest(dir); len(entries) != 2 {
		t.Errorf("%d manifest entries", len(entries))
	}
}
