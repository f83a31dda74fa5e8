package dashboards

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/web"
)

// The administrator's pages: accounts (disable, enable, unlock; new accounts and passwords are
// made with `minsheng user`, where a password never crosses the network) and the audit log.

type accountsPage struct {
	page
	Users   []accountRow
	Tokens  []account.Token
	Message string
}

type accountRow struct {
	account.User
	LockedUntil string
}

func (d *Dashboards) adminAccounts(c *gin.Context) {
	d.renderAccounts(c, http.StatusOK, "")
}

func (d *Dashboards) renderAccounts(c *gin.Context, status int, msg string) {
	ctx := c.Request.Context()
	users, err := d.cfg.Accounts.Users(ctx)
	if err != nil {
		d.fail(c, err)
		return
	}
	tokens, err := d.cfg.Accounts.Tokens(ctx)
	if err != nil {
		d.fail(c, err)
		return
	}
	p := accountsPage{page: page{Title: "账户管理", Heading: "账户管理"}, Tokens: tokens, Message: msg}
	for _, u := range users {
		row := accountRow{User: u}
		if until, err := d.cfg.Accounts.LockedUntil(ctx, u.Name); err == nil && !until.IsZero() {
			row.LockedUntil = until.In(d.cfg.Location).Format("2006-01-02 15:04")
		}
		p.Users = append(p.Users, row)
	}
	d.renderStatus(c, status, "admin_accounts", p)
}

// adminAccountOp disables, enables or unlocks an account, and writes it in the audit log.
func (d *Dashboards) adminAccountOp(c *gin.Context) {
	ctx := c.Request.Context()
	name, op := c.Param("name"), c.Param("op")
	var action string
	var err error
	switch op {
	case "disable", "enable":
		action = audit.ActionUserDisable
		if op == "enable" {
			action = audit.ActionUserEnable
		}
		if p := access.PrincipalOf(c); op == "disable" && p != nil && p.Name == name {
			err = minsheng.Errorf(minsheng.EINVALID, "不能停用自己的账户", "you cannot disable your own account")
			break
		}
		_, err = d.cfg.Accounts.SetDisabled(ctx, name, op == "disable")
	case "unlock":
		action = audit.ActionUserUnlock
		err = d.cfg.Accounts.Unlock(ctx, name)
	default:
		d.fail(c, minsheng.Errorf(minsheng.ENOTFOUND, "没有这个操作:%s", "no such operation: %s", op))
		return
	}
	e := access.Entry(c, access.PrincipalOf(c), action, name, audit.OutcomeOK, "")
	if err != nil {
		e.Outcome, e.Detail = audit.OutcomeFailed, "error="+minsheng.ErrorCode(err)
	}
	if aerr := d.cfg.Audit.Append(ctx, e); aerr != nil && err == nil {
		err = aerr
	}
	if err != nil {
		d.renderAccounts(c, web.HTTPStatus(err), zhMessage(err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/accounts")
}

type auditPage struct {
	page
	Entries                []audit.Entry
	Actor, Action, Outcome string
	Since, Until           string
	Limit                  int
	CSVQuery               string
}

// auditFilter reads the filter of the audit pages from the query: actor, action, outcome,
// since and until (dates, county time, until inclusive) and limit (500 by default).
func (d *Dashboards) auditFilter(c *gin.Context) (audit.Filter, auditPage, error) {
	p := auditPage{Actor: c.Query("actor"), Action: c.Query("action"), Outcome: c.Query("outcome"),
		Since: c.Query("since"), Until: c.Query("until"), Limit: 500}
	f := audit.Filter{Actor: p.Actor, Action: p.Action, Outcome: p.Outcome}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return f, p, minsheng.Errorf(minsheng.EINVALID, "limit 应为 1 到 100000 的整数,而不是 %q",
				"limit must be a whole number from 1 to 100000, not %q", v)
		}
		p.Limit = n
	}
	f.Limit = p.Limit
	for _, d2 := range []struct {
		v   string
		set *time.Time
		add int
	}{{p.Since, &f.Since, 0}, {p.Until, &f.Until, 1}} {
		if d2.v == "" {
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, d2.v, d.cfg.Location)
		if err != nil {
			return f, p, minsheng.Errorf(minsheng.EINVALID, "日期应为 YYYY-MM-DD,而不是 %q", "dates must be YYYY-MM-DD, not %q", d2.v)
		}
		*d2.set = t.AddDate(0, 0, d2.add)
	}
	p.CSVQuery = c.Request.URL.RawQuery
	return f, p, nil
}

func (d *Dashboards) readAudit(c *gin.Context) ([]audit.Entry, auditPage, error) {
	f, p, err := d.auditFilter(c)
	if err != nil {
		return nil, p, err
	}
	entries, err := audit.Read(d.cfg.Accounts.Dir(), f)
	return entries, p, err
}

func (d *Dashboards) adminAudit(c *gin.Context) {
	entries, p, err := d.readAudit(c)
	if err != nil {
		d.fail(c, err)
		return
	}
	for i := len(entries) - 1; i >= 0; i-- { // newest first
		p.Entries = append(p.Entries, entries[i])
	}
	p.page = page{Title: "审计日志", Heading: "审计日志"}
	d.render(c, "admin_audit", p)
}

func (d *Dashboards) adminAuditCSV(c *gin.Context) {
	entries, _, err := d.readAudit(c)
	if err != nil {
		d.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := audit.WriteCSV(&buf, entries); err != nil {
		d.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="audit.csv"; filename*=UTF-8''%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97.csv`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// auditJSON is GET /api/v1/audit: the same entries for scripts, oldest first.
func (d *Dashboards) auditJSON(c *gin.Context) {
	entries, _, err := d.readAudit(c)
	if err != nil {
		web.WriteError(c, err)
		return
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"count": len(entries), "entries": entries})
}
