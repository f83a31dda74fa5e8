// Package dashboards serves the leadership's pages: the overview, one page per target, one per
// lead unit and the enrollment assessment, rendered on the server with html/template from the
// current answers (package indicators, held by package site, which the API reads too), with
// ECharts charts made by go-echarts, and the bulletin as Excel. Everything a page needs is
// embedded and served by the binary itself. It registers its routes on the site's engine.
package dashboards

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Source is where the pages get their answers: the site's holder of the current answers (the
// snapshot being served, nil before the first load) and the ingest history.
type Source interface {
	Snapshot() *indicators.Snapshot
	Runs() ([]lake.Run, error)
}

// Config is what the pages need.
type Config struct {
	Source   Source
	Registry *minsheng.Registry // source titles and lead units, for the unit pages
	Location *time.Location     // the county's: "today" decides the default year
	Notes    Notes              // the lead units' progress notes (package notes); nil: none shown, no form
	Now      func() time.Time
	Auth     Auth // the login page and the account bar; nil: no login (tests of the pages alone)
	// The administrator's pages (accounts, audit); nil: not served.
	Accounts *account.Store
	Audit    *audit.Log
	// Uploads receives the lead units' files for the upload page; nil: no upload page.
	Uploads Uploader
	// Dir is the data folder: its manifest tells which file of an extract is the newest, and its
	// quarantine holds the rejected rows of a file (masked) for their workbook; "": neither.
	Dir string
}

// Dashboards renders the pages.
type Dashboards struct {
	cfg    Config
	assets *assets
	pages  map[string]*template.Template
}

// New parses the templates and loads the assets.
func New(cfg Config) *Dashboards {
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &Dashboards{cfg: cfg, assets: loadAssets(), pages: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"noteLabel": noteLabel, "short": shortText,
		"asset": d.assets.URL, "pct": pctText, "ratep": ratePct, "target": targetText,
		"actual": actualText, "completion": completionText, "yuan": yuanText, "minus": func(a, b int64) int64 { return a - b },
		"reasons": reasonsText, "runStatus": runStatusText, "when": whenText, "roleName": roleName,
		"zh": zhText, "outcome": outcomeText, "actorKind": actorKindText, "action": actionText,
	}
	for _, p := range []string{"overview", "target", "unit", "enrollment", "error", "login", "admin_accounts", "admin_audit", "upload"} {
		d.pages[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/notes.html", "templates/"+p+".html"))
	}
	return d
}

// Register adds the pages, the exports and the assets to the engine.
func (d *Dashboards) Register(r gin.IRouter) {
	r.GET("/", d.overview)
	r.GET("/targets/:code", d.target)
	if d.cfg.Notes != nil {
		r.POST("/targets/:code/notes", d.addNote)
	}
	r.GET("/units/:unit", d.unit)
	r.GET("/assessment/enrollment", d.enrollment)
	r.GET("/export/overview.xlsx", d.exportOverview)
	r.GET("/export/targets/:file", d.exportTarget)
	if d.cfg.Dir != "" {
		r.GET("/export/rejections/:file", d.exportRejections)
	}
	r.GET(staticPrefix+":hash/:name", d.assets.serve)
	if d.cfg.Auth != nil {
		r.GET("/login", d.loginForm)
		r.POST("/login", d.login)
		r.POST("/logout", d.logout)
	}
	if d.cfg.Accounts != nil && d.cfg.Audit != nil {
		r.GET("/admin/accounts", d.adminAccounts)
		r.POST("/admin/accounts/:name/:op", d.adminAccountOp)
		r.GET("/admin/audit", d.adminAudit)
		r.GET("/admin/audit.csv", d.adminAuditCSV)
		r.GET("/api/v1/audit", d.auditJSON)
	}
	if d.cfg.Uploads != nil {
		r.GET("/upload", d.uploadForm)
		r.POST("/upload", d.uploadPost)
	}
}

// NotFound renders the HTML page for a path no route serves.
func (d *Dashboards) NotFound(c *gin.Context) {
	d.fail(c, minsheng.Errorf(minsheng.ENOTFOUND, "没有这个页面:%s", "no such page: %s", c.Request.URL.Path))
}

// page is what the layout needs, embedded in every page's data.
type page struct {
	Title, Heading string
	Year           int
	AsOf, DataAsOf string
	TimeProgress   float64
	Query          string // ?year=&as_of= as asked, carried by every link
	Units          []string
	Anonymous      bool // the login page: no navigation
	viewer
}

// request resolves the snapshot, year and as-of date of a page request, read and checked as the
// API reads them (web.ParseQuery: a year with a plan, a date in it), and the query its links carry.
func (d *Dashboards) request(c *gin.Context) (*indicators.Snapshot, int, time.Time, string, error) {
	snap := d.cfg.Source.Snapshot()
	if snap == nil {
		return nil, 0, time.Time{}, "", minsheng.Errorf(minsheng.EUNAVAILABLE, "数据仓库尚未加载,请稍后刷新",
			"the warehouse is not loaded yet; refresh in a moment")
	}
	q, err := web.ParseQuery(c.Request.URL.Query(), snap, d.cfg.Now().In(d.cfg.Location), true)
	if err != nil {
		return nil, 0, time.Time{}, "", err
	}
	return snap, q.Year, q.AsOf, q.Encode(), nil
}

func (d *Dashboards) layout(t *indicators.Targets, title, query string) page {
	p := page{Title: title, Heading: fmt.Sprintf("%d 年民生实事进度", t.Year), Year: t.Year, AsOf: t.AsOf,
		DataAsOf: t.DataAsOf, TimeProgress: t.TimeProgress, Query: query}
	for _, tg := range t.Targets {
		if !slices.Contains(p.Units, tg.LeadUnit) {
			p.Units = append(p.Units, tg.LeadUnit)
		}
	}
	return p
}

// StatusCounts counts the targets by how they stand.
type StatusCounts struct{ Done, OnTrack, Behind, Monitor int }

func countStatuses(ts []indicators.Target) StatusCounts {
	var s StatusCounts
	for _, t := range ts {
		switch {
		case t.Status.Done():
			s.Done++
		case t.Status == minsheng.StatusOnTrack:
			s.OnTrack++
		case t.Status.Lagging():
			s.Behind++
		case t.Status == minsheng.StatusMonitored:
			s.Monitor++
		}
	}
	return s
}

// laggingFirst is the list ordered by status rank, the plan's order within a rank.
func laggingFirst(ts []indicators.Target) []indicators.Target {
	out := slices.Clone(ts)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Status.Rank() < out[j].Status.Rank() })
	return out
}

