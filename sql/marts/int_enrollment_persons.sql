-- int_enrollment_persons: a person's 参保 state for a plan year, from every enrollment row with
-- 参保年度 = the year, under any 险种 (sources.md; measure enrollment_rate_low_income, 19a in
-- 2024).
-- Reading: the enrollment extract is a state table, not events, so its 数据日期 does not limit
-- which rows count at an as-of date; the roster snapshot does (int_roster_snapshots).
-- grain: one row per plan year per person with an enrollment row for that year.
with

enrollment as (

    select * from stg_insurance_enrollment
    where person_id is not null
        and plan_year in (select year from int_plan_years)

),

states as (

    select
        plan_year as year,
        person_id,
        bool_or(enrollment_status = '已参保') as is_enrolled,
        -- 死亡, 服刑 and 参军 are the valid exemptions; they leave the denominator
        bool_or(enrollment_status = '未参保'
            and unenrolled_reason in ('死亡', '服刑', '参军')) as has_exemption,
        -- 特困人员 must carry 全额资助 (checked in mart_check_violations)
        bool_or(enrollment_status = '已参保'
            and subsidy_class is distinct from '全额资助') as has_partial_subsidy,
        count(*) as enrollment_rows

    from enrollment
    group by 1, 2

),

final as (

    select
        year,
        person_id,
        is_enrolled,
        not is_enrolled and has_exemption as is_exempt,
        has_partial_subsidy,
        enrollment_rows

    from states

)

select * from final
