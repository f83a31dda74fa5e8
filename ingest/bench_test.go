package ingest_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkIngestInbox ingests every file of the inbox folder MINSHENG_BENCH_INBOX (laid out as
// inbox/<source>/<file>, e.g. bench-data/csv/inbox from `make bench`) into a fresh data folder:
// for profiling ingest on real-sized files (go test -bench IngestInbox -cpuprofile cpu.prof).
// Without the variable it ingests 1 million generated worker_aid rows.
func BenchmarkIngestInbox(b *testing.B) {
	src := os.Getenv("MINSHENG_BENCH_INBOX")
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		in, dir := newIngester(b)
		if src == "" {
			writeBigCSV(b, filepath.Join(dir, "inbox", "worker_aid", "big.csv"), 1_000_000)
		} else if err := linkInbox(src, filepath.Join(dir, "inbox")); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		s, err := in.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for _, r := range s.Reports {
			rows += r.Rows
		}
		b.ReportMetric(float64(rows)/s.Duration.Seconds(), "rows/s")
	}
}

// linkInbox hard-links every file under src into dst.
func linkInbox(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return os.Link(path, filepath.Join(dst, rel))
	})
}
