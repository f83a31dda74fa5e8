-- mart_indicator_monthly: the cumulative actual at each month's end (the newest record date for
-- the month it falls in), for the trend charts and the monthly bulletin (通报).
-- grain: one row per plan year per target code per month up to the newest record date.
with

final as (

    select
        daily.year,
        daily.code,
        int_calendar.month_on,
        daily.as_of_on,
        daily.kind,
        daily.target,
        daily.time_progress,
        daily.actual,
        daily.numerator,
        daily.denominator,
        daily.amount_yuan,
        daily.completion,
        daily.status

    from mart_indicator_daily as daily
    join int_calendar
        on int_calendar.year = daily.year and int_calendar.as_of_on = daily.as_of_on
    where int_calendar.is_month_close

)

select * from final
