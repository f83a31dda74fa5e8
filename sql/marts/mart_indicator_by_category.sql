-- mart_indicator_by_category: the targets of the measures with categories by category at the end
-- of every day: persons_serious_illness_aid by 病种 (14 in 2024), persons_veteran_aid by 对象类别
-- (17 in 2024), from int_aid_deduped. persons are distinct within a category (a person aided
-- under two categories counts in each, once in the total); amount_yuan counts exact duplicates
-- once. A day after the newest record date keeps that date's values (data_as_of_on), as in
-- mart_indicator_daily.
-- grain: one row per plan year per target code (of those measures) per category seen in the
-- year per day from Jan 1 to Dec 31.
with

first_days as (

    select year, code, category, person_id, min(aided_on) as first_on
    from int_aid_deduped
    group by 1, 2, 3, 4

),

events as (

    select year, code, category, first_on as event_on,
        count(*) as persons, cast(0 as decimal(38, 2)) as amount_yuan
    from first_days
    group by 1, 2, 3, 4
    union all
    select year, code, category, aided_on,
        0, cast(sum(amount_yuan) as decimal(38, 2))
    from int_aid_deduped
    group by 1, 2, 3, 4

),

daily_events as (

    select year, code, category, event_on,
        sum(persons) as persons, sum(amount_yuan) as amount_yuan
    from events
    group by 1, 2, 3, 4

),

categories as (

    select distinct int_aid_deduped.year, int_aid_deduped.code, int_aid_deduped.category
    from int_aid_deduped
    semi join plan_targets
        on plan_targets.year = int_aid_deduped.year and plan_targets.code = int_aid_deduped.code

),

-- the running sums on the data days (up to the newest record date)
data_days as (

    select
        categories.year,
        categories.code,
        categories.category,
        int_calendar.as_of_on,
        cast(sum(coalesce(daily_events.persons, 0)) over running as bigint) as persons,
        cast(sum(coalesce(daily_events.amount_yuan, 0)) over running as decimal(38, 2)) as amount_yuan

    from categories
    join int_calendar on int_calendar.year = categories.year and int_calendar.is_data_day
    left join daily_events
        on daily_events.year = categories.year
        and daily_events.code = categories.code
        and daily_events.category = categories.category
        and daily_events.event_on = int_calendar.as_of_on
    window running as (
        partition by categories.year, categories.code, categories.category
        order by int_calendar.as_of_on
        rows between unbounded preceding and current row
    )

),

final as (

    select
        data_days.year,
        data_days.code,
        data_days.category,
        int_calendar.as_of_on,
        int_calendar.data_as_of_on,
        data_days.persons,
        data_days.amount_yuan

    from data_days
    join int_calendar
        on int_calendar.year = data_days.year and int_calendar.data_as_of_on = data_days.as_of_on

)

select * from final
