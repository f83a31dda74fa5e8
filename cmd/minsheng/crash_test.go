package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/fixtures"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/uploads"
)

// A kill -9 at any moment of an ingest leaves no partial Parquet visible, and the next ingest
// finishes the work exactly once. The command runs as a real process, killed at rising delays
// that fall in every phase of the run (archiving, writing, committing), until a run ends by itself.
func TestKillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real ingest processes")
	}
	dir, exp := demo(t, 3)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	kills := 0
	delay := 20 * time.Millisecond
	for attempt := 0; attempt < 60; attempt++ {
		cmd := exec.Command(self, "ingest", "--data", dir)
		cmd.Env = append(os.Environ(), "MINSHENG_AS_COMMAND=1")
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
				t.Fatalf("ingest failed after %d kills: %v\n%s", kills, err, out.String())
			}
			t.Logf("the run after %d kills finished by itself", kills)
			if kills < 3 {
				t.Fatalf("only %d kills landed mid-run: the test did not test anything", kills)
			}
			checkLake(t, dir, exp)
			return
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
		delay = delay * 3 / 2
	}
	t.Fatal("ingest never finished")
}

// The crash soak (issue 9): kill -9 at random moments of an ingest, a build, and a server taking
// uploads, 20 times each, on a small demo folder; after each kind the lake, the manifest and the
// warehouse must equal a clean run's, no file may be left in the system's temporary folder
// (TMPDIR is the soak's own, empty at the start), and no file outside DIR/archive may hold a
// clear name or ID number the fixtures wrote. MINSHENG_SOAK_SEED repeats a run's delays; the
// kills are real processes, so the moments they land vary a little anyway.
func TestCrashSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real ingest, build and serve processes")
	}
	s := newSoak(t)
	t.Run("ingest", s.killIngest)
	t.Run("build", s.killBuild)
	t.Run("serve", s.killServeDuringUploads)
}

// soakKills is how many kills each kind takes; soakAttempts bounds the runs it may take for them
// (a run that ends before its kill is not one).
const (
	soakKills    = 20
	soakAttempts = 45
)

type soak struct {
	self     string
	rng      *rand.Rand
	exp      *fixtures.Expected
	secrets  *secretSearch
	db       *sql.DB
	pristine string // the fixtures' folder, never ingested: inbox/ and expected.json
	clean    string // the pristine folder ingested and built once, uninterrupted
	want     lakeState
	answers  []string
	// how long the clean run's commands took: the kills fall within these
	ingestTime, buildTime time.Duration
}

func newSoak(t *testing.T) *soak {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("MINSHENG_SOAK_SEED"); v != "" {
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("MINSHENG_SOAK_SEED: %v", err)
		}
	}
	t.Logf("MINSHENG_SOAK_SEED=%d", seed)
	s := &soak{self: self, rng: rand.New(rand.NewPCG(seed, seed>>1|1))}

	// A twentieth of the demo county: every source, xlsx and CSV in every encoding, five thousand
	// rows, so that a run takes a second or two and sixty kills fit in a few minutes.
	s.pristine = t.TempDir()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	s.exp, err = fixtures.Generate(context.Background(), fixtures.Options{Year: 2024, Seed: 11, Scale: 0.05,
		AsOf: time.Date(2024, 10, 31, 0, 0, 0, 0, time.UTC), Out: s.pristine, Registry: reg, County: county})
	if err != nil {
		t.Fatal(err)
	}
	if s.db, err = sql.Open("duckdb", ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.db.Close() })
	s.secrets = newSecretSearch(s.db, s.exp.Secrets.Names, s.exp.Secrets.IDNumbers)
	if len(s.exp.Secrets.Names) < 100 || len(s.exp.Secrets.IDNumbers) < 100 {
		t.Fatalf("only %d names and %d ID numbers to look for", len(s.exp.Secrets.Names), len(s.exp.Secrets.IDNumbers))
	}
	// The search must be able to fail: over the inbox, where the originals are, it finds them.
	if found := s.secrets.inFolder(t, filepath.Join(s.pristine, "inbox")); len(found) < s.secrets.limit {
		t.Fatalf("the search finds only %d secrets in the inbox itself", len(found))
	}

	// The clean run, as the children will run: the same binary, key and kind of TMPDIR.
	s.clean = t.TempDir()
	copyTree(t, s.pristine, s.clean)
	tmp := t.TempDir()
	s.ingestTime = s.run(t, tmp, "ingest", "--data", s.clean)
	checkLake(t, s.clean, s.exp)
	s.buildTime = s.run(t, tmp, "build", "--data", s.clean)
	s.want = readLake(t, s.db, s.clean, true)
	s.answers = answers(t, s.clean)
	for _, a := range s.answers {
		code, _, _ := strings.Cut(a, " ")
		if _, ok := s.exp.Indicators[code]; !ok {
			t.Fatalf("the clean warehouse answers %s, which the generator does not know", code)
		}
	}
	s.checkClean(t, "the clean run", s.clean, tmp, true, true)
	t.Logf("clean run: %d files, %d rows; ingest %v, build %v", len(s.exp.Files), rowsOf(s.exp), s.ingestTime.Round(time.Millisecond), s.buildTime.Round(time.Millisecond))
	return s
}

