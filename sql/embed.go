// Package sql holds the warehouse's DuckDB SQL, embedded in the binary: staging models (one per
// source, renaming and casting only), marts (the indicators, checks and breakdowns) and data
// tests (queries that must return no rows). The warehouse package runs them in the order given
// here; nothing else decides what the SQL computes.
//
// A model is a SELECT named after its file; where it lives says how the warehouse keeps it:
//
//	staging/stg_*.sql  a view over the lake (the committed Parquet files): nothing is copied, and
//	                   the staging views stay queryable beside the marts for drill-down
//	marts/int_*.sql    a temporary table: intermediate, read by later models and the data tests
//	                   during the build, not kept in the warehouse
//	marts/mart_*.sql   a table kept in the warehouse: what the API reads
//	a file whose first statement starts with `create` (macros.sql) is run as written; macros
//	are kept in the warehouse for the API to call
package sql

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed staging marts tests
var files embed.FS

// Marts is the build order of marts/: each model reads only staging tables, the tables the
// warehouse loads (plan_*, county_villages, registry_*, lake_files) and the models before it.
// TestBuildOrder holds the list to that.
var Marts = []string{
	"macros",
	"int_plan_years",
	"int_calendar",
	"int_roster",
	"int_roster_snapshots",
	"int_enrollment_persons",
	"int_enrollment_snapshot",
	"int_worker_aid_deduped",
	"int_aid_deduped",
	"int_medical_claims",
	"int_indicator_keys",
	"int_indicator_events",
	"int_indicator_daily_township",
	"int_indicator_measures",
	"mart_indicator_daily",
	"mart_indicator_by_township",
	"mart_indicator_monthly",
	"mart_indicator_by_category",
	"mart_claims_by_group",
	"mart_enrollment_by_township",
	"mart_enrollment_unenrolled",
	"mart_person_overlap",
	"int_check_catalog",
	"mart_check_violations",
	"mart_checks",
}

// How a model is kept (see the package comment).
const (
	View      = "view"
	TempTable = "temp table"
	Table     = "table"
	DDL       = "ddl" // run as written
)

// Model is one SQL file.
type Model struct {
	Name            string // the file name without .sql: what a model builds, or the test's name
	Path            string // inside the embedded tree, e.g. "staging/stg_worker_aid.sql"
	SQL             string
	Materialization string // View, TempTable, Table or DDL; "" for a data test
}

// Create is the statement that builds the model.
func (m Model) Create() string {
	if m.Materialization == DDL {
		return m.SQL
	}
	return "create " + m.Materialization + " " + m.Name + " as\n" + m.SQL
}

// FS is the embedded tree, for tools that list or print the SQL.
func FS() fs.FS { return files }

// Models returns the models in build order: every staging model (they depend only on the lake),
// then the marts in Marts order.
func Models() ([]Model, error) {
	staging, err := dir("staging")
	if err != nil {
		return nil, err
	}
	byName := map[string]Model{}
	marts, err := dir("marts")
	if err != nil {
		return nil, err
	}
	for _, m := range marts {
		byName[m.Name] = m
	}
	out := staging
	for _, name := range Marts {
		m, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("sql: marts/%s.sql is in the build order but not embedded", name)
		}
		delete(byName, name)
		out = append(out, m)
	}
	for name := range byName {
		return nil, fmt.Errorf("sql: marts/%s.sql is not in the build order (sql.Marts)", name)
	}
	return out, nil
}

// Tests returns the data tests, by name.
func Tests() ([]Model, error) { return dir("tests") }

func dir(name string) ([]Model, error) {
	entries, err := fs.ReadDir(files, name)
	if err != nil {
		return nil, fmt.Errorf("sql: %w", err)
	}
	var out []Model
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		p := path.Join(name, e.Name())
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return nil, fmt.Errorf("sql: %w", err)
		}
		text := strings.TrimRight(strings.TrimSpace(string(b)), ";")
		m := Model{Name: strings.TrimSuffix(e.Name(), ".sql"), Path: p, SQL: text}
		switch {
		case name == "tests":
		case strings.HasPrefix(strings.ToLower(firstStatement(text)), "create"):
			m.Materialization = DDL
		case name == "staging":
			m.Materialization = View
		case strings.HasPrefix(m.Name, "int_"):
			m.Materialization = TempTable
		default:
			m.Materialization = Table
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// firstStatement is the text after the leading comment lines.
func firstStatement(s string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "--") {
			continue
		}
		return line
	}
	return ""
}
