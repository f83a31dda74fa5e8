package warehouse_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/warehouse"
)

// TestTwoTargetsOfOneMeasure: two targets of one year may name the same measure, each computed
// by its own settings under its own code. The 2024 plan plus 19c (enrollment_rate_low_income
// again, at a 50% target) and 19d (medical_assistance_ratio_compliance again, every ratio 1) on
// the hand lake: 19c has 19a's values every day and its own meets per township; 19d judges the
// claims by its own ratios and has its own groups (their sum to 19d is a data test); the other
// targets keep the values of the plan without them; and the enrollment assessment, which shows
// one rate and one claims breakdown a year, still shows the first (19a's, 19b's).
func TestTwoTargetsOfOneMeasure(t *testing.T) {
	shippedDir, _ := readHand(t)
	dir := t.TempDir()
	cfg := handlake.Ingest(t, dir)
	b, err := os.ReadFile("../config/targets/2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	extra := `  - {code: "19c", item: "(十九)", lead_unit: 县医保局, title: 参保率(另一口径), measure: enrollment_rate_low_income, kind: rate, target: 0.5, unit: "%", sources: [low_income_roster, insurance_enrollment]}
  - {code: "19d", item: "(十九)", lead_unit: 县医保局, title: 医疗救助全额, measure: medical_assistance_ratio_compliance, kind: standard, target: 1, unit: 件, sources: [medical_assistance, low_income_roster], thresholds: {ratio_tekun: 1, ratio_dibao: 1, ratio_bianyuan: 1, ratio_jiance: 1}}
`
	text := string(b)
	i := strings.Index(text, "\n# The checks of targets.md")
	if i < 0 {
		t.Fatal("config/targets/2024.yaml changed shape: no checks comment after the targets")
	}
	plan, err := minsheng.ParsePlan([]byte(text[:i+1]+extra+text[i+1:]), cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Plans = map[int]*minsheng.Plan{2024: plan}
	if _, err := warehouse.Build(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	shipped, db := openDir(t, shippedDir), openDir(t, dir)

	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	// 19c is 19a, day by day, in the county and in every township
	if n := count(`select count(*) from mart_indicator_daily as a
		full join (select * from mart_indicator_daily where code = '19c') as c using (year, as_of_on)
		where a.code = '19a' and (c.code is null or a.actual is distinct from c.actual
			or a.numerator is distinct from c.numerator or a.denominator is distinct from c.denominator)`); n != 0 {
		t.Errorf("19c differs from 19a on %d days", n)
	}
	// each target's township rows meet its own target; 19c's 50% is met where 19a's 99% is not
	if n := count(`select count(*) from mart_enrollment_by_township as e
		join plan_targets as t using (year, code)
		where e.meets is distinct from (case when e.eligible_persons > 0 then e.rate >= t.target end)`); n != 0 {
		t.Errorf("%d township rows judged against another target", n)
	}
	if n := count(`select count(*) from mart_enrollment_by_township as a
		join mart_enrollment_by_township as c using (year, as_of_on, township)
		where a.code = '19a' and c.code = '19c' and c.meets and not a.meets`); n == 0 {
		t.Error("no township meets 19c's 50% and not 19a's 99%: the targets were not judged apart")
	}
	// 19d's groups carry its ratios, 19b's the plan's
	if n := count(`select count(*) from mart_claims_by_group
		where (code = '19d' and ratio is not null and ratio <> 1) or (code = '19b' and ratio = 1)`); n != 0 {
		t.Errorf("%d claims-by-group rows with another target's ratio", n)
	}
	if n := count(`select count(distinct code) from mart_claims_by_group`); n != 2 {
		t.Errorf("claims by group for %d targets, want 19b and 19d", n)
	}
	if n := count(`select count(*) from mart_indicator_daily as b
		join mart_indicator_daily as d using (year, as_of_on)
		where b.code = '19b' and d.code = '19d' and b.actual is distinct from d.actual`); n == 0 {
		t.Error("19d (every ratio 1) has 19b's values on every day: its ratios were not used")
	}

	// the shipped plan's targets answer as without 19c and 19d
	q := `select cast(row(code, as_of_on, actual, numerator, denominator, amount_yuan, status) as varchar)
		from mart_indicator_daily where code not in ('19c', '19d')`
	if got, want := lines(t, db, q), lines(t, shipped, q); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the other targets changed: %d rows, want %d; first difference:\n%s", len(got), len(want), firstDifference(got, want))
	}

	// the assessment shows the first target of each measure, as without the second
	ctx := context.Background()
	withTwo, err := indicators.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	withOne, err := indicators.Load(ctx, shipped)
	if err != nil {
		t.Fatal(err)
	}
	for _, asOf := range []string{"2024-03-31", "2024-06-30", "2024-10-31"} {
		a, err := withTwo.Enrollment(2024, day(asOf))
		if err != nil {
			t.Fatal(err)
		}
		b, err := withOne.Enrollment(2024, day(asOf))
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("enrollment at %s with 19c and 19d:\n%s\nwithout:\n%s", asOf, ja, jb)
		}
	}
	ua, err := withTwo.Unenrolled(2024, "")
	if err != nil {
		t.Fatal(err)
	}
	ub, err := withOne.Unenrolled(2024, "")
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(ua)
	jb, _ := json.Marshal(ub)
	if string(ja) != string(jb) || ub.Unenrolled == 0 {
		t.Errorf("unenrolled with 19c and 19d:\n%s\nwithout:\n%s", ja, jb)
	}
}
