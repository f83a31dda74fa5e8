-- int_indicator_daily_township: running sums of int_indicator_events over the date spine: the
-- state of every indicator in every township at the end of every data day (the later days take
-- the newest record date's state in the marts, by int_calendar.data_as_of_on).
-- grain: one row per plan year per target code per profile township per day from Jan 1 to the
-- newest record date.
with

townships as (

    select distinct township from county_villages

),

grid as (

    select
        int_calendar.year,
        plan_targets.code,
        townships.township,
        int_calendar.as_of_on
    from int_calendar
    join plan_targets on plan_targets.year = int_calendar.year
    cross join townships
    where int_calendar.is_data_day

),

final as (

    select
        grid.year,
        grid.code,
        grid.township,
        grid.as_of_on,
        cast(sum(coalesce(events.n, 0)) over running as bigint) as n,
        cast(sum(coalesce(events.numerator, 0)) over running as decimal(38, 2)) as numerator,
        cast(sum(coalesce(events.denominator, 0)) over running as bigint) as denominator,
        cast(sum(coalesce(events.amount_yuan, 0)) over running as decimal(38, 2)) as amount_yuan

    from grid
    left join int_indicator_events as events
        on events.year = grid.year
        and events.code = grid.code
        and events.township = grid.township
        and events.event_on = grid.as_of_on
    window running as (
        partition by grid.year, grid.code, grid.township
        order by grid.as_of_on
        rows between unbounded preceding and current row
    )

)

select * from final
