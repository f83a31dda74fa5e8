-- mart_indicator_daily: every target of the plan at the end of every day of the year: actual, its
-- numerator and denominator, money, and the status against the time progress of that day. A day
-- after the newest record date keeps that date's values, completion included (data_as_of_on, from
-- int_calendar), and takes its own time progress and the status judged at it. The API answers
-- any as-of date with one row of this table.
--   measure      the target's measure (config/measures.yaml), by which the SQL computes it
--   value_form   how the measure makes actual from the sums (count, share or mean_yuan)
--   data_as_of_on  the day the values are of: as_of_on, or the newest record date after it
--   actual       count: the count; share: numerator / denominator (null while there is nothing
--                to judge); mean_yuan (mean_subsidy_closed_cases, 16b in 2024): the mean
--                办案补贴 in yuan, rounded to the fen
--   numerator, denominator  share and mean_yuan only (the mean: yuan over cases)
--   amount_yuan  monitor kinds: the sum aided, exact duplicate rows counted once
--   time_progress  of as_of_on (int_calendar)
--   completion   count kinds: actual / target
-- grain: one row per plan year per target code per day from Jan 1 to Dec 31.
with

county as (

    select
        year,
        code,
        as_of_on,
        cast(sum(n) as bigint) as n,
        cast(sum(numerator) as decimal(38, 2)) as numerator,
        cast(sum(denominator) as bigint) as denominator,
        cast(sum(amount_yuan) as decimal(38, 2)) as amount_yuan
    from int_indicator_daily_township
    group by 1, 2, 3

),

valued as (

    select
        measures.year,
        measures.code,
        measures.item,
        measures.title,
        measures.lead_unit,
        measures.kind,
        measures.unit,
        measures.target,
        measures.parent_code,
        measures.sort_order,
        measures.measure,
        measures.value_form,
        measures.lag_band_points,
        int_calendar.as_of_on,
        int_calendar.data_as_of_on,
        int_calendar.time_progress,
        indicator_actual(measures.value_form, county.n, county.numerator, county.denominator) as actual,
        case when measures.value_form <> 'count' then county.numerator end as numerator,
        case when measures.value_form <> 'count' then county.denominator end as denominator,
        case when measures.kind = 'monitor' then county.amount_yuan end as amount_yuan

    from county
    join int_indicator_measures as measures
        on measures.year = county.year and measures.code = county.code
    join int_calendar
        on int_calendar.year = county.year and int_calendar.data_as_of_on = county.as_of_on

),

final as (

    select
        year,
        code,
        as_of_on,
        data_as_of_on,
        item,
        title,
        lead_unit,
        kind,
        unit,
        target,
        parent_code,
        sort_order,
        measure,
        value_form,
        time_progress,
        actual,
        numerator,
        denominator,
        amount_yuan,
        case when kind = 'count' then actual / target end as completion,
        indicator_status(kind, target, actual, time_progress, lag_band_points) as status

    from valued

)

select * from final
