-- mart_claims_by_group: the targets of measure medical_assistance_ratio_compliance (19b in 2024),
-- 医疗救助 ratio compliance, by 人员类别 at the end of every day, for 县医保局's page. The same
-- rule as the target's daily value (int_medical_claims judges the claims once for both): at an
-- as-of date a claim counts once it is settled on or before it, in the person group of the
-- roster snapshot in force that day (the claim's own 人员类别 when the person is not on it, or
-- before any snapshot), compliant or not by that group's ratio. The groups' claims add up to the
-- target's denominator and their compliant claims to its numerator on every day (data test
-- claims_by_group_sum_to_target).
--   code          the target (each target of the measure has its own rows, by its own ratios)
--   person_group  the effective group: the roster's, else the claim's
--   ratio         the group's ratio in the target's settings; null for a group without one (a
--                 roster 脱贫人口, whose claims cannot comply)
--   claims, compliant  claims counted in the group that day, and those paid at its ratio
--   rate          compliant / claims
-- No claim is joined to days: each state of a claim adds itself to its group on the day it comes
-- into force and takes itself out of the group of the state it replaces; a running sum over the
-- date spine gives every day at once. A day after the newest record date keeps that date's rows
-- (data_as_of_on), as in mart_indicator_daily.
-- grain: one row per plan year per target code (of the measure) per day from Jan 1 to Dec 31 per
-- person group with claims that day (on its data_as_of_on).
with

-- the target's value is summed over the profile's townships (int_indicator_daily_township): a
-- claim in a township outside the profile falls out of it, and out of here alike
-- (relationships_township refuses such a build anyway)
states as (

    select *
    from int_medical_claims
    semi join plan_targets_of('medical_assistance_ratio_compliance') as t
        on t.year = int_medical_claims.year and t.code = int_medical_claims.code
    semi join (select distinct township from county_villages) as townships
        on townships.township = int_medical_claims.township

),

changes as (

    select year, code, effective_group as person_group, event_on,
        1 as claims, cast(is_compliant as integer) as compliant
    from states
    union all
    select year, code, previous_group, event_on,
        -1, -cast(was_compliant as integer)
    from states
    where not is_first

),

daily_changes as (

    select year, code, person_group, event_on, sum(claims) as claims, sum(compliant) as compliant
    from changes
    group by 1, 2, 3, 4

),

groups as (

    select year, code, effective_group as person_group, max(ratio) as ratio
    from states
    group by 1, 2, 3

),

-- the running sums on the data days (up to the newest record date)
running as (

    select
        groups.year,
        groups.code,
        int_calendar.as_of_on,
        groups.person_group,
        groups.ratio,
        cast(sum(coalesce(daily_changes.claims, 0)) over running as bigint) as claims,
        cast(sum(coalesce(daily_changes.compliant, 0)) over running as bigint) as compliant

    from groups
    join int_calendar on int_calendar.year = groups.year and int_calendar.is_data_day
    left join daily_changes
        on daily_changes.year = groups.year
        and daily_changes.code = groups.code
        and daily_changes.person_group = groups.person_group
        and daily_changes.event_on = int_calendar.as_of_on
    window running as (
        partition by groups.year, groups.code, groups.person_group
        order by int_calendar.as_of_on
        rows between unbounded preceding and current row
    )

),

final as (

    select
        running.year,
        running.code,
        int_calendar.as_of_on,
        int_calendar.data_as_of_on,
        running.person_group,
        running.ratio,
        running.claims,
        running.compliant,
        running.compliant / running.claims as rate

    from running
    join int_calendar
        on int_calendar.year = running.year and int_calendar.data_as_of_on = running.as_of_on
    where running.claims > 0

)

select * from final
