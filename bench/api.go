package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const targetsPath = "/api/v1/targets?year=2024"

// apiResult is the API under load, beside a bare Gin handler answering the same bytes.
type apiResult struct {
	skipped  string // why the API part did not run
	serveCmd string
	size     int           // bytes of the /api/v1/targets answer
	ready    time.Duration // from start to /healthz answering 200
	serve    wrkResult
	bare     wrkResult
	serveRSS int64
	bareRSS  int64
	wrkArgs  string
	auth     string // how the load authenticates, when the server asks
}

type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
	requests int
	errors   string // wrk's socket errors or non-2xx count, when any
}

func runAPI(ctx context.Context, o options, dir string) (*apiResult, error) {
	res := &apiResult{}
	if !hasSubcommand(ctx, o.minsheng, "serve") {
		res.skipped = "`minsheng serve` does not exist yet in this binary"
		logf("API: skipped: %s", res.skipped)
		return res, nil
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		res.skipped = "wrk is not installed (apt-get install -y wrk)"
		logf("API: skipped: %s", res.skipped)
		return res, nil
	}
	if _, err := os.Stat(o.bare); err != nil {
		res.skipped = "the bare Gin server is not built: " + err.Error()
		logf("API: skipped: %s", res.skipped)
		return res, nil
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	// Every answer but /healthz needs a login: the load sends a leader's API token, so each
	// request pays for its authentication as a real script's does.
	token := ""
	if hasSubcommand(ctx, o.minsheng, "token") {
		out, err := exec.CommandContext(ctx, o.minsheng, "token", "create", "--data", dir, "--role", "leader",
			"--name", "bench "+time.Now().Format("20060102T150405")).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("minsheng token create: %v: %s", err, out)
		}
		f := strings.Fields(string(out))
		token = f[len(f)-1]
		res.auth = "every request authenticated with a bearer API token"
	}
	args := []string{"serve", "--data", dir, "--addr", addr, "--nightly", "off"}
	res.serveCmd = "minsheng " + strings.Join(args, " ")
	logf("API: %s", res.serveCmd)
	serve, err := startServer(o.minsheng, args, filepath.Join(o.dir, "runs", "serve.log"), []string{"MINSHENG_PII_KEY=" + benchKey})
	if err != nil {
		return nil, err
	}
	defer serve.stop()
	start := time.Now()
	if err := waitFor(ctx, "http://"+addr+"/healthz", 5*time.Minute, serve); err != nil {
		res.skipped = "minsheng serve did not become healthy: " + err.Error()
		logf("API: %s", res.skipped)
		return res, nil
	}
	res.ready = time.Since(start)
	body, err := get("http://"+addr+targetsPath, token)
	if err != nil {
		res.skipped = "GET " + targetsPath + ": " + err.Error()
		logf("API: %s", res.skipped)
		return res, nil
	}
	var probe struct {
		Targets []json.RawMessage `json:"targets"`
	}
	if err := json.Unmarshal(body, &probe); err != nil || len(probe.Targets) == 0 {
		res.skipped = fmt.Sprintf("GET %s did not answer a list of targets: %.200s", targetsPath, body)
		logf("API: %s", res.skipped)
		return res, nil
	}
	res.size = len(body)
	bodyFile := filepath.Join(o.dir, "runs", "targets.json")
	if err := os.WriteFile(bodyFile, body, 0o644); err != nil {
		return nil, err
	}

	bareAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	bare, err := startServer(o.bare, []string{"--addr", bareAddr, "--body", bodyFile}, filepath.Join(o.dir, "runs", "bare.log"), nil)
	if err != nil {
		return nil, err
	}
	defer bare.stop()
	if err := waitFor(ctx, "http://"+bareAddr+targetsPath, time.Minute, bare); err != nil {
		return nil, fmt.Errorf("bare server: %w", err)
	}
	if b, err := get("http://"+bareAddr+targetsPath, token); err != nil || !bytes.Equal(b, body) {
		return nil, fmt.Errorf("the bare server does not answer the same bytes (%v)", err)
	}

	conns := strconv.Itoa(o.connections)
	dur := strconv.Itoa(int(o.duration.Seconds())) + "s"
	wrkArgs := []string{"-t1", "-c" + conns, "-d" + dur, "--latency"}
	res.wrkArgs = "wrk " + strings.Join(wrkArgs, " ")
	var auth []string
	if token != "" {
		// the bare handler gets the same header and ignores it
		auth = []string{"-H", "Authorization: Bearer " + token}
		wrkArgs = append(wrkArgs, auth...)
		res.wrkArgs += ` -H "Authorization: Bearer <token>"`
	}
	load := func(label, url string) (wrkResult, error) {
		// A short warm-up, then the measured run.
		exec.CommandContext(ctx, wrk, append(append([]string{"-t1", "-c" + conns, "-d2s"}, auth...), url)...).Run()
		logf("  %s %s (%s)", res.wrkArgs, url, label)
		out, err := exec.CommandContext(ctx, wrk, append(wrkArgs, url)...).CombinedOutput()
		if err != nil {
			return wrkResult{}, fmt.Errorf("wrk: %v: %s", err, out)
		}
		w, err := parseWrk(string(out))
		if err == nil {
			logf("    %.0f requests/s, p50 %s, p99 %s %s", w.rps, w.p50, w.p99, w.errors)
		}
		return w, err
	}
	// Rounds in turn, the best of each kept, as for ingest.
	for round := 0; round < o.repeat; round++ {
		w, err := load("minsheng serve", "http://"+addr+targetsPath)
		if err != nil {
			return nil, err
		}
		if w.rps > res.serve.rps {
			res.serve = w
		}
		if w, err = load("bare Gin", "http://"+bareAddr+targetsPath); err != nil {
			return nil, err
		}
		if w.rps > res.bare.rps {
			res.bare = w
		}
	}
	res.serveRSS = serve.stop()
	res.bareRSS = bare.stop()
	logf("  peak RSS: minsheng serve %s, bare Gin %s", mib(res.serveRSS), mib(res.bareRSS))
	return res, nil
}

