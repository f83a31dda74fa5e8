-- every target code of every plan year is in the daily mart, on every day of the year
with

expected as (

    select plan_targets.year, plan_targets.code, count(*) as days
    from plan_targets
    join int_calendar on int_calendar.year = plan_targets.year
    group by 1, 2

),

present as (

    select year, code, count(*) as days
    from mart_indicator_daily
    group by 1, 2

)

select expected.year, expected.code, expected.days as days_expected, present.days as days_present
from expected
left join present using (year, code)
where present.days is distinct from expected.days
