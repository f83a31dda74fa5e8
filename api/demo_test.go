package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/fixtures"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/warehouse"
)

var testKey = []byte("0123456789abcdef-api")

var demoAsOf = time.Date(2024, 10, 31, 0, 0, 0, 0, time.UTC)

// demo is the demo county's year (seed 1, as of 2024-10-31), generated, ingested and built once,
// served by a real HTTP server on a loopback port.
var demo struct {
	once     sync.Once
	err      error
	dir      string
	cfg      warehouse.Config
	expected *fixtures.Expected
	srv      *testServer
	http     *httptest.Server
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demo.http != nil {
		demo.http.Close()
	}
	if demo.dir != "" {
		os.RemoveAll(demo.dir)
	}
	os.Exit(code)
}

func shanghai(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func config(t testing.TB, dir string) warehouse.Config {
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := minsheng.LoadPlans("", reg)
	if err != nil {
		t.Fatal(err)
	}
	return warehouse.Config{Dir: dir, Registry: reg, County: county, Plans: plans}
}

func demoServer(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("generates, ingests and builds the demo year")
	}
	demo.once.Do(func() {
		demo.err = func() error {
			dir, err := os.MkdirTemp("", "minsheng-api-demo-")
			if err != nil {
				return err
			}
			demo.dir = dir
			demo.cfg = config(t, dir)
			ctx := context.Background()
			demo.expected, err = fixtures.Generate(ctx, fixtures.Options{Year: 2024, Seed: 1, AsOf: demoAsOf, Out: dir,
				Registry: demo.cfg.Registry, County: demo.cfg.County})
			if err != nil {
				return err
			}
			in, err := ingest.New(ingest.Config{Dir: dir, Registry: demo.cfg.Registry, County: demo.cfg.County, Key: testKey})
			if err != nil {
				return err
			}
			if _, err := in.Run(ctx); err != nil {
				return err
			}
			if _, err := warehouse.Build(ctx, demo.cfg); err != nil {
				return err
			}
			demo.srv = newAPI(testConfig{Dir: dir, Location: shanghai(t),
				Now:        func() time.Time { return time.Date(2024, 11, 2, 9, 0, 0, 0, time.UTC) },
				Middleware: []gin.HandlerFunc{standIn}})
			if _, err := demo.srv.Reload(ctx); err != nil {
				return err
			}
			demo.http = httptest.NewServer(demo.srv.Handler())
			return nil
		}()
	})
	if demo.err != nil {
		t.Fatal(demo.err)
	}
	return demo.http.URL
}

// get fetches url and decodes its JSON into v, failing unless the status is want.
func get(t testing.TB, url string, want int, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d %s, want %d", url, res.StatusCode, b, want)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: Content-Type %q", url, ct)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, b)
		}
	}
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// TestEveryIndicatorOverHTTP: every target of the 2024 list, as the API answers it at the
// default as-of date, is what the generator worked out from the rows it wrote.
func TestEveryIndicatorOverHTTP(t *testing.T) {
	base := demoServer(t)
	var got indicators.Targets
	get(t, base+"/api/v1/targets?year=2024", http.StatusOK, &got)
	if got.Year != 2024 || got.AsOf != "2024-10-31" || got.DataAsOf != "2024-10-31" {
		t.Fatalf("year %d as_of %s data_as_of %s, want 2024 at the newest record date 2024-10-31", got.Year, got.AsOf, got.DataAsOf)
	}
	// 2024 is a leap year: Oct 31 is its 305th day of 366
	if math.Abs(got.TimeProgress-305.0/366) > 1e-12 {
		t.Errorf("time progress %v, want 305/366", got.TimeProgress)
	}
	plan := demo.cfg.Plans[2024]
	if len(got.Targets) != len(plan.Targets) {
		t.Errorf("%d targets, want every one of the registry's %d", len(got.Targets), len(plan.Targets))
	}
	for i, tg := range got.Targets {
		if i < len(plan.Targets) && tg.Code != plan.Targets[i].Code {
			t.Errorf("target %d is %s, want %s (the registry's order)", i, tg.Code, plan.Targets[i].Code)
		}
		want, ok := demo.expected.Indicators[tg.Code]
		if !ok {
			t.Errorf("%s: the generator expects nothing", tg.Code)
			continue
		}
		tol := 1e-9
		if tg.Code == "16b" {
			tol = 0.005
		}
		if a := val(tg.Actual); math.Abs(a-want.Actual) > tol {
			t.Errorf("%s: actual %v, want %v", tg.Code, a, want.Actual)
		}
		if want.AmountYuan != 0 && math.Abs(val(tg.AmountYuan)-want.AmountYuan) > 0.001 {
			t.Errorf("%s: amount %v, want %v", tg.Code, val(tg.AmountYuan), want.AmountYuan)
		}
		switch tg.Kind {
		case minsheng.KindCount:
			if tg.Completion == nil || math.Abs(*tg.Completion - want.Actual / *tg.Target) > 1e-12 {
				t.Errorf("%s: completion %v, want %v / %v", tg.Code, val(tg.Completion), want.Actual, *tg.Target)
			}
		case minsheng.KindMonitor:
			if tg.Target != nil || tg.Status != "监测" {
				t.Errorf("%s: a monitor has target %v status %s, want null and 监测", tg.Code, tg.Target, tg.Status)
			}
		}
		t.Logf("%-4s %-8s %-7s actual %12.6f target %v status %s", tg.Code, tg.Kind, tg.LeadUnit, val(tg.Actual), val(tg.Target), tg.Status)
	}
}

