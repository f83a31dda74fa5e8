package warehouse_test

import (
	"context"
	"database/sql"
	"math"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/warehouse"
)

// TestNextYearPlan: next year's list is a new year file and nothing else. testdata/plan-2025.yaml
// renumbers every code, changes every threshold, drops an item and adds a target that reuses a
// measure; the hand lake moved to 2025 (handlake.FilesIn) is built against it, and every value
// below is worked out by hand from the hand lake's rows (internal/handlake/doc.go) under the new
// numbers.
func TestNextYearPlan(t *testing.T) {
	dir := t.TempDir()
	cfg := handlake.IngestIn(t, dir, 2025)
	b, err := os.ReadFile("testdata/plan-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := minsheng.ParsePlan(b, cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Plans = map[int]*minsheng.Plan{2025: plan}
	if _, err := warehouse.Build(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	db := openDir(t, dir)

	// every code of the plan, and no other (2024's 12 is gone)
	var codes []string
	for _, tg := range plan.Targets {
		codes = append(codes, tg.Code)
	}
	sort.Strings(codes)
	var got string
	if err := db.SQL().QueryRow(`select string_agg(distinct code, ',' order by code) from mart_indicator_daily where year = 2025`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != strings.Join(codes, ",") {
		t.Fatalf("codes in the daily mart: %s, want %s", got, strings.Join(codes, ","))
	}

	nan := math.NaN()
	for _, c := range []handlake.Case{
		// 01 (worker_aid_person_times): as 2024's 09, a year on: A 生活 and A 子女 on 03-05, B on
		// 06-30 and 07-01, C on 10-31 (C's 2024-12-31 is last year's). 5 of 40 at 10-31, time
		// progress 304/365 = 0.833: 0.708 behind, past the 10-point band: 严重滞后.
		{AsOf: "2025-03-04", Code: "01", Actual: 0},
		{AsOf: "2025-03-05", Code: "01", Actual: 2},
		{AsOf: "2025-10-31", Code: "01", Actual: 5, Status: "严重滞后"},
		// 02 = 02a (Q, R) + 02b (Q) + 02c (none)
		{AsOf: "2025-10-31", Code: "02a", Actual: 2},
		{AsOf: "2025-10-31", Code: "02b", Actual: 1},
		{AsOf: "2025-10-31", Code: "02c", Actual: 0},
		{AsOf: "2025-10-31", Code: "02", Actual: 3},
		// 06 (care_facilities_completed) with a 300000 minimum: F2's 竣工验收 of 05-01 with 400000
		// now counts (it did not at 500000); F1 from 运营 on 09-01. 2 of 2: 已完成.
		{AsOf: "2025-04-30", Code: "06", Actual: 0},
		{AsOf: "2025-06-30", Code: "06", Actual: 1},
		{AsOf: "2025-10-31", Code: "06", Actual: 2, Status: "已完成"},
		{AsOf: "2025-10-31", Code: "07", Actual: 0, Status: "监测"},
		// 09 and the new 11 both count legal_aid_cases: L1 and L2. 11's target is 2: 已完成.
		{AsOf: "2025-10-31", Code: "09", Actual: 2},
		{AsOf: "2025-10-31", Code: "11", Actual: 2, Status: "已完成"},
		// 10 (mean_subsidy_closed_cases): 1100.51 as in 2024, now under a 1200 target
		{AsOf: "2025-04-30", Code: "10", Actual: nan, Status: "无数据"},
		{AsOf: "2025-10-31", Code: "10", Actual: 1100.51, Status: "未达标"},
		// 14 (enrollment_rate_low_income): 3 / (6 - 2) under a 0.98 target
		{AsOf: "2025-10-31", Code: "14", Actual: 0.75, Status: "未达标"},
		// 15 (medical_assistance_ratio_compliance) with 特困 0.75, 低保 0.70, 边缘 0.65:
		// at 06-30 P2 (低保: 0.70 × 100.02 = 70.01, paid 75.02), P5 (not yet listed, own 边缘:
		// 650, paid 600), P3 (低保: 70.01, paid 75.01), P4 (listed 脱贫人口, no ratio) are all
		// wrong: 0 of 4. At 10-31 P1's claim is judged as the roster's 特困人员: 0.75 × 1000 =
		// 750, paid 750, right; P4, off the roster, by its own 低保对象: 140, paid 150, wrong:
		// 1 of 5.
		{AsOf: "2025-06-30", Code: "15", Actual: 0, Status: "未达标"},
		{AsOf: "2025-10-31", Code: "15", Actual: 0.2, Status: "未达标"},
		// 16 (standard_share_orphan_support) with 分散 1400, 集中 1700: K's 1300 never reaches it,
		// M's 1710 and 1700 both do. At 02-28: K Jan, Feb, M Jan: 1 of 3. At 10-31: M's 2 of 12.
		{AsOf: "2025-02-28", Code: "16", Actual: 1.0 / 3},
		{AsOf: "2025-10-31", Code: "16", Actual: 2.0 / 12, Status: "未达标"},
	} {
		var actual sql.NullFloat64
		var status string
		err := db.SQL().QueryRow(`select actual, status from mart_indicator_daily
			where year = 2025 and code = $1 and as_of_on = cast($2 as date)`, c.Code, c.AsOf).Scan(&actual, &status)
		if err != nil {
			t.Errorf("%s at %s: %v", c.Code, c.AsOf, err)
			continue
		}
		a := nan
		if actual.Valid {
			a = actual.Float64
		}
		if math.IsNaN(c.Actual) != math.IsNaN(a) || !math.IsNaN(a) && math.Abs(a-c.Actual) > 1e-9 {
			t.Errorf("%s at %s: actual %v, want %v", c.Code, c.AsOf, a, c.Actual)
		}
		if c.Status != "" && status != c.Status {
			t.Errorf("%s at %s: status %s, want %s", c.Code, c.AsOf, status, c.Status)
		}
	}

	// The checks under the new names and limits.
	//   c01_living: A's 生活救助 1000 (three exact repeats, one payment) > 1 × 800: 1
	//   c01_study: A's 子女助学 500 > 0.5 × 800 = 400: 1
	//   c02a_amount: Q 视力 3000 > 2500; R 肢体 2000 + 2000 = 4000 > 3500: 2
	//   c02a_age: Q (born 2016-04-01) is 8 on 2025-02-01, not under 8: 1 record; R is 7
	//   the rest as in 2024 (09_medical_cap 1, overlap 1, missing months 8, 213 villages, ...)
	wantChecks := map[string]int64{
		"c01_living": 1, "c01_study": 1, "c01_medical": 1, "c02a_amount": 2, "c02a_living": 0,
		"c02a_age": 1, "c02c_cap": 0, "c04_to_person": 0, "c04_age": 0, "c05_age": 0,
		"c13_villages": 213, "c14_tekun": 1, "c15_mismatch": 1, "c16_missing": 8, "c02_overlap": 1,
	}
	rs, err := db.SQL().Query(`select check_name, target_code, lead_unit, description_zh, violations from mart_checks where year = 2025`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	seen := map[string]bool{}
	for rs.Next() {
		var name, code, unit, desc string
		var v int64
		if err := rs.Scan(&name, &code, &unit, &desc, &v); err != nil {
			t.Fatal(err)
		}
		seen[name] = true
		want, ok := wantChecks[name]
		if !ok {
			t.Errorf("check %s is not in the plan", name)
			continue
		}
		if v != want {
			t.Errorf("%s: %d violations, want %d", name, v, want)
		}
		switch name {
		case "c01_living":
			if desc != "生活救助年度合计超过城市低保标准的1倍" || code != "01" || unit != "县总工会" {
				t.Errorf("%s: %s %s %q", name, code, unit, desc)
			}
		case "c01_study":
			if desc != "子女助学年度合计超过城市低保标准的0.5倍" {
				t.Errorf("%s: %q", name, desc)
			}
		case "c02a_amount":
			if desc != "儿童年度康复救助金额超过2500元(肢体或脑瘫3500元)" {
				t.Errorf("%s: %q", name, desc)
			}
		}
	}
	for name := range wantChecks {
		if !seen[name] {
			t.Errorf("check %s missing from mart_checks", name)
		}
	}
}
