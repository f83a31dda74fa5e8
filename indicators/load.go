// Package indicators holds the warehouse's answers in memory: every indicator of every plan year
// at every as-of date of the year, with its breakdowns, checks and the enrollment assessment. It
// is loaded once per warehouse file (Load) and then answers without touching DuckDB, so the API
// and the dashboards serve precomputed numbers and a new build never fails a request: the server
// loads the new file beside the old snapshot and swaps the pointer.
//
// Every number is the warehouse's (sql/), and so is the as-of rule: the daily marts hold every
// day of the plan year, a day after the newest record date with that date's values
// (data_as_of_on) and its own time progress and status (sql/marts/int_calendar.sql). Loading is a
// plain select of the marts; a request picks the row of its day.
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

// year is one plan year: days are indexed from Jan 1 (0) to Dec 31, and every daily answer is
// held for every day of the year, as the marts hold it.
type year struct {
	year          int
	start         time.Time
	dataEnd       time.Time // the newest record date: the default as-of date
	lagBandPoints float64
	targets       []targetInfo
	byCode        map[string]int
	days          []dayOf                      // [day of year]
	values        [][]Value                    // [day of year][target]
	townships     []string                     // the profile's townships, in profile order
	byTownship    map[string][][]TownshipValue // [code][day of year][township]
	categories    map[string][][]CategoryValue // [code][day of year][category]
	enrollment    []Enrollment                 // [day of year]
	claimsByGroup [][]ClaimsGroup              // [day of year][group of the year], 19b by 人员类别
	checks        []Check
	checksAsOf    time.Time
	overlaps      []Overlap
}

// dayOf is what the daily mart says of a day of the year: the day its values are of (itself, or
// the newest record date after it) and its time progress.
type dayOf struct {
	dataDay      int // index of data_as_of_on
	timeProgress float64
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
		select d.year, max(d.data_as_of_on), any_value(s.value)
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

// loadValues reads every target at every day of the year (mart_indicator_daily), and each day's
// data day and time progress.
func (s *Snapshot) loadValues(ctx context.Context, q *sql.DB) error {
	for _, y := range s.years {
		days := daysIn(y.year)
		y.days = make([]dayOf, days)
		y.values = make([][]Value, days)
		for i := range y.values {
			y.values[i] = make([]Value, len(y.targets))
		}
	}
	rs, err := q.QueryContext(ctx, `
		select year, as_of_on, code, data_as_of_on, time_progress, actual, cast(numerator as double),
			denominator, cast(amount_yuan as double), completion, status
		from mart_indicator_daily`)
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
		if !v.Status.Known() {
			// the macro and the Go vocabulary disagree: a page would colour it as nothing
			return fmt.Errorf("%d %s %s: unknown status %q", yr, code, asOf.Format("2006-01-02"), v.Status)
		}
		y, ok := s.years[yr]
		if !ok {
			continue
		}
		i, ok := y.byCode[code]
		if !ok {
			continue
		}
		d := y.dayIndex(asOf)
		if d < 0 || d >= len(y.values) {
			continue
		}
		y.values[d][i] = v
		y.days[d] = dayOf{dataDay: y.dayIndex(dataAsOf), timeProgress: v.TimeProgress}
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
			y.byTownship[t.Code] = make([][]TownshipValue, len(y.days))
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
			days = make([][]CategoryValue, len(y.days))
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
		y.enrollment = make([]Enrollment, len(y.days))
	}
	first, err := s.firstTargetIn(ctx, q, `select distinct year, code from mart_enrollment_by_township`)
	if err != nil {
		return err
	}
	rs, err := q.QueryContext(ctx, `
		select e.year, e.code, e.as_of_on, e.township, e.snapshot_on, e.roster_persons, e.exempt_persons,
			e.enrolled_persons, e.eligible_persons, e.rate, e.meets, e.is_flagged
		from mart_enrollment_by_township as e
		left join (select distinct township, township_order from county_villages) as c using (township)
		order by e.year, e.as_of_on, c.township_order, e.township`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var code string
		var on time.Time
		var snap sql.NullTime
		var t EnrollmentTownship
		var meets, flagged sql.NullBool
		if err := rs.Scan(&yr, &code, &on, &t.Township, &snap, &t.Roster, &t.Exempt, &t.Enrolled, &t.Eligible,
			&t.Rate, &meets, &flagged); err != nil {
			return err
		}
		t.Meets, t.Supervise = meets.Bool, flagged.Bool
		y, ok := s.years[yr]
		if !ok || code != first[yr] {
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

// firstTargetIn reads the (year, code) pairs a query lists, those of a mart kept per target of
// one measure (mart_enrollment_by_township, mart_claims_by_group), and keeps, in each year, the
// first target of the plan (in plan order) among them. The enrollment assessment shows one
// enrollment rate and one breakdown of medical assistance claims a year; should a plan give two
// targets that measure, it shows the first (each still has its own values on its target's page).
func (s *Snapshot) firstTargetIn(ctx context.Context, q *sql.DB, query string) (map[int]string, error) {
	rs, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	first := map[int]string{}
	for rs.Next() {
		var yr int
		var code string
		if err := rs.Scan(&yr, &code); err != nil {
			return nil, err
		}
		y, ok := s.years[yr]
		if !ok {
			continue
		}
		i, ok := y.byCode[code]
		if !ok {
			continue
		}
		if f, ok := first[yr]; !ok || i < y.byCode[f] {
			first[yr] = code
		}
	}
	return first, rs.Err()
}

// loadClaimsByGroup reads mart_claims_by_group (medical assistance claims by effective 人员类别,
// 19b in 2024) at every day of the year, for the first target of the measure (firstTargetIn). The
// mart has a row only on days a group has claims; here every group the year has claims in on any
// day is listed on every day, with no claim (rate null) on days it has none, so the table keeps
// its rows whatever the as-of date. The groups are in the order of their ratio, highest first
// (特困人员 90%, 低保对象 75%, the 60% ones), a group without one last.
func (s *Snapshot) loadClaimsByGroup(ctx context.Context, q *sql.DB) error {
	first, err := s.firstTargetIn(ctx, q, `select distinct year, code from mart_claims_by_group`)
	if err != nil {
		return err
	}
	rs, err := q.QueryContext(ctx, `
		select year, code, person_group, max(ratio)
		from mart_claims_by_group
		group by year, code, person_group
		order by year, max(ratio) desc nulls last, person_group`)
	if err != nil {
		return err
	}
	groups := map[int][]ClaimsGroup{}
	for rs.Next() {
		var yr int
		var code string
		var g ClaimsGroup
		if err := rs.Scan(&yr, &code, &g.PersonGroup, &g.Ratio); err != nil {
			rs.Close()
			return err
		}
		if code == first[yr] {
			groups[yr] = append(groups[yr], g)
		}
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
		y.claimsByGroup = make([][]ClaimsGroup, len(y.days))
		for d := range y.claimsByGroup {
			y.claimsByGroup[d] = slices.Clone(gs)
		}
	}
	rs, err = q.QueryContext(ctx, `
		select year, code, as_of_on, person_group, claims, compliant, rate
		from mart_claims_by_group`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var code string
		var on time.Time
		var group string
		var claims, compliant int64
		var rate *float64
		if err := rs.Scan(&yr, &code, &on, &group, &claims, &compliant, &rate); err != nil {
			return err
		}
		y, ok := s.years[yr]
		if !ok || code != first[yr] {
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
