package dashboards

import (
	"testing"
	"time"

	"github.com/minsheng/minsheng/lake"
)

// TestNewestRuns: the unit page's 最近文件 is each extract's newest file. Two files dropped in the
// inbox together are ingested in whatever order the workers take them (the largest first), so
// the one committed last may be the older: of the files received the same day the one saved
// last wins; a file received on a later day wins whatever its own date.
func TestNewestRuns(t *testing.T) {
	dir := t.TempDir()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	entry := func(sha, source, name, ingested, mod string) lake.Entry {
		got := at(ingested)
		return lake.Entry{SHA256: sha, Source: source, FileName: name, Status: lake.StatusLanded,
			IngestedAt: got.UTC(), IngestDate: got.Format(time.DateOnly), ModTime: at(mod).UTC()}
	}
	entries := []lake.Entry{
		entry("a1", "worker_aid", "1-8月.xlsx", "2024-09-02 02:00:01", "2024-09-01 17:00:00"),
		// one nightly run: 1-10月 is larger, started first, and committed after 1-9月
		entry("a3", "worker_aid", "1-9月.xlsx", "2024-11-02 02:00:03", "2024-10-08 09:00:00"),
		entry("a2", "worker_aid", "1-10月.xlsx", "2024-11-02 02:00:01", "2024-11-01 16:30:00"),
		// a later day wins, even with an older file date (copied with its date kept)
		entry("b1", "legal_aid", "新.xlsx", "2024-10-01 02:00:00", "2024-09-30 10:00:00"),
		entry("b2", "legal_aid", "旧.xlsx", "2024-10-02 02:00:00", "2024-03-01 10:00:00"),
	}
	for _, e := range entries {
		if err := lake.AppendManifest(dir, e); err != nil {
			t.Fatal(err)
		}
	}
	var runs []lake.Run // as the API lists them: newest committed first
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		runs = append(runs, lake.Run{SHA256: e.SHA256, Source: e.Source, FileName: e.FileName, Status: e.Status,
			IngestedAt: e.IngestedAt.In(loc).Format(time.RFC3339)})
	}
	for name, c := range map[string]struct {
		dir  string
		want map[string]string
	}{
		"with the manifest": {dir, map[string]string{"worker_aid": "1-10月.xlsx", "legal_aid": "旧.xlsx"}},
		// without it, the one handled last (to the second)
		"without": {"", map[string]string{"worker_aid": "1-9月.xlsx", "legal_aid": "旧.xlsx"}},
	} {
		d := &Dashboards{cfg: Config{Dir: c.dir, Location: loc}}
		got := d.newestRuns(runs)
		for src, want := range c.want {
			if got[src].FileName != want {
				t.Errorf("%s: %s's newest file %q, want %q", name, src, got[src].FileName, want)
			}
		}
	}
}
