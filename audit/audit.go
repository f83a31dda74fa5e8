// Package audit keeps the audit log: who did what, when, from where, and how it ended. It is
// append-only and lives in the data folder outside the rebuildable warehouse:
//
//	DIR/audit/audit.jsonl           this month's entries: one JSON object per line, mode 0600
//	DIR/audit/audit-2026-11.jsonl   an earlier month's, moved aside whole when the next began
//	DIR/audit/.audit.lock           the advisory lock every appender takes
//
// An entry is committed once its line, newline included, is synced. A crash mid-append leaves a
// last line without its newline: readers skip it, and the next append cuts it off first, so every
// entry starts on its own line. The log holds no person's name or ID number: details are short
// texts about accounts and files, and anything that looks like an ID number is masked anyway.
//
// The log rotates by month, so no file grows without end and a month can be archived or handed
// to an inspector as it is: the first entry of a new month (in the county's time zone) moves
// audit.jsonl aside, by a rename under the lock, to the name of the month its entries began in.
// Nothing is ever cut or dropped; Read reads every month in order.
package audit

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/idcard"
	"github.com/minsheng/minsheng/internal/jsonl"
	"github.com/minsheng/minsheng/lake"
)

// Kinds of actor.
const (
	KindUser   = "user"   // a person logged in
	KindToken  = "token"  // a script with an API token
	KindSystem = "system" // the server itself, e.g. the nightly ingest
	KindCLI    = "cli"    // someone at the server's shell; the name is the operating-system user
)

// Actions. Others may be added: an action is any short lower-case word with underscores.
const (
	ActionLogin         = "login"
	ActionLoginFailed   = "login_failed"
	ActionLogout        = "logout"
	ActionUpload        = "upload"
	ActionNote          = "note"
	ActionTokenCreate   = "token_create"
	ActionTokenRevoke   = "token_revoke"
	ActionUserAdd       = "user_add"
	ActionUserDisable   = "user_disable"
	ActionUserEnable    = "user_enable"
	ActionUserPasswd    = "user_passwd"
	ActionUserUnlock    = "user_unlock"
	ActionSettingChange = "setting_change"
)

// UnknownName stands for a login name no account has, in the actor and target of a failed
// login: what was typed may be a password typed into the name box.
const UnknownName = "(未知用户名 unknown name)"

// Outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied" // refused: no or wrong credentials, or not allowed
	OutcomeFailed = "failed" // allowed, but it did not work (bad input, an error)
)