func (d *Dashboards) overview(c *gin.Context) {
	snap, year, asOf, query, err := d.request(c)
	if err != nil {
		d.fail(c, err)
		return
	}
	t, err := snap.Targets(year, asOf)
	if err != nil {
		d.fail(c, err)
		return
	}
	d.render(c, "overview", struct {
		page
		Targets    *indicators.Targets
		Rows       []indicators.Target
		Counts     StatusCounts
		Completion Chart
		Progress   []Progress // the bulletin's items without a number or with milestones
	}{d.layout(t, "总览", query), t, laggingFirst(t.Targets), countStatuses(t.Targets), completionChart(t),
		d.latestProgress(c, year, t.Targets, d.inBulletin(year))})
}

func (d *Dashboards) target(c *gin.Context) { d.targetPage(c, http.StatusOK) }

// targetPage renders an item's page with status: 200, or a refused note's status when the page
// comes back with the note form's error.
func (d *Dashboards) targetPage(c *gin.Context, status int) {
	snap, year, asOf, query, err := d.request(c)
	if err != nil {
		d.fail(c, err)
		return
	}
	t, err := snap.Targets(year, asOf)
	if err != nil {
		d.fail(c, err)
		return
	}
	det, err := snap.Target(year, c.Param("code"), asOf)
	if err != nil {
		d.fail(c, err)
		return
	}
	data := struct {
		page
		Detail   *indicators.TargetDetail
		Monthly  Chart
		Township Chart
		Category *Chart
		Parts    []indicators.Target
		Notes    *ItemNotes
		Short    *Shortfall
	}{page: d.layout(t, det.Code+" "+det.Title, query), Detail: det, Short: shortfallOf(c, det), Monthly: monthlyChart(det),
		Township: townshipChart(det), Parts: det.PartValues}
	data.Heading = det.Item + " " + det.Title
	data.Notes = d.itemNotes(c, year, det.Code, det.LeadUnit)
	if len(det.ByCategory) > 0 {
		ch := categoryChart(det)
		data.Category = &ch
	}
	d.renderStatus(c, status, "target", data)
}

// Shortfall says why a standard item is 未达标, for a leader: how many of its records (person-
// months) fell short of the standard, by township, and the checks that found them; the item's
// own lead unit gets its violation lists one click away.
type Shortfall struct {
	Checked, Short int64
	Unit           string
	Townships      []TownshipShort // the townships with a shortfall, the largest first
	Checks         []CheckLink     // the item's checks with violations
}

