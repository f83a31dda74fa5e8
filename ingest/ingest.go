// Package ingest turns the lead units' files into the lake: every original archived by its
// SHA-256, every row validated and pseudonymised, valid rows as typed Parquet, rejected ones in
// the quarantine with their reasons, one report per file, and the manifest line that commits it.
//
// Crash safety: a file's Parquet is written under a temporary name and renamed; the manifest line
// is written last and is the commit. A crash before it leaves files the next run deletes as
// orphans before ingesting the file again, and readers only read files the manifest names, so
// every file counts exactly once.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

// Config is what an Ingester needs.
type Config struct {
	Dir      string
	Registry *minsheng.Registry
	County   *minsheng.County
	Key      []byte           // the pseudonym key; LoadKey when nil
	Location *time.Location   // the county's time zone: it decides the ingest date; Asia/Shanghai by default
	Now      func() time.Time // for tests
	Workers  int              // validating goroutines per file; the number of CPUs by default
	Files    int              // files ingested at once; 2 by default (an xlsx parses on one core)
}

// Ingester ingests the files of one data folder.
type Ingester struct {
	cfg    Config
	layout lake.Layout
	rules  string // the fingerprint of the registry and the county profile files are read by

	// Files ingested one at a time through IngestFile (uploads) share one hold of the folder's
	// lock and one state, so that uploads run side by side instead of each waiting for the
	// folder: the first takes the lock and recovers, the last lets it go.
	sessMu sync.Mutex
	sess   *session
}

type session struct {
	st     *state
	unlock func()
	users  int
}

// New checks the configuration and prepares the data folder.
func New(cfg Config) (*Ingester, error) {
	if cfg.Dir == "" || cfg.Registry == nil || cfg.County == nil {
		return nil, errors.New("ingest: Dir, Registry and County are required")
	}
	if cfg.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			return nil, fmt.Errorf("ingest: time zone: %w", err)
		}
		cfg.Location = loc
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Files <= 0 {
		cfg.Files = 2
	}
	l := lake.Layout{Dir: cfg.Dir}
	for _, d := range []string{cfg.Dir, l.Inbox(), l.Archive(), l.Lake(), l.Quarantine(), l.Reports()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
	}
	for _, s := range cfg.Registry.Sources {
		if err := os.MkdirAll(filepath.Join(l.Inbox(), s.Code), 0o700); err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
	}
	if cfg.Key == nil {
		k, err := LoadKey(l.KeyFile())
		if err != nil {
			return nil, err
		}
		cfg.Key = k
	}
	rules, err := fingerprint(cfg.Registry, cfg.County)
	if err != nil {
		return nil, err
	}
	return &Ingester{cfg: cfg, layout: l, rules: rules}, nil
}

