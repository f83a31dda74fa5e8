package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/warehouse"
)

// clearKeyEnv makes the test's key come only from what it sets itself.
func clearKeyEnv(t *testing.T) {
	t.Setenv(ingest.EnvKey, "")
	t.Setenv(ingest.EnvKeyFile, "")
	t.Setenv(ingest.EnvNewKey, "")
}

// runCode runs a subcommand in-process and returns its exit status and output.
func runCode(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestKeyWarningCommands: ingest and serve warn loudly, in both languages, when the key is
// DIR/pii.key (the demo default); a key file named by MINSHENG_PII_KEY_FILE outside the folder
// gets no warning.
func TestKeyWarningCommands(t *testing.T) {
	clearKeyEnv(t)
	dir := t.TempDir()
	code, _, errs := runCode("ingest", "--data", dir)
	if code != 0 || !strings.Contains(errs, "WARNING: the pseudonym key") || !strings.Contains(errs, "警告:假名化密钥") ||
		!strings.Contains(errs, filepath.Join(dir, "pii.key")) {
		t.Errorf("ingest with DIR/pii.key: exit %d, stderr:\n%s", code, errs)
	}
	// serve warns before it does anything else: here it then fails to listen
	code, _, errs = runCode("serve", "--data", dir, "--addr", "256.0.0.1:1", "--nightly", "off")
	if code != 1 || !strings.Contains(errs, "WARNING: the pseudonym key") {
		t.Errorf("serve with DIR/pii.key: exit %d, stderr:\n%s", code, errs)
	}

	dir = t.TempDir()
	t.Setenv(ingest.EnvKeyFile, filepath.Join(t.TempDir(), "pii.key"))
	code, _, errs = runCode("ingest", "--data", dir)
	if code != 0 || strings.Contains(errs, "WARNING") || strings.Contains(errs, "警告") {
		t.Errorf("ingest with a key file outside: exit %d, stderr:\n%s", code, errs)
	}
	code, _, errs = runCode("serve", "--data", dir, "--addr", "256.0.0.1:1", "--nightly", "off")
	if code != 1 || strings.Contains(errs, "WARNING") {
		t.Errorf("serve with a key file outside: exit %d, stderr:\n%s", code, errs)
	}
}

// unenrolled is the pseudonyms the current warehouse lists in mart_enrollment_unenrolled.
func unenrolled(t *testing.T, dir string) []string {
	t.Helper()
	db, err := warehouse.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.SQL().Query(`select person_id::varchar from mart_enrollment_unenrolled order by 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func pseudonyms(key []byte) map[string]bool {
	out := map[string]bool{}
	for _, p := range handlake.Persons {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(p.ID))
		u, _ := uuid.FromBytes(m.Sum(nil)[:16])
		out[u.String()] = true
	}
	return out
}

// TestRekeyCommand: the hand lake ingested and built with the demo key in DIR/pii.key; minsheng
// rekey with a new key file outside the folder rebuilds the warehouse under the new pseudonyms.
// Afterwards ingest and serve refuse the old key (and a missing one) with the message, and accept
// the new one without a warning.
func TestRekeyCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests and builds twice")
	}
	clearKeyEnv(t)
	dir := t.TempDir()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	handlake.Write(t, dir, reg)
	runCLI(t, "ingest", "--data", dir)
	runCLI(t, "build", "--data", dir)
	oldHex, _ := os.ReadFile(filepath.Join(dir, "pii.key"))
	oldKey, _ := hex.DecodeString(strings.TrimSpace(string(oldHex)))
	before := unenrolled(t, dir)
	old := pseudonyms(oldKey)
	if len(before) == 0 {
		t.Fatal("no unenrolled person in the hand lake's warehouse: the test would test nothing")
	}
	for _, id := range before {
		if !old[id] {
			t.Fatalf("%s is no pseudonym of the old key", id)
		}
	}

	newKeyFile := filepath.Join(t.TempDir(), "minsheng", "pii.key")
	out := runCLI(t, "rekey", "--data", dir, "--new-key-file", newKeyFile)
	for _, want := range []string{"key rotated", "warehouse rebuilt", ingest.EnvKeyFile + "=" + newKeyFile} {
		if !strings.Contains(out, want) {
			t.Errorf("rekey says no %q:\n%s", want, out)
		}
	}
	newHex, err := os.ReadFile(newKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	newKey, _ := hex.DecodeString(strings.TrimSpace(string(newHex)))
	after := unenrolled(t, dir)
	fresh := pseudonyms(newKey)
	if len(after) != len(before) {
		t.Fatalf("%d unenrolled after the rekey, %d before", len(after), len(before))
	}
	for _, id := range after {
		if old[id] || !fresh[id] {
			t.Errorf("after the rekey the warehouse holds %s: old key's %v, new key's %v", id, old[id], fresh[id])
		}
	}

	// no key: not made anew
	code, _, errs := runCode("ingest", "--data", dir)
	if code != 1 || !strings.Contains(errs, "is not there") {
		t.Errorf("ingest with no key after the rekey: exit %d\n%s", code, errs)
	}
	// the old key is refused by ingest and serve
	t.Setenv(ingest.EnvKey, strings.TrimSpace(string(oldHex)))
	for _, args := range [][]string{
		{"ingest", "--data", dir},
		{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--nightly", "off"},
	} {
		code, _, errs := runCode(args...)
		if code != 1 || !strings.Contains(errs, "this key is not the data folder's pseudonym key") || !strings.Contains(errs, "该密钥不是本数据目录的假名化密钥") {
			t.Errorf("%s with the old key: exit %d\n%s", args[0], code, errs)
		}
	}
	// the new key is accepted: ingest, and serve until stopped
	t.Setenv(ingest.EnvKey, "")
	t.Setenv(ingest.EnvKeyFile, newKeyFile)
	code, _, errs = runCode("ingest", "--data", dir)
	if code != 0 || strings.Contains(errs, "WARNING") {
		t.Errorf("ingest with the new key: exit %d\n%s", code, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var sout, serr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--nightly", "off"}, &sout, &serr)
	}()
	for deadline := time.Now().Add(time.Minute); !strings.Contains(sout.String(), "serving"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve with the new key did not start:\n%s\n%s", sout.String(), serr.String())
		}
		select {
		case code := <-done:
			t.Fatalf("serve with the new key ended: exit %d\n%s", code, serr.String())
		default:
		}
	}
	cancel()
	if code := <-done; code != 0 || strings.Contains(serr.String(), "WARNING") {
		t.Errorf("serve with the new key: exit %d\n%s", code, serr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestKillDuringRekey: minsheng rekey killed with SIGKILL at rising delays (staging, swap,
// cleanup) never leaves a folder in between: after each kill, the next opening of the key ends
// what was left, and either the old key still works with the old lake, or the new key works with
// the new one; the manifest and every lake file's rows are as before either way, and no staging
// folder (with its copy of the originals) is left. A later run finishes the rotation.
func TestKillDuringRekey(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real rekey processes")
	}
	clearKeyEnv(t)
	dir := t.TempDir()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	handlake.Write(t, dir, reg)
	runCLI(t, "ingest", "--data", dir)
	before, err := os.ReadFile(filepath.Join(dir, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := lake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check := func(when string) {
		t.Helper()
		if b, _ := os.ReadFile(filepath.Join(dir, "manifest.jsonl")); !bytes.Equal(b, before) {
			t.Fatalf("%s: the manifest changed", when)
		}
		for _, e := range entries {
			if e.LakeFile == "" {
				continue
			}
			var n int
			if err := db.QueryRow(`select count(*) from read_parquet(?)`, filepath.Join(dir, e.LakeFile)).Scan(&n); err != nil || n != e.Landed {
				t.Fatalf("%s: %s: %d rows (%v), want %d", when, e.LakeFile, n, err, e.Landed)
			}
		}
		if m, _ := filepath.Glob(filepath.Join(dir, ".rekey-*")); len(m) != 0 {
			t.Fatalf("%s: left behind: %v", when, m)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	newKeyFile := filepath.Join(t.TempDir(), "pii.key")
	kills, rolledBack := 0, 0
	delay := 40 * time.Millisecond
	for attempt := 0; attempt < 80; attempt++ {
		cmd := exec.Command(self, "rekey", "--data", dir, "--new-key-file", newKeyFile, "--no-build")
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
				t.Fatalf("rekey failed after %d kills: %v\n%s", kills, err, out.String())
			}
			t.Logf("the run after %d kills (%d left the old key in place) finished by itself", kills, rolledBack)
			if kills < 3 {
				t.Fatalf("only %d kills landed mid-run: the test did not test anything", kills)
			}
			t.Setenv(ingest.EnvKeyFile, newKeyFile)
			if _, err := ingest.OpenKey(dir); err != nil {
				t.Fatalf("the new key after the rotation: %v", err)
			}
			check("after the rotation")
			return
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
		// what the next ingest or serve would see: the new key works, or else the old one does
		t.Setenv(ingest.EnvKeyFile, newKeyFile)
		if _, err := ingest.OpenKey(dir); err == nil {
			t.Logf("kill %d at %v came after READY: the rotation was finished by the next opening", kills, delay)
			check("rolled forward")
			return
		}
		t.Setenv(ingest.EnvKeyFile, "")
		if _, err := ingest.OpenKey(dir); err != nil {
			t.Fatalf("after kill %d at %v neither key works: %v", kills, delay, err)
		}
		rolledBack++
		check(fmt.Sprintf("kill %d at %v", kills, delay))
		delay = delay * 5 / 4
	}
	t.Fatal("rekey never finished")
}
