package main

import (
	"bytes"
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// The test binary doubles as the minsheng command, so tests can run it as a separate process
// (and kill it) without a second build.
func TestMain(m *testing.M) {
	if os.Getenv("MINSHENG_AS_COMMAND") == "1" {
		// as main does: SIGINT and SIGTERM end the command's context
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// runCLI runs a subcommand in-process and returns its output.
func runCLI(t testing.TB, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("minsheng %v: exit %d\n%s\n%s", args, code, out.String(), errb.String())
	}
	return out.String()
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"nonsense"}, &out, &errb); code != 2 || !bytes.Contains(errb.Bytes(), []byte("unknown command")) {
		t.Errorf("unknown command: exit %d, %s", code, errb.String())
	}
	if code := Run(context.Background(), []string{"ingest", "--data", t.TempDir(), "--county", "/no/such/file.csv"}, &out, &errb); code != 1 {
		t.Errorf("missing county file: exit %d", code)
	}
}
