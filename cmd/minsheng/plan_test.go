package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPlanCheck: the county's administrator checks a year file without building: the shipped
// plans and a good file pass; a file naming an unknown measure is refused with its line, exit 1.
func TestPlanCheck(t *testing.T) {
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := Run(ctx, []string{"plan", "check"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "year 2024, 19 targets, 15 checks: OK") {
		t.Fatalf("shipped plans: exit %d, %s %s", code, out.String(), errb.String())
	}
	shipped, err := os.ReadFile("../../config/targets/2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "2024.yaml")
	if err := os.WriteFile(good, shipped, 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := Run(ctx, []string{"plan", "check", "--targets", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), "OK") {
		t.Fatalf("--targets: exit %d, %s %s", code, out.String(), errb.String())
	}
	text := strings.Replace(string(shipped), "measure: legal_aid_cases", "measure: legal_aid_casez", 1)
	line := 0
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "legal_aid_casez") {
			line = i + 1
		}
	}
	bad := filepath.Join(dir, "2025.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(text, "year: 2024", "year: 2025", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	code := Run(ctx, []string{"plan", "check", bad}, &out, &errb)
	msg := errb.String()
	for _, want := range []string{"2025.yaml", "第 " + itoa(line) + " 行", "line " + itoa(line) + ":", "legal_aid_casez", "未知的计算口径"} {
		if code != 1 || !strings.Contains(msg, want) {
			t.Errorf("exit %d, %q lacks %q", code, msg, want)
		}
	}
	// build refuses the same folder at start, with the same message
	errb.Reset()
	code = Run(ctx, []string{"build", "--data", t.TempDir(), "--targets", dir}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "line "+itoa(line)+":") {
		t.Errorf("build with the bad plan: exit %d, %s", code, errb.String())
	}
	out.Reset()
	if code := Run(ctx, []string{"plan", "measures"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "worker_aid_living_cap") {
		t.Errorf("plan measures: exit %d, %s", code, out.String())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