// TownshipShort is one township's shortfall.
type TownshipShort struct {
	Township       string
	Checked, Short int64
	Rate           *float64
}

// CheckLink is a check with violations and, for the item's lead unit, where its list is.
type CheckLink struct {
	indicators.Check
	URL string
}

func shortfallOf(c *gin.Context, det *indicators.TargetDetail) *Shortfall {
	if det.Kind != minsheng.KindStandard || det.Status != minsheng.StatusNotMet || det.Numerator == nil || det.Denominator == nil {
		return nil
	}
	sf := &Shortfall{Checked: *det.Denominator, Short: *det.Denominator - int64(math.Round(*det.Numerator)), Unit: det.Unit}
	for _, tw := range det.ByTownship {
		if tw.Numerator == nil || tw.Denominator == nil {
			continue
		}
		if short := *tw.Denominator - int64(math.Round(*tw.Numerator)); short > 0 {
			sf.Townships = append(sf.Townships, TownshipShort{Township: tw.Township, Checked: *tw.Denominator, Short: short, Rate: tw.Actual})
		}
	}
	sort.SliceStable(sf.Townships, func(i, j int) bool { return sf.Townships[i].Short > sf.Townships[j].Short })
	own := access.PrincipalOf(c).Owns(det.LeadUnit)
	for _, ch := range det.Checks {
		if ch.Violations == 0 {
			continue
		}
		l := CheckLink{Check: ch}
		if own {
			l.URL = "/api/v1/checks/" + url.PathEscape(ch.Name) + "/violations?year=" + strconv.Itoa(det.Year)
		}
		sf.Checks = append(sf.Checks, l)
	}
	return sf
}

// SourceFiles is a source of a lead unit with the last file it sent.
type SourceFiles struct {
	Code, Title string
	Last        *lake.Run
	// Rejections is where all the last file's rejected rows are (xlsx), for a viewer who may
	// have them (the administrator, the unit itself); "" otherwise.
	Rejections string
}

func (d *Dashboards) unit(c *gin.Context) {
	snap, year, asOf, query, err := d.request(c)
	if err != nil {
		d.fail(c, err)
		return
	}
	t, err := snap.Targets(year, asOf)
	if err != nil {
		d.fail(c, err)
		return
	}
	unit := c.Param("unit")
	var mine []indicators.Target
	for _, tg := range t.Targets {
		if tg.LeadUnit == unit {
			mine = append(mine, tg)
		}
	}
	var sources []SourceFiles
	if d.cfg.Registry != nil {
		for _, s := range d.cfg.Registry.Sources {
			if s.LeadUnit == unit {
				sources = append(sources, SourceFiles{Code: s.Code, Title: s.Title})
			}
		}
	}
	if len(mine) == 0 && len(sources) == 0 {
		d.fail(c, minsheng.Errorf(minsheng.ENOTFOUND, "没有牵头单位“%s”", "no lead unit %q", unit))
		return
	}
	runs, err := d.cfg.Source.Runs()
	if err != nil {
		d.fail(c, err)
		return
	}
	newest := d.newestRuns(runs)
	for i := range sources {
		if r, ok := newest[sources[i].Code]; ok {
			sources[i].Last = &r
			if r.Status == "landed" {
				sources[i].Rejections = d.rejectionsURL(c, r.SHA256, r.LeadUnit, r.Rejected)
			}
		}
	}
	checks, err := snap.Checks(year)
	if err != nil {
		d.fail(c, err)
		return
	}
	var own []indicators.Check
	for _, ch := range checks.Checks {
		if ch.LeadUnit == unit {
			own = append(own, ch)
		}
	}
	p := d.layout(t, unit, query)
	p.Heading = unit + " · " + p.Heading
	var chart *Chart
	sub := *t
	sub.Targets = mine
	if ch := completionChart(&sub); ch.Height > 70 { // the unit has count items
		chart = &ch
	}
	d.render(c, "unit", struct {
		page
		Unit       string
		Targets    []indicators.Target
		Completion *Chart
		Checks     []indicators.Check
		ChecksAsOf string
		Sources    []SourceFiles
		Progress   []Progress
	}{p, unit, mine, chart, own, checks.AsOf, sources, d.latestProgress(c, year, mine, func(indicators.Target) bool { return true })})
}

