-- int_indicator_events: everything that moves an indicator, as signed changes on the day they
-- happen, by township. A running sum over the date spine turns them into the value at any as-of
-- date (int_indicator_daily_township), so no model joins persons to days.
--   n            the count (count and monitor kinds)
--   numerator    compliant units (a share), or yuan (a mean: 办案补贴)
--   denominator  units judged (a share), or closed cases (a mean)
--   amount_yuan  money aided (monitor kinds)
-- Measures whose value can go down as records arrive are written as state changes: each new
-- state adds itself and removes the one it replaces (2024 codes in brackets).
--   care_facilities_completed (13b)  a facility stands at its newest 阶段日期 row; it counts when
--        at 竣工验收 or 运营 with 建设补助 >= the target's min_subsidy_yuan. Reading: of two rows
--        of one facility on one day, the later file (then the later row) wins, as a correction
--        would.
--   mean_subsidy_closed_cases (16b)  a case counts at its newest 结案日期 row in the year, with
--        that row's 办案补贴; an open listing of the same case adds nothing, so a case listed
--        twice counts once. Two closed rows of one case on one day: the later file wins, as for
--        care_facilities_completed.
--   enrollment_rate_low_income (19a)  the roster snapshot in force (int_enrollment_snapshot):
--        enrolled over roster less exempt.
--   medical_assistance_ratio_compliance (19b)  a claim is judged against the roster snapshot in
--        force at the as-of date (the claim's own 人员类别 when the person is not on it, or before
--        any snapshot); a new snapshot can turn a claim compliant or not. The judging (ratio ×
--        政策范围内个人自付 rounded half up to the fen, in integer fen; a claim is a row of the
--        extract) is int_medical_claims'.
-- Every target of the year's plan that names a measure gets its changes, under its code. Parents
-- (sum_of_parts: 10 = 10a + 10b + 10c in 2024) take their parts' changes.
-- grain: one row per plan year per target code per township per day with a change.
with

key_events as (

    select
        year,
        code,
        township,
        first_on as event_on,
        count(*) as n,
        cast(count(*) filter (where is_compliant) as decimal(38, 2)) as numerator,
        count(*) as denominator,
        cast(0 as decimal(38, 2)) as amount_yuan
    from int_indicator_keys
    group by 1, 2, 3, 4

),

aid_amounts as (

    select
        year,
        code,
        township,
        aided_on as event_on,
        0 as n,
        cast(0 as decimal(38, 2)) as numerator,
        0 as denominator,
        cast(sum(amount_yuan) as decimal(38, 2)) as amount_yuan
    from int_aid_deduped
    group by 1, 2, 3, 4

),

-- care_facilities_completed ------------------------------------------------------------------

facility_minimums as (

    select
        year,
        code,
        cast(plan_setting(year, code, 'min_subsidy_yuan') as decimal(18, 2)) as min_subsidy_yuan
    from plan_targets_of('care_facilities_completed')

),

facility_days as (

    select
        m.year,
        m.code,
        f.facility_name,
        f.stage_on,
        f.township,
        coalesce(f.stage in ('竣工验收', '运营')
            and f.subsidy_yuan >= m.min_subsidy_yuan, false) as is_counted
    from stg_elder_care_facility as f
    join facility_minimums as m on m.year = year(f.stage_on)
    qualify row_number() over (
        partition by m.code, f.facility_name, f.stage_on order by f._file_seq desc, f._row desc
    ) = 1

),

facility_states as (

    select
        *,
        lag(township) over facility as previous_township,
        lag(is_counted) over facility as was_counted
    from facility_days
    window facility as (partition by year, code, facility_name order by stage_on)

),

facility_events as (

    select year, code, township, stage_on as event_on,
        cast(is_counted as integer) as n,
        cast(0 as decimal(38, 2)) as numerator, 0 as denominator, cast(0 as decimal(38, 2)) as amount_yuan
    from facility_states
    union all
    select year, code, previous_township, stage_on,
        -cast(was_counted as integer),
        0, 0, 0
    from facility_states
    where previous_township is not null

),

-- mean_subsidy_closed_cases ------------------------------------------------------------------

