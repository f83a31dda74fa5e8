package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/warehouse"
)

// Helpers of the crash soak (crash_test.go): the child commands, the comparison with a clean
// run, and the searches for leftovers and clear PII.

// soakKey is the pseudonym key of every soak folder, given to the children in MINSHENG_PII_KEY:
// the clean run and the killed ones must pseudonymise alike, and no key file sits in the folder.
const soakKey = "5a6f616b2d6b65792d6f662d7468652d637261736821"

// childEnv is the environment of a child command: the test binary runs as minsheng, with the
// soak's key and its own temporary folder (so that a file any part of it leaves in
// os.TempDir() is seen).
func childEnv(tmp string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "TMPDIR", "MINSHENG_AS_COMMAND", "MINSHENG_PII_KEY", "MINSHENG_PII_KEY_FILE", "MINSHENG_NEW_PII_KEY", "GORACE":
			continue
		}
		env = append(env, kv)
	}
	// Under -race a process sleeps a second at exit for late reports, which would be most of a
	// run's time here: the kills are to fall in the work.
	race := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	return append(env, "MINSHENG_AS_COMMAND=1", "TMPDIR="+tmp, "MINSHENG_PII_KEY="+soakKey, "GORACE="+race)
}

func (s *soak) command(tmp string, args ...string) *exec.Cmd {
	cmd := exec.Command(s.self, args...)
	cmd.Env = childEnv(tmp)
	return cmd
}

// run runs a command to its end and returns how long it took.
func (s *soak) run(t *testing.T, tmp string, args ...string) time.Duration {
	t.Helper()
	start := time.Now()
	cmd := s.command(tmp, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("minsheng %v: %v\n%s", args, err, out.String())
	}
	return time.Since(start)
}

// killAfter runs a command and kills it with SIGKILL after d, unless it ended before; killed
// says which. A command that ended by itself must have succeeded.
func (s *soak) killAfter(t *testing.T, tmp string, d time.Duration, args ...string) (killed bool) {
	t.Helper()
	cmd := s.command(tmp, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("minsheng %v ended by itself, failing: %v\n%s", args, err, out.String())
		}
		return false
	case <-time.After(d):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return true
	}
}

// copyTree copies a folder (regular files, modes and modification times kept).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, b, info.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(target, info.ModTime(), info.ModTime())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// files lists the regular files under root, relative and slash-separated, sorted.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// lakeState is what a folder's manifest and lake say, for comparing a folder with a clean run.
type lakeState struct {
	bySHA      map[string]lake.Entry // the committed (landed or refused) entry of each file
	lakeRows   map[string]int        // Parquet rows under lake/, by source
	quarantine int                   // Parquet rows under quarantine/
}

// readLake reads a folder's state. After a run that ended by itself (recovered), it also checks
// the folder is whole: one committed entry per file, every Parquet file on disk named by the
// manifest and every named one on disk, nothing half-written; right after a kill only the
// manifest is read.
func readLake(t *testing.T, db *sql.DB, dir string, recovered bool) lakeState {
	t.Helper()
	entries, err := lake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := lakeState{bySHA: map[string]lake.Entry{}, lakeRows: map[string]int{}}
	named := map[string]bool{}
	for _, e := range entries {
		if e.Status == lake.StatusDuplicate {
			continue
		}
		if prev, ok := st.bySHA[e.SHA256]; ok && prev.Status == lake.StatusLanded {
			t.Errorf("%s (%s) committed twice: %s and %s", e.FileName, e.SHA256[:8], prev.Status, e.Status)
		}
		st.bySHA[e.SHA256] = e
		for _, f := range []string{e.LakeFile, e.QuarantineFile} {
			if f != "" {
				named[f] = true
			}
		}
	}
	if !recovered {
		return st
	}
	for _, root := range []string{"lake", "quarantine", "archive", "reports"} {
		for _, f := range files(t, filepath.Join(dir, root)) {
			rel := root + "/" + f
			if strings.HasSuffix(f, ".partial") {
				t.Errorf("a temporary file left: %s", rel)
			}
			if (root == "lake" || root == "quarantine") && strings.HasSuffix(f, ".parquet") && !named[rel] {
				t.Errorf("a Parquet file no manifest line commits: %s", rel)
			}
		}
	}
	for f := range named {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the manifest names %s: %v", f, err)
		}
	}
	rows, err := db.Query(`select regexp_extract(filename, 'source=([^/]+)', 1), count(*)
		from read_parquet(?, union_by_name = true, filename = true) group by all`, filepath.Join(dir, "lake", "*", "*", "*.parquet"))
	if err == nil {
		for rows.Next() {
			var src string
			var n int
			if err := rows.Scan(&src, &n); err != nil {
				t.Fatal(err)
			}
			st.lakeRows[src] = n
		}
		rows.Close()
	} else if !strings.Contains(err.Error(), "No files found") {
		t.Fatal(err)
	}
	if err := db.QueryRow(`select count(*) from read_parquet(?)`, filepath.Join(dir, "quarantine", "*", "*", "*.parquet")).Scan(&st.quarantine); err != nil &&
		!strings.Contains(err.Error(), "No files found") {
		t.Fatal(err)
	}
	return st
}

