package indicators_test

// TestGoldenIsHandWorked holds the golden files (testdata/*.csv, written by TestGolden -update)
// against the answers worked out by hand for the hand lake, so that the golden files are a record
// of right answers and not only of the code's. It reads the files, not the Snapshot: an -update
// that bakes in a wrong number fails here. Rows verified, and how:
//
//   - targets.csv: the 27 rows of handlake.IndicatorCases (actual; status where worked out),
//     i.e. 09 at 03-04, 03-05, 06-30, 10-31, 12-31; 10a at 03-31, 10-31; 10b, 10c, 10 and 14 at
//     10-31; 16a at 02-15, 06-30, 10-31; 16b at 04-30, 06-30, 10-31; 20 at 02-29, 10-31; 19a at
//     01-10, 06-30, 10-31; 19b at 06-30, 10-31; 13b at 06-30, 08-31, 09-01. Besides, from doc.go's
//     arithmetic, the numerator and denominator of 16b (1000.00 over 1 at 06-30; 1201.01 +
//     1000.00 = 2201.01 over 2 at 10-31), 20 (3 of 3 child-months at 02-29, 11 of 12 at 10-31),
//     19a (2 of 3 at 06-30, 3 of 4 at 10-31) and 19b (2 of 4 claims at 06-30, 3 of 5 at 10-31).
//   - targets.csv, every one of its 228 rows, against the rules stated in config/targets/2024.yaml
//     and the README rather than by hand: time_progress is (day of year)/366, data_as_of is the
//     as-of date or 2024-10-31 if later, completion of a count is actual/target, status is 监测
//     for a monitor, 无数据 without an actual, for a count 已完成 at the target, 正常 at or above
//     the time progress, 滞后 behind it by 15 points or less, 严重滞后 by more, and 达标/未达标
//     against the target otherwise; lagging is 滞后, 严重滞后 or 未达标. monthly.csv the same way,
//     with the plan line target × time progress of each month's end. plan.csv against 2024.yaml.
//   - monthly.csv: 09 at 10-31, month by month, is handlake.Monthly09 (Jan 0 ... Oct 5).
//   - townships.csv: 09 at 10-31 is handlake.Townships09 (松兹街道 4, 孚玉镇 1, the other 20 none);
//     19a at 06-30 and 10-31 and 16b at 06-30 and 10-31 by township from doc.go (19a: 松兹街道 2/2
//     then 2/3, 孚玉镇 0/1 then 1/1; 16b: the two cases are 松兹街道's).
//   - target_details.csv: 10's parts at 10-31 are 10a=2, 10b=1, 10c=0 (doc.go: 10 = 2 + 1 + 0).
//   - checks.csv: the violations of every check in handlake.CheckViolations; and the checked
//     counts worked out from the rows of handlake.Files: 09_living_cap 2 (A and C have a 2024
//     生活救助), 09_medical_cap 2 (B's two records), 09_study_cap 1 (A), 10a_age 3 (Q's and R's
//     three rehab records), 10a_amount_cap and 10a_living_cap 2 (Q, R), overlap_10a_10b 2 (the
//     children of 10a), 18 213 (every village of the county), 19a_tekun_full_subsidy 1 (P1 is the
//     roster's one 特困人员), 19b_category_mismatch 5 (the claims), 20_missing_month 20 (K's and
//     M's months January to October); the checks without rows have 0 of 0. check_units.csv: their
//     sums per lead unit.
//   - overlaps.csv: 10a~10b 1 (Q, doc.go) and 09~16a 2 (A and B have both 09 aid and a 16a case).
//   - enrollment.csv: handlake.EnrollmentCases (06-30 and 10-31: county, 松兹街道, 孚玉镇, the other
//     20 townships empty), and 01-10 before the first snapshot: nothing on the roster.
//   - claims_by_group.csv at 06-30 and 10-31, from doc.go's claims: at 06-30 (roster of 01-15)
//     低保对象 P2 right, P3 wrong: 1 of 2; 低保边缘家庭成员 P5 right: 1 of 1; 脱贫人口 P4 wrong: 0 of 1;
//     特困人员 none. At 10-31 (roster of 07-01) 特困人员 P1 wrong: 0 of 1; 低保对象 P2, P4 right,
//     P3 wrong: 2 of 3; 低保边缘家庭成员 1 of 1; 脱贫人口 none. The sums are 19b's 2/4 and 3/5.
//   - violations.csv: 09_medical_cap is B's 1200 over 1000 on 07-01; overlap_10a_10b is Q;
//     19a_tekun_full_subsidy and 19b_category_mismatch are P1 (the claim of 08-01, 750);
//     20_missing_month is M, months 02 and 04 to 10; 18's 213 rows are the county's villages,
//     each once. Persons by their masked ID number and name as the README masks them.
//   - unenrolled.csv: only 松兹街道 is under 99% at 10-31, and its one unenrolled person is P7,
//     who has no enrollment row (doc.go: "松兹街道 2/3 (flagged, P7 listed)").
//   - years.csv: the data ends at 2024-10-31 (handlake.DataEnd), checks are judged there, and the
//     townships are the county profile's, in its order.
//
// No golden value disagrees with a hand-worked one. Not worked out by hand (recorded by the golden
// files only): file_sha256 and Excel rows of the record-level answers, the check descriptions, and
// the mid-year values of the indicators without a hand-worked case.

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/internal/handlake"
)

