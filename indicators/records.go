package indicators

// Record-level answers: the violating subjects of each check and the unenrolled roster persons of
// the townships under the enrollment target. Both are records, masked by the warehouse (a masked
// ID number and name, the file and row a person is found again by), never a clear name, ID
// number or pseudonym; the API gives them only to whoever works on them (package access). Like
// the checks they are judged at the newest record date of the year, so they have no as-of date.

import (
	"context"
	"database/sql"
	"time"

	"github.com/minsheng/minsheng"
)

// Violation is one violating subject of a check (sql/marts/mart_check_violations.sql): a person
// (checks on yearly sums list them once, with their first record of the year), a record, a
// child-month (20: the child's latest record), or a village without a society (18: no record).
// The mart's person_id and subject_key are pseudonyms and stay in the warehouse.
type Violation struct {
	PersonIDMasked string   `json:"person_id_masked,omitempty"`
	NameMasked     string   `json:"name_masked,omitempty"`
	Township       string   `json:"township,omitempty"`
	Village        string   `json:"village,omitempty"`
	RecordOn       string   `json:"record_on,omitempty"` // the record's date; 20: the first day of the month missing
	AmountYuan     *float64 `json:"amount_yuan,omitempty"`
	LimitYuan      *float64 `json:"limit_yuan,omitempty"`
	FileSHA256     string   `json:"file_sha256,omitempty"` // the lake file the record is in
	Row            int64    `json:"row,omitempty"`         // its row as Excel numbers it
}

// Violations is one check's violating subjects at the newest record date.
type Violations struct {
	Year       int         `json:"year"`
	AsOf       string      `json:"as_of"`
	Check      Check       `json:"check"`
	Violations []Violation `json:"violations"`
}

// UnenrolledPerson is a roster person of the roster in force at the newest record date who is
// neither enrolled nor exempt (sql/marts/mart_enrollment_unenrolled.sql), masked.
type UnenrolledPerson struct {
	PersonIDMasked  string `json:"person_id_masked"`
	NameMasked      string `json:"name_masked"`
	Township        string `json:"township"`
	Village         string `json:"village"`
	PersonGroup     string `json:"person_group"`
	NoEnrollmentRow bool   `json:"has_no_enrollment_row"` // no row at all, rather than one not enrolled
	SnapshotOn      string `json:"snapshot_on"`           // the roster listing the person
	FileSHA256      string `json:"file_sha256"`           // the roster file and row
	Row             int64  `json:"row"`
}

// UnenrolledTownship is a township under the target (点对点督导) with its counts and persons.
type UnenrolledTownship struct {
	Township string `json:"township"`
	EnrollmentCounts
	Unenrolled int                `json:"unenrolled"` // eligible − enrolled: len(persons)
	Persons    []UnenrolledPerson `json:"persons"`
}

// Unenrolled is the medical insurance bureau's supervision list: the townships under the
// enrollment target at the newest record date, each with its unenrolled roster persons.
type Unenrolled struct {
	Year       int                  `json:"year"`
	AsOf       string               `json:"as_of"`
	Target     float64              `json:"target"`
	SnapshotOn string               `json:"snapshot_on"`
	Unenrolled int                  `json:"unenrolled"` // persons listed, every township
	Townships  []UnenrolledTownship `json:"townships"`
}

// records are a year's record-level answers.
type records struct {
	violations map[string][]Violation        // by check name
	unenrolled map[string][]UnenrolledPerson // by township, of townships under the target
}

func (s *Snapshot) yearRecords(yr int) *records {
	if s.records == nil {
		s.records = map[int]*records{}
	}
	r, ok := s.records[yr]
	if !ok {
		r = &records{violations: map[string][]Violation{}, unenrolled: map[string][]UnenrolledPerson{}}
		s.records[yr] = r
	}
	return r
}

// loadRecords reads the violations and the unenrolled of the townships under the target.
func (s *Snapshot) loadRecords(ctx context.Context, q *sql.DB) error {
	if err := s.loadViolations(ctx, q); err != nil {
		return err
	}
	return s.loadUnenrolled(ctx, q)
}

func (s *Snapshot) loadViolations(ctx context.Context, q *sql.DB) error {
	rs, err := q.QueryContext(ctx, `
		with townships as (
			select township, min(township_order) as township_order
			from county_villages
			group by township
		)
		select v.year, v.check_name, coalesce(v.person_id_masked, ''), coalesce(v.name_masked, ''),
			coalesce(v.township, ''), coalesce(v.village, ''), v.record_on, cast(v.amount_yuan as double), cast(v.limit_yuan as double),
			coalesce(v._file_sha256, ''), coalesce(v._row, 0)
		from mart_check_violations as v
		left join townships as t using (township)
		order by v.year, v.check_name, t.township_order nulls last, v.township, v.village,
			v.record_on, v._file_sha256, v._row, v.subject_key`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var name string
		var v Violation
		var on sql.NullTime
		if err := rs.Scan(&yr, &name, &v.PersonIDMasked, &v.NameMasked, &v.Township, &v.Village, &on, &v.AmountYuan, &v.LimitYuan, &v.FileSHA256, &v.Row); err != nil {
			return err
		}
		if _, ok := s.years[yr]; !ok {
			continue
		}
		if on.Valid {
			v.RecordOn = dateString(on.Time)
		}
		r := s.yearRecords(yr)
		r.violations[name] = append(r.violations[name], v)
	}
	return rs.Err()
}

