package indicators_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/internal/handlake"
)

// TestErrors: every public method of the Snapshot that takes a year, a code, a name or an as-of
// date answers a wrong one with the error code the API maps to its status (README: 400 for a bad
// as_of, 404 for an unknown year, code, check or township), a message in both languages naming
// what was asked, and no answer; the edges of the year are answered.
func TestErrors(t *testing.T) {
	s := handSnapshot(t)
	const yr, other = handlake.Year, handlake.Year - 1
	day := func(v string) time.Time { return date(t, v) }
	var zero time.Time
	for _, c := range []struct {
		name     string
		call     func() (any, error)
		code     string   // "" : answered
		mentions []string // in the Chinese and the English message
	}{
		{"Targets/unknown year", func() (any, error) { return s.Targets(other, day("2023-06-30")) },
			minsheng.ENOTFOUND, []string{"2023"}},
		{"Targets/unknown year, newest date", func() (any, error) { return s.Targets(yr+1, zero) },
			minsheng.ENOTFOUND, []string{"2025"}},
		{"Targets/unknown year, as_of of the known year", func() (any, error) { return s.Targets(other, day("2024-03-05")) },
			minsheng.ENOTFOUND, []string{"2023"}},
		{"Targets/as_of the day before the year", func() (any, error) { return s.Targets(yr, day("2023-12-31")) },
			minsheng.EINVALID, []string{"2023-12-31", "2024"}},
		{"Targets/as_of the day after the year", func() (any, error) { return s.Targets(yr, day("2025-01-01")) },
			minsheng.EINVALID, []string{"2025-01-01", "2024"}},
		{"Targets/as_of years away", func() (any, error) { return s.Targets(yr, day("1999-06-30")) },
			minsheng.EINVALID, []string{"1999-06-30"}},
		{"Targets/first day", func() (any, error) { return s.Targets(yr, day("2024-01-01")) }, "", nil},
		{"Targets/leap day", func() (any, error) { return s.Targets(yr, day("2024-02-29")) }, "", nil},
		{"Targets/last day", func() (any, error) { return s.Targets(yr, day("2024-12-31")) }, "", nil},
		{"Targets/newest record date", func() (any, error) { return s.Targets(yr, zero) }, "", nil},

		{"Target/unknown code", func() (any, error) { return s.Target(yr, "99", day("2024-06-30")) },
			minsheng.ENOTFOUND, []string{`"99"`, "2024"}},
		{"Target/empty code", func() (any, error) { return s.Target(yr, "", zero) }, minsheng.ENOTFOUND, nil},
		{"Target/code without its zero", func() (any, error) { return s.Target(yr, "9", zero) },
			minsheng.ENOTFOUND, []string{`"9"`}},
		{"Target/a check's name is no code", func() (any, error) { return s.Target(yr, "09_medical_cap", zero) },
			minsheng.ENOTFOUND, nil},
		{"Target/unknown year", func() (any, error) { return s.Target(other, "09", zero) },
			minsheng.ENOTFOUND, []string{"2023"}},
		{"Target/as_of after the year", func() (any, error) { return s.Target(yr, "09", day("2025-01-01")) },
			minsheng.EINVALID, []string{"2025-01-01"}},
		{"Target/as_of before the year", func() (any, error) { return s.Target(yr, "19a", day("2023-12-31")) },
			minsheng.EINVALID, []string{"2023-12-31"}},
		{"Target/known code", func() (any, error) { return s.Target(yr, "10", day("2024-12-31")) }, "", nil},

		{"Enrollment/unknown year", func() (any, error) { return s.Enrollment(other, zero) },
			minsheng.ENOTFOUND, []string{"2023"}},
		{"Enrollment/as_of after the year", func() (any, error) { return s.Enrollment(yr, day("2025-06-30")) },
			minsheng.EINVALID, []string{"2025-06-30"}},
		{"Enrollment/as_of before the year", func() (any, error) { return s.Enrollment(yr, day("2023-01-15")) },
			minsheng.EINVALID, []string{"2023-01-15"}},
		{"Enrollment/before the first roster", func() (any, error) { return s.Enrollment(yr, day("2024-01-01")) }, "", nil},

		{"Checks/unknown year", func() (any, error) { return s.Checks(other) }, minsheng.ENOTFOUND, []string{"2023"}},
		{"Checks/known year", func() (any, error) { return s.Checks(yr) }, "", nil},
		{"CheckOf/unknown name", func() (any, error) { return s.CheckOf(yr, "09_no_such_check") },
			minsheng.ENOTFOUND, []string{`"09_no_such_check"`}},
		{"CheckOf/a code is no check", func() (any, error) { return s.CheckOf(yr, "09") }, minsheng.ENOTFOUND, nil},
		{"CheckOf/unknown year", func() (any, error) { return s.CheckOf(other, "09_medical_cap") },
			minsheng.ENOTFOUND, []string{"2023"}},
		{"Violations/unknown name", func() (any, error) { return s.Violations(yr, "no_such_check") },
			minsheng.ENOTFOUND, []string{`"no_such_check"`}},
		{"Violations/unknown year", func() (any, error) { return s.Violations(other, "09_medical_cap") },
			minsheng.ENOTFOUND, []string{"2023"}},
		{"Violations/a check without violations", func() (any, error) { return s.Violations(yr, "10c_yearly_cap") }, "", nil},

		{"Unenrolled/unknown township", func() (any, error) { return s.Unenrolled(yr, "火星镇") },
			minsheng.ENOTFOUND, []string{`"火星镇"`}},
		{"Unenrolled/a village is no township", func() (any, error) { return s.Unenrolled(yr, "长集社区") },
			minsheng.ENOTFOUND, nil},
		{"Unenrolled/unknown year", func() (any, error) { return s.Unenrolled(other, "") },
			minsheng.ENOTFOUND, []string{"2023"}},
		{"Unenrolled/a township that meets the target", func() (any, error) { return s.Unenrolled(yr, "孚玉镇") }, "", nil},
		{"Townships/unknown year", func() (any, error) { return s.Townships(other) }, minsheng.ENOTFOUND, []string{"2023"}},
		{"DataEnd/unknown year", func() (any, error) { return s.DataEnd(other) }, minsheng.ENOTFOUND, []string{"2023"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.call()
			if code := minsheng.ErrorCode(err); code != c.code {
				t.Fatalf("error %v (code %q), want code %q", err, code, c.code)
			}
			if c.code == "" {
				if v := reflect.ValueOf(got); v.Kind() == reflect.Pointer && v.IsNil() {
					t.Errorf("no answer and no error")
				}
				return
			}
			if v := reflect.ValueOf(got); v.Kind() == reflect.Pointer && !v.IsNil() ||
				v.Kind() == reflect.Slice && !v.IsNil() {
				t.Errorf("an answer with the error: %+v", got)
			}
			var e *minsheng.Error
			if !errors.As(err, &e) || e.Zh == "" || e.En == "" {
				t.Fatalf("%v: not a bilingual *minsheng.Error", err)
			}
			for _, m := range c.mentions {
				if !strings.Contains(e.Zh, m) || !strings.Contains(e.En, m) {
					t.Errorf("%q / %q does not name %s", e.Zh, e.En, m)
				}
			}
		})
	}
}

