package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/internal/handlake"
)

// TestHandAPI builds the hand lake (package handlake) once, serves it over a real loopback HTTP
// server and asks every hand-worked answer of it the way a dashboard would.
func TestHandAPI(t *testing.T) {
	dir := t.TempDir()
	handlake.Build(t, dir)
	loc := time.FixedZone("CST", 8*3600)
	// every answer here is hand-worked, not scoped: the administrator asks (records_test.go scopes)
	admin := func(c *gin.Context) { access.WithPrincipal(c, &account.Principal{Role: account.RoleAdmin}, "") }
	srv := newAPI(testConfig{Dir: dir, Location: loc,
		Now:        func() time.Time { return time.Date(2024, 11, 1, 9, 0, 0, 0, loc) },
		Middleware: []gin.HandlerFunc{admin}})
	if moved, err := srv.Reload(context.Background()); err != nil || !moved {
		t.Fatalf("reload: %v %v", moved, err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	h := handAPI{url: ts.URL, client: ts.Client()}

	t.Run("Healthz", func(t *testing.T) {
		var got struct {
			Status string `json:"status"`
			Years  []int  `json:"years"`
		}
		h.get(t, "/healthz", &got)
		if got.Status != "ok" || !slices.Contains(got.Years, handlake.Year) {
			t.Errorf("healthz: %+v", got)
		}
	})

	// Every hand-worked indicator value, from the year's list at its as-of date.
	t.Run("Targets", func(t *testing.T) {
		for _, c := range handlake.IndicatorCases {
			path := fmt.Sprintf("/api/v1/targets?year=%d&as_of=%s", handlake.Year, c.AsOf)
			var got indicators.Targets
			body := h.get(t, path, &got)
			if got.Year != handlake.Year || got.AsOf != c.AsOf || got.DataAsOf != dataAsOf(c.AsOf) {
				t.Errorf("%s: year %d as_of %s data_as_of %s", path, got.Year, got.AsOf, got.DataAsOf)
			}
			var raw struct{ Targets []map[string]json.RawMessage }
			if err := json.Unmarshal(body, &raw); err != nil {
				t.Fatal(err)
			}
			found := false
			for i, tg := range got.Targets {
				if tg.Code != c.Code {
					continue
				}
				found = true
				checkCase(t, path, c, tg.Actual, string(tg.Status), raw.Targets[i]["actual"])
			}
			if !found {
				t.Errorf("%s: no %s", path, c.Code)
			}
		}
	})

	// The same, one indicator at a time.
	t.Run("Target", func(t *testing.T) {
		for _, c := range handlake.IndicatorCases {
			path := fmt.Sprintf("/api/v1/targets/%s?year=%d&as_of=%s", c.Code, handlake.Year, c.AsOf)
			var got indicators.TargetDetail
			body := h.get(t, path, &got)
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(body, &raw); err != nil {
				t.Fatal(err)
			}
			if got.Code != c.Code || got.AsOf != c.AsOf || got.DataAsOf != dataAsOf(c.AsOf) {
				t.Errorf("%s: code %s as_of %s data_as_of %s", path, got.Code, got.AsOf, got.DataAsOf)
			}
			checkCase(t, path, c, got.Actual, string(got.Status), raw["actual"])
		}
	})

	t.Run("Checks", func(t *testing.T) {
		var got indicators.Checks
		h.get(t, fmt.Sprintf("/api/v1/checks?year=%d", handlake.Year), &got)
		if got.AsOf != handlake.DataEnd {
			t.Errorf("checks as of %s, want %s", got.AsOf, handlake.DataEnd)
		}
		seen := map[string]int64{}
		for _, c := range got.Checks {
			seen[c.Name] = c.Violations
		}
		for name, want := range handlake.CheckViolations {
			if v, ok := seen[name]; !ok || v != want {
				t.Errorf("%s: %d violations (listed: %v), want %d", name, v, ok, want)
			}
		}
	})

	// The medical insurance bureau's assessment, county and townships.
	t.Run("Enrollment", func(t *testing.T) {
		for _, c := range handlake.EnrollmentCases {
			path := fmt.Sprintf("/api/v1/assessment/enrollment?year=%d&as_of=%s", handlake.Year, c.AsOf)
			var got indicators.Enrollment
			h.get(t, path, &got)
			if got.AsOf != c.AsOf || got.DataAsOf != c.AsOf || got.SnapshotOn != c.SnapshotOn || got.Target != 0.99 {
				t.Errorf("%s: as_of %s data_as_of %s snapshot %s target %v", path, got.AsOf, got.DataAsOf, got.SnapshotOn, got.Target)
			}
			checkEnrollment(t, path+" county", got.County, c.County)
			if got.Meets != (c.County.Rate() >= 0.99) {
				t.Errorf("%s: county meets %v, rate %v", path, got.Meets, c.County.Rate())
			}
			seen := map[string]bool{}
			for _, tw := range got.Townships {
				want, ok := c.Townships[tw.Township]
				if !ok {
					if tw.Roster != 0 {
						t.Errorf("%s: %s has %d roster persons, want none", path, tw.Township, tw.Roster)
					}
					continue
				}
				seen[tw.Township] = true
				checkEnrollment(t, path+" "+tw.Township, tw.EnrollmentCounts, want)
				if tw.Meets != want.Meets || tw.Supervise != want.Supervise {
					t.Errorf("%s: %s meets %v supervise %v, want %v %v", path, tw.Township, tw.Meets, tw.Supervise, want.Meets, want.Supervise)
				}
			}
			for name := range c.Townships {
				if !seen[name] {
					t.Errorf("%s: no %s", path, name)
				}
			}
		}
	})

	// 10 is the sum of its parts, each of them served beside it.
	t.Run("Parts", func(t *testing.T) {
		var got indicators.TargetDetail
		h.get(t, "/api/v1/targets/10?year=2024&as_of=2024-10-31", &got)
		want := map[string]float64{"10a": 2, "10b": 1, "10c": 0}
		if fmt.Sprint(got.Parts) != "[10a 10b 10c]" || len(got.PartValues) != 3 {
			t.Fatalf("10: parts %v, part values %d", got.Parts, len(got.PartValues))
		}
		sum := 0.0
		for _, p := range got.PartValues {
			if w, ok := want[p.Code]; !ok || p.Actual == nil || *p.Actual != w || p.Parent != "10" {
				t.Errorf("10: part %s = %v (parent %q), want %v", p.Code, fval(p.Actual), p.Parent, w)
			}
			sum += fval(p.Actual)
		}
		if fval(got.Actual) != 3 || sum != 3 {
			t.Errorf("10 = %v, its parts sum to %v; want 3 = 2 + 1 + 0", fval(got.Actual), sum)
		}
	})

	// An as-of date after the newest record keeps that record date's values, at its own time
	// progress: 09 at 12-31 is 5 of 34 with the whole year gone.
	t.Run("AfterDataEnd", func(t *testing.T) {
		var late, end indicators.Targets
		h.get(t, "/api/v1/targets?year=2024&as_of=2024-12-31", &late)
		h.get(t, "/api/v1/targets?year=2024&as_of=2024-10-31", &end)
		if late.AsOf != "2024-12-31" || late.DataAsOf != handlake.DataEnd || late.TimeProgress != 1 {
			t.Errorf("12-31: as_of %s data_as_of %s time progress %v; want the values of %s at 1",
				late.AsOf, late.DataAsOf, late.TimeProgress, handlake.DataEnd)
		}
		if len(late.Targets) != len(end.Targets) {
			t.Fatalf("12-31: %d targets, 10-31: %d", len(late.Targets), len(end.Targets))
		}
		for i, tg := range late.Targets {
			e := end.Targets[i]
			if tg.Code != e.Code || fmt.Sprint(fptr(tg.Actual)) != fmt.Sprint(fptr(e.Actual)) ||
				fmt.Sprint(fptr(tg.Numerator)) != fmt.Sprint(fptr(e.Numerator)) {
				t.Errorf("%s: at 12-31 %v, at 10-31 %v", tg.Code, fptr(tg.Actual), fptr(e.Actual))
			}
		}
		var d indicators.TargetDetail
		h.get(t, "/api/v1/targets/09?year=2024&as_of=2024-12-31", &d)
		if d.DataAsOf != handlake.DataEnd || d.TimeProgress != 1 || fval(d.Actual) != 5 || d.Status != "严重滞后" || !d.Lagging {
			t.Errorf("09 at 12-31: data_as_of %s, time progress %v, actual %v, status %s, lagging %v; want %s, 1, 5, 严重滞后",
				d.DataAsOf, d.TimeProgress, fval(d.Actual), d.Status, d.Lagging, handlake.DataEnd)
		}
	})

	// A record dated after the as-of date is not counted: A's two 03-05 records appear on 03-05.
	t.Run("RecordAfterAsOf", func(t *testing.T) {
		for asOf, want := range map[string]float64{"2024-03-04": 0, "2024-03-05": 2} {
			var d indicators.TargetDetail
			h.get(t, "/api/v1/targets/09?year=2024&as_of="+asOf, &d)
			if d.DataAsOf != asOf || fval(d.Actual) != want {
				t.Errorf("09 at %s: %v (data as of %s), want %v", asOf, fval(d.Actual), d.DataAsOf, want)
			}
		}
	})

	// 09 month by month at 10-31, cumulative, each month at its last day.
	t.Run("Monthly", func(t *testing.T) {
		var d indicators.TargetDetail
		h.get(t, "/api/v1/targets/09?year=2024&as_of=2024-10-31", &d)
		if len(d.Monthly) != len(handlake.Monthly09) {
			t.Fatalf("09: %d months, want %d: %+v", len(d.Monthly), len(handlake.Monthly09), d.Monthly)
		}
		for i, w := range handlake.Monthly09 {
			m := d.Monthly[i]
			first, _ := time.Parse("2006-01", w.Month)
			end := first.AddDate(0, 1, -1)
			if m.Month != w.Month || m.AsOf != end.Format(time.DateOnly) || m.Actual == nil || *m.Actual != w.Actual {
				t.Errorf("09 month %d: %s as of %s = %v, want %s as of %s = %v", i+1, m.Month, m.AsOf, fval(m.Actual),
					w.Month, end.Format(time.DateOnly), w.Actual)
			}
			// 2024 has 366 days; a month's time progress is its last day's day of the year over them
			tp := float64(end.YearDay()) / 366
			if math.Abs(m.TimeProgress-tp) > 1e-9 || m.Plan == nil || math.Abs(*m.Plan-34*tp) > 1e-9 {
				t.Errorf("09 %s: time progress %v plan %v, want %v and %v", m.Month, m.TimeProgress, fval(m.Plan), tp, 34*tp)
			}
		}
		if last := d.Monthly[len(d.Monthly)-1]; fval(last.Actual) != fval(d.Actual) {
			t.Errorf("09: last month %v, actual %v", fval(last.Actual), fval(d.Actual))
		}
	})

	t.Run("ByTownship", func(t *testing.T) {
		var d indicators.TargetDetail
		h.get(t, "/api/v1/targets/09?year=2024&as_of=2024-10-31", &d)
		sum := 0.0
		for _, tw := range d.ByTownship {
			a := 0.0
			if tw.Actual != nil {
				a = *tw.Actual
			}
			if a != handlake.Townships09[tw.Township] {
				t.Errorf("09 in %s: %v, want %v", tw.Township, a, handlake.Townships09[tw.Township])
			}
			sum += a
		}
		if sum != fval(d.Actual) || sum != 5 {
			t.Errorf("09 by township sums to %v, the county has %v; want 5", sum, fval(d.Actual))
		}
	})

	t.Run("IngestRuns", func(t *testing.T) {
		var all api.Runs
		h.get(t, "/api/v1/ingest/runs", &all)
		var want, got []string
		for source, files := range handlake.Files() {
			for name := range files {
				want = append(want, source+"/"+name)
			}
		}
		for _, r := range all.Runs {
			got = append(got, r.Source+"/"+r.FileName)
			if r.Status != "landed" || r.Rejected != 0 || r.Landed != r.Rows {
				t.Errorf("%s/%s: %s, %d of %d landed, %d rejected", r.Source, r.FileName, r.Status, r.Landed, r.Rows, r.Rejected)
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if all.Count != handlake.FileCount() || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("runs: count %d, files %v; want %d: %v", all.Count, got, handlake.FileCount(), want)
		}

		var wa api.Runs
		h.get(t, "/api/v1/ingest/runs?source=worker_aid", &wa)
		if wa.Count != len(handlake.Files()["worker_aid"]) || len(wa.Runs) != wa.Count {
			t.Errorf("worker_aid runs: count %d, %d listed; want %d", wa.Count, len(wa.Runs), len(handlake.Files()["worker_aid"]))
		}
		for _, r := range wa.Runs {
			if _, ok := handlake.Files()["worker_aid"][r.FileName]; r.Source != "worker_aid" || !ok {
				t.Errorf("?source=worker_aid lists %s/%s", r.Source, r.FileName)
			}
		}
	})
}

// handAPI asks the test server.
type handAPI struct {
	url    string
	client *http.Client
}

// get asks path, wants 200 with JSON, decodes it into v and returns the body.
func (h handAPI) get(t *testing.T, path string, v any) []byte {
	t.Helper()
	resp, err := h.client.Get(h.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
	return body
}

// checkCase: NaN is a JSON null with the status 无数据; else the value, within rounding.
func checkCase(t *testing.T, where string, c handlake.Case, actual *float64, status string, raw json.RawMessage) {
	t.Helper()
	if math.IsNaN(c.Actual) {
		if actual != nil || string(raw) != "null" || status != "无数据" {
			t.Errorf("%s: %s actual %s status %s, want null and 无数据", where, c.Code, raw, status)
		}
		return
	}
	if actual == nil || math.Abs(*actual-c.Actual) > 1e-9 {
		t.Errorf("%s: %s actual %s, want %v", where, c.Code, raw, c.Actual)
	}
	if c.Status != "" && status != c.Status {
		t.Errorf("%s: %s status %s, want %s", where, c.Code, status, c.Status)
	}
}

func checkEnrollment(t *testing.T, where string, got indicators.EnrollmentCounts, want handlake.Enrollment) {
	t.Helper()
	if got.Roster != want.Roster || got.Exempt != want.Exempt || got.Enrolled != want.Enrolled || got.Eligible != want.Eligible() ||
		got.Rate == nil || math.Abs(*got.Rate-want.Rate()) > 1e-9 {
		t.Errorf("%s: roster %d exempt %d enrolled %d eligible %d rate %v; want %d %d %d %d %v", where,
			got.Roster, got.Exempt, got.Enrolled, got.Eligible, fptr(got.Rate),
			want.Roster, want.Exempt, want.Enrolled, want.Eligible(), want.Rate())
	}
}

// dataAsOf is the record date the values of asOf are of.
func dataAsOf(asOf string) string {
	if asOf > handlake.DataEnd {
		return handlake.DataEnd
	}
	return asOf
}

func fval(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// fptr prints a nullable number.
func fptr(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
