package indicators

import (
	"slices"
	"sort"
	"time"

	"github.com/minsheng/minsheng"
)

// Value is an indicator at an as-of date.
type Value struct {
	TimeProgress float64  // of the as-of date
	Actual       *float64 // count: records; rate, standard: a fraction (16b: yuan); monitor: persons
	Numerator    *float64
	Denominator  *int64
	AmountYuan   *float64
	Completion   *float64        // count: actual / target
	Status       minsheng.Status // 已完成 正常 滞后 严重滞后 | 达标 未达标 | 监测 | 无数据
}

// Target is one indicator of the year's list at the as-of date (product.md's fields).
type Target struct {
	Code        string          `json:"code"`
	Item        string          `json:"item"`
	Title       string          `json:"title"`
	LeadUnit    string          `json:"lead_unit"`
	Kind        string          `json:"kind"`
	Unit        string          `json:"unit"`
	Measure     string          `json:"measure"` // count, share or mean_yuan: how actual is made from the sums
	Target      *float64        `json:"target"`  // null for a monitor
	Actual      *float64        `json:"actual"`
	Completion  *float64        `json:"completion"` // count only: actual / target
	Status      minsheng.Status `json:"status"`
	Lagging     bool            `json:"lagging"` // 滞后, 严重滞后 or 未达标
	Numerator   *float64        `json:"numerator,omitempty"`
	Denominator *int64          `json:"denominator,omitempty"`
	AmountYuan  *float64        `json:"amount_yuan,omitempty"`
	Parent      string          `json:"parent,omitempty"`
	Parts       []string        `json:"parts,omitempty"`
}

// Targets is the year's list at an as-of date.
type Targets struct {
	Year          int      `json:"year"`
	AsOf          string   `json:"as_of"`
	DataAsOf      string   `json:"data_as_of"` // the newest record date the values are of (≤ as_of)
	TimeProgress  float64  `json:"time_progress"`
	LagBandPoints float64  `json:"lag_band_points"`
	Targets       []Target `json:"targets"`
}

// Month is the cumulative value at a month's end (at the as-of date, or the newest record date,
// for the month it falls in).
type Month struct {
	Month        string          `json:"month"` // 2024-03
	AsOf         string          `json:"as_of"`
	TimeProgress float64         `json:"time_progress"`
	Plan         *float64        `json:"plan,omitempty"` // count: the even plan line, target × time progress
	Actual       *float64        `json:"actual"`
	Completion   *float64        `json:"completion,omitempty"`
	Status       minsheng.Status `json:"status"`
}

// TownshipValue is an indicator in one township of the profile.
type TownshipValue struct {
	Township    string   `json:"township"`
	Actual      *float64 `json:"actual"`
	Numerator   *float64 `json:"numerator,omitempty"`
	Denominator *int64   `json:"denominator,omitempty"`
	AmountYuan  *float64 `json:"amount_yuan,omitempty"`
	Meets       *bool    `json:"meets,omitempty"` // rate and standard: at or above the target
}

// CategoryValue is a monitored item (14, 17) in one category.
type CategoryValue struct {
	Category   string  `json:"category"`
	Persons    int64   `json:"persons"`
	AmountYuan float64 `json:"amount_yuan"`
}

// Check is one named check of targets.md with its standing.
type Check struct {
	Name        string `json:"name"`
	TargetCode  string `json:"target_code"`
	LeadUnit    string `json:"lead_unit"`
	Subject     string `json:"subject"` // what is counted: person, record, household, village, ...
	Description string `json:"description"`
	Checked     int64  `json:"checked"`
	Violations  int64  `json:"violations"`
}

// Overlap is the number of persons two codes have in common (reported, never removed).
type Overlap struct {
	CodeA        string `json:"code_a"`
	CodeB        string `json:"code_b"`
	LeadUnitA    string `json:"lead_unit_a"`
	LeadUnitB    string `json:"lead_unit_b"`
	SameLeadUnit bool   `json:"same_lead_unit"`
	Persons      int64  `json:"persons"`
}

// TargetDetail is one indicator with its series and breakdowns.
type TargetDetail struct {
	Year          int     `json:"year"`
	AsOf          string  `json:"as_of"`
	DataAsOf      string  `json:"data_as_of"`
	TimeProgress  float64 `json:"time_progress"`
	LagBandPoints float64 `json:"lag_band_points"`
	Target
	Monthly    []Month         `json:"monthly"`
	ByTownship []TownshipValue `json:"by_township"`
	ByCategory []CategoryValue `json:"by_category,omitempty"`
	ChecksAsOf string          `json:"checks_as_of"` // checks are judged at the newest record date
	Checks     []Check         `json:"checks"`
	Overlaps   []Overlap       `json:"overlaps,omitempty"`
	PartValues []Target        `json:"part_values,omitempty"` // for 10: 10a, 10b, 10c
}

