-- mart_indicator_by_township: every target by township at the end of every day, on the same
-- rules as mart_indicator_daily. A key counts in the township of the row it first counts on (the
-- roster's township for enrollment_rate_low_income, the claim's for
-- medical_assistance_ratio_compliance), so townships sum to the county. status is given for rate
-- and standard kinds only: a count target is the county's, not a township's. For the enrollment
-- rate (19a in 2024), meets (rate >= target) flags a township for 点对点督导. A day after the
-- newest record date keeps that date's values (data_as_of_on), as in mart_indicator_daily.
-- grain: one row per plan year per target code per profile township per day from Jan 1 to Dec 31.
with

valued as (

    select
        daily.year,
        daily.code,
        daily.township,
        int_calendar.as_of_on,
        int_calendar.data_as_of_on,
        measures.kind,
        measures.target,
        measures.value_form,
        measures.lag_band_points,
        int_calendar.time_progress,
        indicator_actual(measures.value_form, daily.n, daily.numerator, daily.denominator) as actual,
        case when measures.value_form <> 'count' then daily.numerator end as numerator,
        case when measures.value_form <> 'count' then daily.denominator end as denominator,
        case when measures.kind = 'monitor' then daily.amount_yuan end as amount_yuan

    from int_indicator_daily_township as daily
    join int_indicator_measures as measures
        on measures.year = daily.year and measures.code = daily.code
    join int_calendar
        on int_calendar.year = daily.year and int_calendar.data_as_of_on = daily.as_of_on

),

final as (

    select
        year,
        code,
        township,
        as_of_on,
        data_as_of_on,
        kind,
        actual,
        numerator,
        denominator,
        amount_yuan,
        case when kind in ('rate', 'standard')
            then indicator_status(kind, target, actual, time_progress, lag_band_points)
        end as status,
        case when kind in ('rate', 'standard') and actual is not null
            then actual >= target
        end as meets

    from valued

)

select * from final
