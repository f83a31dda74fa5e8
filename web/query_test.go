package web_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/web"
)

// plans is a snapshot with the plan years given, each with its newest record date on Oct 31.
type plans []int

func (p plans) DefaultYear(today time.Time) int {
	best := p[0]
	for _, y := range p {
		if y <= today.Year() {
			best = y
		}
	}
	return best
}

func (p plans) DataEnd(year int) (time.Time, error) {
	for _, y := range p {
		if y == year {
			return time.Date(y, 10, 31, 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, minsheng.Errorf(minsheng.ENOTFOUND, "没有 %d 年的目标清单", "there is no plan for %d", year)
}

// TestParseQuery: ?year= and ?as_of= as the API and the pages read them: the defaults, what is
// refused (code and the message in both languages), and the query a page's links carry.
func TestParseQuery(t *testing.T) {
	p := plans{2024, 2025}
	today := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	cases := []struct {
		query    string
		withAsOf bool
		want     web.Query
		encoded  string
		code     string // "" when accepted
		message  string
	}{
		{query: "", withAsOf: true, want: web.Query{Year: 2025}},
		{query: "year=2024", withAsOf: true, want: web.Query{Year: 2024, YearText: "2024"}, encoded: "?year=2024"},
		{query: "year=2024&as_of=2024-06-30", withAsOf: true,
			want:    web.Query{Year: 2024, AsOf: day("2024-06-30"), YearText: "2024", AsOfText: "2024-06-30"},
			encoded: "?as_of=2024-06-30&year=2024"},
		{query: "as_of=2025-12-31", withAsOf: true,
			want: web.Query{Year: 2025, AsOf: day("2025-12-31"), AsOfText: "2025-12-31"}, encoded: "?as_of=2025-12-31"},
		{query: "year=2024&as_of=2024-01-01", withAsOf: true,
			want:    web.Query{Year: 2024, AsOf: day("2024-01-01"), YearText: "2024", AsOfText: "2024-01-01"},
			encoded: "?as_of=2024-01-01&year=2024"},
		{query: "year=2024", withAsOf: false, want: web.Query{Year: 2024, YearText: "2024"}, encoded: "?year=2024"},

		{query: "year=twenty", withAsOf: true, code: minsheng.EINVALID,
			message: `year 应为四位年份(如 2024),而不是 "twenty" / year must be a four-digit year such as 2024, not "twenty"`},
		{query: "year=99999", withAsOf: true, code: minsheng.EINVALID,
			message: `year 应为四位年份(如 2024),而不是 "99999" / year must be a four-digit year such as 2024, not "99999"`},
		{query: "year=1899", withAsOf: true, code: minsheng.EINVALID,
			message: `year 应为四位年份(如 2024),而不是 "1899" / year must be a four-digit year such as 2024, not "1899"`},
		{query: "year=2200", withAsOf: true, code: minsheng.ENOTFOUND,
			message: "没有 2200 年的目标清单 / there is no plan for 2200"},
		{query: "year=2023", withAsOf: true, code: minsheng.ENOTFOUND,
			message: "没有 2023 年的目标清单 / there is no plan for 2023"},
		{query: "as_of=31/10/2024", withAsOf: true, code: minsheng.EINVALID,
			message: `as_of 应为 YYYY-MM-DD 格式的日期(如 2024-10-31),而不是 "31/10/2024" / as_of must be a date as YYYY-MM-DD (such as 2024-10-31), not "31/10/2024"`},
		{query: "as_of=2024-13-01", withAsOf: true, code: minsheng.EINVALID,
			message: `as_of 应为 YYYY-MM-DD 格式的日期(如 2024-10-31),而不是 "2024-13-01" / as_of must be a date as YYYY-MM-DD (such as 2024-10-31), not "2024-13-01"`},
		{query: "year=2024&as_of=2025-01-01", withAsOf: true, code: minsheng.EINVALID,
			message: "统计日期 as_of=2025-01-01 不在 2024 年内:请选 2024-01-01 至 2024-12-31 之间的日期 / as_of=2025-01-01 is not in 2024: choose a date from 2024-01-01 to 2024-12-31"},
		{query: "as_of=2024-10-31", withAsOf: true, code: minsheng.EINVALID, // the default year is 2025
			message: "统计日期 as_of=2024-10-31 不在 2025 年内:请选 2025-01-01 至 2025-12-31 之间的日期 / as_of=2024-10-31 is not in 2025: choose a date from 2025-01-01 to 2025-12-31"},
		{query: "year=2024&as_of=2024-10-31", withAsOf: false, code: minsheng.EINVALID,
			message: "此接口不接受 as_of:检查按最新数据日期进行 / this endpoint takes no as_of: checks are judged at the newest record date"},
		// the syntax is judged before the plan: a malformed date of an unknown year says so first
		{query: "year=2023&as_of=yesterday", withAsOf: true, code: minsheng.EINVALID,
			message: `as_of 应为 YYYY-MM-DD 格式的日期(如 2024-10-31),而不是 "yesterday" / as_of must be a date as YYYY-MM-DD (such as 2024-10-31), not "yesterday"`},
	}
	for _, c := range cases {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := web.ParseQuery(v, p, today, c.withAsOf)
		if c.code != "" {
			if minsheng.ErrorCode(err) != c.code || minsheng.ErrorMessage(err) != c.message {
				t.Errorf("%q: %v (%s), want %s: %s", c.query, err, minsheng.ErrorCode(err), c.code, c.message)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.query, err)
			continue
		}
		if got != c.want {
			t.Errorf("%q: %+v, want %+v", c.query, got, c.want)
		}
		if got.Encode() != c.encoded {
			t.Errorf("%q: links carry %q, want %q", c.query, got.Encode(), c.encoded)
		}
	}
}