// EnrollmentCounts are roster persons by their standing (19a).
type EnrollmentCounts struct {
	Roster   int64    `json:"roster"`
	Exempt   int64    `json:"exempt"`   // left the denominator: 死亡, 服刑, 参军...
	Enrolled int64    `json:"enrolled"` // enrolled among the non-exempt
	Eligible int64    `json:"eligible"` // roster − exempt: the denominator
	Rate     *float64 `json:"rate"`     // null with no eligible person
}

// EnrollmentTownship is one township's enrollment.
type EnrollmentTownship struct {
	Township string `json:"township"`
	EnrollmentCounts
	Meets     bool `json:"meets"`
	Supervise bool `json:"supervise"` // under the target: 点对点督导
}

// Enrollment is the medical insurance bureau's assessment of 19a.
type Enrollment struct {
	Year       int                  `json:"year"`
	AsOf       string               `json:"as_of"`
	DataAsOf   string               `json:"data_as_of"`
	Target     float64              `json:"target"`
	SnapshotOn string               `json:"snapshot_on"` // the roster snapshot in force
	County     EnrollmentCounts     `json:"county"`
	Meets      bool                 `json:"meets"`
	Townships  []EnrollmentTownship `json:"townships"`
	// ClaimsTarget is the share of 医疗救助 claims that must be paid at their group's ratio: the
	// year's standard target over the medical assistance extract (19b: 1, all of them).
	ClaimsTarget  float64       `json:"claims_target"`
	ClaimsByGroup []ClaimsGroup `json:"claims_by_group"` // 19b by 人员类别
}

// ClaimsGroup is 19b, 医疗救助 ratio compliance, in one person group (人员类别) at the as-of date:
// the claims settled on or before it whose effective group it is (the roster's 人员类别 in the
// snapshot in force, else the claim's own; sql/marts/mart_claims_by_group.sql).
//
// Reading of targets.md for meets: 19b is a standard whose target is "100% of claims at their
// ratio"; the ratios (特困人员 90%, 低保对象 75%, 低保边缘家庭成员 and 防止返贫监测对象 60%) are
// the rule each claim is judged by, not a target per group. So a group meets when its rate
// reaches 19b's own target (ClaimsTarget, 1 in 2024): every claim of the group paid at its ratio.
// A group without claims has nothing to judge (rate null) and does not meet, like 19b's 无数据; a
// group without a ratio in the plan (a roster 脱贫人口) cannot comply, so it never meets.
type ClaimsGroup struct {
	PersonGroup string   `json:"person_group"`
	Ratio       *float64 `json:"ratio"` // the group's ratio in the year's plan; null: the plan sets none
	Claims      int64    `json:"claims"`
	Compliant   int64    `json:"compliant"` // paid ratio × 政策范围内个人自付, to the fen rounded half up
	Rate        *float64 `json:"rate"`      // compliant / claims; null with no claim
	Meets       bool     `json:"meets"`     // rate ≥ claims_target
}

// Status is how the group stands, as a standard does: 无数据 without claims, else 达标 or 未达标.
func (g ClaimsGroup) Status() minsheng.Status {
	switch {
	case g.Rate == nil:
		return minsheng.StatusNoData
	case g.Meets:
		return minsheng.StatusMet
	}
	return minsheng.StatusNotMet
}

// LeadUnitChecks sums a lead unit's checks.
type LeadUnitChecks struct {
	LeadUnit   string `json:"lead_unit"`
	Checks     int    `json:"checks"`
	Failing    int    `json:"failing"` // checks with at least one violation
	Violations int64  `json:"violations"`
}

// Checks is every check of the year with its counts, per lead unit.
type Checks struct {
	Year       int              `json:"year"`
	AsOf       string           `json:"as_of"` // the newest record date: checks are judged there
	Checks     []Check          `json:"checks"`
	ByLeadUnit []LeadUnitChecks `json:"by_lead_unit"`
	Overlaps   []Overlap        `json:"overlaps"`
}