// fingerprint names the rules a file is read by: a file refused under them is tried again from
// the inbox once they change (a column alias added, a village added to the profile).
func fingerprint(reg *minsheng.Registry, county *minsheng.County) (string, error) {
	h := sha256.New()
	for _, v := range []any{reg, county} {
		b, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("ingest: rules: %w", err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func (in *Ingester) sourceTitle(code string) string {
	if s, ok := in.cfg.Registry.Source(code); ok {
		return s.Title
	}
	return code
}

// Summary is what one run did.
type Summary struct {
	Reports  []lake.Report
	Unknown  []string // inbox paths in no source's folder: left where they are
	Skipped  int      // files already ingested, recognised by path, size and time without hashing
	Duration time.Duration
}

// Run ingests every new file in the inbox. It fails only when the folder itself cannot be used;
// a bad file is a report with status rejected.
func (in *Ingester) Run(ctx context.Context) (*Summary, error) {
	start := time.Now()
	st, unlock, err := in.begin(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	sum := &Summary{}
	files, unknown, err := in.scan()
	if err != nil {
		return nil, err
	}
	sum.Unknown = unknown
	var todo []inboxFile
	for _, f := range files {
		if e, ok := st.byPath[in.rel(f.path)]; ok && e.Size == f.size && e.ModTime.Equal(f.mod) &&
			(e.Status != lake.StatusRejected || e.Rules == in.rules) {
			sum.Skipped++ // a refused file is tried again once the registry or the county changed
			continue
		}
		todo = append(todo, f)
	}
	reports := make([]*lake.Report, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(in.cfg.Files)
	// The largest files first: a large file started last would run on its own at the end.
	// Reports stay in inbox order.
	next := make([]int, len(todo))
	for i := range next {
		next[i] = i
	}
	sort.SliceStable(next, func(a, b int) bool { return work(todo[next[a]]) > work(todo[next[b]]) })
	for _, i := range next {
		f := todo[i]
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			rep, err := in.ingest(gctx, st, f.source, f.path, filepath.Base(f.path), in.rel(f.path))
			reports[i] = rep
			return err
		})
	}
	err = g.Wait()
	for _, r := range reports { // in inbox order, whatever order they finished in
		if r != nil {
			sum.Reports = append(sum.Reports, *r)
		}
	}
	sum.Duration = time.Since(start)
	return sum, err
}

// IngestFile ingests one file for a source now (an upload), waiting for a running ingest to end.
// name is the file's name as the person gave it; path is where its bytes are.
func (in *Ingester) IngestFile(ctx context.Context, source, path, name string) (*lake.Report, error) {
	if _, ok := in.cfg.Registry.Source(source); !ok {
		return nil, minsheng.Errorf(minsheng.EINVALID, "未知的数据源“%s”", "unknown source %q", source)
	}
	st, release, err := in.join()
	if err != nil {
		return nil, err
	}
	defer release()
	return in.ingest(ctx, st, source, path, baseName(name), "")
}

// join enters the uploads' shared hold of the folder, taking the lock (and recovering what a
// crash left) when no other upload holds it.
func (in *Ingester) join() (*state, func(), error) {
	in.sessMu.Lock()
	defer in.sessMu.Unlock()
	if in.sess == nil {
		st, unlock, err := in.begin(true)
		if err != nil {
			return nil, nil, err
		}
		in.sess = &session{st: st, unlock: unlock}
	}
	in.sess.users++
	s := in.sess
	return s.st, func() {
		in.sessMu.Lock()
		defer in.sessMu.Unlock()
		if s.users--; s.users == 0 {
			s.unlock()
			in.sess = nil
		}
	}, nil
}

// baseName keeps the last part of a name a browser or a Windows desktop sent: "C:\\台账\\a.xlsx"
// and "../../a.xlsx" are both "a.xlsx". The name is only shown; bytes are stored by their hash.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || name == "." || name == ".." {
		return "upload"
	}
	return name
}

// cleanName is a file's name as reports and pages show it: without control characters or the
// direction overrides that make "报告\u202excod.exe" read as "报告exe.docx".
func cleanName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, cleanText(name))
	if strings.TrimSpace(name) == "" {
		return "upload"
	}
	return name
}

// begin takes the folder's lock (waiting for it, or failing at once) and recovers what a crashed
// run left, before any file is touched.
func (in *Ingester) begin(wait bool) (*state, func(), error) {
	lk, err := lockDir(in.layout.LockFile(), wait)
	if err != nil {
		return nil, nil, err
	}
	// Under the lock, the key is checked again: a rekey may have run while this waited for it,
	// and a file pseudonymised with the old key must not land beside the new key's.
	if err := recoverRekey(in.cfg.Dir); err != nil {
		lk.unlock()
		return nil, nil, err
	}
	if err := VerifyKey(in.cfg.Dir, in.cfg.Key); err != nil {
		lk.unlock()
		return nil, nil, err
	}
	st, err := in.recover()
	if err != nil {
		lk.unlock()
		return nil, nil, err
	}
	return st, lk.unlock, nil
}

// state is the manifest as the run goes, shared by the files being ingested at once.
type state struct {
	mu       sync.Mutex
	bySHA    map[string]lake.Entry // landed: only these bytes are duplicates when sent again
	byPath   map[string]lake.Entry
	inflight map[string]chan struct{} // SHA-256 -> closed when the file being ingested with those bytes is committed
}

// claim decides whether these bytes are new: the first file to claim a SHA-256 ingests it; any
// other is a duplicate of it once it has landed. A file refused whole is no original: the same
// bytes sent again, to the right source or after a registry fix, are ingested, so a file with the
// same bytes in flight is waited for, not taken for a duplicate of a file that may be refused.
func (st *state) claim(ctx context.Context, sha string) (prev lake.Entry, dup bool, err error) {
	for {
		st.mu.Lock()
		if e, ok := st.bySHA[sha]; ok {
			st.mu.Unlock()
			return e, true, nil
		}
		wait, busy := st.inflight[sha]
		if !busy {
			st.inflight[sha] = make(chan struct{})
			st.mu.Unlock()
			return lake.Entry{}, false, nil
		}
		st.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return lake.Entry{}, false, ctx.Err()
		}
	}
}

