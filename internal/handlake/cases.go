package handlake

import "math"

// Year is the plan year of the hand lake.
const Year = 2024

// DataEnd is the newest record date: C's 生活救助 of 10-31.
const DataEnd = "2024-10-31"

// Case is one indicator at one as-of date, worked out by hand (see the package comment).
type Case struct {
	AsOf, Code string
	Actual     float64 // NaN: nothing to judge yet
	Status     string  // "" when not worked out by hand
}

// IndicatorCases are the hand-worked indicator values.
var IndicatorCases = []Case{
	{"2024-03-04", "09", 0, ""},
	{"2024-03-05", "09", 2, ""},
	{"2024-06-30", "09", 3, ""},
	{"2024-10-31", "09", 5, ""},
	{"2024-03-31", "10a", 1, ""},
	{"2024-10-31", "10a", 2, ""},
	{"2024-10-31", "10b", 1, ""},
	{"2024-10-31", "10c", 0, ""},
	{"2024-10-31", "10", 3, ""},
	{"2024-02-15", "16a", 1, ""},
	{"2024-06-30", "16a", 2, ""},
	{"2024-10-31", "16a", 2, ""},
	{"2024-04-30", "16b", math.NaN(), "无数据"},
	{"2024-06-30", "16b", 1000.00, "未达标"},
	{"2024-10-31", "16b", 1100.51, "达标"},
	{"2024-02-29", "20", 1, "达标"},
	{"2024-10-31", "20", 11.0 / 12, "未达标"},
	{"2024-01-10", "19a", math.NaN(), "无数据"},
	{"2024-06-30", "19a", 2.0 / 3, "未达标"},
	{"2024-10-31", "19a", 0.75, "未达标"},
	{"2024-06-30", "19b", 0.5, "未达标"},
	{"2024-10-31", "19b", 0.6, "未达标"},
	{"2024-06-30", "13b", 0, ""},
	{"2024-08-31", "13b", 0, ""},
	{"2024-09-01", "13b", 1, "已完成"},
	{"2024-10-31", "14", 0, "监测"},
	// an as-of date after the newest record keeps its values and takes its own time progress
	{"2024-12-31", "09", 5, "严重滞后"},
}

// CheckViolations are the hand-worked violations of the year's checks, by check name.
var CheckViolations = map[string]int64{
	"09_living_cap": 0, "09_study_cap": 0, "09_medical_cap": 1, "10a_amount_cap": 0, "10a_living_cap": 0,
	"10a_age": 0, "20_missing_month": 8, "19a_tekun_full_subsidy": 1, "19b_category_mismatch": 1,
	"overlap_10a_10b": 1, "18_village_without_society": 213,
}

// Enrollment is the 19a standing of a township or of the county.
type Enrollment struct {
	Roster, Exempt, Enrolled int64
	Meets, Supervise         bool // Supervise: under the target (flagged)
}

// Eligible is the rate's denominator: the roster less the exempt.
func (e Enrollment) Eligible() int64 { return e.Roster - e.Exempt }

// Rate is enrolled over eligible.
func (e Enrollment) Rate() float64 { return float64(e.Enrolled) / float64(e.Eligible()) }

// EnrollmentCase is the 19a assessment at one as-of date, worked out by hand.
type EnrollmentCase struct {
	AsOf       string
	SnapshotOn string // the roster snapshot in force
	County     Enrollment
	Townships  map[string]Enrollment // the townships with roster persons; every other has none
}

// EnrollmentCases are the hand-worked enrollment assessments (target 0.99).
var EnrollmentCases = []EnrollmentCase{
	{AsOf: "2024-06-30", SnapshotOn: "2024-01-15",
		County: Enrollment{Roster: 4, Exempt: 1, Enrolled: 2},
		Townships: map[string]Enrollment{
			"松兹街道": {Roster: 2, Exempt: 0, Enrolled: 2, Meets: true},
			"孚玉镇":  {Roster: 2, Exempt: 1, Enrolled: 0, Supervise: true},
		}},
	{AsOf: "2024-10-31", SnapshotOn: "2024-07-01",
		County: Enrollment{Roster: 6, Exempt: 2, Enrolled: 3},
		Townships: map[string]Enrollment{
			"松兹街道": {Roster: 3, Exempt: 0, Enrolled: 2, Supervise: true},
			"孚玉镇":  {Roster: 3, Exempt: 2, Enrolled: 1, Meets: true},
		}},
}

// Monthly09 is 09 month by month at 10-31: cumulative, each month at its last day.
var Monthly09 = []struct {
	Month  string
	Actual float64
}{
	{"2024-01", 0}, {"2024-02", 0}, {"2024-03", 2}, {"2024-04", 2}, {"2024-05", 2},
	{"2024-06", 3}, {"2024-07", 4}, {"2024-08", 4}, {"2024-09", 4}, {"2024-10", 5},
}

// Townships09 is 09 by township at 10-31; every other township has none.
var Townships09 = map[string]float64{"松兹街道": 4, "孚玉镇": 1}
