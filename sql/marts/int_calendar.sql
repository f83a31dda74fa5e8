-- int_calendar: the date spine every daily mart is laid on, and the one place the as-of rule
-- lives: every day of the plan year, the day whose records answer for it, and its time progress
-- (序时进度). The models compute their values on the data days (up to the newest record date);
-- the daily marts lay them on every day of the year by data_as_of_on, so an as-of date after the
-- newest record keeps that record's values and takes its own time progress and status.
--   as_of_on        a day of the plan year, Jan 1 to Dec 31
--   data_as_of_on   the day whose values answer for as_of_on: as_of_on itself up to the newest
--                   record date of the year (before the first record too: its values are zeros,
--                   or nothing to judge), that date after it (Jan 1 in a year with no record yet)
--   is_data_day     as_of_on = data_as_of_on: a day the models compute
--   time_progress   of as_of_on itself: its day of the year over the days in the year
--   is_month_close  a day the monthly mart reports: each month's end up to the newest record
--                   date, and that date
-- grain: one row per plan year per day from Jan 1 to Dec 31.
with

days as (

    select
        year,
        starts_on,
        data_ends_on,
        days_in_year,
        cast(unnest(generate_series(starts_on, ends_on, interval 1 day)) as date) as as_of_on
    from int_plan_years

),

final as (

    select
        year,
        as_of_on,
        least(as_of_on, data_ends_on) as data_as_of_on,
        as_of_on <= data_ends_on as is_data_day,
        cast(date_trunc('month', as_of_on) as date) as month_on,
        as_of_on - starts_on + 1 as day_of_year,
        days_in_year,
        (as_of_on - starts_on + 1) / days_in_year as time_progress,
        as_of_on <= data_ends_on
            and (as_of_on = last_day(as_of_on) or as_of_on = data_ends_on) as is_month_close

    from days

)

select * from final