// release ends a claim; the caller holds st.mu.
func (st *state) release(sha string) {
	if ch, ok := st.inflight[sha]; ok {
		close(ch)
		delete(st.inflight, sha)
	}
}

// recover reads the manifest and removes what a crashed run left: temporary files, and Parquet
// files no manifest line commits.
func (in *Ingester) recover() (*state, error) {
	entries, err := lake.ReadManifest(in.cfg.Dir)
	if err != nil {
		return nil, err
	}
	st := &state{bySHA: map[string]lake.Entry{}, byPath: map[string]lake.Entry{}, inflight: map[string]chan struct{}{}}
	keep := map[string]bool{}
	for _, e := range entries {
		if e.Status == lake.StatusLanded {
			st.bySHA[e.SHA256] = e
		}
		if e.InboxPath != "" {
			st.byPath[e.InboxPath] = e
		}
		keep[e.LakeFile], keep[e.QuarantineFile] = true, true
	}
	for _, root := range []string{in.layout.Lake(), in.layout.Quarantine(), in.layout.Archive(), in.layout.Reports()} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			name := d.Name()
			orphan := strings.HasSuffix(name, ".partial") ||
				(root == in.layout.Lake() || root == in.layout.Quarantine()) && !keep[in.rel(path)]
			if orphan {
				return os.Remove(path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("ingest: recover: %w", err)
		}
	}
	return st, nil
}

type inboxFile struct {
	source, path string
	size         int64
	mod          time.Time
}

// work guesses how long a file takes to ingest, to start the longest first: its size, and for
// a workbook ten times that (compressed XML costs far more a byte than CSV, and is read by one
// goroutine).
func work(f inboxFile) int64 {
	switch strings.ToLower(filepath.Ext(f.path)) {
	case ".xlsx", ".xlsm", ".xls", ".ods":
		return 10 * f.size
	}
	return f.size
}

// scan lists the inbox: files under a source's folder (at any depth), and what is elsewhere.
func (in *Ingester) scan() ([]inboxFile, []string, error) {
	var files []inboxFile
	var unknown []string
	root := in.layout.Inbox()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // hidden files and Excel's lock files
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil // links are not followed: a link could point anywhere on the machine
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) < 2 {
			unknown = append(unknown, "inbox/"+rel)
			return nil
		}
		if _, ok := in.cfg.Registry.Source(parts[0]); !ok {
			unknown = append(unknown, "inbox/"+filepath.ToSlash(rel))
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, inboxFile{source: parts[0], path: path, size: info.Size(), mod: info.ModTime().UTC()})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, unknown, err
}

