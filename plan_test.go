package minsheng

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// shipped2024 is the shipped 2024 year file, for tests that break it one way at a time.
func shipped2024(t *testing.T) string {
	t.Helper()
	b, err := defaults.ReadFile("config/targets/2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineOf is the 1-based line of the first line of text holding s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in the plan", s)
	return 0
}

// TestPlanRefusals: a plan the SQL would not understand is refused with one bilingual message
// naming the line of the year file, never built into answers of 0.
func TestPlanRefusals(t *testing.T) {
	reg, err := LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	base := shipped2024(t)
	for _, c := range []struct {
		name, from, to, lineOf string
		want                   []string
	}{
		{"unknown measure", "measure: care_person_times", "measure: care_persons_times", `code: "11b"`,
			[]string{"未知的计算口径", "unknown measure \"care_persons_times\"", "care_person_times"}},
		{"measure of another kind", "measure: mean_subsidy_closed_cases, kind: standard", "measure: mean_subsidy_closed_cases, kind: count", `code: "16b"`,
			[]string{"does not fit a count"}},
		{"missing threshold", "thresholds: {standard_yuan: 86}", "thresholds: {}", `code: "15"`,
			[]string{"需要阈值 standard_yuan", "needs the threshold standard_yuan"}},
		{"missing check limit", "thresholds: {min_head_age: 60}", "thresholds: {}", `name: 13a_age`,
			[]string{"核查 13a_age", "rule household_head_age needs the threshold min_head_age"}},
		{"missing plan setting", "  urban_dibao_yuan_per_month: 780", "  other_setting: 1", `name: 09_living_cap`,
			[]string{"needs the plan setting urban_dibao_yuan_per_month"}},
		{"a threshold nothing reads", "thresholds: {min_head_age: 60}", "thresholds: {min_head_age: 60, min_head_aeg: 60}", `code: "13a"`,
			[]string{"min_head_aeg", "a typo"}},
		{"two targets, one code", `code: "10b"`, `code: "10a"`, `item: "(十)2"`,
			[]string{"重复", "code \"10a\" empty or repeated"}},
		{"unknown rule", "rule: care_age", "rule: care_ages", "rule: care_age",
			[]string{"未知的规则", "unknown rule \"care_ages\""}},
		{"rule on the wrong target", `{name: 11b_age, target: "11b"`, `{name: 11b_age, target: "12"`, `name: 11b_age`,
			[]string{"rule care_age belongs to a target of measure care_person_times"}},
		{"two checks, one name", "name: 11b_age", "name: 11b_paid_to_person", "rule: care_age",
			[]string{"check name \"11b_paid_to_person\" empty or repeated"}},
		{"sum_of_parts without parts", "measure: households_accessibility_mod", "measure: sum_of_parts", `code: "12"`,
			[]string{"sum_of_parts"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(base, c.from) {
				t.Fatalf("%q is not in the shipped plan", c.from)
			}
			text := strings.Replace(base, c.from, c.to, 1)
			_, err := ParsePlan([]byte(text), reg)
			if err == nil {
				t.Fatal("accepted")
			}
			e, ok := err.(*Error)
			if !ok || e.Code != EINVALID {
				t.Fatalf("not a bilingual invalid error: %T %v", err, err)
			}
			line := lineOf(t, text, c.lineOf)
			for _, want := range append(c.want, "第 "+itoa(line)+" 行", "line "+itoa(line)+":") {
				if !strings.Contains(e.Zh+" / "+e.En, want) {
					t.Errorf("%q lacks %q", e.Message(), want)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestLoadPlansNamesTheFile: the message of a refused file names the file and its line.
func TestLoadPlansNamesTheFile(t *testing.T) {
	reg, _ := LoadRegistry("")
	dir := t.TempDir()
	text := strings.Replace(shipped2024(t), "measure: legal_aid_cases", "measure: legal_aid_case", 1)
	if err := os.WriteFile(dir+"/2024.yaml", []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadPlans(dir, reg)
	want := "line " + itoa(lineOf(t, text, "legal_aid_case,")) + ":"
	if err == nil || !strings.Contains(ErrorMessage(err), "2024.yaml") || !strings.Contains(ErrorMessage(err), want) {
		t.Fatalf("%v: want the file and %q", err, want)
	}
}

// TestCheckDescriptionsFromPlan: what people read of a check is made from the plan's values.
func TestCheckDescriptionsFromPlan(t *testing.T) {
	reg, _ := LoadRegistry("")
	text := strings.Replace(shipped2024(t), "living_cap_months: 12", "living_cap_months: 15", 1)
	text = strings.Replace(text, "max_yearly_limb_yuan: 18000", "max_yearly_limb_yuan: 20000.5", 1)
	p, err := ParsePlan([]byte(text), reg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"09_living_cap":  "生活救助年度合计超过城市低保标准的15倍",
		"09_study_cap":   "子女助学年度合计超过城市低保标准的10倍",
		"10a_amount_cap": "儿童年度康复救助金额超过15000元(肢体或脑瘫20000.5元)",
		"11b_age":        "服务月份时年龄不在16至59周岁",
		"13a_age":        "户主验收时未满60周岁",
	}
	for _, c := range p.Checks {
		if w, ok := want[c.Name]; ok && p.Description(c) != w {
			t.Errorf("%s: %q, want %q", c.Name, p.Description(c), w)
		}
	}
}

// TestCatalog: the shipped catalog parses, and a description naming a setting the rule does not
// have is refused.
func TestCatalog(t *testing.T) {
	cat, err := ShippedCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Measures) < 19 || len(cat.Rules) < 15 {
		t.Errorf("%d measures, %d rules", len(cat.Measures), len(cat.Rules))
	}
	bad := "measures: {m: {value: count, kinds: [count]}}\nrules: {r: {measure: m, subject: person, description_zh: 超过{cap}元}}\n"
	if _, err := ParseCatalog([]byte(bad)); err == nil || !strings.Contains(err.Error(), "{cap}") {
		t.Errorf("a description with an unknown setting: %v", err)
	}
	if _, err := ParseCatalog([]byte("measures: {m: {value: sum, kinds: [count]}}\n")); err == nil {
		t.Error("an unknown value form accepted")
	}
}