// sameLake compares a folder's state with the clean run's: the same files committed with the
// same status and counts, the same rows in the lake and the quarantine. byPath also compares
// the inbox path (files ingested from the inbox, not uploaded).
func sameLake(t *testing.T, label string, got, want lakeState, byPath bool) {
	t.Helper()
	for sha, w := range want.bySHA {
		g, ok := got.bySHA[sha]
		if !ok {
			t.Errorf("%s: %s was never committed (clean run: %s, %d landed)", label, w.FileName, w.Status, w.Landed)
			continue
		}
		if g.Status != w.Status || g.Rows != w.Rows || g.Landed != w.Landed || g.Rejected != w.Rejected || g.Source != w.Source ||
			byPath && g.InboxPath != w.InboxPath {
			t.Errorf("%s: %s: %s rows %d landed %d rejected %d; the clean run: %s rows %d landed %d rejected %d",
				label, w.FileName, g.Status, g.Rows, g.Landed, g.Rejected, w.Status, w.Rows, w.Landed, w.Rejected)
		}
	}
	for sha, g := range got.bySHA {
		if _, ok := want.bySHA[sha]; !ok {
			t.Errorf("%s: %s committed, unknown to the clean run", label, g.FileName)
		}
	}
	if fmt.Sprint(got.lakeRows) != fmt.Sprint(want.lakeRows) || got.quarantine != want.quarantine {
		t.Errorf("%s: the lake holds %v and the quarantine %d rows; the clean run %v and %d",
			label, got.lakeRows, got.quarantine, want.lakeRows, want.quarantine)
	}
}

// answers are the warehouse's answers for every target of the year, one line each.
func answers(t *testing.T, dir string) []string {
	t.Helper()
	db, err := warehouse.Open(dir)
	if err != nil {
		t.Fatalf("the warehouse does not open: %v", err)
	}
	defer db.Close()
	rs, err := db.SQL().QueryContext(context.Background(), `
		select code, actual, cast(numerator as double), denominator, cast(amount_yuan as double), status
		from mart_indicator_daily
		where year = 2024 and as_of_on = date '2024-10-31'
		order by sort_order`)
	if err != nil {
		t.Fatalf("the warehouse does not answer: %v", err)
	}
	defer rs.Close()
	var out []string
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.6f", *p)
	}
	for rs.Next() {
		var code, status string
		var actual, numerator, amount *float64
		var denominator *int64
		if err := rs.Scan(&code, &actual, &numerator, &denominator, &amount, &status); err != nil {
			t.Fatalf("the warehouse does not answer: %v", err)
		}
		den := "-"
		if denominator != nil {
			den = fmt.Sprint(*denominator)
		}
		out = append(out, fmt.Sprintf("%s actual %s numerator %s denominator %s amount %s %s",
			code, f(actual), f(numerator), den, f(amount), status))
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("the warehouse does not answer: %v", err)
	}
	if len(out) == 0 {
		t.Fatal("the warehouse answers no target")
	}
	return out
}

