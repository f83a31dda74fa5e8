package sql

import (
	"regexp"
	"strings"
	"testing"
)

// TestBuildOrder: every model reads only models built before it, so the explicit order in Marts
// is a real dependency order, and every model states its grain.
func TestBuildOrder(t *testing.T) {
	models, err := Models()
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, m := range models {
		pos[m.Name] = i
	}
	for i, m := range models {
		if m.Materialization != DDL && !strings.Contains(m.SQL, "-- grain:") {
			t.Errorf("%s: no `-- grain:` comment", m.Path)
		}
		if !hasOnlyLowerSQL(m.SQL) {
			t.Errorf("%s: SQL keywords are written lower-case", m.Path)
		}
		for name, j := range pos {
			if name == m.Name || !references(m.SQL, name) {
				continue
			}
			if j > i {
				t.Errorf("%s reads %s, which is built after it", m.Path, name)
			}
		}
		if strings.HasPrefix(m.Name, "mart_") && m.Materialization != Table ||
			strings.HasPrefix(m.Name, "int_") && m.Materialization != TempTable ||
			strings.HasPrefix(m.Name, "stg_") && m.Materialization != View {
			t.Errorf("%s is kept as %q", m.Path, m.Materialization)
		}
		if strings.HasPrefix(m.Path, "staging/") {
			want := "lake_" + strings.TrimPrefix(m.Name, "stg_")
			if !references(m.SQL, want) {
				t.Errorf("%s does not read %s", m.Path, want)
			}
		}
	}
	tests, err := Tests()
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) == 0 {
		t.Fatal("no data tests")
	}
	for _, tt := range tests {
		if tt.Materialization != "" || strings.HasPrefix(strings.ToLower(firstStatement(tt.SQL)), "create") {
			t.Errorf("%s: a data test is a query", tt.Path)
		}
	}
}

func references(sql, name string) bool {
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`).MatchString(stripComments(sql))
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// hasOnlyLowerSQL allows upper case inside string literals and comments only.
func hasOnlyLowerSQL(s string) bool {
	code := regexp.MustCompile(`'[^']*'`).ReplaceAllString(stripComments(s), "''")
	return code == strings.ToLower(code)
}

func TestModelsAreUnique(t *testing.T) {
	models, err := Models()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range models {
		if seen[m.Name] {
			t.Errorf("model %s defined twice", m.Name)
		}
		seen[m.Name] = true
	}
}