func (in *Ingester) rel(path string) string {
	r, err := filepath.Rel(in.cfg.Dir, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(r)
}

// ingest handles one file from archive to commit.
func (in *Ingester) ingest(ctx context.Context, st *state, source, path, name, inboxRel string) (*lake.Report, error) {
	start := time.Now()
	name = cleanName(name)
	src, _ := in.cfg.Registry.Source(source)
	now := in.cfg.Now().In(in.cfg.Location)
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	sha, validUTF8, err := in.archive(path, name)
	if err != nil {
		return nil, err
	}
	rep := &lake.Report{
		Entry: lake.Entry{
			SHA256: sha, Source: source, FileName: name, InboxPath: inboxRel, Size: info.Size(),
			ModTime: info.ModTime().UTC(), IngestedAt: now.UTC(), IngestDate: now.Format("2006-01-02"),
		},
		LeadUnit: src.LeadUnit,
	}
	finish := func() (*lake.Report, error) {
		rep.DurationMS = time.Since(start).Milliseconds()
		st.mu.Lock()
		defer st.mu.Unlock()
		if rep.Status != lake.StatusDuplicate {
			defer st.release(sha) // after bySHA is set: a waiting file sees a landed one as its original
		}
		if rep.Status == lake.StatusRejected {
			rep.Rules = in.rules
		}
		if err := in.commit(rep); err != nil {
			return nil, err
		}
		if rep.Status == lake.StatusLanded {
			st.bySHA[sha] = rep.Entry
		}
		if inboxRel != "" {
			st.byPath[inboxRel] = rep.Entry
		}
		return rep, nil
	}
	prev, dup, err := st.claim(ctx, sha)
	if err != nil {
		return nil, err
	}
	if dup {
		rep.Status = lake.StatusDuplicate
		when := prev.IngestedAt.In(in.cfg.Location).Format("2006-01-02 15:04")
		rep.MessageZh = fmt.Sprintf("该文件已于%s导入(%s,%s),未重复导入", when, prev.FileName, in.sourceTitle(prev.Source))
		rep.MessageEn = fmt.Sprintf("this file was already ingested on %s (%s, source %s) and is not ingested again", when, prev.FileName, prev.Source)
		return finish()
	}
	err = in.load(ctx, src, path, name, validUTF8, now, rep)
	if err != nil && minsheng.ErrorCode(err) == minsheng.EINTERNAL {
		st.mu.Lock()
		st.release(sha) // not committed: a later run ingests it again
		st.mu.Unlock()
	}
	var me *minsheng.Error
	switch {
	case err == nil:
		rep.Status = lake.StatusLanded
	case errors.As(err, &me) && me.Code != minsheng.EINTERNAL:
		rep.Status = lake.StatusRejected
		rep.MessageZh, rep.MessageEn = me.Zh, me.En
		rep.Rows, rep.Landed, rep.Rejected, rep.LakeFile, rep.QuarantineFile = 0, 0, 0, "", ""
		rep.Reasons, rep.Flags, rep.First, rep.FirstFlagged, rep.Skipped, rep.Flagged = nil, nil, nil, nil, 0, 0
	default:
		return nil, fmt.Errorf("ingest: %s: %w", name, err)
	}
	return finish()
}

// archive copies the original to the archive under its SHA-256, readable by the service user
// only, and learns on the way whether it is valid UTF-8.
func (in *Ingester) archive(path, name string) (sha string, validUTF8 bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(in.layout.Archive(), 0o700); err != nil {
		return "", false, err
	}
	tmp, err := os.CreateTemp(in.layout.Archive(), ".tmp-*.partial")
	if err != nil {
		return "", false, fmt.Errorf("ingest: archive: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	var u utf8Validator
	if err := fanOut(f, tmp, h, &u); err != nil {
		tmp.Close()
		return "", false, fmt.Errorf("ingest: archive: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", false, err
	}
	if err := tmp.Close(); err != nil {
		return "", false, err
	}
	sha = hex.EncodeToString(h.Sum(nil))
	ext := strings.ToLower(filepath.Ext(name))
	if len(ext) > 8 || strings.ContainsAny(ext, `/\`) {
		ext = ""
	}
	dst := in.layout.ArchivePath(sha, ext)
	if _, err := os.Stat(dst); err == nil {
		return sha, u.Valid(), nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", false, err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return "", false, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", false, fmt.Errorf("ingest: archive: %w", err)
	}
	return sha, u.Valid(), nil
}

// commit writes the report, then the manifest line that makes the file count.
func (in *Ingester) commit(rep *lake.Report) error {
	b, err := jsonIndent(rep)
	if err != nil {
		return err
	}
	if err := lake.WriteFileAtomic(lake.ReportPath(in.cfg.Dir, rep.SHA256, rep.IngestedAt), b, 0o600); err != nil {
		return fmt.Errorf("ingest: report: %w", err)
	}
	return lake.AppendManifest(in.cfg.Dir, rep.Entry)
}

// fanOut copies r to w, the hash and the validator at once, each on its own goroutine, while the
// next chunk is read: a large file is archived in the time of its slowest step, not of all three.
func fanOut(r io.Reader, w io.Writer, h hash.Hash, u *utf8Validator) error {
	const chunk = 4 << 20
	bufs := [2][]byte{make([]byte, chunk), make([]byte, chunk)}
	n, rerr := io.ReadFull(r, bufs[0])
	for i := 0; n > 0; i ^= 1 {
		cur := bufs[i][:n]
		var wg sync.WaitGroup
		var werr error
		wg.Add(3)
		go func() { defer wg.Done(); _, werr = w.Write(cur) }()
		go func() { defer wg.Done(); h.Write(cur) }()
		go func() { defer wg.Done(); u.Write(cur) }()
		if rerr == nil {
			n, rerr = io.ReadFull(r, bufs[i^1])
		} else {
			n = 0
		}
		wg.Wait()
		if werr != nil {
			return werr
		}
	}
	if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
		return nil
	}
	return rerr
}
