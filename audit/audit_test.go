package audit_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/lake"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

func mustOpen(tb testing.TB, dir string) *audit.Log {
	tb.Helper()
	l, err := audit.Open(dir, shanghai)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func mustAppend(tb testing.TB, l *audit.Log, e audit.Entry) {
	tb.Helper()
	if err := l.Append(context.Background(), e); err != nil {
		tb.Fatal(err)
	}
}

func lines(tb testing.TB, dir string) []string {
	tb.Helper()
	b, err := os.ReadFile(lake.Layout{Dir: dir}.AuditLog())
	if err != nil {
		tb.Fatal(err)
	}
	return strings.SplitAfter(string(b), "\n")
}

func TestAuditAppendRead(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir)
	at := time.Date(2024, 10, 31, 1, 2, 3, 456789000, time.UTC) // 09:02:03 in the county
	l.Now = func() time.Time { return at }
	want := []audit.Entry{
		{Actor: "canlian", ActorKind: audit.KindUser, Role: "unit", Unit: "县残联", RemoteAddr: "10.0.0.7",
			Action: audit.ActionLogin, Outcome: audit.OutcomeOK},
		{Actor: "canlian", ActorKind: audit.KindUser, Role: "unit", Unit: "县残联", RemoteAddr: "10.0.0.7",
			Action: audit.ActionUpload, Target: "disability_subsidy", Outcome: audit.OutcomeOK, Detail: "landed 120, rejected 3"},
		{Actor: "nobody", ActorKind: audit.KindUser, RemoteAddr: "10.0.0.8", Action: audit.ActionLoginFailed, Outcome: audit.OutcomeDenied},
		{Actor: "root", ActorKind: audit.KindCLI, Action: audit.ActionTokenCreate, Target: "tok_0123456789ab", Outcome: audit.OutcomeOK,
			Time: at.Add(time.Hour)},
	}
	for _, e := range want {
		mustAppend(t, l, e)
	}
	ls := lines(t, dir)
	if len(ls) != 5 || ls[4] != "" || !strings.HasPrefix(ls[0], `{"time":"2024-10-31T09:02:03.456+08:00","actor":"canlian","actor_kind":"user"`) {
		t.Fatalf("file:\n%s", strings.Join(ls, ""))
	}
	got, err := audit.Read(dir, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		w := want[i]
		if w.Time.IsZero() {
			w.Time = at
		}
		if !got[i].Time.Equal(w.Time.Truncate(time.Millisecond)) {
			t.Errorf("entry %d: time %v, want %v", i, got[i].Time, w.Time)
		}
		if _, off := got[i].Time.Zone(); off != 8*3600 {
			t.Errorf("entry %d: not in county time: %v", i, got[i].Time)
		}
		got[i].Time, w.Time = time.Time{}, time.Time{}
		if got[i] != w {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], w)
		}
	}
	for _, c := range []struct {
		f    audit.Filter
		want int
	}{
		{audit.Filter{Actor: "canlian"}, 2},
		{audit.Filter{Action: audit.ActionLoginFailed}, 1},
		{audit.Filter{Outcome: audit.OutcomeOK}, 3},
		{audit.Filter{Target: "disability_subsidy"}, 1},
		{audit.Filter{Since: at.Add(time.Minute)}, 1},
		{audit.Filter{Until: at.Add(time.Minute)}, 3},
		{audit.Filter{Limit: 2}, 2},
	} {
		if got, _ := audit.Read(dir, c.f); len(got) != c.want {
			t.Errorf("filter %+v: %d entries, want %d", c.f, len(got), c.want)
		}
	}
	if got, _ := audit.Read(dir, audit.Filter{Limit: 1}); got[0].Action != audit.ActionTokenCreate {
		t.Errorf("Limit keeps the newest: %+v", got)
	}
	fi, err := os.Stat(lake.Layout{Dir: dir}.AuditLog())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v %v, want 0600", fi.Mode(), err)
	}
	if got, err := audit.Read(t.TempDir(), audit.Filter{}); got != nil || err != nil {
		t.Errorf("no log yet: %v %v", got, err)
	}
}

