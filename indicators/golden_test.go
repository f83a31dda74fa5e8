package indicators_test

// Golden answers: every answer of the Snapshot on the hand lake, flattened into CSV text and
// compared whole with testdata/<answer>.csv, as Rill's runtime compares query results. Any change
// to any number, word, order or row fails with a diff; when a change is meant,
//
//	go test ./indicators -run TestGolden -update
//
// rewrites the files, and the diff is reviewed like code. The golden files are not trusted
// blindly: TestGoldenIsHandWorked (handworked_test.go) reads them back and holds every value
// worked out by hand in package handlake against them, so an -update that bakes in a wrong
// number still fails.

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/internal/handlake"
)

var update = flag.Bool("update", false, "rewrite indicators/testdata/*.csv from the answers")

// goldenDates are the as-of dates of the year's list (targets.csv): before the first record,
// mid-year, the newest record date and after it, with every date of handlake.IndicatorCases.
var goldenDates = []string{
	"2024-01-10", "2024-02-15", "2024-02-29", "2024-03-04", "2024-03-05", "2024-03-31",
	"2024-04-30", "2024-06-30", "2024-08-31", "2024-09-01", "2024-10-31", "2024-12-31",
}

// detailDates are the as-of dates of the larger answers: one target's detail, the enrollment
// assessment and the claims by group.
var detailDates = []string{"2024-01-10", "2024-03-05", "2024-06-30", "2024-09-01", "2024-10-31", "2024-12-31"}

// table is one golden file: a header and its rows, all text.
type table struct {
	name   string
	header []string
	rows   [][]string
}

func (tb *table) add(row ...string) {
	if len(row) != len(tb.header) {
		panic(fmt.Sprintf("%s: row of %d fields, header of %d", tb.name, len(row), len(tb.header)))
	}
	tb.rows = append(tb.rows, row)
}

func (tb *table) csv() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(tb.header)
	w.WriteAll(tb.rows) // flushes
	if err := w.Error(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// The text of a value: deterministic, "" for null.
func num(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }

func fptr(v *float64) string {
	if v == nil {
		return ""
	}
	return num(*v)
}

func iptr(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

func bptr(v *bool) string {
	if v == nil {
		return ""
	}
	return strconv.FormatBool(*v)
}

func i64(v int64) string    { return strconv.FormatInt(v, 10) }
func boolean(v bool) string { return strconv.FormatBool(v) }

func date(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// compareGolden compares the table's text with testdata/<name>, or rewrites it under -update.
func compareGolden(t *testing.T, tb *table) {
	t.Helper()
	path := filepath.Join("testdata", tb.name)
	got := tb.csv()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d rows", path, len(tb.rows))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./indicators -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the answers (- golden, + answer; review, then go test ./indicators -update):\n%s",
			path, lineDiff(string(want), string(got)))
	}
}

// lineDiff is a unified-style diff of two texts by line: the changed lines with two lines of
// context, each hunk headed by its line numbers, at most 80 lines of output.
func lineDiff(a, b string) string {
	x, y := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	// the longest common subsequence, by dynamic programming from the ends
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		line string
		ai   int // line number in a (1-based) of ' ' and '-'
		bi   int // line number in b of ' ' and '+'
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, op{' ', x[i], i + 1, j + 1})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', x[i], i + 1, j + 1})
			i++
		default:
			ops = append(ops, op{'+', y[j], i + 1, j + 1})
			j++
		}
	}
	const context, limit = 2, 80
	var out strings.Builder
	lines := 0
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		// a hunk: from context lines before the change to context lines after the last change
		// that is within 2×context of the next
		start := max(0, k-context)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			next := end
			for next < len(ops) && ops[next].kind == ' ' {
				next++
			}
			if next == len(ops) || next-end > 2*context {
				break
			}
			end = next
		}
		end = min(len(ops), end+context)
		fmt.Fprintf(&out, "@@ golden line %d, answer line %d @@\n", ops[start].ai, ops[start].bi)
		for _, o := range ops[start:end] {
			if lines == limit {
				out.WriteString("... (more differences)\n")
				return out.String()
			}
			out.WriteByte(o.kind)
			out.WriteString(strings.TrimSuffix(o.line, "\n"))
			out.WriteByte('\n')
			lines++
		}
		k = end
	}
	return out.String()
}

