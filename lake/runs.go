package lake

import (
	"os"
	"sync"
	"time"
)

// Run is one file an ingest run read, as the API and the pages show it: the report without its
// rejected rows (those are records, shown only to their own lead unit), its time in the county's.
type Run struct {
	SHA256     string         `json:"sha256"`
	Source     string         `json:"source"`
	LeadUnit   string         `json:"lead_unit"`
	FileName   string         `json:"file_name"`
	Status     string         `json:"status"` // landed, rejected (refused whole) or duplicate
	IngestedAt string         `json:"ingested_at"`
	Format     string         `json:"format,omitempty"`
	Encoding   string         `json:"encoding,omitempty"`
	Sheet      string         `json:"sheet,omitempty"` // the workbook's sheet read, when it has more than one
	HiddenRows int            `json:"hidden_rows"`     // rows hidden in Excel, read all the same
	MergedRows int            `json:"merged_rows"`     // rows given a merged cell's value (a 乡镇 merged down)
	Rows       int            `json:"rows"`
	Landed     int            `json:"landed"`
	Rejected   int            `json:"rejected"`
	Skipped    int            `json:"skipped_rows"`
	Flagged    int            `json:"flagged_rows"`
	Reasons    map[string]int `json:"reasons,omitempty"`
	Message    string         `json:"message,omitempty"`
	DurationMS int64          `json:"duration_ms"`
}

// RunOf is a report without its rows, its time in loc.
func RunOf(r Report, loc *time.Location) Run {
	msg := r.MessageZh
	if r.MessageEn != "" {
		msg += " / " + r.MessageEn
	}
	return Run{SHA256: r.SHA256, Source: r.Source, LeadUnit: r.LeadUnit, FileName: r.FileName,
		Status: r.Status, IngestedAt: r.IngestedAt.In(loc).Format(time.RFC3339), Format: r.Format,
		Encoding: r.Encoding, Sheet: r.Sheet, HiddenRows: r.HiddenRows, MergedRows: r.MergedRows, Rows: r.Rows, Landed: r.Landed, Rejected: r.Rejected, Skipped: r.Skipped,
		Flagged: r.Flagged, Reasons: r.Reasons, Message: msg, DurationMS: r.DurationMS}
}

// RunCache is a data folder's ingest history, newest first, kept from the reports read from disk
// until the manifest changes (every unit page and the runs API read it). Safe for concurrent use.
type RunCache struct {
	dir  string
	loc  *time.Location
	mu   sync.Mutex
	size int64
	mod  time.Time
	runs []Run
}

// NewRunCache reads the history of data folder dir, with times in loc (nil: time.Local).
func NewRunCache(dir string, loc *time.Location) *RunCache {
	if loc == nil {
		loc = time.Local
	}
	return &RunCache{dir: dir, loc: loc}
}

// Runs is the ingest history, newest first; none before the first ingest. The caller must not
// change the result.
func (rc *RunCache) Runs() ([]Run, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	fi, err := os.Stat(Layout{Dir: rc.dir}.Manifest())
	if os.IsNotExist(err) {
		return []Run{}, nil
	}
	if err != nil {
		return nil, err
	}
	if rc.runs != nil && fi.Size() == rc.size && fi.ModTime().Equal(rc.mod) {
		return rc.runs, nil
	}
	reports, err := ReadReports(rc.dir)
	if err != nil {
		return nil, err
	}
	runs := make([]Run, 0, len(reports))
	for i := len(reports) - 1; i >= 0; i-- { // newest first: the manifest is in commit order
		runs = append(runs, RunOf(reports[i], rc.loc))
	}
	rc.runs, rc.size, rc.mod = runs, fi.Size(), fi.ModTime()
	return runs, nil
}