func TestAuditRefusesIncompleteEntries(t *testing.T) {
	l := mustOpen(t, t.TempDir())
	for _, e := range []audit.Entry{
		{ActorKind: audit.KindCLI, Action: "user_add", Outcome: audit.OutcomeOK},
		{Actor: "root", Action: "user_add", Outcome: audit.OutcomeOK},
		{Actor: "root", ActorKind: "robot", Action: "user_add", Outcome: audit.OutcomeOK},
		{Actor: "root", ActorKind: audit.KindCLI, Action: "", Outcome: audit.OutcomeOK},
		{Actor: "root", ActorKind: audit.KindCLI, Action: "User Add", Outcome: audit.OutcomeOK},
		{Actor: "root", ActorKind: audit.KindCLI, Action: "user_add", Outcome: "maybe"},
	} {
		if err := l.Append(context.Background(), e); minsheng.ErrorCode(err) != minsheng.EINVALID {
			t.Errorf("%+v: %v", e, err)
		}
	}
}

// Details are short, on one line, and never carry an ID number.
func TestAuditCleansFields(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir)
	mustAppend(t, l, audit.Entry{Actor: "root", ActorKind: audit.KindCLI, Action: audit.ActionNote, Outcome: audit.OutcomeOK,
		Target: "file 3f9a0c1b2d4e5f60718293a4b5c6d7e8f9012345678901234567890abcdef12",
		Detail: "row 12: 340826199001011234 and 34082619900101123X and 340826900101123\nsecond line " + strings.Repeat("长", 400)})
	got, _ := audit.Read(dir, audit.Filter{})
	d := got[0].Detail
	for _, id := range []string{"340826199001011234", "34082619900101123X", "340826900101123"} {
		if strings.Contains(d, id) {
			t.Errorf("detail keeps the ID number %s", id)
		}
	}
	if !strings.Contains(d, "340826********1234") || strings.Contains(d, "\n") || len(d) > 520 || !strings.HasSuffix(d, "…") {
		t.Errorf("detail %q", d)
	}
	if !strings.Contains(got[0].Target, "8901234567890abcdef12") {
		t.Errorf("a hash was masked as if it were an ID number: %s", got[0].Target)
	}
}

// Goroutines appending through two Logs (as the server and the CLI do) lose nothing and
// interleave no bytes.
func TestAuditConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	logs := []*audit.Log{mustOpen(t, dir), mustOpen(t, dir)}
	const goroutines, each = 16, 8
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				err := logs[g%2].Append(context.Background(), audit.Entry{Actor: fmt.Sprint("g", g), ActorKind: audit.KindSystem,
					Action: audit.ActionUpload, Target: fmt.Sprintf("%d/%d", g, i), Outcome: audit.OutcomeOK,
					Detail: strings.Repeat("x", 300)})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	ls := lines(t, dir)
	if len(ls) != goroutines*each+1 {
		t.Fatalf("%d lines, want %d", len(ls)-1, goroutines*each)
	}
	seen := map[string]bool{}
	for _, line := range ls[:len(ls)-1] {
		var e audit.Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("a line is not an entry: %q", line)
		}
		seen[e.Target] = true
	}
	if len(seen) != goroutines*each {
		t.Errorf("%d distinct entries, want %d", len(seen), goroutines*each)
	}
}