closed_days as (

    select
        int_plan_years.year,
        l.case_no,
        l.closed_on,
        l.township,
        l.subsidy_yuan
    from stg_legal_aid as l
    join int_plan_years on int_plan_years.year = year(l.closed_on)
    where l.subsidy_yuan is not null
    qualify row_number() over (
        partition by l.case_no, l.closed_on order by l._file_seq desc, l._row desc
    ) = 1

),

closed_states as (

    select
        *,
        lag(township) over legal_case as previous_township,
        lag(subsidy_yuan) over legal_case as previous_subsidy_yuan
    from closed_days
    window legal_case as (partition by year, case_no order by closed_on)

),

closed_events as (

    select t.year, t.code, s.township, s.closed_on as event_on,
        1 as n,
        cast(s.subsidy_yuan as decimal(38, 2)) as numerator,
        1 as denominator,
        cast(0 as decimal(38, 2)) as amount_yuan
    from closed_states as s
    join plan_targets_of('mean_subsidy_closed_cases') as t on t.year = s.year
    union all
    select t.year, t.code, s.previous_township, s.closed_on,
        -1,
        -s.previous_subsidy_yuan,
        -1,
        0
    from closed_states as s
    join plan_targets_of('mean_subsidy_closed_cases') as t on t.year = s.year
    where s.previous_township is not null

),

-- enrollment_rate_low_income -----------------------------------------------------------------

snapshot_changes as (

    select
        year,
        township,
        effective_on as event_on,
        roster_persons - coalesce(lag(roster_persons) over township_snapshots, 0) as n,
        cast(enrolled_persons - coalesce(lag(enrolled_persons) over township_snapshots, 0)
            as decimal(38, 2)) as numerator,
        (roster_persons - exempt_persons)
            - coalesce(lag(roster_persons - exempt_persons) over township_snapshots, 0) as denominator,
        cast(0 as decimal(38, 2)) as amount_yuan
    from int_enrollment_snapshot
    window township_snapshots as (partition by year, township order by effective_on)

),

enrollment_events as (

    select t.year, t.code, c.township, c.event_on, c.n, c.numerator, c.denominator, c.amount_yuan
    from snapshot_changes as c
    join plan_targets_of('enrollment_rate_low_income') as t on t.year = c.year

),

-- medical_assistance_ratio_compliance --------------------------------------------------------

-- each claim counts once from its settle day; its compliance moves as roster snapshots come into
-- force (int_medical_claims judges every state, for each target of the measure)
claim_events as (

    select
        year,
        code,
        township,
        event_on,
        cast(is_first as integer) as n,
        cast(cast(is_compliant as integer) - coalesce(cast(was_compliant as integer), 0)
            as decimal(38, 2)) as numerator,
        cast(is_first as integer) as denominator,
        cast(0 as decimal(38, 2)) as amount_yuan
    from int_medical_claims

),

-- all targets -------------------------------------------------------------------------------

leaf_events as (

    select * from key_events
    union all select * from aid_amounts
    union all select * from facility_events
    union all select * from closed_events
    union all select * from enrollment_events
    union all select * from claim_events

),

-- a target of sum_of_parts takes the changes of its parts (plan: parts)
part_events as (

    select
        leaf_events.year,
        parts.code,
        leaf_events.township,
        leaf_events.event_on,
        leaf_events.n,
        leaf_events.numerator,
        leaf_events.denominator,
        leaf_events.amount_yuan
    from leaf_events
    join plan_target_parts as parts
        on parts.year = leaf_events.year
        and parts.part_code = leaf_events.code
    semi join plan_targets_of('sum_of_parts') as t
        on t.year = parts.year and t.code = parts.code

),

unioned as (

    select * from leaf_events
    union all
    select * from part_events

),

final as (

    select
        unioned.year,
        unioned.code,
        unioned.township,
        unioned.event_on,
        cast(sum(unioned.n) as bigint) as n,
        cast(sum(unioned.numerator) as decimal(38, 2)) as numerator,
        cast(sum(unioned.denominator) as bigint) as denominator,
        cast(sum(unioned.amount_yuan) as decimal(38, 2)) as amount_yuan
    from unioned
    semi join plan_targets
        on plan_targets.year = unioned.year and plan_targets.code = unioned.code
    group by 1, 2, 3, 4

)

select * from final