// newestRuns is each source's newest file: the one received on the latest day, and of the files
// received the same day (several dropped in the inbox together, ingested in whatever order the
// workers took them) the one saved last; then the one handled last. Without the data folder's
// manifest, the one handled last.
func (d *Dashboards) newestRuns(runs []lake.Run) map[string]lake.Run {
	type age struct {
		day      string
		mod, got time.Time
	}
	ages := map[string]age{} // by SHA-256 and the second it was handled
	key := func(sha string, at time.Time) string { return sha + "@" + strconv.FormatInt(at.Unix(), 10) }
	if d.cfg.Dir != "" {
		if entries, err := lake.ReadManifest(d.cfg.Dir); err == nil {
			for _, e := range entries {
				ages[key(e.SHA256, e.IngestedAt)] = age{e.IngestDate, e.ModTime, e.IngestedAt}
			}
		}
	}
	out := map[string]lake.Run{}
	best := map[string]age{}
	for _, r := range runs { // newest handled first: of two alike, the first stays
		at, _ := time.Parse(time.RFC3339, r.IngestedAt)
		a, ok := ages[key(r.SHA256, at)]
		if !ok {
			a = age{day: at.In(d.cfg.Location).Format(time.DateOnly), got: at}
		}
		cur, seen := best[r.Source]
		if !seen || a.day > cur.day || (a.day == cur.day && (a.mod.After(cur.mod) || (a.mod.Equal(cur.mod) && a.got.After(cur.got)))) {
			out[r.Source], best[r.Source] = r, a
		}
	}
	return out
}

func (d *Dashboards) enrollment(c *gin.Context) {
	snap, year, asOf, query, err := d.request(c)
	if err != nil {
		d.fail(c, err)
		return
	}
	t, err := snap.Targets(year, asOf)
	if err != nil {
		d.fail(c, err)
		return
	}
	e, err := snap.Enrollment(year, asOf)
	if err != nil {
		d.fail(c, err)
		return
	}
	checks, err := snap.Checks(year)
	if err != nil {
		d.fail(c, err)
		return
	}
	var supervise []indicators.EnrollmentTownship
	for _, tw := range e.Townships {
		if tw.Supervise {
			supervise = append(supervise, tw)
		}
	}
	// the medical insurance bureau's other items: every target of the lead unit of the rate
	var medical []indicators.Target
	unit := ""
	for _, tg := range t.Targets {
		if tg.Kind == minsheng.KindRate && tg.Measure == "share" && tg.Target != nil && *tg.Target == e.Target {
			unit = tg.LeadUnit
		}
	}
	for _, tg := range t.Targets {
		if tg.LeadUnit == unit {
			medical = append(medical, tg)
		}
	}
	var medChecks []indicators.Check
	for _, ch := range checks.Checks {
		if ch.LeadUnit == unit {
			medChecks = append(medChecks, ch)
		}
	}
	p := d.layout(t, "参保考核", query)
	p.Heading = "低收入人口参保考核 · " + p.Heading
	d.render(c, "enrollment", struct {
		page
		Enrollment    *indicators.Enrollment
		Chart         Chart
		Supervise     []indicators.EnrollmentTownship
		Medical       []indicators.Target
		MedicalChecks []indicators.Check
		ClaimsChart   *Chart // 19b by 人员类别; nil before the year's first claim
	}{p, e, enrollmentChart(e), supervise, medical, medChecks, claimsGroupChart(e)})
}

// render executes a page into a buffer first, so a template error is a 500 page, not half a page.
func (d *Dashboards) render(c *gin.Context, name string, data any) {
	d.renderStatus(c, http.StatusOK, name, data)
}

