package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
)

// TestServeCommand: the real command on an ingested lake with no warehouse yet answers 503 at
// first, builds the warehouse itself, then serves every target of the registry; SIGTERM stops it
// cleanly. Then `minsheng build` swaps in a new file and the running server moves to it.
func TestServeCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real server")
	}
	dir, exp := demo(t, 4)
	runCLI(t, "ingest", "--data", dir)
	// every answer but healthz needs a login: a leader's API token, its text the last line
	out := strings.Fields(runCLI(t, "token", "create", "--data", dir, "--role", "leader", "--name", "serve-test"))
	token := out[len(out)-1]
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--nightly", "off")
	cmd.Env = append(os.Environ(), "MINSHENG_AS_COMMAND=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	url := ""
	for url == "" && lines.Scan() {
		if m := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`).FindString(lines.Text()); m != "" {
			url = m
		}
	}
	if url == "" {
		t.Fatalf("serve printed no URL\n%s", stderr.String())
	}
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(stdout); rest <- string(b) }()

	// the first build runs in the background: healthz says so until it is loaded
	status := 0
	var health struct{ Status, Warehouse string }
	for deadline := time.Now().Add(2 * time.Minute); status != http.StatusOK; {
		if time.Now().After(deadline) {
			t.Fatalf("healthz never became ok: %d\n%s", status, stderr.String())
		}
		status = getJSON(t, url+"healthz", &health)
		if status != http.StatusOK && status != http.StatusServiceUnavailable {
			t.Fatalf("healthz %d before the first build, want 503", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var targets struct {
		Year    int
		AsOf    string `json:"as_of"`
		Targets []struct {
			Code   string
			Actual *float64
		}
	}
	var refused struct{ Error struct{ Code string } }
	if s := getJSON(t, url+"api/v1/targets?year=2024", &refused); s != http.StatusUnauthorized || refused.Error.Code != "unauthorized" {
		t.Fatalf("targets without a token: %d %+v, want 401", s, refused)
	}
	if s := getJSON(t, url+"api/v1/targets?year=2024", &targets, token); s != http.StatusOK {
		t.Fatalf("targets: %d", s)
	}
	reg, _ := minsheng.LoadRegistry("")
	plans, _ := minsheng.LoadPlans("", reg)
	if len(targets.Targets) != len(plans[2024].Targets) || targets.AsOf != "2024-10-31" {
		t.Errorf("%d targets as of %s, want %d as of 2024-10-31", len(targets.Targets), targets.AsOf, len(plans[2024].Targets))
	}
	for _, tg := range targets.Targets {
		if want := exp.Indicators[tg.Code].Actual; tg.Actual == nil || math.Abs(*tg.Actual-want) > 0.005 {
			t.Errorf("%s: %v, want %v", tg.Code, tg.Actual, want)
		}
	}

	// a build from another process: the server moves to it by itself
	built := runCLI(t, "build", "--data", dir)
	name := filepath.Base(strings.TrimSpace(regexp.MustCompile(`\S+\.duckdb`).FindString(built)))
	for deadline := time.Now().Add(time.Minute); health.Warehouse != name; {
		if time.Now().After(deadline) {
			t.Fatalf("still serving %s after the build of %s", health.Warehouse, name)
		}
		getJSON(t, url+"healthz", &health)
		time.Sleep(20 * time.Millisecond)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, stderr.String())
	}
	if s := <-rest; !strings.Contains(s, "stopped") {
		t.Errorf("serve's last words: %q", s)
	}
}

// getJSON fetches url, with a bearer token if one is given, and decodes its JSON into v.
func getJSON(t *testing.T, url string, v any, token ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	for _, tok := range token {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return res.StatusCode
}

// TestServeBadFlags: a wrong nightly time or a taken port is a message, not a crash.
func TestServeBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"serve", "--data", t.TempDir(), "--nightly", "2am"}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "HH:MM") {
		t.Errorf("--nightly 2am: exit %d, %s", code, errb.String())
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	errb.Reset()
	if code := Run(context.Background(), []string{"serve", "--data", t.TempDir(), "--nightly", "off", "--addr", ln.Addr().String()}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "port") {
		t.Errorf("a taken port: exit %d, %s", code, errb.String())
	}
}