// golden is a golden file read back: its rows by column name.
type golden struct {
	name string
	rows []map[string]string
}

func readGolden(t *testing.T, name string) golden {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	g := golden{name: name}
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = r[i]
		}
		g.rows = append(g.rows, row)
	}
	return g
}

// where are the rows whose columns hold the values: where("as_of", "2024-10-31", "code", "09").
func (g golden) where(kv ...string) []map[string]string {
	var out []map[string]string
	for _, r := range g.rows {
		ok := true
		for i := 0; i < len(kv); i += 2 {
			ok = ok && r[kv[i]] == kv[i+1]
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// one is the one row whose columns hold the values; nil, failing the test, when not exactly one.
func (g golden) one(t *testing.T, kv ...string) map[string]string {
	t.Helper()
	rows := g.where(kv...)
	if len(rows) != 1 {
		t.Errorf("%s: %d rows where %v, want 1", g.name, len(rows), kv)
		return nil
	}
	return rows[0]
}

// sameNum: the golden text is the number (to the 10 significant digits it is written with);
// NaN is the empty text of a null.
func sameNum(text string, want float64) bool {
	if math.IsNaN(want) {
		return text == ""
	}
	got, err := strconv.ParseFloat(text, 64)
	return err == nil && math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// expect compares columns of a row with hand-worked values: a float64 as a number, a string as
// text.
func expect(t *testing.T, what string, row map[string]string, kv ...any) {
	t.Helper()
	if row == nil {
		return
	}
	for i := 0; i < len(kv); i += 2 {
		col := kv[i].(string)
		switch want := kv[i+1].(type) {
		case float64:
			if !sameNum(row[col], want) {
				t.Errorf("%s: %s = %q, want %v", what, col, row[col], want)
			}
		case int:
			if !sameNum(row[col], float64(want)) {
				t.Errorf("%s: %s = %q, want %v", what, col, row[col], want)
			}
		case string:
			if row[col] != want {
				t.Errorf("%s: %s = %q, want %q", what, col, row[col], want)
			}
		default:
			panic(fmt.Sprintf("expect: %T", want))
		}
	}
}

// dataAsOf is the record date an as-of date's values are of.
func dataAsOf(asOf string) string { return min(asOf, handlake.DataEnd) }

// maskID and maskName mask as ingest does (README: 340826********123X, 张*丰).
func maskID(id string) string { return id[:6] + strings.Repeat("*", 8) + id[14:] }

func maskName(name string) string {
	r := []rune(name)
	if len(r) == 2 {
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}

func TestGoldenIsHandWorked(t *testing.T) {
	targets := readGolden(t, "targets.csv")
	cfg := handlake.Config(t, t.TempDir()) // the shipped plan and county profile, read apart
	county, yearPlan := cfg.County, cfg.Plans[handlake.Year]
	if yearPlan == nil {
		t.Fatalf("no %d plan", handlake.Year)
	}

	t.Run("IndicatorCases", func(t *testing.T) {
		for _, c := range handlake.IndicatorCases {
			what := c.Code + " at " + c.AsOf
			row := targets.one(t, "as_of", c.AsOf, "code", c.Code)
			expect(t, what, row, "actual", c.Actual, "data_as_of", dataAsOf(c.AsOf))
			if c.Status != "" {
				expect(t, what, row, "status", c.Status)
			}
		}
		// 12-31 is after the newest record: 10-31's values at the whole year's time progress
		expect(t, "09 at 12-31", targets.one(t, "as_of", "2024-12-31", "code", "09"), "time_progress", 1.0)
	})

	t.Run("Fractions", func(t *testing.T) {
		for _, c := range []struct {
			asOf, code string
			num, den   float64
		}{
			{"2024-06-30", "16b", 1000.00, 1},
			{"2024-10-31", "16b", 1201.01 + 1000.00, 2},
			{"2024-02-29", "20", 3, 3},
			{"2024-10-31", "20", 11, 12},
			{"2024-06-30", "19a", 2, 3},
			{"2024-10-31", "19a", 3, 4},
			{"2024-06-30", "19b", 2, 4},
			{"2024-10-31", "19b", 3, 5},
		} {
			expect(t, c.code+" at "+c.asOf, targets.one(t, "as_of", c.asOf, "code", c.code),
				"numerator", c.num, "denominator", c.den)
		}
	})

	t.Run("Rules", func(t *testing.T) {
		plan := map[string]map[string]string{}
		for _, p := range readGolden(t, "plan.csv").rows {
			plan[p["code"]] = p
		}
		for _, r := range targets.rows {
			p := plan[r["code"]]
			if p == nil {
				t.Errorf("targets.csv: %s is not in plan.csv", r["code"])
				continue
			}
			ruled(t, "targets.csv "+r["code"]+" at "+r["as_of"], r, p, r["as_of"], yearPlan.LagBandPoints)
		}
		for _, r := range readGolden(t, "monthly.csv").rows {
			p := plan[r["code"]]
			what := "monthly.csv " + r["code"] + " at " + r["as_of"] + " month " + r["month"]
			if !strings.HasPrefix(r["month_as_of"], r["month"]) {
				t.Errorf("%s: as of %s", what, r["month_as_of"])
			}
			ruled(t, what, r, p, r["month_as_of"], yearPlan.LagBandPoints)
			if p["kind"] == minsheng.KindCount {
				target, _ := strconv.ParseFloat(p["target"], 64)
				expect(t, what, r, "plan", target*yearProgress(t, r["month_as_of"]))
			} else {
				expect(t, what, r, "plan", "")
			}
		}
	})

	t.Run("Plan", func(t *testing.T) {
		plan := readGolden(t, "plan.csv")
		if len(yearPlan.Targets) != len(plan.rows) {
			t.Fatalf("plan.csv has %d targets, the %d plan %d", len(plan.rows), handlake.Year, len(yearPlan.Targets))
		}
		for i, tg := range yearPlan.Targets {
			target := strconv.FormatFloat(tg.Target, 'g', -1, 64)
			if tg.Kind == minsheng.KindMonitor {
				target = ""
			}
			expect(t, "plan.csv "+tg.Code, plan.rows[i], "code", tg.Code, "item", tg.Item, "title", tg.Title,
				"lead_unit", tg.LeadUnit, "kind", tg.Kind, "unit", tg.Unit, "target", target, "parent", tg.Parent,
				"parts", strings.Join(tg.Parts, "|"))
		}
	})

	t.Run("Monthly09", func(t *testing.T) {
		rows := readGolden(t, "monthly.csv").where("as_of", handlake.DataEnd, "code", "09")
		if len(rows) != len(handlake.Monthly09) {
			t.Fatalf("09 at %s: %d months, worked out by hand %d", handlake.DataEnd, len(rows), len(handlake.Monthly09))
		}
		for i, m := range handlake.Monthly09 {
			expect(t, "09 month "+m.Month, rows[i], "month", m.Month, "actual", m.Actual)
		}
	})

	townships := readGolden(t, "townships.csv")
	t.Run("Townships09", func(t *testing.T) {
		rows := townships.where("as_of", handlake.DataEnd, "code", "09")
		others := 0
		for _, r := range rows {
			if n, ok := strings.CutPrefix(r["township"], "*others("); ok {
				others, _ = strconv.Atoi(strings.TrimSuffix(n, ")"))
				expect(t, "09 in the other townships", r, "actual", 0)
				continue
			}
			want, ok := handlake.Townships09[r["township"]]
			if !ok {
				t.Errorf("09 in %s: %s, worked out by hand none", r["township"], r["actual"])
			}
			expect(t, "09 in "+r["township"], r, "actual", want)
		}
		if others+len(handlake.Townships09) != len(county.Townships) {
			t.Errorf("09: %d townships listed and %d others, the county has %d", len(rows)-1, others, len(county.Townships))
		}
	})

	t.Run("TownshipFractions", func(t *testing.T) {
		for _, c := range []struct {
			asOf, code, township string
			num, den             float64
			meets                string
		}{
			{"2024-06-30", "19a", "松兹街道", 2, 2, "true"},
			{"2024-06-30", "19a", "孚玉镇", 0, 1, "false"},
			{"2024-10-31", "19a", "松兹街道", 2, 3, "false"},
			{"2024-10-31", "19a", "孚玉镇", 1, 1, "true"},
			{"2024-06-30", "16b", "松兹街道", 1000.00, 1, "false"},
			{"2024-10-31", "16b", "松兹街道", 2201.01, 2, "true"},
		} {
			expect(t, c.code+" in "+c.township+" at "+c.asOf,
				townships.one(t, "as_of", c.asOf, "code", c.code, "township", c.township),
				"numerator", c.num, "denominator", c.den, "meets", c.meets)
		}
	})

	t.Run("Parts", func(t *testing.T) {
		expect(t, "10 at 10-31", readGolden(t, "target_details.csv").one(t, "as_of", handlake.DataEnd, "code", "10"),
			"part_values", "10a=2|10b=1|10c=0")
	})

	checks := readGolden(t, "checks.csv")
	t.Run("CheckViolations", func(t *testing.T) {
		checked := map[string]int{
			"09_living_cap": 2, "09_medical_cap": 2, "09_study_cap": 1, "10a_age": 3, "10a_amount_cap": 2,
			"10a_living_cap": 2, "overlap_10a_10b": 2, "18_village_without_society": 213,
			"19a_tekun_full_subsidy": 1, "19b_category_mismatch": 5, "20_missing_month": 20,
		}
		for _, r := range checks.rows {
			want, ok := handlake.CheckViolations[r["name"]]
			expect(t, r["name"], r, "as_of", handlake.DataEnd, "violations", float64(want), "checked", checked[r["name"]])
			if !ok && r["violations"] != "0" {
				t.Errorf("%s: %s violations; the hand lake has no rows for it", r["name"], r["violations"])
			}
		}
		for name := range handlake.CheckViolations {
			checks.one(t, "name", name)
		}
		// per lead unit: the sums of its checks
		sums := map[string][3]int{}
		for _, r := range checks.rows {
			v, _ := strconv.Atoi(r["violations"])
			s := sums[r["lead_unit"]]
			s[0]++
			if v > 0 {
				s[1]++
			}
			s[2] += v
			sums[r["lead_unit"]] = s
		}
		units := readGolden(t, "check_units.csv")
		if len(units.rows) != len(sums) {
			t.Errorf("check_units.csv: %d lead units, checks.csv %d", len(units.rows), len(sums))
		}
		for u, s := range sums {
			expect(t, "check_units.csv "+u, units.one(t, "lead_unit", u), "checks", s[0], "failing", s[1], "violations", s[2])
		}
	})

	t.Run("Overlaps", func(t *testing.T) {
		overlaps := readGolden(t, "overlaps.csv")
		if len(overlaps.rows) != 2 {
			t.Errorf("overlaps.csv: %d pairs, worked out by hand 2", len(overlaps.rows))
		}
		expect(t, "10a~10b", overlaps.one(t, "code_a", "10a", "code_b", "10b"), "persons", 1, "same_lead_unit", "true")
		expect(t, "09~16a", overlaps.one(t, "code_a", "09", "code_b", "16a"), "persons", 2, "same_lead_unit", "false")
	})

	t.Run("EnrollmentCases", func(t *testing.T) {
		enrollment := readGolden(t, "enrollment.csv")
		row := func(asOf, township string, want handlake.Enrollment, meets, supervise string) {
			t.Helper()
			rate := math.NaN()
			if want.Eligible() > 0 {
				rate = want.Rate()
			}
			expect(t, township+" at "+asOf, enrollment.one(t, "as_of", asOf, "township", township),
				"roster", int(want.Roster), "exempt", int(want.Exempt), "enrolled", int(want.Enrolled),
				"eligible", int(want.Eligible()), "rate", rate, "meets", meets, "supervise", supervise, "target", 0.99)
		}
		for _, c := range handlake.EnrollmentCases {
			expect(t, "county at "+c.AsOf, enrollment.one(t, "as_of", c.AsOf, "township", "(county)"), "snapshot_on", c.SnapshotOn, "data_as_of", c.AsOf)
			row(c.AsOf, "(county)", c.County, strconv.FormatBool(c.County.Rate() >= 0.99), "")
			for name, want := range c.Townships {
				row(c.AsOf, name, want, strconv.FormatBool(want.Meets), strconv.FormatBool(want.Supervise))
			}
			others := fmt.Sprintf("*others(%d)", len(county.Townships)-len(c.Townships))
			row(c.AsOf, others, handlake.Enrollment{}, "false", "false")
		}
		// before the first snapshot (01-15): nobody on the roster, nothing to judge
		expect(t, "county at 01-10", enrollment.one(t, "as_of", "2024-01-10", "township", "(county)"),
			"snapshot_on", "", "roster", 0, "rate", "")
	})

	t.Run("ClaimsByGroup", func(t *testing.T) {
		claims := readGolden(t, "claims_by_group.csv")
		for _, c := range []struct {
			asOf, group      string
			claims, right    int
			ratio, meetsWant string
		}{
			{"2024-06-30", "特困人员", 0, 0, "0.9", "false"},
			{"2024-06-30", "低保对象", 2, 1, "0.75", "false"},
			{"2024-06-30", "低保边缘家庭成员", 1, 1, "0.6", "true"},
			{"2024-06-30", "脱贫人口", 1, 0, "", "false"},
			{"2024-10-31", "特困人员", 1, 0, "0.9", "false"},
			{"2024-10-31", "低保对象", 3, 2, "0.75", "false"},
			{"2024-10-31", "低保边缘家庭成员", 1, 1, "0.6", "true"},
			{"2024-10-31", "脱贫人口", 0, 0, "", "false"},
		} {
			rate := math.NaN()
			if c.claims > 0 {
				rate = float64(c.right) / float64(c.claims)
			}
			expect(t, c.group+" at "+c.asOf, claims.one(t, "as_of", c.asOf, "person_group", c.group),
				"claims", c.claims, "compliant", c.right, "rate", rate, "ratio", c.ratio, "meets", c.meetsWant,
				"claims_target", 1)
		}
		// the groups add up to 19b
		for _, asOf := range detailDates {
			var n, right int
			for _, r := range claims.where("as_of", asOf) {
				a, _ := strconv.Atoi(r["claims"])
				b, _ := strconv.Atoi(r["compliant"])
				n, right = n+a, right+b
			}
			expect(t, "19b's claims at "+asOf, targets.one(t, "as_of", asOf, "code", "19b"),
				"numerator", right, "denominator", n)
		}
	})

	t.Run("Violations", func(t *testing.T) {
		v := readGolden(t, "violations.csv")
		person := func(name string, p handlake.Person, kv ...any) {
			t.Helper()
			rows := v.where("check", name)
			if len(rows) != 1 {
				t.Errorf("%s: %d violations, worked out by hand 1", name, len(rows))
				return
			}
			expect(t, name, rows[0], append([]any{"person_id_masked", maskID(p.ID), "name_masked", maskName(p.Name),
				"township", p.Township, "as_of", handlake.DataEnd}, kv...)...)
		}
		person("09_medical_cap", handlake.B, "record_on", "2024-07-01", "amount_yuan", 1200, "limit_yuan", 1000)
		person("overlap_10a_10b", handlake.Q)
		person("19a_tekun_full_subsidy", handlake.P1)
		person("19b_category_mismatch", handlake.P1, "record_on", "2024-08-01", "amount_yuan", 750)
		var months []string
		for _, r := range v.where("check", "20_missing_month") {
			expect(t, "20_missing_month", r, "person_id_masked", maskID(handlake.M.ID), "name_masked", maskName(handlake.M.Name))
			months = append(months, r["record_on"])
		}
		want := []string{"2024-02-01", "2024-04-01", "2024-05-01", "2024-06-01", "2024-07-01", "2024-08-01",
			"2024-09-01", "2024-10-01"}
		if !slices.Equal(months, want) {
			t.Errorf("20_missing_month: %v, worked out by hand M's %v", months, want)
		}
		seen := map[string]bool{}
		for _, r := range v.where("check", "18_village_without_society") {
			k := r["township"] + "/" + r["village"]
			if seen[k] || !county.HasVillage(r["township"], r["village"]) {
				t.Errorf("18_village_without_society: %s twice or not a village of the county", k)
			}
			seen[k] = true
		}
		if len(seen) != county.VillageCount() {
			t.Errorf("18_village_without_society: %d villages, the county has %d", len(seen), county.VillageCount())
		}
		for _, r := range v.rows {
			if _, ok := handlake.CheckViolations[r["check"]]; !ok {
				t.Errorf("violations.csv: a violation of %s, which has none by hand", r["check"])
			}
		}
	})

	t.Run("Unenrolled", func(t *testing.T) {
		u := readGolden(t, "unenrolled.csv")
		for _, asked := range []string{"", "松兹街道"} {
			expect(t, "unenrolled, asked "+asked, u.one(t, "asked", asked),
				"as_of", handlake.DataEnd, "snapshot_on", "2024-07-01", "unenrolled", 1, "township", "松兹街道",
				"person_id_masked", maskID(handlake.P7.ID), "name_masked", maskName(handlake.P7.Name),
				"village", handlake.P7.Village, "person_group", "低保对象", "has_no_enrollment_row", "true",
				"roster", 3, "exempt", 0, "enrolled", 2, "eligible", 3)
		}
		if len(u.rows) != 2 {
			t.Errorf("unenrolled.csv: %d rows; by hand only P7, asked for the county and for 松兹街道", len(u.rows))
		}
	})

	t.Run("Years", func(t *testing.T) {
		expect(t, "years.csv", readGolden(t, "years.csv").one(t, "year", strconv.Itoa(handlake.Year)),
			"data_end", handlake.DataEnd, "checks_as_of", handlake.DataEnd, "townships", strings.Join(county.Townships, "|"))
	})
}

// yearProgress is the time progress (序时进度) of a day: its day of the year over the year's days.
func yearProgress(t *testing.T, day string) float64 {
	t.Helper()
	d := date(t, day)
	days := time.Date(d.Year(), 12, 31, 0, 0, 0, 0, time.UTC).YearDay()
	return float64(d.YearDay()) / float64(days)
}

// ruled holds a row of targets.csv or monthly.csv, whose values are of the day on, to the rules
// of the plan: its time progress, completion, status and lagging.
func ruled(t *testing.T, what string, r, plan map[string]string, on string, lagBand float64) {
	t.Helper()
	tp := yearProgress(t, on)
	expect(t, what, r, "time_progress", tp)
	if _, ok := r["data_as_of"]; ok {
		expect(t, what, r, "data_as_of", dataAsOf(r["as_of"]))
	}
	if _, ok := r["lag_band_points"]; ok {
		expect(t, what, r, "lag_band_points", lagBand)
	}
	target, _ := strconv.ParseFloat(plan["target"], 64)
	actual, err := strconv.ParseFloat(r["actual"], 64)
	status := ""
	switch {
	case plan["kind"] == minsheng.KindMonitor:
		status = "监测"
	case err != nil:
		status = "无数据"
	case plan["kind"] == minsheng.KindCount:
		c := actual / target
		expect(t, what, r, "completion", c)
		switch {
		case actual >= target:
			status = "已完成"
		case c >= tp:
			status = "正常"
		case (tp-c)*100 <= lagBand:
			status = "滞后"
		default:
			status = "严重滞后"
		}
	case actual >= target:
		status = "达标"
	default:
		status = "未达标"
	}
	expect(t, what, r, "status", status)
	if plan["kind"] != minsheng.KindCount {
		expect(t, what, r, "completion", "")
	}
	if l, ok := r["lagging"]; ok {
		want := strconv.FormatBool(status == "滞后" || status == "严重滞后" || status == "未达标")
		if l != want {
			t.Errorf("%s: lagging %s with status %s", what, l, status)
		}
	}
}
