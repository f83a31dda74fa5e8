package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
)

const userUsage = `minsheng user: 账户 / accounts for people

  minsheng user add     --data DIR --name NAME --role leader|unit|assessor|admin [--unit 县残联] [--display 名字]
  minsheng user passwd  --data DIR --name NAME
  minsheng user disable --data DIR --name NAME
  minsheng user enable  --data DIR --name NAME
  minsheng user unlock  --data DIR --name NAME
  minsheng user list    --data DIR

add and passwd read the password from standard input, one line (at least 10 characters, not the
user name), so scripts and people both can:

  echo 'a long password' | minsheng user add --data DIR --name canlian --role unit --unit 县残联
  read -rs PW && printf '%s\n' "$PW" | minsheng user passwd --data DIR --name canlian

Role unit is bound to one lead unit of the source registry (--registry FILE, default the
shipped one); the other roles take no unit. unlock lifts a lockout after failed logins; passwd
lifts it too. Every command is written to the audit log (DIR/audit/audit.jsonl) under the
operating-system user ($SUDO_USER or $USER). The commands work while a server runs on the folder:
it sees the change at its next request.
`

const tokenUsage = `minsheng token: API 令牌 / API tokens for scripts

  minsheng token create --data DIR --name NAME --role ROLE [--unit 县残联] [--owner USER]
  minsheng token revoke --data DIR --id ID
  minsheng token list   --data DIR

create prints the new token as the last line of its output, that line being exactly the token;
it is shown this once and kept only as a hash. Send it as "Authorization: Bearer <token>".
With --owner, the token acts for that account (its role and unit by default) and stops working
while the account is disabled. revoke ends a token for good.
`

// accountsCmd is what the user and token commands share: the accounts and the audit log of one
// data folder, and who runs the command.
type accountsCmd struct {
	store *account.Store
	log   *audit.Log
	actor string
	loc   *time.Location
}

// accountFlags registers the flags every user and token command has.
func accountFlags(name string) (fs *flag.FlagSet, data, registry *string) {
	fs = flag.NewFlagSet(name, flag.ContinueOnError)
	data = fs.String("data", "./data", "the data folder")
	registry = fs.String("registry", "", "a source registry file, for the lead units (default: the shipped one)")
	return
}

func parseAccountFlags(fs *flag.FlagSet, args []string, data, registry *string) (*accountsCmd, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, minsheng.Errorf(minsheng.EINVALID, "多余的参数:%s", "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if fi, err := os.Stat(*data); err != nil || !fi.IsDir() {
		// a mistyped --data must not grow a second set of accounts somewhere
		return nil, minsheng.Errorf(minsheng.EINVALID, "数据目录 %s 不存在,请检查 --data", "the data folder %s does not exist; check --data", *data)
	}
	reg, err := minsheng.LoadRegistry(*registry)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(countyZone)
	if err != nil {
		return nil, err
	}
	store, err := account.Open(*data, reg)
	if err != nil {
		return nil, err
	}
	store.Location = loc
	log, err := audit.Open(*data, loc)
	if err != nil {
		return nil, err
	}
	return &accountsCmd{store: store, log: log, actor: cliActor(), loc: loc}, nil
}

