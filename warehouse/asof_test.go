package warehouse_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

// naiveIndicators works every indicator out at one as-of date the plain way, straight from the
// staging views with the date as a filter: no keys, no events, no running sums. The marts get
// there by a different road (first days, state changes, a date spine), so agreeing on several
// dates is evidence about the machinery, not a restatement of it. $1 is the as-of date.
const naiveIndicators = `
with
period as (select cast($1 as date) as d, date '2024-01-01' as y0),
v09 as (
    select '09' as code, count(*)::double as actual, null::double as num, null::double as den
    from (select distinct person_id, aid_type, aided_on from stg_worker_aid, period where aided_on between y0 and d)
),
v10a as (select '10a' as code, count(distinct person_id)::double as actual, null, null from stg_child_rehab, period where aided_on between y0 and d),
v10b as (select '10b' as code, count(distinct person_id)::double as actual, null, null from stg_assistive_device, period where fitted_on between y0 and d),
v10c as (select '10c' as code, count(distinct person_id)::double as actual, null, null from stg_psych_medication, period where paid_on between y0 and d),
v10 as (select '10', (select actual from v10a) + (select actual from v10b) + (select actual from v10c), null, null),
v11a as (
    select '11a', count(*)::double, null, null
    from (select distinct person_id, training_type, completed_on from stg_disability_training, period
          where is_completed and completed_on between y0 and d)
),
v11b as (
    select '11b', count(*)::double, null, null
    from (select distinct person_id, care_mode from stg_sunshine_care, period where service_month_on between y0 and d)
),
v12 as (select '12', count(distinct person_id)::double, null, null from stg_accessibility_mod, period where inspection_result = '合格' and inspected_on between y0 and d),
v13a as (select '13a', count(distinct person_id)::double, null, null from stg_elderly_home_mod, period where inspection_result = '合格' and inspected_on between y0 and d),
v13b as (
    select '13b', count(*) filter (where r.stage in ('竣工验收', '运营') and r.subsidy_yuan >= 500000)::double, null, null
    from (select facility_name, arg_max({'stage': stage, 'subsidy_yuan': subsidy_yuan}, (stage_on, _file_seq, _row)) as r
          from stg_elder_care_facility, period where stage_on between y0 and d group by 1)
),
v14 as (select '14', count(distinct person_id)::double, null, null from stg_serious_illness_aid, period where aided_on between y0 and d),
v15 as (
    select '15', avg(ok::int)::double, sum(ok::int)::double, count(*)::double
    from (select person_id, paid_month_on, bool_and(standard_yuan >= 86) as ok
          from stg_disability_allowance, period where paid_month_on between y0 and d group by 1, 2)
),
v16a as (select '16a', count(distinct case_no)::double, null, null from stg_legal_aid, period where accepted_on between y0 and d),
v16b as (
    select '16b', floor(sum(s) / count(*) * 100 + 0.5) / 100, sum(s)::double, count(*)::double
    from (select case_no, arg_max(subsidy_yuan, (closed_on, _file_seq, _row)) as s
          from stg_legal_aid, period where closed_on between y0 and d and subsidy_yuan is not null group by 1)
),
v17 as (select '17', count(distinct person_id)::double, null, null from stg_veteran_aid, period where aided_on between y0 and d),
v18 as (
    select '18', count(*)::double, null, null
    from (select distinct township, village from stg_mutual_aid_society, period
          where registration = '已登记' and founded_on between y0 and d
            and county_fund_yuan >= 10000 and village_fund_yuan >= 10000 and donation_yuan >= 10000
            and county_fund_yuan + village_fund_yuan + donation_yuan >= 30000)
),
snapshot as (select max(listed_on) as s from stg_low_income_roster, period where listed_on <= d),
roster as (
    select person_id, arg_min(person_group, (_file_seq, _row)) as person_group
    from stg_low_income_roster where listed_on = (select s from snapshot) group by 1
),
enroll as (
    select person_id,
        bool_or(enrollment_status = '已参保') as enrolled,
        bool_or(enrollment_status = '未参保' and unenrolled_reason in ('死亡', '服刑', '参军')) as exemption
    from stg_insurance_enrollment where plan_year = 2024 group by 1
),
v19a as (
    select '19a', sum(coalesce(e.enrolled, false)::int) / count(*), sum(coalesce(e.enrolled, false)::int)::double, count(*)::double
    from roster r left join enroll e using (person_id)
    where coalesce(e.enrolled, false) or not coalesce(e.exemption, false)
),
v19b as (
    select '19b', avg(ok::int)::double, sum(ok::int)::double, count(*)::double
    from (
        select m.assistance_yuan = round(
            case coalesce(r.person_group, m.person_group)
                when '特困人员' then 0.90 when '低保对象' then 0.75
                when '低保边缘家庭成员' then 0.60 when '防止返贫监测对象' then 0.60 end
            * m.eligible_out_of_pocket_yuan, 2) is true as ok
        from stg_medical_assistance m
        left join roster r on r.person_id = m.person_id
        cross join period
        where m.settled_on between y0 and d
    )
),
v20 as (
    select '20', avg(ok::int)::double, sum(ok::int)::double, count(*)::double
    from (select person_id, paid_month_on,
                 bool_and(amount_yuan >= case care_mode when '分散养育' then 1300 else 1710 end) as ok
          from stg_orphan_support, period where paid_month_on between y0 and d group by 1, 2)
)
select * from v09 union all select * from v10 union all select * from v10a union all select * from v10b
union all select * from v10c union all select * from v11a union all select * from v11b union all select * from v12
union all select * from v13a union all select * from v13b union all select * from v14 union all select * from v15
union all select * from v16a union all select * from v16b union all select * from v17 union all select * from v18
union all select * from v19a union all select * from v19b union all select * from v20`

// TestDemoAsOf: at dates before the extract date the marts agree with the naive computation.
func TestDemoAsOf(t *testing.T) {
	_, db := openDemo(t)
	ctx := context.Background()
	for _, day := range []string{"2024-01-31", "2024-03-15", "2024-06-30", "2024-07-01", "2024-09-30", "2024-10-31"} {
		asOf, _ := time.Parse("2006-01-02", day)
		got := dailyAt(t, db, 2024, asOf)
		byCode := map[string]float64{}
		for _, in := range got {
			if !in.DataAsOf.Equal(asOf) {
				t.Errorf("%s %s: values of %s", day, in.Code, in.DataAsOf.Format("2006-01-02"))
			}
			byCode[in.Code] = val(in.Actual)
		}
		rs, err := db.SQL().QueryContext(ctx, strings.ReplaceAll(naiveIndicators, "$1", "'"+day+"'"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rs.Next() {
			var code string
			var actual, num, den *float64
			if err := rs.Scan(&code, &actual, &num, &den); err != nil {
				t.Fatal(err)
			}
			n++
			want := val(actual)
			g, ok := byCode[code]
			if !ok {
				t.Errorf("%s %s: not in the mart", day, code)
				continue
			}
			if (math.IsNaN(want) != math.IsNaN(g)) || math.Abs(g-want) > 1e-9 {
				t.Errorf("%s %s: mart %v, naive %v", day, code, g, want)
			}
		}
		rs.Close()
		if n != len(byCode) {
			t.Errorf("%s: naive gives %d codes, the mart %d", day, n, len(byCode))
		}
		if day == "2024-06-30" {
			t.Logf("%s: %v", day, byCode)
		}
	}
}