// collapse lists a breakdown by township: each township whose values differ from the most common
// values of the list on its own row, in profile order, then one row "*others(N)" with the
// values the remaining N share. A change to any township's values moves it into or out of the
// others, so it shows; "(none)" is a list without any township.
func collapse(rows [][]string) [][]string {
	if len(rows) == 0 {
		return nil
	}
	key := func(r []string) string { return strings.Join(r[1:], "\x00") }
	count := map[string]int{}
	common := ""
	for _, r := range rows {
		count[key(r)]++
		if count[key(r)] > count[common] {
			common = key(r)
		}
	}
	var out [][]string
	var shared []string
	for _, r := range rows {
		if key(r) == common {
			shared = r[1:]
			continue
		}
		out = append(out, r)
	}
	return append(out, append([]string{fmt.Sprintf("*others(%d)", count[common])}, shared...))
}

// plans gathers the fixed fields of the year's targets from every answer that carries them: a
// target whose fixed fields differed between two answers would give two rows.
type plans struct {
	tb   *table
	seen map[string]bool
}

func newPlans() *plans {
	return &plans{tb: &table{name: "plan.csv", header: []string{"code", "item", "title", "lead_unit",
		"kind", "unit", "measure", "target", "parent", "parts"}}, seen: map[string]bool{}}
}

func (p *plans) add(tg indicators.Target) {
	row := []string{tg.Code, tg.Item, tg.Title, tg.LeadUnit, tg.Kind, tg.Unit, tg.Measure, fptr(tg.Target),
		tg.Parent, strings.Join(tg.Parts, "|")}
	if k := strings.Join(row, "\x00"); !p.seen[k] {
		p.seen[k] = true
		p.tb.add(row...)
	}
}

