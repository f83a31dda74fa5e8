package lake

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The history is empty before the first ingest, newest first after, in the county's time, and
// read again once the manifest changes.
func TestRunCache(t *testing.T) {
	dir := t.TempDir()
	loc := time.FixedZone("CST", 8*3600)
	rc := NewRunCache(dir, loc)
	if runs, err := rc.Runs(); err != nil || runs == nil || len(runs) != 0 {
		t.Fatalf("before any ingest: %v %v", runs, err)
	}
	add := func(sha string, at time.Time, status string) {
		t.Helper()
		r := Report{Entry: Entry{SHA256: sha, Source: "worker_aid", Status: status, IngestedAt: at, Rows: 3, Landed: 2, Rejected: 1},
			LeadUnit: "县总工会", MessageZh: "中", MessageEn: "en"}
		b, _ := json.Marshal(r)
		p := ReportPath(dir, sha, at)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := AppendManifest(dir, r.Entry); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2024, 10, 31, 18, 0, 0, 0, time.UTC)
	add("aa", at, StatusLanded)
	runs, err := rc.Runs()
	if err != nil || len(runs) != 1 || runs[0].IngestedAt != "2024-11-01T02:00:00+08:00" || runs[0].Message != "中 / en" ||
		runs[0].LeadUnit != "县总工会" || runs[0].Landed != 2 || runs[0].Rejected != 1 {
		t.Fatalf("one run: %+v %v", runs, err)
	}
	add("bb", at.Add(time.Hour), StatusDuplicate)
	if runs, _ := rc.Runs(); len(runs) != 2 || runs[0].SHA256 != "bb" || runs[1].SHA256 != "aa" {
		t.Fatalf("after a second file, newest first: %+v", runs)
	}
}
