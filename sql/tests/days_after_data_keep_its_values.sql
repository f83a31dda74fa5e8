-- the as-of rule (int_calendar): a day of the daily marts after the newest record date carries
-- the values of that date (data_as_of_on), row for row, with its own time progress; a data day
-- is its own data_as_of_on
with

calendar as (

    select year, as_of_on, data_as_of_on, time_progress from int_calendar

),

daily as (

    select later.year, later.code, later.as_of_on
    from mart_indicator_daily as later
    join calendar using (year, as_of_on)
    left join mart_indicator_daily as data_day
        on data_day.year = later.year
        and data_day.code = later.code
        and data_day.as_of_on = later.data_as_of_on
    where later.data_as_of_on is distinct from calendar.data_as_of_on
        or later.time_progress is distinct from calendar.time_progress
        or data_day.data_as_of_on is distinct from data_day.as_of_on
        or later.actual is distinct from data_day.actual
        or later.numerator is distinct from data_day.numerator
        or later.denominator is distinct from data_day.denominator
        or later.amount_yuan is distinct from data_day.amount_yuan
        or later.completion is distinct from data_day.completion
        or later.status is distinct from
            indicator_status(later.kind, later.target, data_day.actual, calendar.time_progress,
                (select value from plan_settings as s
                 where s.year = later.year and s.target_code = '' and s.name = 'lag_band_points'))

),

townships as (

    select later.year, later.code, later.as_of_on
    from mart_indicator_by_township as later
    left join mart_indicator_by_township as data_day
        on data_day.year = later.year
        and data_day.code = later.code
        and data_day.township = later.township
        and data_day.as_of_on = later.data_as_of_on
    where later.actual is distinct from data_day.actual
        or later.numerator is distinct from data_day.numerator
        or later.denominator is distinct from data_day.denominator
        or later.amount_yuan is distinct from data_day.amount_yuan
        or later.meets is distinct from data_day.meets

),

categories as (

    select later.year, later.code, later.as_of_on
    from mart_indicator_by_category as later
    left join mart_indicator_by_category as data_day
        on data_day.year = later.year
        and data_day.code = later.code
        and data_day.category = later.category
        and data_day.as_of_on = later.data_as_of_on
    where later.persons is distinct from data_day.persons
        or later.amount_yuan is distinct from data_day.amount_yuan

),

enrollment as (

    select later.year, later.code, later.as_of_on
    from mart_enrollment_by_township as later
    left join mart_enrollment_by_township as data_day
        on data_day.year = later.year
        and data_day.code = later.code
        and data_day.township = later.township
        and data_day.as_of_on = later.data_as_of_on
    where later.snapshot_on is distinct from data_day.snapshot_on
        or later.roster_persons is distinct from data_day.roster_persons
        or later.exempt_persons is distinct from data_day.exempt_persons
        or later.enrolled_persons is distinct from data_day.enrolled_persons
        or later.is_flagged is distinct from data_day.is_flagged

),

claims as (

    select later.year, later.code, later.as_of_on
    from mart_claims_by_group as later
    left join mart_claims_by_group as data_day
        on data_day.year = later.year
        and data_day.code = later.code
        and data_day.person_group = later.person_group
        and data_day.as_of_on = later.data_as_of_on
    where later.claims is distinct from data_day.claims
        or later.compliant is distinct from data_day.compliant

)

select 'mart_indicator_daily' as mart, * from daily
union all select 'mart_indicator_by_township', * from townships
union all select 'mart_indicator_by_category', * from categories
union all select 'mart_enrollment_by_township', * from enrollment
union all select 'mart_claims_by_group', * from claims
