// Package indicators holds the warehouse's answers in memory: every indicator of every plan year
// at every as-of date of the year, with its breakdowns, checks and the enrollment assessment. It
// is loaded once per warehouse file (Load) and then answers without touching DuckDB, so the API
// and the dashboards serve precomputed numbers and a new build never fails a request: the server
// loads the new file beside the old snapshot and swaps the pointer.
//
// Every number is the warehouse's (sql/). Go only picks the row of the as-of date: values of the
// newest record date when as_of is later, with the time progress and status of as_of itself,
// computed by the warehouse's own indicator_status macro at load.
package indicators

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/warehouse"
)

// Snapshot is one warehouse file's answers.
type Snapshot struct {
	Path     string    // the warehouse file it was loaded from
	LoadedAt time.Time // when it was loaded
	years    map[int]*year
	records  map[int]*records   // record-level answers, masked (records.go)
	names    map[nameKey]string // the ledgers' people's masked names (names.go)
}

// year is one plan year: days are indexed from Jan 1 (0) to Dec 31.
type year struct {
	year          int
	start         time.Time
	dataEnd       time.Time // the newest record date: the last day of the daily marts
	lagBandPoints float64
	targets       []targetInfo
	byCode        map[string]int
	values        [][]Value // [day of year][target], for every day of the year
	townships     []string  // the profile's townships, in profile order
	byTownship    map[string][][]TownshipValue
	categories    map[string][][]CategoryValue // [day up to dataEnd][category]
	enrollment    []Enrollment                 // [day up to dataEnd]
	claimsByGroup [][]ClaimsGroup              // [day up to dataEnd][group of the year], 19b by 人员类别
	checks        []Check
	checksAsOf    time.Time
	overlaps      []Overlap
}

// targetInfo is a target of the year's plan; Measure is the value form of its measure (count,
// share or mean_yuan), as the answers name it.
type targetInfo struct {
	Code, Item, Title, LeadUnit, Kind, Unit, Measure, Parent string
	Target                                                   *float64
	Parts, Sources                                           []string
}

// Load reads every answer of the open warehouse into memory.
func Load(ctx context.Context, db *warehouse.DB) (*Snapshot, error) {
	s := &Snapshot{Path: db.Path(), LoadedAt: time.Now(), years: map[int]*year{}}
	q := db.SQL()
	steps := []func(context.Context, *sql.DB) error{
		s.loadYears, s.loadTargets, s.loadValues, s.loadTownships, s.loadCategories,
		s.loadEnrollment, s.loadClaimsByGroup, s.loadChecks, s.loadOverlaps,
		s.loadRecords, s.loadNames,
	}
	for _, step := range steps {
		if err := step(ctx, q); err != nil {
			return nil, fmt.Errorf("indicators: load %s: %w", db.Path(), err)
		}
	}
	return s, nil
}

func (s *Snapshot) loadYears(ctx context.Context, q *sql.DB) error {
	rs, err := q.QueryContext(ctx, `
		select d.year, max(d.as_of_on), any_value(s.value)
		from mart_indicator_daily as d
		left join plan_settings as s
			on s.year = d.year and s.target_code = '' and s.name = 'lag_band_points'
		group by d.year`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		y := &year{byCode: map[string]int{}, byTownship: map[string][][]TownshipValue{},
			categories: map[string][][]CategoryValue{}}
		var lag sql.NullFloat64
		if err := rs.Scan(&y.year, &y.dataEnd, &lag); err != nil {
			return err
		}
		y.lagBandPoints = lag.Float64
		y.start = time.Date(y.year, 1, 1, 0, 0, 0, 0, time.UTC)
		y.dataEnd = day(y.dataEnd)
		s.years[y.year] = y
	}
	return rs.Err()
}