// TestTargetDetailsOverHTTP: each target's own page agrees with the list, its monthly series
// climbs to the actual, its townships add up to the county and its checks are the generator's.
func TestTargetDetailsOverHTTP(t *testing.T) {
	base := demoServer(t)
	var list indicators.Targets
	get(t, base+"/api/v1/targets", http.StatusOK, &list)
	for _, tg := range list.Targets {
		var d indicators.TargetDetail
		get(t, base+"/api/v1/targets/"+tg.Code+"?year=2024", http.StatusOK, &d)
		if val(d.Actual) != val(tg.Actual) && !(math.IsNaN(val(d.Actual)) && math.IsNaN(val(tg.Actual))) || d.Status != tg.Status {
			t.Errorf("%s: detail %v %s, list %v %s", tg.Code, val(d.Actual), d.Status, val(tg.Actual), tg.Status)
		}
		if len(d.Monthly) != 10 || d.Monthly[9].Month != "2024-10" || d.Monthly[9].AsOf != "2024-10-31" {
			t.Errorf("%s: monthly %+v, want January to October", tg.Code, d.Monthly)
		} else if last := d.Monthly[9]; val(last.Actual) != val(tg.Actual) && !math.IsNaN(val(tg.Actual)) {
			t.Errorf("%s: October's point %v, want the actual %v", tg.Code, val(last.Actual), val(tg.Actual))
		}
		if tg.Kind == minsheng.KindCount {
			prev := 0.0
			sum := 0.0
			for _, m := range d.Monthly {
				if val(m.Actual) < prev {
					t.Errorf("%s: cumulative series falls in %s: %v after %v", tg.Code, m.Month, val(m.Actual), prev)
				}
				prev = val(m.Actual)
				if m.Plan == nil || math.Abs(*m.Plan-*tg.Target*m.TimeProgress) > 1e-9 {
					t.Errorf("%s %s: plan line %v, want target × time progress", tg.Code, m.Month, m.Plan)
				}
			}
			for _, tw := range d.ByTownship {
				sum += val(tw.Actual)
			}
			if tg.Parent == "" && len(tg.Parts) == 0 && len(d.ByTownship) > 0 && sum != val(tg.Actual) {
				t.Errorf("%s: townships sum to %v, county %v", tg.Code, sum, val(tg.Actual))
			}
		}
		if len(d.ByTownship) != len(demo.cfg.County.Townships) {
			t.Errorf("%s: %d townships, want the profile's %d", tg.Code, len(d.ByTownship), len(demo.cfg.County.Townships))
		}
		for _, c := range d.Checks {
			if want, ok := demo.expected.Checks[c.Name]; !ok || int64(want) != c.Violations {
				t.Errorf("%s: check %s has %d violations, the generator planted %d", tg.Code, c.Name, c.Violations, want)
			}
			if c.TargetCode != tg.Code || c.LeadUnit != tg.LeadUnit {
				t.Errorf("%s: check %s belongs to %s/%s", tg.Code, c.Name, c.TargetCode, c.LeadUnit)
			}
		}
		if tg.Kind == minsheng.KindMonitor {
			amount := 0.0
			for _, c := range d.ByCategory {
				amount += c.AmountYuan
			}
			if len(d.ByCategory) == 0 || math.Abs(amount-val(tg.AmountYuan)) > 0.001 {
				t.Errorf("%s: categories %+v sum to %v yuan, the item %v", tg.Code, d.ByCategory, amount, val(tg.AmountYuan))
			}
		}
		if len(tg.Parts) > 0 {
			sum := 0.0
			for _, p := range d.PartValues {
				sum += val(p.Actual)
			}
			if len(d.PartValues) != len(tg.Parts) || sum != val(tg.Actual) {
				t.Errorf("%s: parts %+v sum to %v, want %v", tg.Code, d.PartValues, sum, val(tg.Actual))
			}
		}
	}
}

