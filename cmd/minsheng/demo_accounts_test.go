package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
)

// TestDemoAccounts: one account per role with a random password that logs in, written to a file
// only its owner reads, printed once; a second run makes nothing and prints no password.
func TestDemoAccounts(t *testing.T) {
	dir := t.TempDir()
	out := runCLI(t, "demo-accounts", "--data", dir)
	path := filepath.Join(dir, "demo-accounts.txt")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	reg, _ := minsheng.LoadRegistry("")
	store, err := account.Open(dir, reg)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]bool{}
	passwords := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("line %q: %d fields", line, len(f))
		}
		name, role, unit, pw := f[0], f[1], f[2], f[3]
		if len(pw) < account.MinPasswordLen || passwords[pw] {
			t.Errorf("%s: password %q too short or repeated", name, pw)
		}
		passwords[pw] = true
		if !strings.Contains(out, pw) {
			t.Errorf("%s's password is not printed", name)
		}
		p, err := store.Login(context.Background(), name, pw, "127.0.0.1")
		if err != nil {
			t.Fatalf("%s cannot log in with the password in the file: %v", name, err)
		}
		if p.Role != role || p.Unit != unit {
			t.Errorf("%s: %s %s, file says %s %s", name, p.Role, p.Unit, role, unit)
		}
		roles[role] = true
	}
	for _, r := range account.Roles() {
		if !roles[r] {
			t.Errorf("no demo account of role %s", r)
		}
	}
	again := runCLI(t, "demo-accounts", "--data", dir)
	for pw := range passwords {
		if strings.Contains(again, pw) {
			t.Errorf("the second run printed a password: %s", again)
		}
	}
	if !strings.Contains(again, path) {
		t.Errorf("the second run does not say where the passwords are: %s", again)
	}
	entries, err := audit.Read(dir, audit.Filter{Action: audit.ActionUserAdd})
	if err != nil || len(entries) != len(roles) {
		t.Errorf("audit: %d user_add entries (%v), want %d", len(entries), err, len(roles))
	}
}
