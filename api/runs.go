package api

import (
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/lake"
)

// Run is one file an ingest run read: the report without its rejected rows (those are records,
// shown only to their own lead unit).
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

// Runs is the ingest history, newest first.
type Runs struct {
	Count int   `json:"count"`
	Runs  []Run `json:"runs"`
}

// runsCache keeps the reports read from disk until the manifest changes.
type runsCache struct {
	dir  string
	mu   sync.Mutex
	size int64
	mod  time.Time
	runs []Run
}

func (rc *runsCache) get(loc *time.Location) ([]Run, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	fi, err := os.Stat(lake.Layout{Dir: rc.dir}.Manifest())
	if os.IsNotExist(err) {
		return []Run{}, nil
	}
	if err != nil {
		return nil, err
	}
	if rc.runs != nil && fi.Size() == rc.size && fi.ModTime().Equal(rc.mod) {
		return rc.runs, nil
	}
	reports, err := lake.ReadReports(rc.dir)
	if err != nil {
		return nil, err
	}
	runs := make([]Run, 0, len(reports))
	for i := len(reports) - 1; i >= 0; i-- { // newest first: the manifest is in commit order
		runs = append(runs, runOf(reports[i], loc))
	}
	rc.runs, rc.size, rc.mod = runs, fi.Size(), fi.ModTime()
	return runs, nil
}

// runOf is a report without its rows.
func runOf(r lake.Report, loc *time.Location) Run {
	msg := r.MessageZh
	if r.MessageEn != "" {
		msg += " / " + r.MessageEn
	}
	return Run{SHA256: r.SHA256, Source: r.Source, LeadUnit: r.LeadUnit, FileName: r.FileName,
		Status: r.Status, IngestedAt: r.IngestedAt.In(loc).Format(time.RFC3339), Format: r.Format,
		Encoding: r.Encoding, Sheet: r.Sheet, HiddenRows: r.HiddenRows, MergedRows: r.MergedRows, Rows: r.Rows, Landed: r.Landed, Rejected: r.Rejected, Skipped: r.Skipped,
		Flagged: r.Flagged, Reasons: r.Reasons, Message: msg, DurationMS: r.DurationMS}
}

// ingestRuns lists the ingest reports, newest first: ?source=, ?lead_unit=, ?status= filter;
// ?limit= (default 200, at most 5000). Every role may list them (counts, not records), but a unit
// account sees only its own lead unit's files; no principal is 401.
func (s *Server) ingestRuns(c *gin.Context) {
	p := allowRoles(c, denyRole, account.Roles()...)
	if p == nil {
		return
	}
	all, err := s.runs.get(s.cfg.Location)
	if err != nil {
		writeError(c, err)
		return
	}
	limit := 200
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			writeError(c, minsheng.Errorf(minsheng.EINVALID, "limit 应为 1 到 5000 之间的整数,而不是 %q",
				"limit must be a whole number from 1 to 5000, not %q", v))
			return
		}
		limit = n
	}
	source, unit, status := c.Query("source"), c.Query("lead_unit"), c.Query("status")
	out := Runs{Runs: []Run{}}
	for _, r := range all {
		if (source != "" && r.Source != source) || (unit != "" && r.LeadUnit != unit) || (status != "" && r.Status != status) {
			continue
		}
		if p.Role == account.RoleUnit && !p.Owns(r.LeadUnit) {
			continue
		}
		out.Count++
		if len(out.Runs) < limit {
			out.Runs = append(out.Runs, r)
		}
	}
	c.JSON(http.StatusOK, out)
}
