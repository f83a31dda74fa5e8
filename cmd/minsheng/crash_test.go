package main

import (
	"bytes"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
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