func rowsOf(exp *fixtures.Expected) int {
	n := 0
	for _, f := range exp.Files {
		n += f.Rows
	}
	return n
}

// delay is a random moment within a run that takes about d (to f times d).
func (s *soak) delay(d time.Duration, f float64) time.Duration {
	return time.Duration(s.rng.Float64() * f * float64(d))
}

// checkClean: nothing left in the children's TMPDIR, nothing in DIR/tmp, and no clear name or
// ID number in any file of the folder outside archive/ (and inbox/, where units drop their
// originals, when inboxHolds). The search for PII takes a second or two: it runs at the end of
// each kind, when scan, and the cheap checks after every run that ended by itself.
func (s *soak) checkClean(t *testing.T, label, dir, tmp string, inboxHolds, scan bool) {
	t.Helper()
	if left := files(t, tmp); len(left) > 0 {
		found := s.secrets.inFolder(t, tmp)
		t.Errorf("%s: %d files left in the system's temporary folder (TMPDIR), %d with clear PII: %v %v", label, len(left), len(found), head(left), head(found))
	}
	if left := files(t, filepath.Join(dir, "tmp")); len(left) > 0 {
		t.Errorf("%s: %d files left in DIR/tmp: %v", label, len(left), head(left))
	}
	if !scan {
		return
	}
	skip := []string{"archive"}
	if inboxHolds {
		skip = append(skip, "inbox")
	}
	if found := s.secrets.inFolder(t, dir, skip...); len(found) > 0 {
		t.Errorf("%s: clear PII outside the archive: %v", label, head(found))
	}
}

func head(list []string) []string {
	if len(list) > 5 {
		return append(list[:5:5], fmt.Sprintf("... %d more", len(list)-5))
	}
	return list
}

// killIngest: `minsheng ingest` killed at random moments, each next run recovering what the
// killed one left (and killed in its turn), until 20 kills have landed; a run that ends by
// itself is compared with the clean run, and the folder starts again from the pristine inbox.
func (s *soak) killIngest(t *testing.T) {
	tmp := t.TempDir()
	dir := t.TempDir()
	copyTree(t, s.pristine, dir)
	start := time.Now()
	kills, finished, midWrite := 0, 0, 0
	for attempt := 0; kills < soakKills && attempt < soakAttempts; attempt++ {
		// Within the first two thirds of a whole run: the next run recovers and goes on from
		// where the killed one was, so the kills fall on every part of the work in turn.
		if s.killAfter(t, tmp, s.delay(s.ingestTime, 0.7), "ingest", "--data", dir) {
			kills++
			if leftovers(t, dir) > 0 {
				midWrite++
			}
			continue
		}
		finished++
		label := fmt.Sprintf("ingest finished after %d kills", kills)
		sameLake(t, label, readLake(t, s.db, dir, true), s.want, true)
		s.checkClean(t, label, dir, tmp, true, false)
		os.RemoveAll(dir)
		copyTree(t, s.pristine, dir)
	}
	s.run(t, tmp, "ingest", "--data", dir) // the recovery run
	sameLake(t, "after the kills", readLake(t, s.db, dir, true), s.want, true)
	checkLake(t, dir, s.exp)
	s.run(t, tmp, "build", "--data", dir)
	sameAnswers(t, "after the kills", answers(t, dir), s.answers)
	s.checkClean(t, "after the kills", dir, tmp, true, true)
	t.Logf("%d kills (%d left a file half-written for the next run to remove), %d runs that ended by themselves, in %v",
		kills, midWrite, finished, time.Since(start).Round(time.Millisecond))
	if kills < soakKills {
		t.Errorf("only %d of %d kills landed mid-run", kills, soakKills)
	}
}