// TestChecksOverHTTP: every check the generator planted violations for, with the same count, and
// per lead unit the sum of its checks.
func TestChecksOverHTTP(t *testing.T) {
	base := demoServer(t)
	var got indicators.Checks
	get(t, base+"/api/v1/checks?year=2024", http.StatusOK, &got)
	if got.AsOf != "2024-10-31" {
		t.Errorf("checks as of %s, want 2024-10-31", got.AsOf)
	}
	seen := map[string]bool{}
	units := map[string]int64{}
	for _, c := range got.Checks {
		seen[c.Name] = true
		units[c.LeadUnit] += c.Violations
		if want, ok := demo.expected.Checks[c.Name]; ok && int64(want) != c.Violations {
			t.Errorf("%s: %d violations, want %d", c.Name, c.Violations, want)
		}
		if c.Checked < c.Violations {
			t.Errorf("%s: %d violations of %d checked", c.Name, c.Violations, c.Checked)
		}
	}
	for name := range demo.expected.Checks {
		if !seen[name] {
			t.Errorf("check %s missing", name)
		}
	}
	for _, u := range got.ByLeadUnit {
		if u.Violations != units[u.LeadUnit] {
			t.Errorf("%s: %d violations, its checks sum to %d", u.LeadUnit, u.Violations, units[u.LeadUnit])
		}
	}
	if len(got.ByLeadUnit) != len(units) {
		t.Errorf("%d lead units, checks name %d", len(got.ByLeadUnit), len(units))
	}
}

// TestEnrollmentOverHTTP: the county's rate is 19a's, the townships add up to the county, and
// the townships under 99% are the ones flagged for point-to-point supervision.
func TestEnrollmentOverHTTP(t *testing.T) {
	base := demoServer(t)
	var e indicators.Enrollment
	get(t, base+"/api/v1/assessment/enrollment?year=2024", http.StatusOK, &e)
	want := demo.expected.Indicators["19a"]
	if math.Abs(val(e.County.Rate)-want.Actual) > 1e-9 || e.Target != 0.99 {
		t.Errorf("county rate %v target %v, want %v against 0.99", val(e.County.Rate), e.Target, want.Actual)
	}
	var sum indicators.EnrollmentCounts
	flagged := []string{}
	for _, tw := range e.Townships {
		sum.Roster += tw.Roster
		sum.Exempt += tw.Exempt
		sum.Enrolled += tw.Enrolled
		if tw.Eligible != tw.Roster-tw.Exempt {
			t.Errorf("%s: eligible %d, roster %d − exempt %d", tw.Township, tw.Eligible, tw.Roster, tw.Exempt)
		}
		r := float64(tw.Enrolled) / float64(tw.Eligible)
		if math.Abs(val(tw.Rate)-r) > 1e-12 || tw.Meets != (r >= 0.99) || tw.Supervise != !tw.Meets {
			t.Errorf("%s: rate %v meets %v supervise %v, want %v", tw.Township, val(tw.Rate), tw.Meets, tw.Supervise, r)
		}
		if tw.Supervise {
			flagged = append(flagged, tw.Township)
		}
	}
	if sum.Roster != e.County.Roster || sum.Exempt != e.County.Exempt || sum.Enrolled != e.County.Enrolled {
		t.Errorf("townships sum to %+v, county %+v", sum, e.County)
	}
	if want.Denominator != 0 && float64(e.County.Eligible) != want.Denominator {
		t.Errorf("eligible %d, want %v", e.County.Eligible, want.Denominator)
	}
	// the generator leaves one township under 99%: 陈汉乡
	if strings.Join(flagged, ",") != "陈汉乡" {
		t.Errorf("flagged for supervision: %v, want [陈汉乡]", flagged)
	}
}