func (s *Snapshot) loadTargets(ctx context.Context, q *sql.DB) error {
	rs, err := q.QueryContext(ctx, `
		select t.year, t.code, t.item, t.title, t.lead_unit, t.kind, t.unit,
			coalesce(t.parent_code, ''), d.value_form, t.target,
			coalesce((select string_agg(p.part_code, ',' order by p.part_code)
				from plan_target_parts as p where p.year = t.year and p.code = t.code), ''),
			coalesce((select string_agg(s.source, ',' order by s.source)
				from plan_target_sources as s where s.year = t.year and s.code = t.code), '')
		from plan_targets as t
		join (select distinct year, code, value_form from mart_indicator_daily) as d using (year, code)
		order by t.year, t.sort_order`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var t targetInfo
		var parts, sources string
		if err := rs.Scan(&yr, &t.Code, &t.Item, &t.Title, &t.LeadUnit, &t.Kind, &t.Unit, &t.Parent,
			&t.Measure, &t.Target, &parts, &sources); err != nil {
			return err
		}
		if t.Kind == minsheng.KindMonitor {
			t.Target = nil
		}
		if parts != "" {
			t.Parts = strings.Split(parts, ",")
		}
		if sources != "" {
			t.Sources = strings.Split(sources, ",")
		}
		y, ok := s.years[yr]
		if !ok {
			continue
		}
		y.byCode[t.Code] = len(y.targets)
		y.targets = append(y.targets, t)
	}
	return rs.Err()
}

// loadValues reads every target at every day of the year: the daily mart's row of the day, or
// of the newest record date for a later day, judged at the day's own time progress.
func (s *Snapshot) loadValues(ctx context.Context, q *sql.DB) error {
	for _, y := range s.years {
		days := daysIn(y.year)
		y.values = make([][]Value, days)
		for i := range y.values {
			y.values[i] = make([]Value, len(y.targets))
		}
	}
	rs, err := q.QueryContext(ctx, `
		with spans as (

			select year, max(as_of_on) as data_end,
				make_date(year, 12, 31) - make_date(year, 1, 1) + 1 as days_in_year
			from mart_indicator_daily
			group by year

		),

		asked as (

			select year, data_end, days_in_year,
				cast(unnest(generate_series(make_date(year, 1, 1), make_date(year, 12, 31), interval 1 day)) as date) as as_of_on
			from spans

		),

		lag_bands as (

			select year, value as lag_band_points
			from plan_settings
			where target_code = '' and name = 'lag_band_points'

		)

		select
			asked.year, asked.as_of_on, d.code, d.as_of_on,
			(asked.as_of_on - make_date(asked.year, 1, 1) + 1) / asked.days_in_year as time_progress,
			d.actual, cast(d.numerator as double), d.denominator, cast(d.amount_yuan as double),
			d.completion,
			indicator_status(d.kind, d.target, d.actual,
				(asked.as_of_on - make_date(asked.year, 1, 1) + 1) / asked.days_in_year,
				lag_bands.lag_band_points)
		from asked
		join lag_bands using (year)
		join mart_indicator_daily as d
			on d.year = asked.year and d.as_of_on = least(asked.as_of_on, asked.data_end)`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var asOf, dataAsOf time.Time
		var code string
		var v Value
		if err := rs.Scan(&yr, &asOf, &code, &dataAsOf, &v.TimeProgress, &v.Actual, &v.Numerator,
			&v.Denominator, &v.AmountYuan, &v.Completion, &v.Status); err != nil {
			return err
		}
		y := s.years[yr]
		i, ok := y.byCode[code]
		if !ok {
			continue
		}
		d := y.dayIndex(asOf)
		if d < 0 || d >= len(y.values) {
			continue
		}
		y.values[d][i] = v
	}
	return rs.Err()
}