// Years are the plan years the snapshot holds, oldest first.
func (s *Snapshot) Years() []int {
	var out []int
	for y := range s.years {
		out = append(out, y)
	}
	sort.Ints(out)
	return out
}

// DefaultYear is the newest plan year that has begun on today, or the oldest plan year.
func (s *Snapshot) DefaultYear(today time.Time) int {
	years := s.Years()
	if len(years) == 0 {
		return today.Year()
	}
	best := years[0]
	for _, y := range years {
		if y <= today.Year() {
			best = y
		}
	}
	return best
}

// DataEnd is the year's newest record date, the default as-of date.
func (s *Snapshot) DataEnd(yr int) (time.Time, error) {
	y, err := s.year(yr)
	if err != nil {
		return time.Time{}, err
	}
	return y.dataEnd, nil
}

func (s *Snapshot) year(yr int) (*year, error) {
	y, ok := s.years[yr]
	if !ok {
		return nil, minsheng.Errorf(minsheng.ENOTFOUND, "没有 %d 年的目标清单", "there is no plan for %d", yr)
	}
	return y, nil
}

// asked resolves an as-of date: the zero time means the newest record date; any other date must
// fall in the plan year (minsheng.CheckAsOf).
func (s *Snapshot) asked(yr int, asOf time.Time) (*year, int, error) {
	y, err := s.year(yr)
	if err != nil {
		return nil, 0, err
	}
	if asOf.IsZero() {
		asOf = y.dataEnd
	}
	if err := minsheng.CheckAsOf(yr, asOf); err != nil {
		return nil, 0, err
	}
	return y, y.dayIndex(asOf), nil
}

func (y *year) date(d int) string { return dateString(y.start.AddDate(0, 0, d)) }

func (y *year) target(i, d int) Target {
	info, v := y.targets[i], y.values[d][i]
	t := Target{
		Code: info.Code, Item: info.Item, Title: info.Title, LeadUnit: info.LeadUnit, Kind: info.Kind,
		Unit: info.Unit, Measure: info.Measure, Target: info.Target, Parent: info.Parent, Parts: info.Parts,
		Actual: v.Actual, Completion: v.Completion, Status: v.Status, Numerator: v.Numerator,
		Denominator: v.Denominator, AmountYuan: v.AmountYuan,
	}
	t.Lagging = v.Status.Lagging()
	return t
}

// Targets answers the year's list at asOf (zero: the newest record date).
func (s *Snapshot) Targets(yr int, asOf time.Time) (*Targets, error) {
	y, d, err := s.asked(yr, asOf)
	if err != nil {
		return nil, err
	}
	out := &Targets{Year: yr, AsOf: y.date(d), DataAsOf: y.date(y.days[d].dataDay),
		TimeProgress: y.days[d].timeProgress, LagBandPoints: y.lagBandPoints, Targets: make([]Target, len(y.targets))}
	for i := range y.targets {
		out.Targets[i] = y.target(i, d)
	}
	return out, nil
}

// Target answers one indicator at asOf with its monthly series, townships, categories, checks
// and parts.
func (s *Snapshot) Target(yr int, code string, asOf time.Time) (*TargetDetail, error) {
	y, d, err := s.asked(yr, asOf)
	if err != nil {
		return nil, err
	}
	i, ok := y.byCode[code]
	if !ok {
		return nil, minsheng.Errorf(minsheng.ENOTFOUND, "%d 年清单中没有编号为 %q 的目标", "the %d plan has no target %q", yr, code)
	}
	dd := y.days[d].dataDay
	out := &TargetDetail{Year: yr, AsOf: y.date(d), DataAsOf: y.date(dd), TimeProgress: y.days[d].timeProgress,
		LagBandPoints: y.lagBandPoints, Target: y.target(i, d), ChecksAsOf: dateString(y.checksAsOf),
		Monthly: y.monthly(i, dd), Checks: []Check{}, ByTownship: []TownshipValue{}}
	if days := y.byTownship[code]; d < len(days) && days[d] != nil {
		out.ByTownship = days[d]
	}
	if days := y.categories[code]; d < len(days) {
		out.ByCategory = days[d]
	}
	for _, c := range y.checks {
		if c.TargetCode == code {
			out.Checks = append(out.Checks, c)
		}
	}
	for _, o := range y.overlaps {
		if o.CodeA == code || o.CodeB == code {
			out.Overlaps = append(out.Overlaps, o)
		}
	}
	for _, p := range y.targets[i].Parts {
		if j, ok := y.byCode[p]; ok {
			out.PartValues = append(out.PartValues, y.target(j, d))
		}
	}
	return out, nil
}

