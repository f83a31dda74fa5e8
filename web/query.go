package web

import (
	"net/url"
	"strconv"
	"time"

	"github.com/minsheng/minsheng"
)

// Query is a request's plan year and as-of date, read and checked by ParseQuery: the one reading
// of ?year= and ?as_of= for the API and the pages alike.
type Query struct {
	Year     int       // the plan year asked for, or the default year
	AsOf     time.Time // zero: not given, the year's newest record date
	YearText string    // ?year= as given; "" when not given
	AsOfText string    // ?as_of= as given; "" when not given
}

// Encode is the query as asked, "?year=…&as_of=…" with only what was given, or "": what a page's
// links carry so that the next page keeps its year and date.
func (q Query) Encode() string {
	v := url.Values{}
	if q.YearText != "" {
		v.Set("year", q.YearText)
	}
	if q.AsOfText != "" {
		v.Set("as_of", q.AsOfText)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Plans is what ParseQuery asks of the answers (an *indicators.Snapshot): the default year, and
// whether a year has a plan.
type Plans interface {
	// DefaultYear is the year a request without ?year= is about, on the county's date today.
	DefaultYear(today time.Time) int
	// DataEnd is the year's newest record date; ENOTFOUND for a year without a plan.
	DataEnd(year int) (time.Time, error)
}

// ParseQuery reads ?year= (default: plans.DefaultYear(today)) and ?as_of=YYYY-MM-DD (default: the
// zero time, the year's newest record date) and checks them, in this order, each with a message
// in Chinese and English (a page shows the Chinese half):
//   - year is an integer from 1900 to 2200: EINVALID;
//   - as_of, where withAsOf is false (an answer judged at the newest record date, such as the
//     checks), is not given at all: EINVALID; otherwise it is a date written YYYY-MM-DD: EINVALID;
//   - the year has a plan: ENOTFOUND, with plans.DataEnd's message;
//   - as_of lies in the year (minsheng.CheckAsOf): EINVALID.
func ParseQuery(v url.Values, plans Plans, today time.Time, withAsOf bool) (Query, error) {
	var q Query
	if y := v.Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1900 || n > 2200 {
			return q, minsheng.Errorf(minsheng.EINVALID, "year 应为四位年份(如 2024),而不是 %q",
				"year must be a four-digit year such as 2024, not %q", y)
		}
		q.Year, q.YearText = n, y
	} else {
		q.Year = plans.DefaultYear(today)
	}
	if a := v.Get("as_of"); a != "" {
		if !withAsOf {
			return q, minsheng.Errorf(minsheng.EINVALID, "此接口不接受 as_of:检查按最新数据日期进行",
				"this endpoint takes no as_of: checks are judged at the newest record date")
		}
		t, err := time.Parse(time.DateOnly, a)
		if err != nil {
			return q, minsheng.Errorf(minsheng.EINVALID, "as_of 应为 YYYY-MM-DD 格式的日期(如 2024-10-31),而不是 %q",
				"as_of must be a date as YYYY-MM-DD (such as 2024-10-31), not %q", a)
		}
		q.AsOf, q.AsOfText = t, a
	}
	if _, err := plans.DataEnd(q.Year); err != nil {
		return q, err
	}
	if !q.AsOf.IsZero() {
		if err := minsheng.CheckAsOf(q.Year, q.AsOf); err != nil {
			return q, err
		}
	}
	return q, nil
}
