-- int_calendar: the date spine every daily mart is laid on, with the time progress (序时进度)
-- of each day.
-- grain: one row per plan year per day from Jan 1 to the newest record date of the year.
with

days as (

    select
        year,
        starts_on,
        data_ends_on,
        days_in_year,
        cast(unnest(generate_series(starts_on, data_ends_on, interval 1 day)) as date) as as_of_on
    from int_plan_years

),

final as (

    select
        year,
        as_of_on,
        cast(date_trunc('month', as_of_on) as date) as month_on,
        as_of_on - starts_on + 1 as day_of_year,
        days_in_year,
        (as_of_on - starts_on + 1) / days_in_year as time_progress,
        -- the days the monthly mart reports: each month's end, and the newest record date
        (as_of_on = last_day(as_of_on) or as_of_on = data_ends_on) as is_month_close

    from days

)

select * from final
