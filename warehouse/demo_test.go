package warehouse_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/minsheng/minsheng/fixtures"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/warehouse"
)

var testKey = []byte("0123456789abcdef-k")

// demoLake is the demo county's year (fixtures: scale 1, seed 1, as of 2024-10-31), generated,
// ingested and built once for the tests that read it.
type demoLake struct {
	dir      string
	expected *fixtures.Expected
	build    *warehouse.BuildResult
	err      error
}

var (
	demoOnce sync.Once
	demo     demoLake
)

var demoAsOf = time.Date(2024, 10, 31, 0, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	code := m.Run()
	if demo.dir != "" {
		os.RemoveAll(demo.dir)
	}
	if sharedHand.dir != "" {
		os.RemoveAll(sharedHand.dir)
	}
	os.Exit(code)
}

func demoWarehouse(t *testing.T) demoLake { return demoWarehouseB(t) }

func demoWarehouseB(t testing.TB) demoLake {
	t.Helper()
	if testing.Short() {
		t.Skip("generates, ingests and builds the demo year")
	}
	demoOnce.Do(func() {
		demo.err = func() error {
			dir, err := os.MkdirTemp("", "minsheng-warehouse-demo-")
			if err != nil {
				return err
			}
			demo.dir = dir
			cfg := testConfig(t, dir)
			ctx := context.Background()
			exp, err := fixtures.Generate(ctx, fixtures.Options{
				Year: 2024, Seed: 1, AsOf: demoAsOf, Out: dir,
				Registry: cfg.Registry, County: cfg.County, Scale: 1,
			})
			if err != nil {
				return fmt.Errorf("fixtures: %w", err)
			}
			demo.expected = exp
			in, err := ingest.New(ingest.Config{Dir: dir, Registry: cfg.Registry, County: cfg.County, Key: testKey})
			if err != nil {
				return err
			}
			if _, err := in.Run(ctx); err != nil {
				return fmt.Errorf("ingest: %w", err)
			}
			demo.build, err = warehouse.Build(ctx, cfg)
			return err
		}()
	})
	if demo.err != nil {
		t.Fatal(demo.err)
	}
	return demo
}