// TestAsOfOverHTTP: a record dated after as_of is not counted, worked out here straight from the
// lake's Parquet files with DuckDB; the time progress follows as_of; an as_of after the newest
// record keeps that record date's values with its own time progress and status.
func TestAsOfOverHTTP(t *testing.T) {
	base := demoServer(t)
	worker := lakeFiles(t, "worker_aid")
	training := lakeFiles(t, "disability_training")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, asOf := range []string{"2024-01-31", "2024-03-15", "2024-06-30", "2024-09-01", "2024-10-30"} {
		var got indicators.Targets
		get(t, base+"/api/v1/targets?year=2024&as_of="+asOf, http.StatusOK, &got)
		day, _ := time.Parse(time.DateOnly, asOf)
		if want := float64(day.YearDay()) / 366; got.AsOf != asOf || got.DataAsOf != asOf || math.Abs(got.TimeProgress-want) > 1e-12 {
			t.Errorf("as_of %s: answered %s (data %s), time progress %v, want %v", asOf, got.AsOf, got.DataAsOf, got.TimeProgress, want)
		}
		// 09: rows in the year after removing exact repeats of (person, 帮扶类型, 救助日期)
		var n09, n11a float64
		if err := db.QueryRow(fmt.Sprintf(`select count(*) from (select distinct person_id, aid_type, aided_on
			from read_parquet(%s) where aided_on between date '2024-01-01' and date '%s')`, worker, asOf)).Scan(&n09); err != nil {
			t.Fatal(err)
		}
		// 11a: completed trainings (是否结业 = 是) by their completion date; a row sent twice is
		// one training (sql/README.md)
		if err := db.QueryRow(fmt.Sprintf(`select count(*) from (select distinct person_id, training_type, completed_on
			from read_parquet(%s) where is_completed = '是' and completed_on between date '2024-01-01' and date '%s')`,
			training, asOf)).Scan(&n11a); err != nil {
			t.Fatal(err)
		}
		for _, tg := range got.Targets {
			switch tg.Code {
			case "09":
				if val(tg.Actual) != n09 {
					t.Errorf("09 at %s: %v, the lake says %v", asOf, val(tg.Actual), n09)
				}
			case "11a":
				if val(tg.Actual) != n11a {
					t.Errorf("11a at %s: %v, the lake says %v", asOf, val(tg.Actual), n11a)
				}
			}
		}
	}

	var end, late indicators.Targets
	get(t, base+"/api/v1/targets?year=2024&as_of=2024-10-31", http.StatusOK, &end)
	get(t, base+"/api/v1/targets?year=2024&as_of=2024-12-31", http.StatusOK, &late)
	if late.AsOf != "2024-12-31" || late.DataAsOf != "2024-10-31" || late.TimeProgress != 1 {
		t.Errorf("as_of 2024-12-31: answered %s with data of %s, time progress %v", late.AsOf, late.DataAsOf, late.TimeProgress)
	}
	for i, tg := range late.Targets {
		e := end.Targets[i]
		if val(tg.Actual) != val(e.Actual) && !math.IsNaN(val(e.Actual)) {
			t.Errorf("%s: %v on Dec 31, %v on Oct 31 with no record in between", tg.Code, val(tg.Actual), val(e.Actual))
		}
		if tg.Kind != minsheng.KindCount {
			continue
		}
		// at the year's end every count short of its target is behind: by how much decides
		want := "已完成"
		if c := val(tg.Completion); c < 1 {
			want = "滞后"
			if 1-c > 0.15 {
				want = "严重滞后"
			}
		}
		if string(tg.Status) != want {
			t.Errorf("%s on Dec 31: completion %v status %s, want %s", tg.Code, val(tg.Completion), tg.Status, want)
		}
	}
}