// monthly is the cumulative series from January to the month of day dd (a record day), each
// month at its last day, the last one at dd.
func (y *year) monthly(i, dd int) []Month {
	info := y.targets[i]
	var out []Month
	last := y.start.AddDate(0, 0, dd)
	for m := time.January; m <= last.Month(); m++ {
		end := time.Date(y.year, m+1, 0, 0, 0, 0, 0, time.UTC)
		if end.After(last) {
			end = last
		}
		d := y.dayIndex(end)
		v := y.values[d][i]
		p := Month{Month: end.Format("2006-01"), AsOf: dateString(end), TimeProgress: v.TimeProgress,
			Actual: v.Actual, Completion: v.Completion, Status: v.Status}
		if info.Kind == minsheng.KindCount && info.Target != nil {
			plan := *info.Target * v.TimeProgress
			p.Plan = &plan
		}
		out = append(out, p)
	}
	return out
}

// EnrollmentSource is the extract whose rate target the enrollment assessment judges.
const EnrollmentSource = "insurance_enrollment"

// ClaimsSource is the extract whose standard target the ratio compliance by group judges.
const ClaimsSource = "medical_assistance"

// Enrollment answers the 19a assessment at asOf, with 19b's ratio compliance by person group at
// the same date (an as-of after the newest record: that record date's values, like the rest).
func (s *Snapshot) Enrollment(yr int, asOf time.Time) (*Enrollment, error) {
	y, d, err := s.asked(yr, asOf)
	if err != nil {
		return nil, err
	}
	e := y.enrollment[d]
	out := &Enrollment{Year: yr, AsOf: y.date(d), DataAsOf: y.date(y.days[d].dataDay), SnapshotOn: e.SnapshotOn,
		County: e.County, Townships: e.Townships}
	if out.Townships == nil {
		out.Townships = []EnrollmentTownship{}
	}
	// the assessed rate is the year's rate target over the enrollment extract (19a in 2024), the
	// claims' the standard target over the medical assistance extract (19b); of two, the first in
	// plan order, whose rows the assessment shows (firstTargetIn)
	var haveRate, haveClaims bool
	for _, t := range y.targets {
		if !haveRate && t.Kind == minsheng.KindRate && t.Target != nil && slices.Contains(t.Sources, EnrollmentSource) {
			out.Target, haveRate = *t.Target, true
		}
		if !haveClaims && t.Kind == minsheng.KindStandard && t.Target != nil && slices.Contains(t.Sources, ClaimsSource) {
			out.ClaimsTarget, haveClaims = *t.Target, true
		}
	}
	if out.County.Eligible > 0 {
		r := float64(out.County.Enrolled) / float64(out.County.Eligible)
		out.County.Rate = &r
		out.Meets = r >= out.Target
	}
	out.ClaimsByGroup = []ClaimsGroup{}
	if d < len(y.claimsByGroup) {
		out.ClaimsByGroup = slices.Clone(y.claimsByGroup[d])
	}
	for i := range out.ClaimsByGroup {
		g := &out.ClaimsByGroup[i]
		g.Meets = g.Rate != nil && g.Ratio != nil && *g.Rate >= out.ClaimsTarget
	}
	return out, nil
}

// Checks answers every check of the year, per lead unit.
func (s *Snapshot) Checks(yr int) (*Checks, error) {
	y, err := s.year(yr)
	if err != nil {
		return nil, err
	}
	out := &Checks{Year: yr, AsOf: dateString(y.checksAsOf), Checks: y.checks, Overlaps: y.overlaps}
	if out.Checks == nil {
		out.Checks = []Check{}
	}
	if out.Overlaps == nil {
		out.Overlaps = []Overlap{}
	}
	units := map[string]*LeadUnitChecks{}
	var order []string
	for _, c := range y.checks {
		u := units[c.LeadUnit]
		if u == nil {
			u = &LeadUnitChecks{LeadUnit: c.LeadUnit}
			units[c.LeadUnit] = u
			order = append(order, c.LeadUnit)
		}
		u.Checks++
		u.Violations += c.Violations
		if c.Violations > 0 {
			u.Failing++
		}
	}
	out.ByLeadUnit = []LeadUnitChecks{}
	for _, n := range order {
		out.ByLeadUnit = append(out.ByLeadUnit, *units[n])
	}
	return out, nil
}