// TestDefaults: the years held, the default year by today's date, and the zero as-of date, which
// every method taking one reads as the newest record date (2024-10-31).
func TestDefaults(t *testing.T) {
	s := handSnapshot(t)
	if got := s.Years(); !slices.Equal(got, []int{handlake.Year}) {
		t.Errorf("Years() = %v, want [%d]", got, handlake.Year)
	}
	for today, want := range map[string]int{
		"2023-05-01": handlake.Year, // before every plan year: the oldest
		"2024-01-01": handlake.Year,
		"2024-11-01": handlake.Year,
		"2030-01-01": handlake.Year, // after: the newest that has begun
	} {
		if got := s.DefaultYear(date(t, today)); got != want {
			t.Errorf("DefaultYear(%s) = %d, want %d", today, got, want)
		}
	}
	end, err := s.DataEnd(handlake.Year)
	if err != nil || end.Format(time.DateOnly) != handlake.DataEnd {
		t.Fatalf("DataEnd = %v, %v; want %s", end, err, handlake.DataEnd)
	}
	var zero time.Time
	list, err := s.Targets(handlake.Year, zero)
	if err != nil {
		t.Fatal(err)
	}
	listAtEnd, err := s.Targets(handlake.Year, end)
	if err != nil {
		t.Fatal(err)
	}
	if list.AsOf != handlake.DataEnd || list.DataAsOf != handlake.DataEnd || !reflect.DeepEqual(list, listAtEnd) {
		t.Errorf("Targets at the zero date: as_of %s, data_as_of %s; want the answer at %s", list.AsOf, list.DataAsOf, handlake.DataEnd)
	}
	detail, err := s.Target(handlake.Year, "09", zero)
	if err != nil {
		t.Fatal(err)
	}
	detailAtEnd, err := s.Target(handlake.Year, "09", end)
	if err != nil {
		t.Fatal(err)
	}
	if detail.AsOf != handlake.DataEnd || !reflect.DeepEqual(detail, detailAtEnd) {
		t.Errorf("Target 09 at the zero date: as_of %s; want the answer at %s", detail.AsOf, handlake.DataEnd)
	}
	e, err := s.Enrollment(handlake.Year, zero)
	if err != nil {
		t.Fatal(err)
	}
	eAtEnd, err := s.Enrollment(handlake.Year, end)
	if err != nil {
		t.Fatal(err)
	}
	if e.AsOf != handlake.DataEnd || !reflect.DeepEqual(e, eAtEnd) {
		t.Errorf("Enrollment at the zero date: as_of %s; want the answer at %s", e.AsOf, handlake.DataEnd)
	}
}