// server is a child process serving HTTP.
type server struct {
	cmd    *exec.Cmd
	log    *os.File
	done   chan struct{}
	maxRSS int64
}

func startServer(bin string, args []string, logPath string, env []string) (*server, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, log: lf, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	return s, nil
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop ends the server (SIGTERM, then SIGKILL after 30 s) and returns its peak RSS.
func (s *server) stop() int64 {
	if s.cmd.Process == nil {
		return s.maxRSS
	}
	if !s.exited() {
		s.maxRSS = max(s.maxRSS, vmHWM(s.cmd.Process.Pid))
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	if ps := s.cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			s.maxRSS = max(s.maxRSS, ru.Maxrss*1024)
		}
	}
	s.log.Close()
	return s.maxRSS
}

// vmHWM is a live process's peak resident memory, from /proc.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func get(url, token string) ([]byte, error) {
	c := http.Client{Timeout: 30 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
	}
	return b, nil
}

// waitFor polls a URL until it answers 200, the server exits, or the time is up.
func waitFor(ctx context.Context, url string, limit time.Duration, s *server) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if _, err := get(url, ""); err == nil {
			return nil
		}
		if s.exited() {
			return errors.New("the server exited; see its log in the runs folder")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("no 200 from %s within %s", url, limit)
}

var (
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkLatency  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkErrors   = regexp.MustCompile(`(?m)^\s*(Socket errors:.*|Non-2xx or 3xx responses:.*)$`)
)

// parseWrk reads requests/s and the 50th and 99th percentile latencies from wrk --latency.
func parseWrk(out string) (wrkResult, error) {
	var w wrkResult
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return w, fmt.Errorf("wrk: no Requests/sec in %q", out)
	}
	w.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, l := range wrkLatency.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(l[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[l[3]]
		d := time.Duration(v * float64(unit))
		if l[1] == "50" {
			w.p50 = d
		} else {
			w.p99 = d
		}
	}
	if m := wrkRequests.FindStringSubmatch(out); m != nil {
		w.requests, _ = strconv.Atoi(m[1])
	}
	var errs []string
	for _, e := range wrkErrors.FindAllStringSubmatch(out, -1) {
		errs = append(errs, strings.TrimSpace(e[1]))
	}
	w.errors = strings.Join(errs, "; ")
	if w.p99 == 0 {
		return w, fmt.Errorf("wrk: no 99%% latency in %q", out)
	}
	return w, nil
}
