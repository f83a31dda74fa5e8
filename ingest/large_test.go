package ingest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minsheng/minsheng/idcard"
)

// writeBigCSV streams n worker_aid rows to a CSV file: 1 header line, then data; every 1000th row
// has a broken date so the quarantine streams too.
func writeBigCSV(t testing.TB, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("姓名,身份证号,乡镇,帮扶类型,救助金额,救助日期\n")
	for i := 0; i < n; i++ {
		first17 := fmt.Sprintf("340826%04d0101%03d", 1950+i%50, i%1000)
		id := first17 + string(idcard.CheckChar(first17))
		day := fmt.Sprintf("2024-%02d-%02d", 1+i%10, 1+i%28)
		if i%1000 == 999 {
			day = "2024-02-30"
		}
		fmt.Fprintf(w, "职工%d,%s,松兹街道,生活救助,%d.%02d,%s\n", i%97, id, 100+i%900, i%100, day)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// peakHeap ingests one file and returns the highest heap in use seen while it ran.
func peakHeap(t *testing.T, rows int) (uint64, int) {
	in, dir := newIngester(t)
	writeBigCSV(t, filepath.Join(dir, "inbox", "worker_aid", "big.csv"), rows)
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	s, err := in.Run(context.Background())
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	r := s.Reports[0]
	if r.Rows != rows || r.Rejected != rows/1000 || r.Landed != rows-rows/1000 {
		t.Fatalf("%d rows: landed %d, rejected %d", rows, r.Landed, r.Rejected)
	}
	return peak.Load(), r.Landed
}

// Ingest streams: a file ten times longer must not need much more memory. The bound is loose (a
// row group and the batches in flight are fixed costs) but a pipeline that held the file, or its
// rows, would need ten times more and fail it.
func TestMemoryFlatWithFileSize(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and ingests 3 million rows")
	}
	small, _ := peakHeap(t, 300_000)
	big, landed := peakHeap(t, 3_000_000)
	t.Logf("peak heap: %d MiB at 300k rows, %d MiB at 3M rows (%d landed)", small>>20, big>>20, landed)
	if big > small*2+64<<20 {
		t.Errorf("peak heap grew from %d MiB to %d MiB with a file 10 times longer", small>>20, big>>20)
	}
}
