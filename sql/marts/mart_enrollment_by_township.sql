-- mart_enrollment_by_township: the targets of measure enrollment_rate_low_income (19a in 2024)
-- for the medical insurance bureau's assessment (绩效考核): by township, the roster in force at
-- the end of each day (the newest snapshot on or before it), the exempt (死亡, 服刑, 参军: out of
-- the denominator), the enrolled, the rate, and whether it meets the target; a township that
-- does not is flagged for 点对点督导. Before the first snapshot there is no roster: zeros, no
-- rate. Each target of the measure has its own rows, judged against its own target. A day after
-- the newest record date keeps that date's roster (data_as_of_on), as in mart_indicator_daily.
-- grain: one row per plan year per target code (of the measure) per day from Jan 1 to Dec 31 per
-- profile township.
with

townships as (

    select distinct township from county_villages

),

targets as (

    select plan_targets.year, plan_targets.code, plan_targets.target
    from plan_targets
    semi join plan_targets_of('enrollment_rate_low_income') as t
        on t.year = plan_targets.year and t.code = plan_targets.code

),

days as (

    select int_calendar.year, int_calendar.as_of_on, int_calendar.data_as_of_on, townships.township
    from int_calendar
    cross join townships

),

states as (

    select
        days.year,
        days.as_of_on,
        days.data_as_of_on,
        days.township,
        snapshot.snapshot_on,
        coalesce(snapshot.roster_persons, 0) as roster_persons,
        coalesce(snapshot.exempt_persons, 0) as exempt_persons,
        coalesce(snapshot.enrolled_persons, 0) as enrolled_persons

    from days
    asof left join int_enrollment_snapshot as snapshot
        on snapshot.year = days.year
        and snapshot.township = days.township
        and days.data_as_of_on >= snapshot.effective_on

),

final as (

    select
        states.year,
        targets.code,
        states.as_of_on,
        states.data_as_of_on,
        states.township,
        states.snapshot_on,
        states.roster_persons,
        states.exempt_persons,
        states.enrolled_persons,
        states.roster_persons - states.exempt_persons as eligible_persons,
        case when states.roster_persons > states.exempt_persons
            then states.enrolled_persons / (states.roster_persons - states.exempt_persons)
        end as rate,
        case when states.roster_persons > states.exempt_persons
            then states.enrolled_persons
                >= cast(targets.target as decimal(18, 6)) * (states.roster_persons - states.exempt_persons)
        end as meets,
        coalesce(states.roster_persons > states.exempt_persons
            and states.enrolled_persons
                < cast(targets.target as decimal(18, 6)) * (states.roster_persons - states.exempt_persons),
            false) as is_flagged

    from states
    join targets on targets.year = states.year

)

select * from final
