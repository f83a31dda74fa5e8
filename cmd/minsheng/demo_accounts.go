package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/lake"
)

// demoAccounts are the accounts `make run` makes on the demo data: one per role, the unit one
// bound to the lead unit the issue names. There is no default password: each is random.
var demoAccounts = []account.NewUser{
	{Name: "leader", Role: account.RoleLeader, Display: "县领导(演示)"},
	{Name: "canlian", Role: account.RoleUnit, Unit: "县残联", Display: "县残联(演示)"},
	{Name: "yibao", Role: account.RoleAssessor, Display: "县医保局考核(演示)"},
	{Name: "admin", Role: account.RoleAdmin, Display: "系统管理员(演示)"},
}

// runDemoAccounts makes the demo accounts once, prints them and writes them to
// DIR/demo-accounts.txt (0600). Run again, it makes nothing and says where the file is; an
// account of the same name made by hand is left alone.
func runDemoAccounts(ctx context.Context, args []string, stdout io.Writer) error {
	fset, data, registry := accountFlags("demo-accounts")
	c, err := parseAccountFlags(fset, args, data, registry)
	if err != nil {
		return err
	}
	path := lake.Layout{Dir: *data}.DemoAccounts() // readable by the owner only
	if _, err := os.Stat(path); err == nil {
		fmt.Fprintf(stdout, "演示账户已创建,密码见 / demo accounts exist; their passwords are in: %s\n", path)
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var b strings.Builder
	b.WriteString("# minsheng 演示账户 / demo accounts. 仅供演示,正式使用前请停用 / for the demo only: disable them before real use.\n")
	b.WriteString("# 用户名 name\t角色 role\t单位 unit\t密码 password\n")
	made := 0
	for _, nu := range demoAccounts {
		nu.Password = randomPassword()
		detail := "demo role=" + nu.Role + prefixed(" unit=", nu.Unit)
		_, err := c.store.AddUser(ctx, nu)
		if minsheng.ErrorCode(err) == minsheng.ECONFLICT {
			fmt.Fprintf(stdout, "账户 %s 已存在,保留原样 / %s exists: left as it is\n", nu.Name, nu.Name)
			continue
		}
		if err := c.record(ctx, audit.ActionUserAdd, nu.Name, detail, err); err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", nu.Name, nu.Role, nu.Unit, nu.Password)
		made++
	}
	if made == 0 {
		return nil
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已创建演示账户(只显示这一次,也写在 %s,仅本人可读)/ demo accounts made (shown once; also in %s, mode 0600):\n",
		path, path)
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n")[2:] {
		fmt.Fprintf(stdout, "  %s\n", line)
	}
	return nil
}

// randomPassword is 16 characters of crypto/rand's base32 text: 80 bits, easy to read and type.
func randomPassword() string { return rand.Text()[:16] }
