package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

// The tables the SQL reads besides the lake, loaded from the data files the service was started
// with, so the SQL holds no figure of the plan and no name of the county. They stay in the
// warehouse: the API reads the plan and the profile from the same file it reads the marts from.
var loadedTables = []string{
	`create table plan_targets (
		year integer, code varchar, item varchar, lead_unit varchar, title varchar, kind varchar,
		target double, unit varchar, parent_code varchar, sort_order integer,
		measure varchar, value_form varchar)`,
	// measure: the catalog's name the SQL computes the target by (config/measures.yaml);
	// value_form: how the measure makes the actual (count, share, mean_yuan)
	// a year's checks: the rule of the catalog that finds the violations, the target that answers
	// for it (its thresholds are the rule's limits), and the description with the plan's values
	`create table plan_checks (
		year integer, check_name varchar, target_code varchar, rule varchar, subject varchar,
		description_zh varchar, sort_order integer)`,
	// what each measure and rule of the catalog reads from the plan, for plan_settings_present
	`create table catalog_settings (kind varchar, name varchar, setting varchar, plan_wide boolean)`,
	`create table plan_target_parts (year integer, code varchar, part_code varchar)`,
	`create table plan_target_sources (year integer, code varchar, source varchar)`,
	// target_code '' holds the plan-wide settings (urban_dibao_yuan_per_month, lag_band_points);
	// a target's code holds its thresholds
	`create table plan_settings (year integer, target_code varchar, name varchar, value double)`,
	`create table county_villages (
		region_code varchar, township varchar, village varchar, township_order integer, village_order integer)`,
	`create table registry_sources (source varchar, lead_unit varchar, title varchar, date_column varchar, date_field varchar)`,
	`create table registry_enum_values (source varchar, field varchar, value varchar)`,
	// the committed files read, in manifest order: file_seq orders "first" and "later" rows
	`create table lake_files (
		file_seq integer, file_sha256 varchar, source varchar, file_name varchar, lake_file varchar,
		ingested_at timestamptz, ingest_date date, rows_landed integer)`,
}