// Entry is one line of the log.
type Entry struct {
	Time       time.Time `json:"time"` // RFC 3339 in the county's time zone
	Actor      string    `json:"actor"`
	ActorKind  string    `json:"actor_kind"`
	Role       string    `json:"role,omitempty"`
	Unit       string    `json:"unit,omitempty"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
	Action     string    `json:"action"`
	Target     string    `json:"target,omitempty"` // what was acted on: an account, a token ID, a source, a file
	Outcome    string    `json:"outcome"`
	Detail     string    `json:"detail,omitempty"` // short; never a person's name or ID number
}

// Bounds on what one entry may carry, so a line stays short and a flood cannot make it long.
const (
	maxField  = 128
	maxTarget = 256
	maxDetail = 512
)

// monthFile is how a past month's file is named: audit-2026-11.jsonl, and audit-2026-11-2.jsonl
// for a second file of the same month (a clock set back and forward again).
var monthFile = regexp.MustCompile(`^audit-([0-9]{4})-([0-9]{2})(?:-([0-9]+))?\.jsonl$`)

// Files returns every file of data folder dir's log, oldest first: the past months', then the
// current one (whether or not it exists yet).
func Files(dir string) ([]string, error) {
	des, err := os.ReadDir(lake.Layout{Dir: dir}.Audit())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit: %w", err)
	}
	type month struct {
		name         string
		year, m, seq int
	}
	var months []month
	for _, de := range des {
		sm := monthFile.FindStringSubmatch(de.Name())
		if sm == nil || !de.Type().IsRegular() {
			continue
		}
		mo := month{name: de.Name(), seq: 1}
		mo.year, _ = strconv.Atoi(sm[1])
		mo.m, _ = strconv.Atoi(sm[2])
		if sm[3] != "" {
			mo.seq, _ = strconv.Atoi(sm[3])
		}
		months = append(months, mo)
	}
	sort.Slice(months, func(i, j int) bool {
		a, b := months[i], months[j]
		if a.year != b.year {
			return a.year < b.year
		}
		if a.m != b.m {
			return a.m < b.m
		}
		return a.seq < b.seq
	})
	out := make([]string, 0, len(months)+1)
	for _, mo := range months {
		out = append(out, filepath.Join(lake.Layout{Dir: dir}.Audit(), mo.name))
	}
	return append(out, lake.Layout{Dir: dir}.AuditLog()), nil
}

// Log appends to the audit log of one data folder. It is safe for concurrent use, and several
// Logs, in one process or several, may append to one folder.
type Log struct {
	// Now is the clock; tests set it. Defaults to time.Now.
	Now func() time.Time

	dir      string
	loc      *time.Location
	mu       sync.Mutex
	failures atomic.Int64 // entries that could not be written, even after retries
}

// Failures is how many entries this Log could not write since it was opened, every retry spent:
// /healthz shows it, so a lost entry is never silent.
func (l *Log) Failures() int64 { return l.failures.Load() }

// appendRetries are the waits before each further try of an append that failed (a full disk
// being cleared, a lock file briefly missing): about a second in all before an entry is counted
// as lost.
var appendRetries = []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond, 600 * time.Millisecond}

// Open opens the audit log of data folder dir, creating DIR/audit. Times are written in loc, the
// county's time zone (nil: UTC).
func Open(dir string, loc *time.Location) (*Log, error) {
	if loc == nil {
		loc = time.UTC
	}
	if err := os.MkdirAll(lake.Layout{Dir: dir}.Audit(), 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &Log{Now: time.Now, dir: dir, loc: loc}, nil
}

var actionRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Append commits one entry: once it returns nil, the entry is on disk. A zero Time is now. A
// write that fails is tried again for about a second; one that never succeeds is counted
// (Failures) and returned.
// Errors: EINVALID for an entry without an actor, a kind, an action or a known outcome.
func (l *Log) Append(ctx context.Context, e Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.In(l.loc).Truncate(time.Millisecond)
	e.Actor, e.Role, e.Unit = clean(e.Actor, maxField), clean(e.Role, maxField), clean(e.Unit, maxField)
	e.RemoteAddr = clean(e.RemoteAddr, maxField)
	e.Target, e.Detail = clean(e.Target, maxTarget), clean(e.Detail, maxDetail)
	switch {
	case e.Actor == "" || e.ActorKind == "":
		return minsheng.Errorf(minsheng.EINVALID, "审计记录缺少操作者", "an audit entry needs an actor and its kind")
	case e.ActorKind != KindUser && e.ActorKind != KindToken && e.ActorKind != KindSystem && e.ActorKind != KindCLI:
		return minsheng.Errorf(minsheng.EINVALID, "未知的操作者类型 %q", "unknown actor kind %q", e.ActorKind)
	case !actionRE.MatchString(e.Action):
		return minsheng.Errorf(minsheng.EINVALID, "审计动作 %q 无效", "invalid audit action %q", e.Action)
	case e.Outcome != OutcomeOK && e.Outcome != OutcomeDenied && e.Outcome != OutcomeFailed:
		return minsheng.Errorf(minsheng.EINVALID, "未知的结果 %q", "unknown outcome %q", e.Outcome)
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	line = append(line, '\n')

	l.mu.Lock() // goroutines of this process queue here rather than on the file lock
	defer l.mu.Unlock()
	err = l.write(line, e.Time)
	for _, wait := range appendRetries {
		if err == nil {
			return nil
		}
		time.Sleep(wait) // not ctx: callers pass a context without cancel, and the entry must land
		err = l.write(line, e.Time)
	}
	if err != nil {
		l.failures.Add(1)
	}
	return err
}

// write appends one line under the file lock, first moving last month's file aside if at is in
// a later month.
func (l *Log) write(line []byte, at time.Time) error {
	unlock, err := jsonl.Lock(lake.Layout{Dir: l.dir}.AuditLock())
	if err != nil {
		return fmt.Errorf("audit: lock: %w", err)
	}
	defer unlock()
	if err := l.rotate(at); err != nil {
		return fmt.Errorf("audit: rotate: %w", err)
	}
	if err := jsonl.Append(lake.Layout{Dir: l.dir}.AuditLog(), line); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// rotate moves the current file aside when an entry of a later month comes: to the name of the
// month of its first entry, never over a file already there. The caller holds the lock. An entry
// of an earlier month (a clock set back) is appended to the current file: nothing is lost.
func (l *Log) rotate(at time.Time) error {
	first, err := firstTime(lake.Layout{Dir: l.dir}.AuditLog())
	if err != nil || first.IsZero() {
		return err
	}
	first, at = first.In(l.loc), at.In(l.loc)
	if first.Year()*12+int(first.Month()) >= at.Year()*12+int(at.Month()) {
		return nil
	}
	dir := lake.Layout{Dir: l.dir}.Audit()
	for seq := 1; ; seq++ {
		name := fmt.Sprintf("audit-%s.jsonl", first.Format("2006-01"))
		if seq > 1 {
			name = fmt.Sprintf("audit-%s-%d.jsonl", first.Format("2006-01"), seq)
		}
		target := filepath.Join(dir, name)
		if _, err := os.Lstat(target); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.Rename(lake.Layout{Dir: l.dir}.AuditLog(), target); err != nil {
			return err
		}
		if d, err := os.Open(dir); err == nil { // the rename must survive a crash
			d.Sync()
			d.Close()
		}
		return nil
	}
}

// firstTime is the time of the first entry of the file at path; zero for a missing or empty file,
// or one whose first line cannot be read as an entry (it is then not rotated).
func firstTime(path string) (time.Time, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, 4096).ReadSlice('\n')
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return time.Time{}, err
	}
	var e struct {
		Time time.Time `json:"time"`
	}
	if json.Unmarshal(line, &e) != nil {
		return time.Time{}, nil
	}
	return e.Time, nil
}

func (l *Log) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// idLike is a number shaped like an ID number (15 digits, or 17 and a check character) standing
// on its own: inside a longer run of letters and digits, such as a file's SHA-256, it is not one.
var idLike = regexp.MustCompile(`\b([0-9]{17}[0-9Xx]|[0-9]{15})\b`)

// clean makes a field safe to keep: valid UTF-8, control characters as spaces, format
// characters dropped (see dropFormat), anything shaped like an ID number masked, and at most
// max bytes.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s)
	s = idLike.ReplaceAllStringFunc(s, idcard.Mask)
	s = strings.TrimSpace(s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// dropFormat removes the format characters (Unicode Cf: the direction overrides and isolates
// U+202A–202E and U+2066–2069, the marks U+200E/F) from the fields, so that a name like
// "报告\u202excod.exe" never reads as "报告exe.docx" on the audit page or in its CSV; an entry
// appended is cleaned of them already, one written before the rule is cleaned as it is read.
func (e *Entry) dropFormat() {
	for _, s := range []*string{&e.Actor, &e.Role, &e.Unit, &e.RemoteAddr, &e.Target, &e.Detail} {
		if strings.ContainsFunc(*s, isFormat) {
			*s = strings.Map(func(r rune) rune {
				if isFormat(r) {
					return -1
				}
				return r
			}, *s)
		}
	}
}

func isFormat(r rune) bool { return unicode.Is(unicode.Cf, r) }

// Filter picks entries. Zero fields pick everything.
type Filter struct {
	Since   time.Time // from this moment on
	Until   time.Time // before this moment
	Actor   string
	Action  string
	Outcome string
	Target  string
	Limit   int // only the newest Limit entries
}

func (f Filter) match(e Entry) bool {
	return (f.Since.IsZero() || !e.Time.Before(f.Since)) && (f.Until.IsZero() || e.Time.Before(f.Until)) &&
		(f.Actor == "" || e.Actor == f.Actor) && (f.Action == "" || e.Action == f.Action) &&
		(f.Outcome == "" || e.Outcome == f.Outcome) && (f.Target == "" || e.Target == f.Target)
}

// Read returns the entries of data folder dir's log that the filter picks, oldest first, every
// month's. A last line cut short by a crash is not an entry; no log yet is no entries.
func Read(dir string, f Filter) ([]Entry, error) {
	files, err := Files(dir)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, path := range files {
		err := jsonl.Read(path, func(line []byte) {
			var e Entry
			if json.Unmarshal(line, &e) == nil && f.match(e) {
				e.dropFormat()
				out = append(out, e)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, nil
}

// CSVHeader is the first row WriteCSV writes.
var CSVHeader = []string{"time", "actor", "actor_kind", "role", "unit", "remote_addr", "action", "target", "outcome", "detail"}

// WriteCSV writes entries as CSV for a spreadsheet: UTF-8 with a byte-order mark (so Excel on a
// Chinese Windows reads it as UTF-8), a header row, and text that a spreadsheet would take for a
// formula (starting with = + - @, a tab or a carriage return) prefixed with an apostrophe.
func WriteCSV(w io.Writer, entries []Entry) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, e := range entries {
		row := []string{e.Time.Format(time.RFC3339), e.Actor, e.ActorKind, e.Role, e.Unit, e.RemoteAddr,
			e.Action, e.Target, e.Outcome, e.Detail}
		for i := range row {
			row[i] = EscapeFormula(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// EscapeFormula prefixes an apostrophe to text a spreadsheet would run as a formula.
func EscapeFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