// cliActor is the operating-system user running the command: the one behind sudo, if any.
func cliActor() string {
	for _, k := range []string{"SUDO_USER", "USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}

// record writes the audit entry of a command that ran, whether or not it worked, and returns the
// command's error. The entry is written even if the command was interrupted after its change.
func (c *accountsCmd) record(ctx context.Context, action, target, detail string, err error) error {
	e := audit.Entry{Actor: c.actor, ActorKind: audit.KindCLI, Action: action, Target: target,
		Outcome: audit.OutcomeOK, Detail: detail}
	if err != nil {
		e.Outcome = audit.OutcomeFailed
		e.Detail = strings.TrimSpace(detail + " error=" + minsheng.ErrorCode(err))
	}
	if aerr := c.log.Append(context.WithoutCancel(ctx), e); aerr != nil {
		if err != nil {
			return err
		}
		return &minsheng.Error{Code: minsheng.EINTERNAL, Zh: "操作已完成,但审计日志写入失败",
			En: "done, but the audit log could not be written", Err: aerr}
	}
	return err
}

func (c *accountsCmd) when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(c.loc).Format("2006-01-02 15:04")
}

func needFlag(name, value string) error {
	if strings.TrimSpace(value) == "" {
		return minsheng.Errorf(minsheng.EINVALID, "需要 --%s", "--%s is required", name)
	}
	return nil
}

// readPassword reads one line of standard input: the password, without its line ending.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(stderr, "密码(输入可见,建议用 read -rs 管道输入)/ password (it shows as you type; read -rs and a pipe hide it): ")
		}
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", minsheng.Errorf(minsheng.EINVALID, "请在标准输入给出密码(一行),例如 echo '密码' | minsheng user ...",
			"give the password on standard input, one line, e.g. echo 'password' | minsheng user ...")
	}
	return line, nil
}

// runUser runs minsheng user add|passwd|disable|enable|unlock|list.
func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		io.WriteString(stdout, userUsage)
		return nil
	}
	fs, data, registry := accountFlags("user " + args[0])
	name := fs.String("name", "", "the login name: 2 to 32 characters, no spaces")
	switch args[0] {
	case "add":
		role := fs.String("role", "", "leader, unit, assessor or admin")
		unit := fs.String("unit", "", "the lead unit, for role unit, e.g. 县残联")
		display := fs.String("display", "", "the name people know the account holder by")
		c, err := parseAccountFlags(fs, args[1:], data, registry)
		if err != nil {
			return err
		}
		if err := errors.Join(needFlag("name", *name), needFlag("role", *role)); err != nil {
			return err
		}
		detail := "role=" + *role
		if *unit != "" {
			detail += " unit=" + *unit
		}
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return c.record(ctx, audit.ActionUserAdd, *name, detail, err)
		}
		u, err := c.store.AddUser(ctx, account.NewUser{Name: *name, Role: *role, Unit: *unit, Display: *display, Password: pw})
		if err = c.record(ctx, audit.ActionUserAdd, *name, detail, err); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "已添加账户 / user added: %s (%s%s)\n", u.Name, u.Role, prefixed(" ", u.Unit))
		return nil

	case "passwd":
		c, err := parseAccountFlags(fs, args[1:], data, registry)
		if err != nil {
			return err
		}
		if err := needFlag("name", *name); err != nil {
			return err
		}
		pw, err := readPassword(stdin, stderr)
		if err == nil {
			err = c.store.SetPassword(ctx, *name, pw)
		}
		if err = c.record(ctx, audit.ActionUserPasswd, *name, "", err); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "已更改密码 / password changed: %s\n", *name)
		return nil

	case "disable", "enable":
		c, err := parseAccountFlags(fs, args[1:], data, registry)
		if err != nil {
			return err
		}
		if err := needFlag("name", *name); err != nil {
			return err
		}
		disable := args[0] == "disable"
		_, err = c.store.SetDisabled(ctx, *name, disable)
		action, zh, en := audit.ActionUserDisable, "已停用账户", "user disabled"
		if !disable {
			action, zh, en = audit.ActionUserEnable, "已启用账户", "user enabled"
		}
		if err = c.record(ctx, action, *name, "", err); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s / %s: %s\n", zh, en, *name)
		return nil

	case "unlock":
		c, err := parseAccountFlags(fs, args[1:], data, registry)
		if err != nil {
			return err
		}
		if err := needFlag("name", *name); err != nil {
			return err
		}
		if err = c.record(ctx, audit.ActionUserUnlock, *name, "", c.store.Unlock(ctx, *name)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "已解除锁定 / unlocked: %s\n", *name)
		return nil

	case "list":
		c, err := parseAccountFlags(fs, args[1:], data, registry)
		if err != nil {
			return err
		}
		users, err := c.store.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "name\trole\tunit\tdisplay\tstatus\tcreated\tlast_login")
		for _, u := range users {
			status := "active"
			if u.Disabled {
				status = "disabled"
			} else if until, _ := c.store.LockedUntil(ctx, u.Name); !until.IsZero() {
				status = "locked until " + c.when(until)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, dash(u.Unit), dash(u.Display), status,
				c.when(u.CreatedAt), c.when(u.LastLoginAt))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d 个账户 / users\n", len(users))
		return nil
	}
	return minsheng.Errorf(minsheng.EINVALID, "未知子命令 user %s,可用:add、passwd、disable、enable、unlock、list",
		"unknown command user %s; the commands are add, passwd, disable, enable, unlock, list", args[0])
}