// TestGolden compares every answer of the Snapshot on the hand lake with its golden CSV file.
func TestGolden(t *testing.T) {
	s := handSnapshot(t)
	yr := handlake.Year
	plan := newPlans()

	years := &table{name: "years.csv", header: []string{"year", "data_end", "checks_as_of", "townships"}}
	for _, y := range s.Years() {
		end, err := s.DataEnd(y)
		if err != nil {
			t.Fatal(err)
		}
		checks, err := s.Checks(y)
		if err != nil {
			t.Fatal(err)
		}
		towns, err := s.Townships(y)
		if err != nil {
			t.Fatal(err)
		}
		years.add(strconv.Itoa(y), end.Format(time.DateOnly), checks.AsOf, strings.Join(towns, "|"))
	}

	// the year's list at every golden date; listAt keeps each date's entries for the details
	targets := &table{name: "targets.csv", header: []string{"as_of", "data_as_of", "time_progress",
		"lag_band_points", "code", "actual", "completion", "status", "lagging", "numerator",
		"denominator", "amount_yuan"}}
	listAt := map[string]map[string]indicators.Target{}
	for _, d := range goldenDates {
		got, err := s.Targets(yr, date(t, d))
		if err != nil {
			t.Fatalf("Targets(%d, %s): %v", yr, d, err)
		}
		if got.Year != yr {
			t.Errorf("Targets(%d, %s): year %d", yr, d, got.Year)
		}
		listAt[d] = map[string]indicators.Target{}
		for _, tg := range got.Targets {
			plan.add(tg)
			listAt[d][tg.Code] = tg
			targets.add(got.AsOf, got.DataAsOf, num(got.TimeProgress), num(got.LagBandPoints), tg.Code,
				fptr(tg.Actual), fptr(tg.Completion), string(tg.Status), boolean(tg.Lagging), fptr(tg.Numerator),
				iptr(tg.Denominator), fptr(tg.AmountYuan))
		}
	}

	// one target at a time: what the detail adds to the list's entry, which it must repeat
	details := &table{name: "target_details.csv", header: []string{"as_of", "code", "data_as_of",
		"time_progress", "lag_band_points", "checks_as_of", "checks", "overlaps", "part_values",
		"by_township", "by_category"}}
	monthly := &table{name: "monthly.csv", header: []string{"as_of", "code", "month", "month_as_of",
		"time_progress", "plan", "actual", "completion", "status"}}
	townships := &table{name: "townships.csv", header: []string{"as_of", "code", "township", "actual",
		"numerator", "denominator", "amount_yuan", "meets"}}
	categories := &table{name: "categories.csv", header: []string{"as_of", "code", "category", "persons",
		"amount_yuan"}}
	allChecks, err := s.Checks(yr)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range detailDates {
		for _, code := range codesOf(t, s, yr) {
			got, err := s.Target(yr, code, date(t, d))
			if err != nil {
				t.Fatalf("Target(%d, %s, %s): %v", yr, code, d, err)
			}
			plan.add(got.Target)
			if want, ok := listAt[d][code]; !ok || !reflect.DeepEqual(got.Target, want) {
				t.Errorf("Target(%s, %s) = %+v, the list says %+v", code, d, got.Target, want)
			}
			var checkNames, overlaps, parts []string
			for _, c := range got.Checks {
				checkNames = append(checkNames, c.Name)
				if !containsCheck(allChecks.Checks, c) || c.TargetCode != code {
					t.Errorf("Target(%s, %s): check %+v is not the year's check of %s", code, d, c, code)
				}
			}
			for _, o := range got.Overlaps {
				overlaps = append(overlaps, fmt.Sprintf("%s~%s=%d", o.CodeA, o.CodeB, o.Persons))
			}
			for _, p := range got.PartValues {
				plan.add(p)
				parts = append(parts, p.Code+"="+fptr(p.Actual))
				if want := listAt[d][p.Code]; !reflect.DeepEqual(p, want) {
					t.Errorf("Target(%s, %s): part %+v, the list says %+v", code, d, p, want)
				}
			}
			details.add(got.AsOf, code, got.DataAsOf, num(got.TimeProgress), num(got.LagBandPoints),
				got.ChecksAsOf, strings.Join(checkNames, "|"), strings.Join(overlaps, "|"),
				strings.Join(parts, "|"), strconv.Itoa(len(got.ByTownship)), strconv.Itoa(len(got.ByCategory)))
			for _, m := range got.Monthly {
				monthly.add(got.AsOf, code, m.Month, m.AsOf, num(m.TimeProgress), fptr(m.Plan), fptr(m.Actual),
					fptr(m.Completion), string(m.Status))
			}
			var rows [][]string
			for _, tw := range got.ByTownship {
				rows = append(rows, []string{tw.Township, fptr(tw.Actual), fptr(tw.Numerator), iptr(tw.Denominator),
					fptr(tw.AmountYuan), bptr(tw.Meets)})
			}
			if len(rows) == 0 {
				townships.add(got.AsOf, code, "(none)", "", "", "", "", "")
			}
			for _, r := range collapse(rows) {
				townships.add(append([]string{got.AsOf, code}, r...)...)
			}
			for _, c := range got.ByCategory {
				categories.add(got.AsOf, code, c.Category, i64(c.Persons), num(c.AmountYuan))
			}
		}
	}

	enrollment := &table{name: "enrollment.csv", header: []string{"as_of", "data_as_of", "snapshot_on",
		"target", "township", "roster", "exempt", "enrolled", "eligible", "rate", "meets", "supervise"}}
	claims := &table{name: "claims_by_group.csv", header: []string{"as_of", "data_as_of", "claims_target",
		"person_group", "ratio", "claims", "compliant", "rate", "meets"}}
	for _, d := range detailDates {
		e, err := s.Enrollment(yr, date(t, d))
		if err != nil {
			t.Fatalf("Enrollment(%d, %s): %v", yr, d, err)
		}
		if e.Year != yr {
			t.Errorf("Enrollment(%s): year %d", d, e.Year)
		}
		c := e.County
		enrollment.add(e.AsOf, e.DataAsOf, e.SnapshotOn, num(e.Target), "(county)", i64(c.Roster), i64(c.Exempt),
			i64(c.Enrolled), i64(c.Eligible), fptr(c.Rate), boolean(e.Meets), "")
		var rows [][]string
		for _, tw := range e.Townships {
			rows = append(rows, []string{tw.Township, i64(tw.Roster), i64(tw.Exempt), i64(tw.Enrolled),
				i64(tw.Eligible), fptr(tw.Rate), boolean(tw.Meets), boolean(tw.Supervise)})
		}
		for _, r := range collapse(rows) {
			enrollment.add(append([]string{e.AsOf, e.DataAsOf, e.SnapshotOn, num(e.Target)}, r...)...)
		}
		if len(e.ClaimsByGroup) == 0 {
			claims.add(e.AsOf, e.DataAsOf, num(e.ClaimsTarget), "(none)", "", "", "", "", "")
		}
		for _, g := range e.ClaimsByGroup {
			claims.add(e.AsOf, e.DataAsOf, num(e.ClaimsTarget), g.PersonGroup, fptr(g.Ratio), i64(g.Claims),
				i64(g.Compliant), fptr(g.Rate), boolean(g.Meets))
		}
	}

	checks := &table{name: "checks.csv", header: []string{"as_of", "name", "target_code", "lead_unit",
		"subject", "checked", "violations", "description"}}
	for _, c := range allChecks.Checks {
		checks.add(allChecks.AsOf, c.Name, c.TargetCode, c.LeadUnit, c.Subject, i64(c.Checked), i64(c.Violations),
			c.Description)
		if one, err := s.CheckOf(yr, c.Name); err != nil || one != c {
			t.Errorf("CheckOf(%s) = %+v, %v; the list says %+v", c.Name, one, err, c)
		}
	}
	units := &table{name: "check_units.csv", header: []string{"lead_unit", "checks", "failing", "violations"}}
	for _, u := range allChecks.ByLeadUnit {
		units.add(u.LeadUnit, strconv.Itoa(u.Checks), strconv.Itoa(u.Failing), i64(u.Violations))
	}
	overlaps := &table{name: "overlaps.csv", header: []string{"code_a", "code_b", "lead_unit_a", "lead_unit_b",
		"same_lead_unit", "persons"}}
	for _, o := range allChecks.Overlaps {
		overlaps.add(o.CodeA, o.CodeB, o.LeadUnitA, o.LeadUnitB, boolean(o.SameLeadUnit), i64(o.Persons))
	}

	violations := &table{name: "violations.csv", header: []string{"check", "as_of", "person_id_masked",
		"name_masked", "township", "village", "record_on", "amount_yuan", "limit_yuan", "file_sha256", "row"}}
	for _, c := range allChecks.Checks {
		v, err := s.Violations(yr, c.Name)
		if err != nil {
			t.Fatalf("Violations(%s): %v", c.Name, err)
		}
		if v.Check != c || v.Year != yr {
			t.Errorf("Violations(%s): check %+v of %d, the list says %+v", c.Name, v.Check, v.Year, c)
		}
		for _, p := range v.Violations {
			row := ""
			if p.Row != 0 {
				row = i64(p.Row)
			}
			violations.add(c.Name, v.AsOf, p.PersonIDMasked, p.NameMasked, p.Township, p.Village, p.RecordOn,
				fptr(p.AmountYuan), fptr(p.LimitYuan), p.FileSHA256, row)
		}
	}

	unenrolled := &table{name: "unenrolled.csv", header: []string{"asked", "as_of", "target", "snapshot_on",
		"unenrolled", "township", "roster", "exempt", "enrolled", "eligible", "rate", "township_unenrolled",
		"person_id_masked", "name_masked", "village", "person_group", "has_no_enrollment_row",
		"person_snapshot_on", "file_sha256", "row"}}
	towns, _ := s.Townships(yr)
	for _, asked := range append([]string{""}, towns...) {
		u, err := s.Unenrolled(yr, asked)
		if err != nil {
			t.Fatalf("Unenrolled(%q): %v", asked, err)
		}
		head := []string{asked, u.AsOf, num(u.Target), u.SnapshotOn, strconv.Itoa(u.Unenrolled)}
		if len(u.Townships) == 0 {
			if asked == "" {
				unenrolled.add(append(head, "(none)", "", "", "", "", "", "", "", "", "", "", "", "", "", "")...)
			}
			continue // a township not under the target (most of them) has nothing to list: no row
		}
		for _, tw := range u.Townships {
			c := tw.EnrollmentCounts
			tHead := append(append([]string{}, head...), tw.Township, i64(c.Roster), i64(c.Exempt), i64(c.Enrolled),
				i64(c.Eligible), fptr(c.Rate), strconv.Itoa(tw.Unenrolled))
			if len(tw.Persons) == 0 {
				unenrolled.add(append(tHead, "", "", "", "", "", "", "", "")...)
			}
			for _, p := range tw.Persons {
				unenrolled.add(append(tHead, p.PersonIDMasked, p.NameMasked, p.Village, p.PersonGroup,
					boolean(p.NoEnrollmentRow), p.SnapshotOn, p.FileSHA256, i64(p.Row))...)
			}
		}
	}

	for _, tb := range []*table{years, plan.tb, targets, details, monthly, townships, categories, enrollment,
		claims, checks, units, overlaps, violations, unenrolled} {
		t.Run(strings.TrimSuffix(tb.name, ".csv"), func(t *testing.T) { compareGolden(t, tb) })
	}
}

func containsCheck(cs []indicators.Check, c indicators.Check) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// codesOf are the codes of the year's list, in plan order.
func codesOf(t *testing.T, s *indicators.Snapshot, yr int) []string {
	t.Helper()
	got, err := s.Targets(yr, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tg := range got.Targets {
		out = append(out, tg.Code)
	}
	return out
}
