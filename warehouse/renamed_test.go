package warehouse_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/warehouse"
)

// TestRenamedPlanGivesSameActuals: the SQL is keyed by measures, not by the county's codes. The
// shipped 2024 plan with every code renamed (09 → X09, 10a → X10a, ...: the targets, the parents,
// the parts and the checks' targets) gives every answer the plan itself gives, code for code:
// the daily values (actual, numerator, denominator, money, status), by township, by category,
// the claims by group, the enrollment assessment, the overlaps and the checks. On the hand lake,
// and on the demo year (not under -short).
func TestRenamedPlanGivesSameActuals(t *testing.T) {
	t.Run("hand", func(t *testing.T) {
		dir, _ := readHand(t)
		renamedDir := t.TempDir()
		cfg := handlake.Ingest(t, renamedDir)
		compareRenamed(t, dir, renamedDir, cfg, false)
	})
	t.Run("demo", func(t *testing.T) {
		d := demoWarehouse(t)
		renamedDir := t.TempDir()
		copyLake(t, d.dir, renamedDir)
		compareRenamed(t, d.dir, renamedDir, testConfig(t, renamedDir), true)
	})
}

// renamedPlan is config/targets/2024.yaml with X before every code: a code is quoted wherever
// the file names one (code, parent, parts, a check's target), and nothing else quoted is two
// digits and a letter.
func renamedPlan(t *testing.T, reg *minsheng.Registry) *minsheng.Plan {
	t.Helper()
	b, err := os.ReadFile("../config/targets/2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`"([0-9]{2}[a-z]?)"`)
	renamed := code.ReplaceAll(b, []byte(`"X$1"`))
	if n := len(code.FindAll(b, -1)); n < 20 {
		t.Fatalf("renamed %d codes in the 2024 plan; the file changed shape", n)
	}
	plan, err := minsheng.ParsePlan(renamed, reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range plan.Targets {
		if !strings.HasPrefix(tg.Code, "X") || tg.Parent != "" && !strings.HasPrefix(tg.Parent, "X") {
			t.Fatalf("target %s (parent %q) was not renamed", tg.Code, tg.Parent)
		}
	}
	return plan
}

// compareRenamed builds renamedDir's lake (the same rows as dir's) under the renamed plan and
// compares every per-target mart with dir's warehouse, built under the shipped plan. everyMart:
// each mart has rows to compare (the demo year; the hand lake has no serious illness or veteran aid).
func compareRenamed(t *testing.T, dir, renamedDir string, cfg warehouse.Config, everyMart bool) {
	t.Helper()
	cfg.Plans = map[int]*minsheng.Plan{2024: renamedPlan(t, cfg.Registry)}
	if _, err := warehouse.Build(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	orig, renamed := openDir(t, dir), openDir(t, renamedDir)

	// Each query gives one text line per row (a row cast to text, nulls named), codes without the
	// X; the lines are compared as sorted lists. u(x) strips the X off a code column.
	u := func(col string) string { return "regexp_replace(" + col + ", '^X', '')" }
	queries := map[string]string{
		"mart_indicator_daily": `select cast(row(` + u("code") + `, as_of_on, ` + u("parent_code") + `,
			measure, value_form, kind, target, actual, numerator, denominator, amount_yuan,
			completion, time_progress, status) as varchar) from mart_indicator_daily`,
		"mart_indicator_by_township": `select cast(row(` + u("code") + `, township, as_of_on, actual,
			numerator, denominator, amount_yuan, status, meets) as varchar) from mart_indicator_by_township`,
		"mart_indicator_monthly": `select cast(row(` + u("code") + `, month_on, as_of_on, actual,
			status) as varchar) from mart_indicator_monthly`,
		"mart_indicator_by_category": `select cast(row(` + u("code") + `, category, as_of_on, persons,
			amount_yuan) as varchar) from mart_indicator_by_category`,
		"mart_claims_by_group": `select cast(row(` + u("code") + `, as_of_on, person_group, ratio,
			claims, compliant, rate) as varchar) from mart_claims_by_group`,
		"mart_enrollment_by_township": `select cast(row(` + u("code") + `, as_of_on, township,
			roster_persons, exempt_persons, enrolled_persons, rate, meets, is_flagged) as varchar)
			from mart_enrollment_by_township`,
		"mart_enrollment_unenrolled": `select cast(row(` + u("code") + `, person_id, township,
			is_township_flagged) as varchar) from mart_enrollment_unenrolled`,
		"mart_person_overlap": `select cast(row(` + u("code_a") + `, ` + u("code_b") + `, persons)
			as varchar) from mart_person_overlap`,
		"mart_checks": `select cast(row(check_name, ` + u("target_code") + `, checked, violations)
			as varchar) from mart_checks`,
	}
	for mart, q := range queries {
		want, got := lines(t, orig, q), lines(t, renamed, q)
		if len(want) == 0 && everyMart {
			t.Errorf("%s: no rows under the shipped plan; nothing compared", mart)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows under the renamed plan, %d under the shipped one; first difference:\n%s",
				mart, len(got), len(want), firstDifference(got, want))
		}
	}

	// the renamed warehouse answers under the new codes only, and has something to count
	var stray, counted int
	err := renamed.SQL().QueryRow(`select count(*) filter (where not starts_with(code, 'X')),
		count(*) filter (where actual > 0) from mart_indicator_daily`).Scan(&stray, &counted)
	if err != nil || stray != 0 || counted == 0 {
		t.Errorf("renamed daily mart: %d rows under an old code, %d with a value (%v)", stray, counted, err)
	}
}

func lines(t *testing.T, db *warehouse.DB, q string) []string {
	t.Helper()
	rs, err := db.SQL().Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var s string
		if err := rs.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func firstDifference(got, want []string) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return "  renamed: " + g + "\n  shipped: " + w
		}
	}
	return ""
}

// copyLake copies a data folder's committed lake (the manifest and the Parquet files it names,
// by relative path) into another, to build it under another plan.
func copyLake(t *testing.T, from, to string) {
	t.Helper()
	src, dst := lake.Layout{Dir: from}, lake.Layout{Dir: to}
	if err := os.CopyFS(dst.Lake(), os.DirFS(src.Lake())); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src.Manifest())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst.Manifest(), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(to, "lake")); err != nil {
		t.Fatal(err)
	}
}
