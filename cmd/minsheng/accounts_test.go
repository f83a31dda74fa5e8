package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/lake"
)

// runStdin runs a subcommand in-process with stdin and returns its output and exit status.
func runStdin(stdin string, args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = RunWithStdin(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// mustRunStdin is runStdin that fails the test on a non-zero exit.
func mustRunStdin(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, errs, code := runStdin(stdin, args...)
	if code != 0 {
		t.Fatalf("minsheng %v: exit %d\n%s\n%s", args, code, out, errs)
	}
	return out
}

// serverStore opens the folder's accounts as a running server would, before and beside the CLI.
func serverStore(t testing.TB, dir string) *account.Store {
	t.Helper()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := account.Open(dir, reg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestUserCommands(t *testing.T) {
	t.Setenv("SUDO_USER", "")
	t.Setenv("USER", "ops-admin")
	ctx := context.Background()
	dir := t.TempDir()
	server := serverStore(t, dir)

	for _, u := range []struct{ name, role, unit, pw string }{
		{"leader", "leader", "", "leader password 1"},
		{"canlian", "unit", "县残联", "canlian password 1"},
		{"yibao", "assessor", "", "yibao password 1"},
		{"admin", "admin", "", "admin password 1"},
	} {
		args := []string{"user", "add", "--data", dir, "--name", u.name, "--role", u.role, "--display", "张科长"}
		if u.unit != "" {
			args = append(args, "--unit", u.unit)
		}
		out := mustRunStdin(t, u.pw+"\n", args...)
		if !strings.Contains(out, "user added: "+u.name) {
			t.Errorf("user add %s: %s", u.name, out)
		}
		p, err := server.Login(ctx, u.name, u.pw, "10.0.0.1:1")
		if err != nil {
			t.Fatalf("the server cannot log %s in: %v", u.name, err)
		}
		if p.Role != u.role || p.Unit != u.unit {
			t.Errorf("%s: principal %+v", u.name, p)
		}
	}
	// a password with a Windows line ending, as from a script written on Windows
	mustRunStdin(t, "crlf password 1\r\n", "user", "add", "--data", dir, "--name", "crlf", "--role", "leader")
	if _, err := server.Login(ctx, "crlf", "crlf password 1", ""); err != nil {
		t.Errorf("CRLF password: %v", err)
	}

	out := mustRunStdin(t, "", "user", "list", "--data", dir)
	for _, want := range []string{"canlian", "县残联", "assessor", "admin", "active", "5 个账户 / users"} {
		if !strings.Contains(out, want) {
			t.Errorf("user list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "argon2") || strings.Contains(out, "password 1") {
		t.Errorf("user list shows a hash or a password:\n%s", out)
	}

	mustRunStdin(t, "", "user", "disable", "--data", dir, "--name", "canlian")
	if _, err := server.Login(ctx, "canlian", "canlian password 1", ""); err == nil {
		t.Error("a disabled account logs in")
	}
	if out := mustRunStdin(t, "", "user", "list", "--data", dir); !strings.Contains(out, "disabled") {
		t.Errorf("list does not say disabled:\n%s", out)
	}
	mustRunStdin(t, "", "user", "enable", "--data", dir, "--name", "canlian")

	mustRunStdin(t, "canlian password 2\n", "user", "passwd", "--data", dir, "--name", "canlian")
	if _, err := server.Login(ctx, "canlian", "canlian password 1", ""); err == nil {
		t.Error("the old password still works")
	}
	if _, err := server.Login(ctx, "canlian", "canlian password 2", ""); err != nil {
		t.Errorf("the new password: %v", err)
	}

	// locked by failures, listed as such, unlocked
	for range account.DefaultThrottle.NameFailures {
		server.Login(ctx, "yibao", "wrong", "")
	}
	if out := mustRunStdin(t, "", "user", "list", "--data", dir); !strings.Contains(out, "locked until") {
		t.Errorf("list does not say locked:\n%s", out)
	}
	mustRunStdin(t, "", "user", "unlock", "--data", dir, "--name", "yibao")
	if _, err := server.Login(ctx, "yibao", "yibao password 1", ""); err != nil {
		t.Errorf("after unlock: %v", err)
	}

	// every command is in the audit log, as the operating-system user, without a password
	entries, err := audit.Read(dir, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if e.Actor != "ops-admin" || e.ActorKind != audit.KindCLI || e.Outcome != audit.OutcomeOK {
			t.Errorf("audit entry %+v", e)
		}
		actions = append(actions, e.Action+":"+e.Target)
	}
	want := "user_add:leader user_add:canlian user_add:yibao user_add:admin user_add:crlf user_disable:canlian " +
		"user_enable:canlian user_passwd:canlian user_unlock:yibao"
	if strings.Join(actions, " ") != want {
		t.Errorf("audit actions\n got %s\nwant %s", strings.Join(actions, " "), want)
	}
	if e := entries[1]; e.Detail != "role=unit unit=县残联" {
		t.Errorf("user_add detail %q", e.Detail)
	}
	b, _ := os.ReadFile(lake.Layout{Dir: dir}.AuditLog())
	if bytes.Contains(b, []byte("password 1")) || bytes.Contains(b, []byte("张科长")) {
		t.Error("the audit log holds a password or a display name")
	}
}

func TestUserCommandsRefuseBadInput(t *testing.T) {
	t.Setenv("SUDO_USER", "root-by-sudo")
	dir := t.TempDir()
	for _, c := range []struct {
		stdin string
		args  []string
		says  []string
	}{
		{"a good password\n", []string{"--name", "gongan", "--role", "unit", "--unit", "县公安局"},
			[]string{"未知的牵头单位", "unknown lead unit", "县残联"}},
		{"a good password\n", []string{"--name", "nounit", "--role", "unit"}, []string{"role unit must name its lead unit"}},
		{"a good password\n", []string{"--name", "boss", "--role", "leader", "--unit", "县残联"}, []string{"takes no unit"}},
		{"a good password\n", []string{"--name", "boss", "--role", "root"}, []string{"未知角色", "unknown role"}},
		{"", []string{"--name", "boss", "--role", "leader"}, []string{"标准输入", "standard input"}},
		{"short\n", []string{"--name", "boss", "--role", "leader"}, []string{"至少需要 10 个字符", "at least 10 characters"}},
		{"bossbossboss\n", []string{"--name", "bossbossboss", "--role", "leader"}, []string{"must not be the user name"}},
		{"a good password\n", []string{"--name", "bo ss", "--role", "leader"}, []string{"invalid user name"}},
		{"a good password\n", []string{"--role", "leader"}, []string{"--name is required"}},
	} {
		args := append([]string{"user", "add", "--data", dir}, c.args...)
		out, errs, code := runStdin(c.stdin, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, %s", c.args, code, out)
		}
		for _, s := range c.says {
			if !strings.Contains(errs, s) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, s, errs)
			}
		}
	}
	if users, _ := serverStore(t, dir).Users(context.Background()); len(users) != 0 {
		t.Errorf("refused commands added %d users", len(users))
	}
	// the refusals that reached the accounts are in the audit log as failed
	entries, _ := audit.Read(dir, audit.Filter{Outcome: audit.OutcomeFailed})
	if len(entries) < 6 || entries[0].Actor != "root-by-sudo" || !strings.Contains(entries[0].Detail, "error=invalid") {
		t.Errorf("failed attempts in the audit: %+v", entries)
	}

	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"user", "disable", "--data", dir, "--name", "ghost"}, "no user ghost"},
		{[]string{"user", "passwd", "--data", dir, "--name", "ghost"}, "no user ghost"},
		{[]string{"user", "list", "--data", dir + "/typo"}, "does not exist"},
		{[]string{"user", "frobnicate", "--data", dir}, "unknown command user frobnicate"},
		{[]string{"token", "revoke", "--data", dir, "--id", "tok_nope"}, "no token tok_nope"},
		{[]string{"token", "create", "--data", dir, "--name", "x", "--role", "unit", "--unit", "县公安局"}, "unknown lead unit"},
		{[]string{"token", "create", "--data", dir, "--name", "x"}, "--role is required"},
	} {
		_, errs, code := runStdin("a good password\n", c.args...)
		if code != 1 || !strings.Contains(errs, c.says) {
			t.Errorf("%v: exit %d, %s", c.args, code, errs)
		}
	}
	if out := mustRunStdin(t, "", "user"); !strings.Contains(out, "read -rs") {
		t.Errorf("user usage: %s", out)
	}
}

func TestTokenCommands(t *testing.T) {
	t.Setenv("SUDO_USER", "")
	t.Setenv("USER", "ops-admin")
	ctx := context.Background()
	dir := t.TempDir()
	server := serverStore(t, dir)

	out := mustRunStdin(t, "", "token", "create", "--data", dir, "--role", "unit", "--unit", "县残联", "--name", "残联夜间上传")
	text := lastLine(out)
	if !strings.HasPrefix(text, account.TokenPrefix) || strings.ContainsAny(text, " \t/") || len(text) != 46 {
		t.Fatalf("the last line is not exactly the token:\n%s", out)
	}
	p, err := server.Authenticate(ctx, text)
	if err != nil {
		t.Fatalf("the server does not take the new token: %v", err)
	}
	if p.Kind != account.KindToken || p.Role != account.RoleUnit || p.Unit != "县残联" || p.Name != "残联夜间上传" {
		t.Errorf("principal %+v", p)
	}

	// a token that acts for an account stops with it
	mustRunStdin(t, "yibao password 1\n", "user", "add", "--data", dir, "--name", "yibao", "--role", "unit", "--unit", "县医保局")
	owned := lastLine(mustRunStdin(t, "", "token", "create", "--data", dir, "--owner", "yibao", "--name", "医保上传"))
	if p, err := server.Authenticate(ctx, owned); err != nil || p.Unit != "县医保局" {
		t.Fatalf("owned token: %+v %v", p, err)
	}
	mustRunStdin(t, "", "user", "disable", "--data", dir, "--name", "yibao")
	if !refusedWithinASecond(server, owned) {
		t.Error("the token of a disabled account works")
	}

	list := mustRunStdin(t, "", "token", "list", "--data", dir)
	if !strings.Contains(list, "残联夜间上传") || !strings.Contains(list, "cli:ops-admin") || strings.Contains(list, text) ||
		strings.Contains(list, owned) {
		t.Errorf("token list:\n%s", list)
	}
	toks, _ := server.Tokens(ctx)
	id := toks[0].ID
	mustRunStdin(t, "", "token", "revoke", "--data", dir, "--id", id)
	if !refusedWithinASecond(server, text) {
		t.Error("a revoked token works")
	}
	if list := mustRunStdin(t, "", "token", "list", "--data", dir); !strings.Contains(list, "revoked") {
		t.Errorf("list does not say revoked:\n%s", list)
	}
	_, errs, code := runStdin("", "token", "revoke", "--data", dir, "--id", id)
	if code != 1 || !strings.Contains(errs, "revoked already") {
		t.Errorf("revoking twice: %d %s", code, errs)
	}

	entries, _ := audit.Read(dir, audit.Filter{Action: audit.ActionTokenCreate})
	if len(entries) != 2 || entries[0].Target != id || entries[0].Detail != "role=unit unit=县残联" {
		t.Errorf("token_create audit: %+v", entries)
	}
	if entries, _ := audit.Read(dir, audit.Filter{Action: audit.ActionTokenRevoke}); len(entries) != 2 ||
		entries[0].Outcome != audit.OutcomeOK || entries[1].Outcome != audit.OutcomeFailed {
		t.Errorf("token_revoke audit: %+v", entries)
	}
	for _, name := range []string{lake.Layout{Dir: dir}.AuditLog(), lake.Layout{Dir: dir}.Accounts()} {
		if b, _ := os.ReadFile(name); bytes.Contains(b, []byte(text)) || bytes.Contains(b, []byte(owned)) {
			t.Errorf("%s holds a token", name)
		}
	}
}

// The commands run as separate processes while a "server" in this process holds the folder and
// keeps logging people in and checking tokens: neither loses the other's writes, and the server
// sees each change at once.
func TestAccountCommandsWhileServerRuns(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	server := serverStore(t, dir)
	server.Hash = account.Params{Memory: 64, Time: 1, Threads: 1}
	if _, err := server.AddUser(ctx, account.NewUser{Name: "busy", Role: account.RoleLeader, Password: "busy password"}); err != nil {
		t.Fatal(err)
	}
	cli := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(self, args...)
		cmd.Env = append(os.Environ(), "MINSHENG_AS_COMMAND=1")
		cmd.Stdin = strings.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("minsheng %v: %v\n%s", args, err, stderr.String())
		}
		return string(out)
	}

	// the server is busy meanwhile: logins (each a write), failures (each a write)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var logins, failures atomic.Int64
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := server.Login(ctx, "busy", "busy password", "10.0.0.2"); err == nil {
				logins.Add(1)
			}
			server.Login(ctx, "nobody", "guess", "")
			failures.Add(1)
		}
	})

	cli("sifa password 1\n", "user", "add", "--data", dir, "--name", "sifa", "--role", "unit", "--unit", "县司法局")
	if _, err := server.Login(ctx, "sifa", "sifa password 1", ""); err != nil {
		t.Errorf("the server does not see the new user: %v", err)
	}
	text := lastLine(cli("", "token", "create", "--data", dir, "--role", "admin", "--name", "备份脚本"))
	if _, err := server.Authenticate(ctx, text); err != nil {
		t.Errorf("the server does not see the new token: %v", err)
	}
	cli("", "user", "disable", "--data", dir, "--name", "sifa")
	if _, err := server.Principal(ctx, "sifa"); err == nil {
		t.Error("the server does not see the account disabled")
	}
	toks, _ := server.Tokens(ctx)
	cli("", "token", "revoke", "--data", dir, "--id", toks[0].ID)
	if !refusedWithinASecond(server, text) {
		t.Error("the server does not see the token revoked")
	}
	close(stop)
	wg.Wait()

	users, _ := server.Users(ctx)
	if len(users) != 2 || users[0].Name != "busy" || users[1].Name != "sifa" || !users[1].Disabled {
		t.Errorf("users %+v", users)
	}
	if u := users[0]; logins.Load() == 0 || u.LastLoginAt.IsZero() {
		t.Errorf("%d logins; the server's last write lost? %+v", logins.Load(), u)
	}
	if entries, _ := audit.Read(dir, audit.Filter{}); len(entries) != 4 {
		t.Errorf("%d audit entries, want 4", len(entries))
	}
}

// refusedWithinASecond reports whether a running server's Store refuses a token within a
// second of a change made by a command: its token check trusts what it read for that long.
func refusedWithinASecond(server *account.Store, token string) bool {
	for start := time.Now(); time.Since(start) < 2*time.Second; time.Sleep(50 * time.Millisecond) {
		if _, err := server.Authenticate(context.Background(), token); err != nil {
			return true
		}
	}
	return false
}