func (d *Dashboards) renderStatus(c *gin.Context, status int, name string, data any) {
	var buf bytes.Buffer
	if err := d.pages[name].ExecuteTemplate(&buf, "layout", withViewer(c, data)); err != nil {
		c.Error(err) //nolint:errcheck // logged by the server's middleware
		d.fail(c, minsheng.Errorf(minsheng.EINTERNAL, "页面生成失败,请联系管理员", "the page failed to render; please contact the administrator"))
		return
	}
	securityHeaders(c)
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// securityHeaders: scripts and styles from this server only, no framing, no sniffing.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

func (d *Dashboards) fail(c *gin.Context, err error) {
	status := web.HTTPStatus(err)
	var me *minsheng.Error
	if !errors.As(err, &me) {
		c.Error(err) //nolint:errcheck // logged by the server's middleware
	}
	// the page says it in Chinese only; the English stays in the API's message and in the log
	data := struct {
		page
	}{page{Title: "出错了", Heading: zhMessage(err)}}
	var buf bytes.Buffer
	if err := d.pages["error"].ExecuteTemplate(&buf, "layout", withViewer(c, data)); err != nil {
		c.String(status, "%s", zhMessage(err))
		return
	}
	securityHeaders(c)
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// Text for the tables.

// zhMessage is an error's message as a page shows it: the Chinese half of the bilingual
// message (the API's JSON and the log keep both), or a generic one for an error of ours.
func zhMessage(err error) string {
	var me *minsheng.Error
	if errors.As(err, &me) {
		return me.Zh
	}
	return "内部错误,请联系管理员"
}

// zhText is the Chinese half of a "中文 / English" text (a run's message): what a page shows.
func zhText(s string) string {
	zh, _, _ := strings.Cut(s, " / ")
	return zh
}

func pctText(f float64) string { return strconv.FormatFloat(math.Round(f*1000)/10, 'f', 1, 64) + "%" }

func ratePct(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(math.Round(*p*10000)/100, 'f', 2, 64) + "%"
}

func targetText(t indicators.Target) string {
	if t.Target == nil {
		return "—"
	}
	switch t.Measure {
	case "share":
		return ratePct(t.Target)
	case "mean_yuan":
		return "≥ " + numText(*t.Target) + " " + t.Unit
	}
	return numText(*t.Target) + " " + t.Unit
}

func actualText(t indicators.Target) string {
	if t.Actual == nil {
		return "—"
	}
	switch {
	case t.Kind == minsheng.KindMonitor:
		s := numText(*t.Actual) + " " + t.Unit
		if t.AmountYuan != nil {
			s += " / " + strconv.FormatFloat(*t.AmountYuan/10000, 'f', 2, 64) + " 万元"
		}
		return s
	case t.Measure == "share":
		return ratePct(t.Actual)
	case t.Measure == "mean_yuan":
		return yuanText(*t.Actual) + " 元"
	}
	return numText(*t.Actual)
}

func completionText(t indicators.Target) string {
	if t.Completion == nil {
		return "—"
	}
	return pctText(*t.Completion)
}

func numText(f float64) string {
	if f == math.Trunc(f) {
		return groupDigits(strconv.FormatFloat(f, 'f', 0, 64))
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

func yuanText(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	return groupDigits(whole) + "." + frac
}

// groupDigits puts thousands separators into an integer's digits.
func groupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func reasonsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		text := k
		if r, ok := minsheng.ReasonByCode(k); ok {
			text = r.Zh
		}
		parts = append(parts, fmt.Sprintf("%s %d 行", text, m[k]))
	}
	return strings.Join(parts, ";")
}

// whenText shows an RFC 3339 time as a person reads it in the county: 2024-10-31 08:05.
func whenText(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.Format("2006-01-02 15:04")
}

func runStatusText(s string) string {
	switch s {
	case "rejected":
		return "整个文件被退回"
	case "duplicate":
		return "重复文件,未再导入"
	case "landed":
		return "已导入"
	}
	return "状态未知"
}

// outcomeText is an audit entry's outcome as a person reads it.
func outcomeText(s string) string {
	switch s {
	case "ok":
		return "成功"
	case "denied":
		return "拒绝"
	case "failed":
		return "失败"
	}
	return s
}

// actorKindText is who acted: a person at the pages or a script with a token.
func actorKindText(s string) string {
	switch s {
	case audit.KindUser:
		return "账户"
	case audit.KindToken:
		return "令牌"
	case audit.KindSystem:
		return "系统"
	case audit.KindCLI:
		return "服务器命令行"
	}
	return s
}

// actionNames are the audit log's actions as a person reads them; another action shows its code.
var actionNames = map[string]string{
	audit.ActionLogin: "登录", audit.ActionLoginFailed: "登录失败", audit.ActionLogout: "退出",
	audit.ActionUpload: "上传台账", audit.ActionNote: "填写进展", audit.ActionTokenCreate: "签发令牌",
	audit.ActionTokenRevoke: "吊销令牌", audit.ActionUserAdd: "新建账户", audit.ActionUserDisable: "停用账户",
	audit.ActionUserEnable: "启用账户", audit.ActionUserPasswd: "重设密码", audit.ActionUserUnlock: "解锁账户",
	audit.ActionSettingChange: "修改设置",
}

func actionText(s string) string {
	if n, ok := actionNames[s]; ok {
		return n
	}
	return s
}