// killBuild: `minsheng build` killed at random moments over a folder with a warehouse: after
// every kill the warehouse CURRENT names opens and answers as the clean run's (the old one keeps
// serving), the lake is untouched, and the next finished build leaves nothing of the killed ones.
func (s *soak) killBuild(t *testing.T) {
	tmp := t.TempDir()
	dir := t.TempDir()
	copyTree(t, s.clean, dir)
	start := time.Now()
	kills, finished, midWrite := 0, 0, 0
	for attempt := 0; kills < soakKills && attempt < soakAttempts; attempt++ {
		if s.killAfter(t, tmp, s.delay(s.buildTime, 1.1), "build", "--data", dir) {
			kills++
			if len(warehouseLeftovers(t, dir)) > 0 {
				midWrite++
			}
		} else {
			finished++
		}
		sameAnswers(t, fmt.Sprintf("after %d kills", kills), answers(t, dir), s.answers)
	}
	s.run(t, tmp, "build", "--data", dir)
	sameAnswers(t, "the build after the kills", answers(t, dir), s.answers)
	if left := warehouseLeftovers(t, dir); len(left) > 0 {
		t.Errorf("killed builds left in DIR/warehouse: %v", left)
	}
	sameLake(t, "after the builds", readLake(t, s.db, dir, true), s.want, true)
	s.checkClean(t, "after the builds", dir, tmp, true, true)
	t.Logf("%d kills (%d left a warehouse file behind), %d builds that ended by themselves, in %v",
		kills, midWrite, finished, time.Since(start).Round(time.Millisecond))
	if kills < soakKills {
		t.Errorf("only %d of %d kills landed mid-build", kills, soakKills)
	}
}

// upload is one file a lead unit sends.
type upload struct {
	source, name string
	body         []byte
	sha          string
}

// killServeDuringUploads: `minsheng serve` killed while lead units upload the demo files through
// POST /api/v1/uploads (two at a time, each with its unit's API token), then started again and
// the units send again what was not answered. Every upload answered before a kill is committed;
// at the end every file is committed once with the clean run's counts, the warehouse answers as
// the clean run's, and neither DIR/tmp nor TMPDIR holds anything.
func (s *soak) killServeDuringUploads(t *testing.T) {
	tmp := t.TempDir()
	dir := t.TempDir()
	ups := s.uploads(t)
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	// setup makes a unit's API token for every lead unit, in a fresh data folder.
	setup := func() {
		for _, src := range reg.Sources {
			out := strings.Fields(runCLI(t, "token", "create", "--data", dir, "--role", "unit", "--unit", src.LeadUnit, "--name", "soak "+src.Code))
			tokens[src.Code] = out[len(out)-1]
		}
	}
	token := func(source string) string { return tokens[source] }
	setup()

	start := time.Now()
	// The units send everything the first time; after a kill, what was not answered.
	acked := map[string]uploads.Response{}
	var pass time.Duration // how long a whole pass took, once one was seen to end
	estimate := 2 * s.ingestTime
	kills, resets, midUpload, midWrite := 0, 0, 0, 0
	leftExample := ""
	for attempt := 0; kills < soakKills && attempt < soakAttempts; attempt++ {
		srv := s.startServe(t, tmp, dir)
		var todo []upload
		for _, u := range ups {
			if _, ok := acked[u.sha]; !ok {
				todo = append(todo, u)
			}
		}
		if len(todo) == 0 {
			// All answered: compare with the clean run, and the units start again in a new
			// folder, so that the kills keep falling on real ingests.
			srv.stop(t)
			sameLake(t, fmt.Sprintf("all answered after %d kills", kills), readLake(t, s.db, dir, true), s.want, false)
			s.checkClean(t, fmt.Sprintf("all answered after %d kills", kills), dir, tmp, false, false)
			resets++
			os.RemoveAll(dir)
			os.MkdirAll(dir, 0o700)
			setup()
			clear(acked)
			continue
		}
		d := s.delay(estimate, 1.1)
		if pass > 0 {
			d = s.delay(pass, 1.1)
		}
		began := time.Now()
		answered, whole := sendAll(t, srv.url, todo, token, d)
		if whole {
			pass = time.Since(began)
			srv.stop(t)
		} else {
			srv.kill()
			kills++
			if left := files(t, filepath.Join(dir, "tmp")); len(left) > 0 {
				midUpload++ // the next start must remove it
				leftExample = left[0]
			}
			if leftovers(t, dir) > 0 {
				midWrite++
			}
		}
		maps.Copy(acked, answered)
		// An answered upload survives the kill: its file is committed as the answer said.
		st := readLake(t, s.db, dir, false)
		for sha, r := range answered {
			e, ok := st.bySHA[sha]
			w := s.want.bySHA[sha]
			counts := r.Status == lake.StatusDuplicate || r.Accepted == w.Landed && r.Rejected == w.Rejected
			if !ok || e.Status != w.Status || e.Landed != w.Landed || !counts {
				t.Errorf("after %d kills: %s answered %s (%d accepted, %d rejected), committed %v %s; the clean run: %s %d landed",
					kills, r.FileName, r.Status, r.Accepted, r.Rejected, ok, e.Status, w.Status, w.Landed)
			}
		}
	}
	// The last start: every file sent again, every answer a success (201 or 200 for a file
	// already ingested); the server stops cleanly.
	srv := s.startServe(t, tmp, dir)
	answered, whole := sendAll(t, srv.url, ups, token, time.Hour)
	srv.stop(t)
	if !whole || len(answered) != len(ups) {
		t.Fatalf("the last pass answered %d of %d uploads", len(answered), len(ups))
	}
	for sha, r := range answered {
		w := s.want.bySHA[sha]
		if r.Status != lake.StatusDuplicate && (r.Accepted != w.Landed || r.Rejected != w.Rejected) {
			t.Errorf("%s answered %d accepted, %d rejected; the clean run %d landed, %d rejected", r.FileName, r.Accepted, r.Rejected, w.Landed, w.Rejected)
		}
	}
	sameLake(t, "after the kills", readLake(t, s.db, dir, true), s.want, false)
	s.run(t, tmp, "build", "--data", dir)
	sameAnswers(t, "after the kills", answers(t, dir), s.answers)
	s.checkClean(t, "after the kills", dir, tmp, false, true)
	t.Logf("%d kills (%d left a file in DIR/tmp, such as %s; %d a lake file half-written), %d fresh folders, in %v",
		kills, midUpload, leftExample, midWrite, resets, time.Since(start).Round(time.Millisecond))
	if kills < soakKills {
		t.Errorf("only %d of %d kills landed during uploads", kills, soakKills)
	}
}