// lakeFiles is a DuckDB list literal of the source's committed Parquet files.
func lakeFiles(t *testing.T, source string) string {
	entries, err := lake.ReadManifest(demo.dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range lake.Committed(entries) {
		if e.Source == source && e.LakeFile != "" {
			files = append(files, "'"+filepath.Join(demo.dir, e.LakeFile)+"'")
		}
	}
	if len(files) == 0 {
		t.Fatalf("no lake file for %s", source)
	}
	return "[" + strings.Join(files, ", ") + "]"
}

// TestIngestRunsOverHTTP: one report per file the generator wrote, filterable.
func TestIngestRunsOverHTTP(t *testing.T) {
	base := demoServer(t)
	var runs api.Runs
	getAs(t, asRole(account.RoleAdmin), base+"/api/v1/ingest/runs", http.StatusOK, &runs)
	if runs.Count != len(demo.expected.Files) || len(runs.Runs) != runs.Count {
		t.Errorf("%d runs listed of %d, want %d", len(runs.Runs), runs.Count, len(demo.expected.Files))
	}
	rows := 0
	for _, f := range demo.expected.Files {
		rows += f.Rows
	}
	for _, r := range runs.Runs {
		rows -= r.Rows
	}
	if rows != 0 {
		t.Errorf("the runs' rows differ from the files' by %d", rows)
	}
	var some api.Runs
	getAs(t, asRole(account.RoleAdmin), base+"/api/v1/ingest/runs?source=worker_aid&limit=1", http.StatusOK, &some)
	if len(some.Runs) != 1 || some.Runs[0].Source != "worker_aid" || some.Runs[0].LeadUnit != "县总工会" {
		t.Errorf("?source=worker_aid&limit=1: %+v", some)
	}
}

// TestErrorsOverHTTP: a person's mistake gets a status and a message in both languages.
func TestErrorsOverHTTP(t *testing.T) {
	base := demoServer(t)
	cases := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/api/v1/targets?year=2023", http.StatusNotFound, minsheng.ENOTFOUND},
		{"GET", "/api/v1/targets?year=twenty", http.StatusBadRequest, minsheng.EINVALID},
		{"GET", "/api/v1/targets?as_of=2024-13-01", http.StatusBadRequest, minsheng.EINVALID},
		{"GET", "/api/v1/targets?as_of=31/10/2024", http.StatusBadRequest, minsheng.EINVALID},
		{"GET", "/api/v1/targets?year=2024&as_of=2025-01-01", http.StatusBadRequest, minsheng.EINVALID},
		{"GET", "/api/v1/targets/99", http.StatusNotFound, minsheng.ENOTFOUND},
		{"GET", "/api/v1/checks?as_of=2024-10-31", http.StatusBadRequest, minsheng.EINVALID},
		{"GET", "/api/v1/ingest/runs?limit=0", http.StatusBadRequest, minsheng.EINVALID},
		{"GET", "/api/v1/nothing", http.StatusNotFound, minsheng.ENOTFOUND},
		{"POST", "/api/v1/targets", http.StatusMethodNotAllowed, "method_not_allowed"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		req.Header.Set(principalHeader, who(asRole(account.RoleAdmin)))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if err != nil || res.StatusCode != c.status || body.Error.Code != c.code || !bilingual(body.Error.Message) {
			t.Errorf("%s %s: %d %+v (%v), want %d %s with a message in Chinese and English",
				c.method, c.path, res.StatusCode, body, err, c.status, c.code)
		}
	}
}

// bilingual: some Chinese, then " / ", then some English.
func bilingual(msg string) bool {
	zh, en, ok := strings.Cut(msg, " / ")
	hasHan := false
	for _, r := range zh {
		hasHan = hasHan || r >= 0x4e00 && r <= 0x9fff
	}
	return ok && hasHan && strings.ContainsAny(en, "abcdefghijklmnopqrstuvwxyz")
}

// TestNoWarehouse: before any build the server answers 503 with what to do, never a crash.
func TestNoWarehouse(t *testing.T) {
	srv := newAPI(testConfig{Dir: t.TempDir()})
	if _, err := srv.Reload(context.Background()); minsheng.ErrorCode(err) != minsheng.EUNAVAILABLE {
		t.Fatalf("reload of an empty folder: %v, want %s", err, minsheng.EUNAVAILABLE)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	var health struct {
		Status string
		Error  struct{ Code, Message string }
	}
	get(t, hs.URL+"/healthz", http.StatusServiceUnavailable, &health)
	if health.Status != "unavailable" || !strings.Contains(health.Error.Message, "minsheng build") {
		t.Errorf("healthz before a build: %+v", health)
	}
	get(t, hs.URL+"/api/v1/targets", http.StatusServiceUnavailable, nil)
}
