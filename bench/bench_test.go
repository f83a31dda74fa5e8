package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wrk --latency as wrk 4.1 prints it.
const wrkOutput = `Running 15s test @ http://127.0.0.1:41729/api/v1/targets?year=2024
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.32ms    1.21ms  31.04ms   93.12%
    Req/Sec    24.14k     1.02k   26.10k    72.00%
  Latency Distribution
     50%    1.09ms
     75%    1.41ms
     90%    2.02ms
     99%    7.88ms
  360321 requests in 15.00s, 1.75GB read
  Non-2xx or 3xx responses: 12
Requests/sec:  24021.40
Transfer/sec:    119.46MB
`

func TestParseWrk(t *testing.T) {
	w, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	if w.rps != 24021.40 || w.p50 != 1090*time.Microsecond || w.p99 != 7880*time.Microsecond || w.requests != 360321 {
		t.Errorf("parsed %+v", w)
	}
	if w.errors != "Non-2xx or 3xx responses: 12" {
		t.Errorf("errors %q", w.errors)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused"); err == nil {
		t.Error("a failed wrk run parsed")
	}
}

// The report rewrites only what lies between its markers.
func TestReportKeepsTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	os.WriteFile(path, []byte("# Benchmarks\n\nby hand\n\n"+beginMark+"\nold figures\n"+endMark+"\n\nmore by hand\n"), 0o644)
	r := &report{
		opts:     options{scale: 1, repeat: 1},
		fixtures: &fixturesInfo{byFormat: map[string]int{"xlsx": 1}},
		csv:      &csvInfo{},
		duck:     &duckResult{m: measured{wall: time.Second}, rows: 1},
		build:    &buildResult{how: "minsheng build --data DIR"},
		api:      &apiResult{skipped: "no server"},
	}
	if err := r.write(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	s := string(b)
	if !strings.Contains(s, "by hand") || !strings.Contains(s, "more by hand") || strings.Contains(s, "old figures") ||
		!strings.Contains(s, "Not measured: no server") || strings.Count(s, beginMark) != 1 {
		t.Errorf("report:\n%s", s)
	}
}
