package minsheng

import "time"

// CheckAsOf is the rule an as-of date follows wherever one is asked for (web.ParseQuery for the
// API and the pages, the answers of package indicators): it lies in its plan year. EINVALID when
// it does not, saying which dates the year allows.
func CheckAsOf(year int, asOf time.Time) error {
	if asOf.Year() == year {
		return nil
	}
	return Errorf(EINVALID,
		"统计日期 as_of=%s 不在 %d 年内:请选 %d-01-01 至 %d-12-31 之间的日期",
		"as_of=%s is not in %d: choose a date from %d-01-01 to %d-12-31",
		asOf.Format(time.DateOnly), year, year, year)
}