func sameAnswers(t *testing.T, label string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: the warehouse answers\n  %s\nthe clean run's\n  %s", label, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// warehouseLeftovers lists what a finished build should have removed from DIR/warehouse: files
// of killed builds (their DuckDB file, write-ahead log or spill folder). CURRENT, the lock, the
// current file and the one before it stay.
func warehouseLeftovers(t *testing.T, dir string) []string {
	t.Helper()
	wdir := lake.Layout{Dir: dir}.Warehouse()
	cur, err := os.ReadFile(filepath.Join(wdir, "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	current := strings.TrimSpace(string(cur))
	var dbs, extra []string
	for _, f := range files(t, wdir) {
		switch {
		case f == "CURRENT" || f == ".build.lock" || f == current:
		case strings.HasSuffix(f, ".duckdb") && !strings.Contains(f, "/"):
			dbs = append(dbs, f)
		default:
			extra = append(extra, f)
		}
	}
	if len(dbs) > 1 { // the one before the current is kept for its readers
		extra = append(extra, dbs...)
	}
	return extra
}

// secretSearch looks for the fixtures' clear names and ID numbers in files.
type secretSearch struct {
	set   map[string]bool
	long  []string // names of four characters or more, also searched inside text
	db    *sql.DB
	limit int // findings reported at most
}

func newSecretSearch(db *sql.DB, names, ids []string) *secretSearch {
	s := &secretSearch{set: map[string]bool{}, db: db, limit: 20}
	for _, x := range append(append([]string{}, names...), ids...) {
		s.set[x] = true
		s.set[strings.ToUpper(x)] = true
	}
	for _, n := range names {
		if utf8.RuneCountInString(n) > 3 {
			s.long = append(s.long, n)
		}
	}
	return s
}

// cellBorder tells where the cells of CSV, TSV, JSON, XML and log lines end.
func cellBorder(r rune) bool {
	switch r {
	case '\t', '\n', '\r', ',', '"', '<', '>', '=', ';', ':', '|', '/', ' ', 0:
		return true
	}
	return false
}

// inFolder lists the secrets found in files under root, skipping the top-level folders skip.
func (s *secretSearch) inFolder(t *testing.T, root string, skip ...string) []string {
	t.Helper()
	var found []string
	for _, rel := range files(t, root) {
		if top, _, _ := strings.Cut(rel, "/"); contains(skip, top) {
			continue
		}
		text := s.text(t, filepath.Join(root, rel))
		for _, cell := range strings.FieldsFunc(text, cellBorder) {
			if s.set[cell] {
				found = append(found, fmt.Sprintf("%q in %s", mask(cell), rel))
			}
			for _, run := range idRun.FindAllString(cell, -1) {
				if run != cell && s.set[strings.ToUpper(run)] {
					found = append(found, fmt.Sprintf("ID number %q in %s", mask(run), rel))
				}
			}
		}
		for _, n := range s.long {
			if strings.Contains(text, n) {
				found = append(found, fmt.Sprintf("%q in %s", mask(n), rel))
			}
		}
		if len(found) > s.limit {
			break
		}
	}
	return found
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mask keeps a finding readable without printing a clear value in the test log.
func mask(s string) string {
	r := []rune(s)
	for i := range r {
		if i > 0 && i < len(r)-1 {
			r[i] = '*'
		}
	}
	return string(r)
}

// text is what a file holds as text: Parquet decoded column by column, a zip (a workbook, or the
// start of one cut short) unpacked entry by entry as far as it goes, GB18030 decoded, and
// anything else as it is.
func (s *secretSearch) text(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case bytes.HasPrefix(b, []byte("PAR1")):
		return s.parquetText(t, path)
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return zipText(b)
	case !utf8.Valid(b):
		if d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil {
			return string(b) + "\n" + string(d)
		}
	}
	return string(b)
}

func (s *secretSearch) parquetText(t *testing.T, path string) string {
	t.Helper()
	rows, err := s.db.Query(`select columns(*)::varchar from read_parquet(?)`, path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var b strings.Builder
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			b.WriteString(v.String)
			b.WriteByte('\t')
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// zipText unpacks every entry of a zip by its local headers, so that a zip cut short (an upload
// interrupted) still shows what it holds.
func zipText(b []byte) string {
	var out strings.Builder
	for off := 0; off+30 <= len(b); {
		if !bytes.Equal(b[off:off+4], []byte("PK\x03\x04")) {
			next := bytes.Index(b[off+1:], []byte("PK\x03\x04"))
			if next < 0 {
				break
			}
			off += 1 + next
			continue
		}
		method := binary.LittleEndian.Uint16(b[off+8:])
		nameLen := int(binary.LittleEndian.Uint16(b[off+26:]))
		extraLen := int(binary.LittleEndian.Uint16(b[off+28:]))
		start := off + 30 + nameLen + extraLen
		if start > len(b) {
			break
		}
		var r io.Reader = bytes.NewReader(b[start:])
		if method == 8 {
			r = flate.NewReader(r)
		}
		data, _ := io.ReadAll(io.LimitReader(r, 256<<20)) // as far as it inflates
		out.Write(data)
		out.WriteByte('\n')
		off = start + 1
	}
	return out.String()
}

// server is a running `minsheng serve`.
type server struct {
	cmd  *exec.Cmd
	url  string
	out  *syncBuffer
	done chan error
}

// startServe starts `minsheng serve` on a free loopback port and waits for it to listen.
func (s *soak) startServe(t *testing.T, tmp, dir string) *server {
	t.Helper()
	cmd := s.command(tmp, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--nightly", "off")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv := &server{cmd: cmd, out: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = srv.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if m := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`).FindString(sc.Text()); m != "" && !sent {
				urls <- m
				sent = true
			}
		}
		io.Copy(io.Discard, stdout)
		srv.done <- cmd.Wait()
	}()
	select {
	case srv.url = <-urls:
	case err := <-srv.done:
		t.Fatalf("serve ended before listening: %v\n%s", err, srv.out.String())
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("serve printed no URL in a minute\n%s", srv.out.String())
	}
	return srv
}

func (srv *server) kill() {
	srv.cmd.Process.Signal(syscall.SIGKILL)
	<-srv.done
}

// stop ends the server as a service manager does (SIGTERM) and checks it stopped cleanly.
func (srv *server) stop(t *testing.T) {
	t.Helper()
	srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-srv.done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, srv.out.String())
		}
	case <-time.After(time.Minute):
		srv.kill()
		t.Errorf("serve did not stop within a minute of SIGTERM")
	}
}
