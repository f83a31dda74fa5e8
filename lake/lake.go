// Package lake owns the data folder: its layout (Layout names every path in it, once), the
// manifest of which files were ingested and where their rows and rejections landed, the ingest
// reports, and the ingest history as the API and the pages show it (Run, RunCache). Ingest writes
// it; the warehouse, the API and the pages read it.
package lake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Partition is the folder of one source's files ingested on one day.
func Partition(root, source, ingestDate string) string {
	return filepath.Join(root, "source="+source, "ingest_date="+ingestDate)
}

// Statuses of a manifest entry.
const (
	StatusLanded    = "landed"    // read; its valid rows landed (possibly none) and the rest are quarantined
	StatusRejected  = "rejected"  // refused whole: nothing of it landed
	StatusDuplicate = "duplicate" // the same bytes were ingested before, under another name or path
)

// Entry is one line of the manifest. Paths are relative to the data folder, slash-separated.
type Entry struct {
	SHA256         string    `json:"sha256"`
	Source         string    `json:"source"`
	FileName       string    `json:"file_name"`
	InboxPath      string    `json:"inbox_path,omitempty"`
	Size           int64     `json:"size"`
	ModTime        time.Time `json:"mod_time"`
	Status         string    `json:"status"`
	IngestedAt     time.Time `json:"ingested_at"`
	IngestDate     string    `json:"ingest_date"`
	LakeFile       string    `json:"lake_file,omitempty"`
	QuarantineFile string    `json:"quarantine_file,omitempty"`
	Rules          string    `json:"rules,omitempty"` // of a refused file: the registry and county it was refused under
	Rows           int       `json:"rows"`
	Landed         int       `json:"landed"`
	Rejected       int       `json:"rejected"`
}

// ReadManifest returns the manifest's entries in the order they were committed. A last line cut
// short by a crash is not an entry: its file was not committed and will be ingested again.
func ReadManifest(dir string) ([]Entry, error) {
	b, err := os.ReadFile(Layout{dir}.Manifest())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lake: manifest: %w", err)
	}
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			continue // a torn last line
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// AppendManifest commits an entry: once this returns, the file counts as ingested.
func AppendManifest(dir string, e Entry) error {
	path := Layout{dir}.Manifest()
	if err := repairTail(path); err != nil {
		return err
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("lake: manifest: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("lake: manifest: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("lake: manifest: %w", err)
	}
	return f.Close()
}

// repairTail cuts a torn last line (a crash mid-append) so the next entry starts on its own line.
func repairTail(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lake: manifest: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, st.Size()-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	cut := bytes.LastIndexByte(b, '\n') + 1
	if err := f.Truncate(int64(cut)); err != nil {
		return err
	}
	return f.Sync()
}

// Committed returns the entries whose rows are in the lake (landed), newest last; the warehouse
// reads exactly these files, so an uncommitted file is never seen.
func Committed(entries []Entry) []Entry {
	var out []Entry
	for _, e := range entries {
		if e.Status == StatusLanded {
			out = append(out, e)
		}
	}
	return out
}

// Rejection is one rejected cell as a person reads it.
type Rejection struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Code   string `json:"reason_code"`
	Zh     string `json:"reason_zh"`
	En     string `json:"reason_en"`
	Value  string `json:"value_masked"`
}

// Report is what ingest says of one file. It holds no clear name or ID number.
type Report struct {
	Entry
	LeadUnit   string `json:"lead_unit"`
	Format     string `json:"format,omitempty"`
	Encoding   string `json:"encoding,omitempty"`
	Sheet      string `json:"sheet,omitempty"` // the sheet read, when the workbook has several
	HeaderRow  int    `json:"header_row,omitempty"`
	HiddenRows int    `json:"hidden_rows,omitempty"` // read like the others: a clerk often hides what they meant to drop
	MergedRows int    `json:"merged_rows,omitempty"` // rows given a merged cell's value (a 乡镇 merged down)
	// Every line of the file, accounted for: Lines = TitleRows + 1 (the header) + Rows +
	// Skipped (footer and blank rows) + BlankLines + ContinuedLines (lines inside quoted cells).
	Lines          int            `json:"lines,omitempty"`
	TitleRows      int            `json:"title_rows,omitempty"`
	BlankLines     int            `json:"blank_lines,omitempty"`
	ContinuedLines int            `json:"continued_lines,omitempty"`
	Skipped        int            `json:"skipped_rows"`
	Flagged        int            `json:"flagged_rows"`
	Reasons        map[string]int `json:"reasons,omitempty"` // rejected rows by reason code (a row counts once per reason)
	Flags          map[string]int `json:"flags,omitempty"`
	First          []Rejection    `json:"first_rejections,omitempty"`
	FirstFlagged   []Rejection    `json:"first_flagged,omitempty"`
	MessageZh      string         `json:"message_zh,omitempty"` // why the file was refused whole, or a duplicate's original
	MessageEn      string         `json:"message_en,omitempty"`
	DurationMS     int64          `json:"duration_ms"`
}

// ReadReports returns every report in the folder, oldest first.
func ReadReports(dir string) ([]Report, error) {
	entries, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	var out []Report
	for _, e := range entries {
		r, err := ReadReport(dir, e.SHA256, e.IngestedAt)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadReport reads the report of a file; a duplicate's report is kept beside the original's.
func ReadReport(dir, sha string, at time.Time) (Report, error) {
	var r Report
	b, err := os.ReadFile(ReportPath(dir, sha, at))
	if err != nil {
		return r, fmt.Errorf("lake: report: %w", err)
	}
	return r, json.Unmarshal(b, &r)
}

// ReportPath names a report by the file's hash and the moment it was handled, so the report of a
// later duplicate does not replace the original's.
func ReportPath(dir, sha string, at time.Time) string {
	return filepath.Join(Layout{dir}.Reports(), sha+"-"+at.UTC().Format("20060102T150405.000000000")+".json")
}

// WriteFileAtomic writes b to path through a temporary name, synced, then renamed: a reader sees
// the old file or the new one, never half of one.
func WriteFileAtomic(path string, b []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.partial")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
