package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// measured is one child process run to its end.
type measured struct {
	wall    time.Duration
	user    time.Duration
	sys     time.Duration
	maxRSS  int64 // bytes, the kernel's high-water mark of the process's resident memory
	stdout  []byte
	stderr  []byte
	exitErr error
}

// cpuPercent is the CPU the process used over its wall time: 200% is both cores the whole time.
func (m measured) cpuPercent() float64 {
	if m.wall <= 0 {
		return 0
	}
	return 100 * float64(m.user+m.sys) / float64(m.wall)
}

// cpuPerRow is the CPU time (user and system, all threads) per row, in microseconds.
func (m measured) cpuPerRow(rows int) float64 {
	if rows <= 0 {
		return 0
	}
	return float64(m.user+m.sys) / float64(time.Microsecond) / float64(rows)
}

// measure runs a command to its end and returns its wall time, CPU time and peak RSS.
func measure(ctx context.Context, env []string, name string, args ...string) measured {
	return run1(ctx, true, env, name, args...)
}

// run1 runs a command to its end; echo shows its stderr as it goes.
func run1(ctx context.Context, echo bool, env []string, name string, args ...string) measured {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if echo {
		cmd.Stderr = io.MultiWriter(&errb, prefixWriter{"    | "})
	}
	start := time.Now()
	err := cmd.Run()
	m := measured{wall: time.Since(start), stdout: out.Bytes(), stderr: errb.Bytes(), exitErr: err}
	if ps := cmd.ProcessState; ps != nil {
		m.user, m.sys = ps.UserTime(), ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			m.maxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		}
	}
	if err != nil {
		m.exitErr = fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, trimOutput(append(out.Bytes(), errb.Bytes()...), 2000))
	}
	return m
}

// prefixWriter echoes a child's stderr, indented, so a long step shows it is alive.
type prefixWriter struct{ prefix string }

func (p prefixWriter) Write(b []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line != "" {
			fmt.Fprint(os.Stderr, p.prefix+line)
		}
	}
	return len(b), nil
}

// machine describes where the figures were taken.
type machine struct {
	cpus      int
	model     string
	memGiB    float64
	loadStart string
	goVersion string
	kernel    string
}

func (m machine) String() string {
	return fmt.Sprintf("%d CPUs (%s), %.0f GiB, load average %s, %s, %s", m.cpus, m.model, m.memGiB, m.loadStart, m.kernel, m.goVersion)
}

func machineInfo() machine {
	m := machine{cpus: runtime.NumCPU(), loadStart: loadAvg(), goVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%g", &kb)
		m.memGiB = kb / (1 << 20)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

// loadAvg is the 1, 5 and 15 minute load averages: the other work on the machine.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
