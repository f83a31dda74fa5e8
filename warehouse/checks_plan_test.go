package warehouse_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/idcard"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/warehouse"
)

// TestCheckLimitsFromPlan: a check's limit is the plan's, read by the rule's setting name, and
// its description says the plan's number. The hand lake is built against the shipped 2024 plan
// with 09's living_cap_months changed (and, once, a second target of the same measure with a
// check of the same rule), and the violations are worked out by hand from its worker_aid rows
// (internal/handlake/doc.go):
//
//	A 生活救助 1000 on 2024-03-05, sent three times: one row after exact repeats, so A's year sums
//	to 1000. C 生活救助 300 on 2024-10-31 (C's 2023-12-31 row is last year's): 300. A's 子女助学
//	500 is the study cap's, not the living cap's. The urban 低保 standard is 780 元/月.
//
//	15 months: cap 780 × 15 = 11700; 1000 and 300 are under it: no violation.
//	1 month:   cap 780; A's 1000 > 780 violates, C's 300 does not: 1 (A, limit 780.00).
//	0.35:      cap 780 × 0.35 = 273; A's 1000 and C's 300 both exceed it: 2 (a fractional
//	           number of months is worked exactly: 273.00, not a binary fraction near it).
//	12 months on 09 and 1 month on a second target 09x of worker_aid_person_times with its own
//	check 09x_living_cap: 09_living_cap 0 (cap 9360), 09x_living_cap 1 (A), each under its own
//	target and lead unit.
func TestCheckLimitsFromPlan(t *testing.T) {
	dir := t.TempDir()
	cfg := handlake.Ingest(t, dir)
	shipped, err := os.ReadFile("../config/targets/2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const living = "living_cap_months: 12"
	if strings.Count(string(shipped), living) != 1 {
		t.Fatalf("the shipped 2024 plan does not state %q once", living)
	}
	withMonths := func(months string) string {
		return strings.Replace(string(shipped), living, "living_cap_months: "+months, 1)
	}
	const secondTarget = `  - {code: "09x", item: "(九)", lead_unit: 县人社局, title: 困难职工帮扶(另一口径), measure: worker_aid_person_times, kind: count, target: 10, unit: 人次, sources: [worker_aid], thresholds: {living_cap_months: 1}}
`
	twoTargets := strings.Replace(withMonths("12"), `  - {code: "10",`, secondTarget+`  - {code: "10",`, 1) +
		`  - {name: 09x_living_cap, target: "09x", rule: worker_aid_living_cap}` + "\n"

	type violation struct{ masked, amount, limit string }
	a := violation{idcard.Mask(handlake.A.ID), "1000.00", ""}
	c := violation{idcard.Mask(handlake.C.ID), "300.00", ""}
	with := func(v violation, limit string) violation { v.limit = limit; return v }
	type check struct {
		name, target, leadUnit, description string
		violations                          []violation // in subject order: A's, then C's record
	}
	for _, tc := range []struct {
		name   string
		plan   string
		checks []check
	}{
		{"15 months", withMonths("15"), []check{
			{"09_living_cap", "09", "县总工会", "生活救助年度合计超过城市低保标准的15倍", nil},
		}},
		{"1 month", withMonths("1"), []check{
			{"09_living_cap", "09", "县总工会", "生活救助年度合计超过城市低保标准的1倍", []violation{with(a, "780.00")}},
		}},
		{"0.35 months", withMonths("0.35"), []check{
			{"09_living_cap", "09", "县总工会", "生活救助年度合计超过城市低保标准的0.35倍",
				[]violation{with(a, "273.00"), with(c, "273.00")}},
		}},
		{"two checks of one rule", twoTargets, []check{
			{"09_living_cap", "09", "县总工会", "生活救助年度合计超过城市低保标准的12倍", nil},
			{"09x_living_cap", "09x", "县人社局", "生活救助年度合计超过城市低保标准的1倍", []violation{with(a, "780.00")}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := minsheng.ParsePlan([]byte(tc.plan), cfg.Registry)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Plans = map[int]*minsheng.Plan{2024: plan}
			if _, err := warehouse.Build(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			db, err := warehouse.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, ch := range tc.checks {
				var target, leadUnit, description string
				var checked, n int64
				err := db.SQL().QueryRow(`select target_code, lead_unit, description_zh, checked, violations
					from mart_checks where year = 2024 and check_name = ?`, ch.name).
					Scan(&target, &leadUnit, &description, &checked, &n)
				if err != nil {
					t.Fatalf("%s: %v", ch.name, err)
				}
				// A and C have 生活救助 in 2024
				if target != ch.target || leadUnit != ch.leadUnit || description != ch.description ||
					checked != 2 || n != int64(len(ch.violations)) {
					t.Errorf("%s: target %s, %s, %q, checked %d, %d violations; want %s, %s, %q, 2, %d",
						ch.name, target, leadUnit, description, checked, n,
						ch.target, ch.leadUnit, ch.description, len(ch.violations))
				}
				rs, err := db.SQL().Query(`select person_id_masked, cast(amount_yuan as varchar),
						cast(limit_yuan as varchar), target_code, lead_unit
					from mart_check_violations where year = 2024 and check_name = ?
					order by amount_yuan desc`, ch.name)
				if err != nil {
					t.Fatal(err)
				}
				var got []violation
				for rs.Next() {
					var v violation
					if err := rs.Scan(&v.masked, &v.amount, &v.limit, &target, &leadUnit); err != nil {
						t.Fatal(err)
					}
					if target != ch.target || leadUnit != ch.leadUnit {
						t.Errorf("%s lists a violation under %s, %s", ch.name, target, leadUnit)
					}
					got = append(got, v)
				}
				if err := rs.Err(); err != nil {
					t.Fatal(err)
				}
				rs.Close()
				if len(got) != len(ch.violations) {
					t.Errorf("%s: violations %v, want %v", ch.name, got, ch.violations)
					continue
				}
				for i := range got {
					if got[i] != ch.violations[i] {
						t.Errorf("%s: violation %d is %v, want %v", ch.name, i, got[i], ch.violations[i])
					}
				}
			}
			// the other checks keep their hand-worked counts: nothing else reads living_cap_months
			for name, want := range handlake.CheckViolations {
				if name == "09_living_cap" {
					continue
				}
				var n int64
				if err := db.SQL().QueryRow(`select violations from mart_checks where year = 2024 and check_name = ?`, name).Scan(&n); err != nil || n != want {
					t.Errorf("%s: %d violations (%v), want %d", name, n, err, want)
				}
			}
		})
	}
}