// runToken runs minsheng token create|revoke|list.
func runToken(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		io.WriteString(stdout, tokenUsage)
		return nil
	}
	fs, data, registry := accountFlags("token " + args[0])
	switch args[0] {
	case "create":
		name := fs.String("name", "", "what the token is for, e.g. 残联夜间上传")
		role := fs.String("role", "", "leader, unit, assessor or admin (default: the owner's)")
		unit := fs.String("unit", "", "the lead unit, for role unit, e.g. 县残联")
		owner := fs.String("owner", "", "the account the token acts for (optional)")
		c, err := parseAccountFlags(fs, args[1:], data, registry)
		if err != nil {
			return err
		}
		if err := needFlag("name", *name); err != nil {
			return err
		}
		if *owner == "" {
			if err := needFlag("role", *role); err != nil {
				return err
			}
		}
		detail := strings.TrimSpace("role=" + *role + prefixed(" unit=", *unit) + prefixed(" owner=", *owner))
		text, tok, err := c.store.CreateToken(ctx, account.NewToken{Name: *name, Role: *role, Unit: *unit, Owner: *owner,
			CreatedBy: "cli:" + c.actor})
		target := tok.ID
		if err != nil {
			target = *name
		}
		if err = c.record(ctx, audit.ActionTokenCreate, target, detail, err); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "已创建令牌 / token created: %s %q (%s%s%s)\n", tok.ID, tok.Name, tok.Role,
			prefixed(" ", tok.Unit), prefixed(", owner ", tok.Owner))
		fmt.Fprintln(stdout, "令牌只显示这一次,请立即妥善保存 / the token is shown this once only; keep it safe now:")
		fmt.Fprintln(stdout, text)
		return nil

	case "revoke":
		id := fs.String("id", "", "the token's ID (tok_..., see minsheng token list)")
		c, err := parseAccountFlags(fs, args[1:], data, registry)
		if err != nil {
			return err
		}
		if err := needFlag("id", *id); err != nil {
			return err
		}
		tok, err := c.store.RevokeToken(ctx, *id)
		if err = c.record(ctx, audit.ActionTokenRevoke, *id, "", err); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "已撤销令牌 / token revoked: %s %q\n", tok.ID, tok.Name)
		return nil

	case "list":
		c, err := parseAccountFlags(fs, args[1:], data, registry)
		if err != nil {
			return err
		}
		toks, err := c.store.Tokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "id\tname\trole\tunit\towner\tcreated_by\tcreated\tlast_used\tstatus")
		for _, t := range toks {
			status := "active"
			if t.Revoked {
				status = "revoked " + c.when(t.RevokedAt)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, dash(t.Unit), dash(t.Owner),
				dash(t.CreatedBy), c.when(t.CreatedAt), c.when(t.LastUsedAt), status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d 个令牌 / tokens\n", len(toks))
		return nil
	}
	return minsheng.Errorf(minsheng.EINVALID, "未知子命令 token %s,可用:create、revoke、list",
		"unknown command token %s; the commands are create, revoke, list", args[0])
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