// uploads reads the demo files from the pristine inbox: what the units will send.
func (s *soak) uploads(t *testing.T) []upload {
	t.Helper()
	var out []upload
	for _, rel := range files(t, filepath.Join(s.pristine, "inbox")) {
		source, name, ok := strings.Cut(rel, "/")
		if !ok {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.pristine, "inbox", rel))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out = append(out, upload{source: source, name: filepath.Base(name), body: b, sha: hex.EncodeToString(sum[:])})
	}
	if len(out) != len(s.exp.Files) {
		t.Fatalf("%d files in the inbox, the generator wrote %d", len(out), len(s.exp.Files))
	}
	return out
}

// sendAll uploads the files two at a time until all are answered or d has passed (the server is
// about to be killed); it returns the answers that came, by SHA-256, and whether all came. An
// answer other than 201 or 200 fails the test; a request cut by the kill is not an answer.
func sendAll(t *testing.T, url string, ups []upload, token func(string) string, d time.Duration) (map[string]uploads.Response, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	answered := map[string]uploads.Response{}
	next := make(chan upload)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Go(func() {
			for u := range next {
				r, err := send(ctx, url, u, token(u.source))
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("%s: %v", u.name, err)
					}
					continue
				}
				if r.SHA256 != u.sha {
					t.Errorf("%s answered for %s", u.name, r.SHA256)
				}
				mu.Lock()
				answered[u.sha] = r
				mu.Unlock()
			}
		})
	}
	for _, u := range ups {
		select {
		case next <- u:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	return answered, ctx.Err() == nil && len(answered) == len(ups)
}

// send posts one file as a unit's script does: multipart source and file, a bearer token.
func send(ctx context.Context, url string, u upload, token string) (uploads.Response, error) {
	var r uploads.Response
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("source", u.source)
	fw, err := mw.CreateFormFile("file", u.name)
	if err != nil {
		return r, err
	}
	fw.Write(u.body)
	mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"api/v1/uploads", &body)
	if err != nil {
		return r, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return r, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return r, err
	}
	if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
		return r, fmt.Errorf("status %d: %s", res.StatusCode, b)
	}
	return r, json.Unmarshal(b, &r)
}

// leftovers counts the half-written files a killed run left in the lake, the quarantine, the
// archive and the reports, for the next run to remove.
func leftovers(t *testing.T, dir string) int {
	n := 0
	for _, root := range []string{"lake", "quarantine", "archive", "reports"} {
		for _, f := range files(t, filepath.Join(dir, root)) {
			if strings.HasSuffix(f, ".partial") {
				n++
			}
		}
	}
	return n
}