func (s *Snapshot) loadTownships(ctx context.Context, q *sql.DB) error {
	rs, err := q.QueryContext(ctx, `
		select distinct township, township_order from county_villages order by township_order, township`)
	if err != nil {
		return err
	}
	var names []string
	for rs.Next() {
		var n string
		var o int
		if err := rs.Scan(&n, &o); err != nil {
			rs.Close()
			return err
		}
		names = append(names, n)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	index := map[string]int{}
	for i, n := range names {
		index[n] = i
	}
	for _, y := range s.years {
		y.townships = names
		for _, t := range y.targets {
			y.byTownship[t.Code] = make([][]TownshipValue, y.dayIndex(y.dataEnd)+1)
		}
	}
	rs, err = q.QueryContext(ctx, `
		select year, code, township, as_of_on, actual, cast(numerator as double), denominator,
			cast(amount_yuan as double), meets
		from mart_indicator_by_township`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var code, township string
		var on time.Time
		var v TownshipValue
		if err := rs.Scan(&yr, &code, &township, &on, &v.Actual, &v.Numerator, &v.Denominator,
			&v.AmountYuan, &v.Meets); err != nil {
			return err
		}
		y, ok := s.years[yr]
		ti, ok2 := index[township]
		if !ok || !ok2 {
			continue
		}
		days := y.byTownship[code]
		d := y.dayIndex(on)
		if d < 0 || d >= len(days) {
			continue
		}
		if days[d] == nil {
			days[d] = make([]TownshipValue, len(names))
			for i := range days[d] {
				days[d][i].Township = names[i]
			}
		}
		v.Township = township
		days[d][ti] = v
	}
	return rs.Err()
}

func (s *Snapshot) loadCategories(ctx context.Context, q *sql.DB) error {
	rs, err := q.QueryContext(ctx, `
		select year, code, category, as_of_on, persons, cast(amount_yuan as double)
		from mart_indicator_by_category
		order by year, code, as_of_on, category`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var code string
		var on time.Time
		var c CategoryValue
		if err := rs.Scan(&yr, &code, &c.Category, &on, &c.Persons, &c.AmountYuan); err != nil {
			return err
		}
		y, ok := s.years[yr]
		if !ok {
			continue
		}
		days := y.categories[code]
		if days == nil {
			days = make([][]CategoryValue, y.dayIndex(y.dataEnd)+1)
			y.categories[code] = days
		}
		if d := y.dayIndex(on); d >= 0 && d < len(days) {
			days[d] = append(days[d], c)
		}
	}
	return rs.Err()
}

func (s *Snapshot) loadEnrollment(ctx context.Context, q *sql.DB) error {
	for _, y := range s.years {
		y.enrollment = make([]Enrollment, y.dayIndex(y.dataEnd)+1)
	}
	rs, err := q.QueryContext(ctx, `
		select e.year, e.as_of_on, e.township, e.snapshot_on, e.roster_persons, e.exempt_persons,
			e.enrolled_persons, e.eligible_persons, e.rate, e.meets, e.is_flagged
		from mart_enrollment_by_township as e
		semi join `+firstTargetOf("mart_enrollment_by_township")+` as first
			on first.year = e.year and first.code = e.code
		left join (select distinct township, township_order from county_villages) as c using (township)
		order by e.year, e.as_of_on, c.township_order, e.township`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var on time.Time
		var snap sql.NullTime
		var t EnrollmentTownship
		var meets, flagged sql.NullBool
		if err := rs.Scan(&yr, &on, &t.Township, &snap, &t.Roster, &t.Exempt, &t.Enrolled, &t.Eligible,
			&t.Rate, &meets, &flagged); err != nil {
			return err
		}
		t.Meets, t.Supervise = meets.Bool, flagged.Bool
		y, ok := s.years[yr]
		if !ok {
			continue
		}
		d := y.dayIndex(on)
		if d < 0 || d >= len(y.enrollment) {
			continue
		}
		e := &y.enrollment[d]
		if snap.Valid {
			e.SnapshotOn = dateString(snap.Time)
		}
		e.Townships = append(e.Townships, t)
		e.County.Roster += t.Roster
		e.County.Exempt += t.Exempt
		e.County.Enrolled += t.Enrolled
		e.County.Eligible += t.Eligible
	}
	return rs.Err()
}

// firstTargetOf is a query of (year, code): in each year, the first target of the plan (in plan
// order) that has rows in a mart kept per target of one measure (mart_enrollment_by_township,
// mart_claims_by_group). The enrollment assessment shows one enrollment rate and one breakdown of
// medical assistance claims a year; should a plan give two targets that measure, it shows the
// first (each still has its own values on its target's page).
func firstTargetOf(mart string) string {
	return `(select m.year, arg_min(m.code, t.sort_order) as code
		from (select distinct year, code from ` + mart + `) as m
		join plan_targets as t on t.year = m.year and t.code = m.code
		group by m.year)`
}

// loadClaimsByGroup reads mart_claims_by_group (medical assistance claims by effective 人员类别,
// 19b in 2024) at every day up to the newest record date. The mart has a row only on days a group
// has claims; here every group the year has claims in on any day is listed on every day, with no
// claim (rate null) on days it has none, so the table keeps its rows whatever the as-of date. The
// groups are in the order of their ratio, highest first (特困人员 90%, 低保对象 75%, the 60%
// ones), a group without one last.
func (s *Snapshot) loadClaimsByGroup(ctx context.Context, q *sql.DB) error {
	claims := `(select c.* from mart_claims_by_group as c
		semi join ` + firstTargetOf("mart_claims_by_group") + ` as first
			on first.year = c.year and first.code = c.code)`
	rs, err := q.QueryContext(ctx, `
		select year, person_group, max(ratio)
		from `+claims+` as c
		group by year, person_group
		order by year, max(ratio) desc nulls last, person_group`)
	if err != nil {
		return err
	}
	groups := map[int][]ClaimsGroup{}
	for rs.Next() {
		var yr int
		var g ClaimsGroup
		if err := rs.Scan(&yr, &g.PersonGroup, &g.Ratio); err != nil {
			rs.Close()
			return err
		}
		groups[yr] = append(groups[yr], g)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	index := map[int]map[string]int{}
	for yr, gs := range groups {
		y, ok := s.years[yr]
		if !ok {
			continue
		}
		index[yr] = map[string]int{}
		for i, g := range gs {
			index[yr][g.PersonGroup] = i
		}
		y.claimsByGroup = make([][]ClaimsGroup, y.dayIndex(y.dataEnd)+1)
		for d := range y.claimsByGroup {
			y.claimsByGroup[d] = slices.Clone(gs)
		}
	}
	rs, err = q.QueryContext(ctx, `
		select year, as_of_on, person_group, claims, compliant, rate
		from `+claims+` as c`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var on time.Time
		var group string
		var claims, compliant int64
		var rate *float64
		if err := rs.Scan(&yr, &on, &group, &claims, &compliant, &rate); err != nil {
			return err
		}
		y, ok := s.years[yr]
		if !ok {
			continue
		}
		i, ok := index[yr][group]
		d := y.dayIndex(on)
		if !ok || d < 0 || d >= len(y.claimsByGroup) {
			continue
		}
		g := &y.claimsByGroup[d][i]
		g.Claims, g.Compliant, g.Rate = claims, compliant, rate
	}
	return rs.Err()
}

func (s *Snapshot) loadChecks(ctx context.Context, q *sql.DB) error {
	rs, err := q.QueryContext(ctx, `
		select c.year, c.check_name, c.target_code, c.lead_unit, c.subject, c.description_zh,
			c.as_of_on, c.checked, c.violations
		from mart_checks as c
		left join plan_targets as t on t.year = c.year and t.code = c.target_code
		order by c.year, t.sort_order, c.check_name`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var c Check
		var on time.Time
		if err := rs.Scan(&yr, &c.Name, &c.TargetCode, &c.LeadUnit, &c.Subject, &c.Description, &on,
			&c.Checked, &c.Violations); err != nil {
			return err
		}
		if y, ok := s.years[yr]; ok {
			y.checks = append(y.checks, c)
			y.checksAsOf = day(on)
		}
	}
	return rs.Err()
}

func (s *Snapshot) loadOverlaps(ctx context.Context, q *sql.DB) error {
	rs, err := q.QueryContext(ctx, `
		select year, code_a, code_b, lead_unit_a, lead_unit_b, is_same_lead_unit, persons
		from mart_person_overlap
		order by year, code_a, code_b`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var o Overlap
		if err := rs.Scan(&yr, &o.CodeA, &o.CodeB, &o.LeadUnitA, &o.LeadUnitB, &o.SameLeadUnit, &o.Persons); err != nil {
			return err
		}
		if y, ok := s.years[yr]; ok {
			y.overlaps = append(y.overlaps, o)
		}
	}
	return rs.Err()
}

// dayIndex is the day's offset from Jan 1 of the year.
func (y *year) dayIndex(t time.Time) int {
	return int(day(t).Sub(y.start).Hours()+0.5) / 24
}

// day is the calendar date of t (DuckDB DATEs scan as UTC midnight).
func day(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func daysIn(yr int) int {
	return int(time.Date(yr+1, 1, 1, 0, 0, 0, 0, time.UTC).Sub(time.Date(yr, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

func dateString(t time.Time) string { return t.Format(time.DateOnly) }