// A crash mid-append leaves a torn last line: readers skip it, the next append cuts it off.
func TestAuditTornLine(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir)
	e := audit.Entry{Actor: "root", ActorKind: audit.KindCLI, Action: audit.ActionUserAdd, Target: "a", Outcome: audit.OutcomeOK}
	mustAppend(t, l, e)
	mustAppend(t, l, e)
	f, _ := os.OpenFile(lake.Layout{Dir: dir}.AuditLog(), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"time":"2024-10-31T09:00:00+08:00","actor":"root","actor_kind":"cli","action":"user_add","target":"torn"`)
	f.Close()
	if got, err := audit.Read(dir, audit.Filter{}); err != nil || len(got) != 2 {
		t.Fatalf("with a torn line: %d entries, %v", len(got), err)
	}
	e.Target = "after"
	mustAppend(t, l, e)
	b, _ := os.ReadFile(lake.Layout{Dir: dir}.AuditLog())
	if bytes.Contains(b, []byte("torn")) || bytes.Count(b, []byte("\n")) != 3 {
		t.Fatalf("not repaired:\n%s", b)
	}
	got, _ := audit.Read(dir, audit.Filter{})
	if len(got) != 3 || got[2].Target != "after" {
		t.Errorf("after the repair: %+v", got)
	}

	// a log that is nothing but a torn line, longer than the repair's read buffer
	dir2 := t.TempDir()
	os.MkdirAll(strings.TrimSuffix(lake.Layout{Dir: dir2}.AuditLog(), "/audit.jsonl"), 0o700)
	os.WriteFile(lake.Layout{Dir: dir2}.AuditLog(), []byte(`{"detail":"`+strings.Repeat("y", 10000)), 0o600)
	l2 := mustOpen(t, dir2)
	mustAppend(t, l2, e)
	if ls := lines(t, dir2); len(ls) != 2 || !strings.Contains(ls[0], `"target":"after"`) {
		t.Errorf("after repairing a torn-only log: %q", ls)
	}
}

func TestAuditCSV(t *testing.T) {
	at := time.Date(2024, 10, 31, 9, 0, 0, 0, shanghai)
	entries := []audit.Entry{
		{Time: at, Actor: "=cmd|' /c calc'!A0", ActorKind: audit.KindUser, Role: "unit", Unit: "县残联", RemoteAddr: "10.0.0.7",
			Action: audit.ActionNote, Target: "+14", Outcome: audit.OutcomeOK, Detail: `-2+3, "quoted", 中文`},
		{Time: at, Actor: "@SUM(A1)", ActorKind: audit.KindCLI, Action: audit.ActionUserAdd, Target: "\tx", Outcome: audit.OutcomeFailed,
			Detail: "plain"},
	}
	var buf bytes.Buffer
	if err := audit.WriteCSV(&buf, entries); err != nil {
		t.Fatal(err)
	}
	b, ok := bytes.CutPrefix(buf.Bytes(), []byte("\uFEFF"))
	if !ok {
		t.Error("no byte-order mark for Excel")
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(audit.CSVHeader, ",") {
		t.Fatalf("rows %q", rows)
	}
	want := [][]string{
		{"2024-10-31T09:00:00+08:00", "'=cmd|' /c calc'!A0", "user", "unit", "县残联", "10.0.0.7", "note", "'+14", "ok", `'-2+3, "quoted", 中文`},
		{"2024-10-31T09:00:00+08:00", "'@SUM(A1)", "cli", "", "", "", "user_add", "'\tx", "failed", "plain"},
	}
	for i, w := range want {
		if strings.Join(rows[i+1], "|") != strings.Join(w, "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, rows[i+1], w)
		}
	}
}

// TestAuditRotatesByMonth: the first entry of a new month (county time) moves the month before
// aside whole; every line is kept, and Read gives every month's in order. A clock set back
// appends to the current file, and a month seen twice gets a second file, never overwriting.
func TestAuditRotatesByMonth(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir)
	e := audit.Entry{Actor: "root", ActorKind: audit.KindCLI, Action: audit.ActionUserAdd, Outcome: audit.OutcomeOK}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	times := []string{
		"2026-11-01 00:00", "2026-11-30 23:59", // November
		"2026-12-01 00:00", // 2026-11-30 16:00 UTC: December in the county
		"2026-12-31 10:00",
		"2026-11-15 12:00", // a clock set back: into the current file
		"2027-01-02 08:00",
		"2026-12-20 08:00", // set back again: into January's file
		"2027-02-01 08:00",
	}
	for i, s := range times {
		e.Time, e.Target = at(s), fmt.Sprintf("u%d", i)
		mustAppend(t, l, e)
	}
	files, err := audit.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimPrefix(f, dir+"/audit/"))
	}
	want := []string{"audit-2026-11.jsonl", "audit-2026-12.jsonl", "audit-2027-01.jsonl", "audit.jsonl"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("files %q, want %q", names, want)
	}
	got, err := audit.Read(dir, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(times) {
		t.Fatalf("%d entries read back, want %d: a line was lost", len(got), len(times))
	}
	for i, g := range got {
		if g.Target != fmt.Sprintf("u%d", i) {
			t.Errorf("entry %d is %s, want u%d: months out of order", i, g.Target, i)
		}
	}
	if got, _ := audit.Read(dir, audit.Filter{Limit: 2}); len(got) != 2 || got[1].Target != "u7" {
		t.Errorf("newest 2: %+v", got)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", f, fi.Mode(), err)
		}
	}
	// a file of February already there (put back from a backup): the next one is February's
	// second, and the first is left as it was
	placed := []byte(`{"time":"2027-02-03T08:00:00+08:00","actor":"root","actor_kind":"cli","action":"user_add","target":"backup","outcome":"ok"}` + "\n")
	os.WriteFile(dir+"/audit/audit-2027-02.jsonl", placed, 0o600)
	e.Time, e.Target = at("2027-03-01 08:00"), "u8"
	mustAppend(t, l, e)
	if b, _ := os.ReadFile(dir + "/audit/audit-2027-02.jsonl"); !bytes.Equal(b, placed) {
		t.Errorf("rotation overwrote a month's file: %s", b)
	}
	got, _ = audit.Read(dir, audit.Filter{})
	var order []string
	for _, g := range got {
		order = append(order, g.Target)
	}
	if strings.Join(order, " ") != "u0 u1 u2 u3 u4 u5 u6 backup u7 u8" {
		t.Errorf("entries read in the order %v", order)
	}
}

