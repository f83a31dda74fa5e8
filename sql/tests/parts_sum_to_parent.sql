-- a target of sum_of_parts is the sum of its parts on every day (10 = 10a + 10b + 10c in 2024)
with

parts as (

    select parts.year, parts.code, daily.as_of_on, sum(daily.actual) as actual
    from plan_target_parts as parts
    join mart_indicator_daily as daily
        on daily.year = parts.year and daily.code = parts.part_code
    group by 1, 2, 3

)

select parts.year, parts.code, parts.as_of_on, parts.actual as parts_actual, parent.actual
from parts
join mart_indicator_daily as parent
    on parent.year = parts.year and parent.code = parts.code and parent.as_of_on = parts.as_of_on
where parent.actual is distinct from parts.actual