func loadTables(ctx context.Context, conn *sql.Conn, cfg Config, committed []lake.Entry, counts map[string]int64) error {
	for _, ddl := range loadedTables {
		if _, err := conn.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("warehouse: %w", err)
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	defer tx.Rollback()
	ins := func(table string, rows [][]any) error {
		if len(rows) == 0 {
			return nil
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ")
		st, err := tx.PrepareContext(ctx, "insert into "+table+" values ("+marks+")")
		if err != nil {
			return fmt.Errorf("warehouse: %s: %w", table, err)
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r...); err != nil {
				return fmt.Errorf("warehouse: %s: %w", table, err)
			}
		}
		counts[table] = int64(len(rows))
		return nil
	}

	targets, parts, sources, settings, checks, err := planRows(cfg.Plans)
	if err != nil {
		return err
	}
	catalogSettings, err := catalogRows()
	if err != nil {
		return err
	}
	villages := countyRows(cfg.County)
	regSources, enums := registryRows(cfg.Registry)
	var files [][]any
	for i, e := range committed {
		files = append(files, []any{i + 1, e.SHA256, e.Source, e.FileName, e.LakeFile, e.IngestedAt, e.IngestDate, e.Landed})
	}
	for _, t := range []struct {
		name string
		rows [][]any
	}{
		{"plan_targets", targets}, {"plan_target_parts", parts}, {"plan_target_sources", sources},
		{"plan_settings", settings}, {"plan_checks", checks}, {"catalog_settings", catalogSettings},
		{"county_villages", villages}, {"registry_sources", regSources},
		{"registry_enum_values", enums}, {"lake_files", files},
	} {
		if err := ins(t.name, t.rows); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func planRows(plans map[int]*minsheng.Plan) (targets, parts, sources, settings, checks [][]any, err error) {
	cat, err := minsheng.ShippedCatalog()
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	years := make([]int, 0, len(plans))
	for y := range plans {
		years = append(years, y)
	}
	sort.Ints(years)
	for _, y := range years {
		p := plans[y]
		settings = append(settings, []any{y, "", "lag_band_points", p.LagBandPoints})
		for _, k := range sortedKeys(p.Settings) {
			settings = append(settings, []any{y, "", k, p.Settings[k]})
		}
		for i, t := range p.Targets {
			var target any
			if t.Kind != minsheng.KindMonitor {
				target = t.Target
			}
			m, ok := cat.Measures[t.Measure]
			if !ok {
				return nil, nil, nil, nil, nil, fmt.Errorf("warehouse: %d %s: unknown measure %q", y, t.Code, t.Measure)
			}
			targets = append(targets, []any{y, t.Code, t.Item, t.LeadUnit, t.Title, t.Kind, target, t.Unit, nullIfEmpty(t.Parent), i + 1, t.Measure, m.Value})
			for _, part := range t.Parts {
				parts = append(parts, []any{y, t.Code, part})
			}
			for _, s := range t.Sources {
				sources = append(sources, []any{y, t.Code, s})
			}
			for _, k := range sortedKeys(t.Thresholds) {
				settings = append(settings, []any{y, t.Code, k, t.Thresholds[k]})
			}
		}
		for i, c := range p.Checks {
			r, ok := cat.Rules[c.Rule]
			if !ok {
				return nil, nil, nil, nil, nil, fmt.Errorf("warehouse: %d check %s: unknown rule %q", y, c.Name, c.Rule)
			}
			checks = append(checks, []any{y, c.Name, c.Target, c.Rule, r.Subject, p.Description(c), i + 1})
		}
	}
	return
}

func catalogRows() ([][]any, error) {
	cat, err := minsheng.ShippedCatalog()
	if err != nil {
		return nil, err
	}
	var rows [][]any
	add := func(kind, name string, settings map[string]string, planWide []string) {
		for _, k := range sortedKeys(settings) {
			rows = append(rows, []any{kind, name, k, false})
		}
		for _, k := range planWide {
			rows = append(rows, []any{kind, name, k, true})
		}
	}
	for _, n := range cat.MeasureNames() {
		add("measure", n, cat.Measures[n].Settings, cat.Measures[n].PlanSettings)
	}
	for _, n := range cat.RuleNames() {
		add("rule", n, cat.Rules[n].Settings, cat.Rules[n].PlanSettings)
	}
	return rows, nil
}

func countyRows(c *minsheng.County) [][]any {
	var rows [][]any
	for i, t := range c.Townships {
		for j, v := range c.Villages[t] {
			rows = append(rows, []any{c.RegionCode, t, v, i + 1, j + 1})
		}
	}
	return rows
}

func registryRows(r *minsheng.Registry) (sources, enums [][]any) {
	for _, s := range r.Sources {
		field := ""
		if c, ok := s.Column(s.DateColumn); ok {
			field = c.Field
		}
		sources = append(sources, []any{s.Code, s.LeadUnit, s.Title, s.DateColumn, field})
		for _, c := range s.Columns {
			for _, v := range c.Values {
				enums = append(enums, []any{s.Code, c.Field, v})
			}
		}
	}
	return
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// lakeColumn is one column of a source in the lake, with the DuckDB type the staging models read.
type lakeColumn struct{ name, typ string }

// lakeColumns derives a source's lake columns from the registry by the rules ingest writes them
// by (ingest/schema.go): PII expands into masked and pseudonymous columns, and every row carries
// the file and row it came from.
func lakeColumns(src *minsheng.Source) []lakeColumn {
	cols := []lakeColumn{{"_file_sha256", "varchar"}, {"_row", "integer"}}
	for _, c := range src.Columns {
		switch c.Type {
		case minsheng.TypeName:
			cols = append(cols, lakeColumn{c.Field + "_masked", "varchar"})
		case minsheng.TypeIDNumber:
			cols = append(cols,
				lakeColumn{c.Field + "_id", "uuid"},
				lakeColumn{c.Field + "_id_masked", "varchar"},
				lakeColumn{c.Field + "_age", "smallint"},
				lakeColumn{c.Field + "_sex", "varchar"})
		case minsheng.TypeDisabilityCert:
			cols = append(cols,
				lakeColumn{c.Field + "_masked", "varchar"},
				lakeColumn{c.Field + "_category", "tinyint"},
				lakeColumn{c.Field + "_grade", "tinyint"})
		case minsheng.TypeDate, minsheng.TypeMonth:
			cols = append(cols, lakeColumn{c.Field, "date"})
		case minsheng.TypeMoney:
			cols = append(cols, lakeColumn{c.Field, "decimal(18, 2)"})
		case minsheng.TypeYear:
			cols = append(cols, lakeColumn{c.Field, "smallint"})
		default: // text, enum, township, village
			cols = append(cols, lakeColumn{c.Field, "varchar"})
		}
	}
	return cols
}

// createLakeViews makes lake_<source> for every source of the registry: a view over exactly the
// committed Parquet files of the source (never a glob: a crashed ingest may leave files no
// manifest line commits), with every registry column present and typed even when no file has it
// (a column added to the registry after the files were written), and _file_seq, the file's place
// in the manifest, which orders "first" and "later" rows. _file_seq is looked up by the scan's
// file_index in a constant list, so no row pays for a join and one scan serves any number of
// files. A source with no committed file is an empty table of the same columns, so every model
// runs on a young lake.
//
// The views name the files by absolute path: the marts are tables and need nothing else, while
// the staging views over these read the lake where it was when the warehouse was built.
func createLakeViews(ctx context.Context, conn *sql.Conn, dataDir string, reg *minsheng.Registry, committed []lake.Entry) (absent map[string][]string, err error) {
	type files struct {
		paths []string // SQL literals
		seqs  []string
	}
	bySource := map[string]*files{}
	for i, e := range committed {
		if e.LakeFile == "" {
			continue // landed with no valid row: nothing to read
		}
		p, err := filepath.Abs(lake.Layout{Dir: dataDir}.File(e.LakeFile))
		if err != nil {
			return nil, fmt.Errorf("warehouse: %w", err)
		}
		f := bySource[e.Source]
		if f == nil {
			f = &files{}
			bySource[e.Source] = f
		}
		f.paths = append(f.paths, quoteLiteral(p))
		f.seqs = append(f.seqs, strconv.Itoa(i+1))
	}
	for i := range reg.Sources {
		src := &reg.Sources[i]
		cols := lakeColumns(src)
		view := "lake_" + src.Code
		f := bySource[src.Code]
		if f == nil {
			defs := make([]string, 0, len(cols)+1)
			for _, c := range cols {
				defs = append(defs, quoteIdent(c.name)+" "+c.typ)
			}
			defs = append(defs, "_file_seq integer")
			if _, err := conn.ExecContext(ctx, "create table "+view+" ("+strings.Join(defs, ", ")+")"); err != nil {
				return nil, fmt.Errorf("warehouse: %s: %w", view, err)
			}
			continue
		}
		scan := "read_parquet([" + strings.Join(f.paths, ", ") + "], union_by_name = true)"
		present, err := columnsOf(ctx, conn, scan)
		if err != nil {
			return nil, fmt.Errorf("warehouse: %s: %w", view, err)
		}
		sel := make([]string, 0, len(cols)+1)
		for _, c := range cols {
			expr := "null"
			if present[c.name] {
				expr = "files." + quoteIdent(c.name)
			} else {
				if absent == nil {
					absent = map[string][]string{}
				}
				absent[src.Code] = append(absent[src.Code], c.name)
			}
			sel = append(sel, fmt.Sprintf("cast(%s as %s) as %s", expr, c.typ, quoteIdent(c.name)))
		}
		sel = append(sel, "cast((["+strings.Join(f.seqs, ", ")+"])[cast(files.file_index as bigint) + 1] as integer) as _file_seq")
		q := "create view " + view + " as\nselect\n    " + strings.Join(sel, ",\n    ") + "\nfrom " + scan + " as files"
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("warehouse: %s: %w", view, err)
		}
	}
	return absent, nil
}

// createNameMasks makes person_name_masks: every masked name of the lake's people (张*丰), from
// every name column of the registry. Notes are checked against it: a note naming a person of the
// ledgers ("已走访孙勇强家") would print their name on the leaders' 通报.
func createNameMasks(ctx context.Context, conn *sql.Conn, reg *minsheng.Registry) error {
	var parts []string
	for _, src := range reg.Sources {
		for _, c := range src.Columns {
			if c.Type == minsheng.TypeName {
				parts = append(parts, "select "+quoteIdent(c.Field+"_masked")+" as name_masked from lake_"+src.Code)
			}
		}
	}
	q := "create table person_name_masks (name_masked varchar)"
	if len(parts) > 0 {
		q = "create table person_name_masks as select distinct name_masked from (" + strings.Join(parts, " union all ") +
			") where name_masked is not null"
	}
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("warehouse: person_name_masks: %w", err)
	}
	return nil
}

// columnsOf lists the columns a query yields, from the files' metadata only.
func columnsOf(ctx context.Context, conn *sql.Conn, from string) (map[string]bool, error) {
	rs, err := conn.QueryContext(ctx, "select column_name from (describe select * from "+from+")")
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[string]bool{}
	for rs.Next() {
		var n string
		if err := rs.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rs.Err()
}

func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