func openDemo(t *testing.T) (demoLake, *warehouse.DB) {
	d := demoWarehouse(t)
	db, err := warehouse.Open(d.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return d, db
}

// TestDemoIndicators: every indicator of the plan at 2024-10-31 is what the generator worked out
// from the records it wrote: counts exactly, fractions within 1e-9, 16b to the fen.
func TestDemoIndicators(t *testing.T) {
	d, db := openDemo(t)
	t.Logf("build: %s, %d files", d.build.Duration, d.build.Files)
	for _, k := range sortedByTime(d.build.Timings)[:10] {
		t.Logf("  %-40s %s", k, d.build.Timings[k])
	}
	got := dailyAt(t, db, 2024, demoAsOf)
	if len(got) == 0 {
		t.Fatal("no indicators")
	}
	seen := map[string]bool{}
	for _, in := range got {
		seen[in.Code] = true
		want, ok := d.expected.Indicators[in.Code]
		if !ok {
			t.Errorf("%s: the generator expects nothing", in.Code)
			continue
		}
		if !in.DataAsOf.Equal(demoAsOf) {
			t.Errorf("%s: values of %s, want of %s", in.Code, in.DataAsOf.Format("2006-01-02"), demoAsOf.Format("2006-01-02"))
		}
		actual := val(in.Actual)
		tol := 1e-9
		if in.Code == "16b" {
			tol = 0.005
		}
		line := fmt.Sprintf("%-4s %-8s actual %14.6f want %14.6f  num %v/%v den %v/%v amount %v/%v status %s",
			in.Code, in.Kind, actual, want.Actual, val(in.Numerator), want.Numerator, ival(in.Denominator), want.Denominator,
			val(in.AmountYuan), want.AmountYuan, in.Status)
		t.Log(line)
		if math.Abs(actual-want.Actual) > tol {
			t.Errorf("%s: actual %v, want %v", in.Code, actual, want.Actual)
		}
		if want.Denominator != 0 && float64(ival(in.Denominator)) != want.Denominator {
			t.Errorf("%s: denominator %v, want %v", in.Code, ival(in.Denominator), want.Denominator)
		}
		if want.Numerator != 0 && math.Abs(val(in.Numerator)-want.Numerator) > 0.001 {
			t.Errorf("%s: numerator %v, want %v", in.Code, val(in.Numerator), want.Numerator)
		}
		if want.AmountYuan != 0 && math.Abs(val(in.AmountYuan)-want.AmountYuan) > 0.001 {
			t.Errorf("%s: amount %v, want %v", in.Code, val(in.AmountYuan), want.AmountYuan)
		}
	}
	for code := range d.expected.Indicators {
		if !seen[code] {
			t.Errorf("%s: expected by the generator, not in the mart", code)
		}
	}
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func ival(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// TestDemoChecks: every check counts the violations the generator planted.
func TestDemoChecks(t *testing.T) {
	d, db := openDemo(t)
	rs, err := db.SQL().Query(`select check_name, checked, violations from mart_checks where year = 2024`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string]int{}
	for rs.Next() {
		var name string
		var checked, n int
		if err := rs.Scan(&name, &checked, &n); err != nil {
			t.Fatal(err)
		}
		got[name] = n
		t.Logf("%-28s checked %6d violations %5d want %5d", name, checked, n, d.expected.Checks[name])
	}
	names := make([]string, 0, len(d.expected.Checks))
	for n := range d.expected.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if g, ok := got[n]; !ok || g != d.expected.Checks[n] {
			t.Errorf("%s: %d violations (present %v), want %d", n, g, ok, d.expected.Checks[n])
		}
	}
}

func sortedByTime(m map[string]time.Duration) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	return keys
}

func TestDemoRows(t *testing.T) {
	d := demoWarehouse(t)
	// Every column the registry names is in the files ingest wrote: the warehouse derives the
	// lake's columns from the registry by ingest's rules, and this holds the two together.
	if len(d.build.Absent) > 0 {
		t.Errorf("registry columns missing from the lake: %v", d.build.Absent)
	}
	var total int64
	for k, v := range d.build.Rows {
		if len(k) > 4 && k[:4] == "stg_" {
			total += v
			t.Logf("%-28s %8d", k, v)
		}
	}
	t.Logf("total %d; marts: daily %d, by_township %d", total, d.build.Rows["mart_indicator_daily"], d.build.Rows["mart_indicator_by_township"])
}

// TestDemoBreakdowns: the monitors by category and 19a by township agree with the generator.
func TestDemoBreakdowns(t *testing.T) {
	d, db := openDemo(t)
	ctx := context.Background()
	for code, want := range d.expected.Indicators {
		if len(want.ByCategory) > 0 {
			got := map[string]float64{}
			rs, err := db.SQL().QueryContext(ctx, `select category, persons from mart_indicator_by_category
				where year = 2024 and code = ? and as_of_on = ?`, code, demoAsOf)
			if err != nil {
				t.Fatal(err)
			}
			for rs.Next() {
				var c string
				var n float64
				rs.Scan(&c, &n)
				got[c] = n
			}
			rs.Close()
			if fmt.Sprint(got) != fmt.Sprint(want.ByCategory) {
				t.Errorf("%s by category: %v, want %v", code, got, want.ByCategory)
			}
		}
		if len(want.ByTownship) > 0 {
			rs, err := db.SQL().QueryContext(ctx, `select township, actual from mart_indicator_by_township
				where year = 2024 and code = ? and as_of_on = ? and actual is not null`, code, demoAsOf)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for rs.Next() {
				var tw string
				var r float64
				rs.Scan(&tw, &r)
				got[tw] = r
			}
			rs.Close()
			if len(got) != len(want.ByTownship) {
				t.Errorf("%s: %d townships, want %d", code, len(got), len(want.ByTownship))
			}
			for tw, w := range want.ByTownship {
				if g, ok := got[tw]; !ok || math.Abs(g-w) > 1e-9 {
					t.Errorf("%s %s: %v, want %v", code, tw, g, w)
				}
			}
		}
	}
	// mart_enrollment_by_township tells the same story as mart_indicator_by_township for 19a.
	var mismatches int
	err := db.SQL().QueryRowContext(ctx, `select count(*) from mart_enrollment_by_township e
		join mart_indicator_by_township i on i.year = e.year and i.code = '19a'
			and i.township = e.township and i.as_of_on = e.as_of_on
		where i.actual is distinct from e.rate or i.meets is distinct from e.meets`).Scan(&mismatches)
	if err != nil || mismatches != 0 {
		t.Errorf("enrollment and 19a by township disagree on %d rows (%v)", mismatches, err)
	}
}