func (s *Snapshot) loadUnenrolled(ctx context.Context, q *sql.DB) error {
	// the target the assessment shows (firstTargetIn), as loadEnrollment
	first, err := s.firstTargetIn(ctx, q, `select distinct year, code from mart_enrollment_by_township`)
	if err != nil {
		return err
	}
	// only the townships under the target: the others' persons are no one's to follow up
	rs, err := q.QueryContext(ctx, `
		select year, code, person_id_masked, name_masked, township, coalesce(village, ''),
			coalesce(person_group, ''), has_no_enrollment_row, snapshot_on, _file_sha256, _row
		from mart_enrollment_unenrolled
		where is_township_flagged
		order by year, township, village, _file_sha256, _row`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var yr int
		var code string
		var p UnenrolledPerson
		var snap time.Time
		if err := rs.Scan(&yr, &code, &p.PersonIDMasked, &p.NameMasked, &p.Township, &p.Village, &p.PersonGroup,
			&p.NoEnrollmentRow, &snap, &p.FileSHA256, &p.Row); err != nil {
			return err
		}
		if _, ok := s.years[yr]; !ok || code != first[yr] {
			continue
		}
		p.SnapshotOn = dateString(snap)
		r := s.yearRecords(yr)
		r.unenrolled[p.Township] = append(r.unenrolled[p.Township], p)
	}
	return rs.Err()
}

// CheckOf is one check of the year with its counts; ENOTFOUND for a name the year lacks.
func (s *Snapshot) CheckOf(yr int, name string) (Check, error) {
	y, err := s.year(yr)
	if err != nil {
		return Check{}, err
	}
	for _, c := range y.checks {
		if c.Name == name {
			return c, nil
		}
	}
	return Check{}, minsheng.Errorf(minsheng.ENOTFOUND, "%d 年没有名为 %q 的检查(见 /api/v1/checks)",
		"%d has no check named %q (see /api/v1/checks)", yr, name)
}

// Violations answers one check's violating subjects, masked.
func (s *Snapshot) Violations(yr int, name string) (*Violations, error) {
	c, err := s.CheckOf(yr, name)
	if err != nil {
		return nil, err
	}
	out := &Violations{Year: yr, AsOf: dateString(s.years[yr].checksAsOf), Check: c, Violations: []Violation{}}
	if r := s.records[yr]; r != nil && r.violations[name] != nil {
		out.Violations = r.violations[name]
	}
	return out, nil
}

// Townships are the profile's townships, in profile order.
func (s *Snapshot) Townships(yr int) ([]string, error) {
	y, err := s.year(yr)
	if err != nil {
		return nil, err
	}
	return y.townships, nil
}

// Unenrolled answers the townships under the enrollment target at the newest record date with
// their unenrolled roster persons; township, when not "", keeps that one (none when it meets the
// target), ENOTFOUND for a township not in the profile.
func (s *Snapshot) Unenrolled(yr int, township string) (*Unenrolled, error) {
	e, err := s.Enrollment(yr, time.Time{})
	if err != nil {
		return nil, err
	}
	if township != "" {
		names, _ := s.Townships(yr)
		known := false
		for _, n := range names {
			known = known || n == township
		}
		if !known {
			return nil, minsheng.Errorf(minsheng.ENOTFOUND, "本县没有名为 %q 的乡镇", "the county has no township named %q", township)
		}
	}
	out := &Unenrolled{Year: yr, AsOf: e.DataAsOf, Target: e.Target, SnapshotOn: e.SnapshotOn,
		Townships: []UnenrolledTownship{}}
	r := s.records[yr]
	for _, t := range e.Townships {
		if !t.Supervise || (township != "" && t.Township != township) {
			continue
		}
		u := UnenrolledTownship{Township: t.Township, EnrollmentCounts: t.EnrollmentCounts, Persons: []UnenrolledPerson{}}
		if r != nil && r.unenrolled[t.Township] != nil {
			u.Persons = r.unenrolled[t.Township]
		}
		u.Unenrolled = len(u.Persons)
		out.Unenrolled += u.Unenrolled
		out.Townships = append(out.Townships, u)
	}
	return out, nil
}