// TestAuditFailureCounted: an entry that cannot be written, retries spent, is returned as an
// error and counted (what /healthz shows), never dropped silently; the log works again once the
// fault is gone.
func TestAuditFailureCounted(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir)
	e := audit.Entry{Actor: "root", ActorKind: audit.KindCLI, Action: audit.ActionUserAdd, Outcome: audit.OutcomeOK}
	// a directory where the file should be: no write can succeed, root or not
	if err := os.Mkdir(lake.Layout{Dir: dir}.AuditLog(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), e); err == nil {
		t.Fatal("an append to an unwritable log succeeded")
	}
	if n := l.Failures(); n != 1 {
		t.Errorf("Failures() = %d after one lost entry, want 1", n)
	}
	// the fault cleared while the append is retrying: the entry lands, nothing is counted
	done := make(chan error, 1)
	go func() { done <- l.Append(context.Background(), e) }()
	time.Sleep(5 * time.Millisecond)
	os.Remove(lake.Layout{Dir: dir}.AuditLog())
	if err := <-done; err != nil {
		t.Errorf("an append whose fault cleared within the retries: %v", err)
	}
	if n := l.Failures(); n != 1 {
		t.Errorf("Failures() = %d, want still 1", n)
	}
	if got, _ := audit.Read(dir, audit.Filter{}); len(got) != 1 {
		t.Errorf("%d entries, want 1", len(got))
	}
}

// Format characters (Unicode Cf: the direction overrides and isolates U+202A–202E and
// U+2066–2069, the marks U+200E/F) are dropped from every field, so "报告\u202Excod.exe" reads as
// what it is on /admin/audit and in the CSV, not as "报告exe.docx"; an entry written before this
// rule is shown without them too. Before, only control characters (Cc) were replaced, and
// the target read back as "worker_aid/报告\u202excod.exe".
func TestAuditDropsFormatCharacters(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir)
	mustAppend(t, l, audit.Entry{Actor: "root\u200e", ActorKind: audit.KindCLI, Action: audit.ActionUpload, Outcome: audit.OutcomeDenied,
		Unit: "县\u2066残联\u2069", Target: "worker_aid/报告\u202excod.exe", Detail: "\u202a“台账\u202c”\u200f由\u2067县总工会\u2069报送"})
	// as an older entry sits in the file
	old := `{"time":"2024-11-01T10:00:00+08:00","actor":"canlian","actor_kind":"user","action":"upload","target":"worker_aid/a\u202egpj.csv","outcome":"denied"}` + "\n"
	f, err := os.OpenFile(lake.Layout{Dir: dir}.AuditLog(), os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(old)
	f.Close()
	got, err := audit.Read(dir, audit.Filter{})
	if err != nil || len(got) != 2 {
		t.Fatalf("%d entries, %v", len(got), err)
	}
	for _, e := range got {
		for _, s := range []string{e.Actor, e.Role, e.Unit, e.RemoteAddr, e.Target, e.Detail} {
			if strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) {
				t.Errorf("a format character kept: %+q", s)
			}
		}
	}
	if e := got[0]; e.Actor != "root" || e.Unit != "县残联" || e.Target != "worker_aid/报告xcod.exe" || e.Detail != "“台账”由县总工会报送" {
		t.Errorf("entry %+q", e)
	}
	if got[1].Target != "worker_aid/agpj.csv" {
		t.Errorf("an older entry's target %+q", got[1].Target)
	}
}
