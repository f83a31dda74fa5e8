package sql

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/minsheng/minsheng"
)

func allModels(t *testing.T) []Model {
	t.Helper()
	models, err := Models()
	if err != nil {
		t.Fatal(err)
	}
	tests, err := Tests()
	if err != nil {
		t.Fatal(err)
	}
	return append(models, tests...)
}

// TestCatalogMatchesSQL: config/measures.yaml is exactly what the SQL implements. Every measure
// and rule of the catalog is asked for by name somewhere in sql/, and every name the SQL asks for
// (plan_targets_of, plan_checks_of, measure = '...', rule = '...') is in the catalog, so a plan
// that passes minsheng.ParsePlan never names work the SQL does not do.
func TestCatalogMatchesSQL(t *testing.T) {
	cat, err := minsheng.ShippedCatalog()
	if err != nil {
		t.Fatal(err)
	}
	asked := regexp.MustCompile(`(?:plan_targets_of|plan_checks_of)\(\s*'([a-z0-9_]+)'\s*\)|(?:measure|rule)\s*(?:=|in\s*\()\s*'([a-z0-9_]+)'`)
	used := map[string][]string{}
	for _, m := range allModels(t) {
		for _, g := range asked.FindAllStringSubmatch(stripComments(m.SQL), -1) {
			name := g[1] + g[2]
			used[name] = append(used[name], m.Path)
		}
	}
	known := map[string]bool{}
	for _, n := range cat.MeasureNames() {
		known[n] = true
		if n == "sum_of_parts" {
			continue // the parts' changes are summed by plan_target_parts, whatever the measure
		}
		if len(used[n]) == 0 {
			t.Errorf("measure %s is in config/measures.yaml but no SQL computes it", n)
		}
	}
	for _, n := range cat.RuleNames() {
		known[n] = true
		if len(used[n]) == 0 {
			t.Errorf("rule %s is in config/measures.yaml but no SQL checks it", n)
		}
	}
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !known[n] {
			t.Errorf("%v ask for %q, which config/measures.yaml does not have", used[n], n)
		}
	}
}

// TestNoPlanLiteralsInSQL: the SQL names no target code and no policy number of a plan; both are
// the year file's (issue: a renumbered plan answered 0 for every target).
func TestNoPlanLiteralsInSQL(t *testing.T) {
	code := regexp.MustCompile(`'(?:0[0-9]|1[0-9]|20)[a-c]?(?:_[a-z0-9_]*)?'`)
	byCode := regexp.MustCompile(`code\s*(?:=|in\s*\()\s*'[^']`)
	fallback := regexp.MustCompile(`coalesce\([^()]*(?:\([^()]*\))*[^()]*,\s*[0-9]+(?:\.[0-9]+)?\s*\)`)
	for _, m := range allModels(t) {
		text := stripComments(m.SQL)
		if c := code.FindString(text); c != "" {
			t.Errorf("%s names the code %s", m.Path, c)
		}
		for _, f := range fallback.FindAllString(text, -1) {
			if !strings.HasSuffix(strings.TrimSpace(strings.TrimSuffix(f, ")")), ", 0") {
				t.Errorf("%s falls back to a number: %s", m.Path, f)
			}
		}
		// target_code = '' is the plan-wide settings' row, not a target
		if c := byCode.FindString(text); c != "" {
			t.Errorf("%s selects a target by a literal code (%s...)", m.Path, c)
		}
	}
}
