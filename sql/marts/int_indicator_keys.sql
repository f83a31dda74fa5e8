-- int_indicator_keys: what each counting indicator counts, once, on the day it first counts.
-- The count at an as-of date is the number of keys whose first_on is on or before it, so the
-- daily mart sums first days instead of re-scanning records per day. The first qualifying row
-- (by day, then file as committed, then row) gives the key its township and the masked names
-- the checks list (found again by _file_seq and _row). A key is (person_id, key_part, key_on),
-- each part null where unused; every part below groups by its key, so a key is one row.
--   09   (person, 帮扶类型, 救助日期) after exact repeats are removed      人次
--   10a  children in child_rehab; 10b in assistive_device; 10c persons in psych_medication
--   11a  (person, 培训类型, 结业日期) with 是否结业 = 是                    人次
--   11b  (person, 托养方式) in sunshine_care                               人次
--   12   households (户主) with 验收结果 = 合格 in accessibility_mod; 13a in elderly_home_mod
--   14   persons aided (serious_illness_aid); 17 (veteran_aid)
--   15   person-months of disability_allowance; compliant when every payment row of the
--        person-month has 发放标准 >= standard_yuan
--   16a  distinct 案件编号, counted from the earliest 受理日期 of the case in the year
--   18   (乡镇, 村) with a registered society founded in the year whose county, village and
--        donation funds each reach their minimum and whose sum reaches min_start_fund_yuan
--        (reading: a society founded before the plan year does not count toward it)
--   20   child-months of orphan_support; compliant when every payment row of the child-month
--        reaches its 养育方式's standard (reading: each payment, as the contract reads it, so a
--        month paid in two parts below the standard each is not compliant; two payments in one
--        month are one child-month)
-- 12 and 13a keep the 户主's age on the first 合格 验收日期, for 13a_age.
-- grain: one row per plan year per indicator code per counted key.
with

years as (

    select year from int_plan_years

),

thresholds as (

    select
        year,
        cast(max(value) filter (where target_code = '15' and name = 'standard_yuan') as decimal(18, 2)) as allowance_standard_yuan,
        cast(max(value) filter (where target_code = '18' and name = 'min_start_fund_yuan') as decimal(18, 2)) as society_min_start_yuan,
        cast(max(value) filter (where target_code = '18' and name = 'min_county_yuan') as decimal(18, 2)) as society_min_county_yuan,
        cast(max(value) filter (where target_code = '18' and name = 'min_village_yuan') as decimal(18, 2)) as society_min_village_yuan,
        cast(max(value) filter (where target_code = '18' and name = 'min_donation_yuan') as decimal(18, 2)) as society_min_donation_yuan,
        cast(max(value) filter (where target_code = '20' and name = 'dispersed_yuan') as decimal(18, 2)) as orphan_dispersed_yuan,
        cast(max(value) filter (where target_code = '20' and name = 'centralized_yuan') as decimal(18, 2)) as orphan_centralized_yuan
    from plan_settings
    group by 1

),

worker_aid as (

    -- already one row per key, the first
    select
        year,
        '09' as code,
        person_id,
        aid_type as key_part,
        aided_on as key_on,
        aided_on as first_on,
        cast(null as boolean) as is_compliant,
        township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        row_locator(_file_seq, _row) as first_row
    from int_worker_aid_deduped

),

child_rehab as (

    select
        years.year,
        '10a' as code,
        r.person_id as person_id,
        cast(null as varchar) as key_part,
        cast(null as date) as key_on,
        min(r.aided_on) as first_on,
        cast(null as boolean) as is_compliant,
        arg_min(r.township, row_order(r.aided_on, r._file_seq, r._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(r._file_seq, r._row), row_order(r.aided_on, r._file_seq, r._row)) as first_row
    from stg_child_rehab as r
    join years on years.year = year(r.aided_on)
    group by years.year, r.person_id

),

assistive_device as (

    select
        years.year,
        '10b' as code,
        d.person_id as person_id,
        cast(null as varchar) as key_part,
        cast(null as date) as key_on,
        min(d.fitted_on) as first_on,
        cast(null as boolean) as is_compliant,
        arg_min(d.township, row_order(d.fitted_on, d._file_seq, d._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(d._file_seq, d._row), row_order(d.fitted_on, d._file_seq, d._row)) as first_row
    from stg_assistive_device as d
    join years on years.year = year(d.fitted_on)
    group by years.year, d.person_id

),

psych_medication as (

    select
        years.year,
        '10c' as code,
        m.person_id as person_id,
        cast(null as varchar) as key_part,
        cast(null as date) as key_on,
        min(m.paid_on) as first_on,
        cast(null as boolean) as is_compliant,
        arg_min(m.township, row_order(m.paid_on, m._file_seq, m._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(m._file_seq, m._row), row_order(m.paid_on, m._file_seq, m._row)) as first_row
    from stg_psych_medication as m
    join years on years.year = year(m.paid_on)
    group by years.year, m.person_id

),

training as (

    select
        years.year,
        '11a' as code,
        t.person_id as person_id,
        t.training_type as key_part,
        t.completed_on as key_on,
        min(t.completed_on) as first_on,
        cast(null as boolean) as is_compliant,
        arg_min(t.township, row_order(t.completed_on, t._file_seq, t._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(t._file_seq, t._row), row_order(t.completed_on, t._file_seq, t._row)) as first_row
    from stg_disability_training as t
    join years on years.year = year(t.completed_on)
    where t.is_completed
    group by years.year, t.person_id, t.training_type, t.completed_on

),

sunshine_care as (

    select
        years.year,
        '11b' as code,
        c.person_id as person_id,
        c.care_mode as key_part,
        cast(null as date) as key_on,
        min(c.service_month_on) as first_on,
        cast(null as boolean) as is_compliant,
        arg_min(c.township, row_order(c.service_month_on, c._file_seq, c._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(c._file_seq, c._row), row_order(c.service_month_on, c._file_seq, c._row)) as first_row
    from stg_sunshine_care as c
    join years on years.year = year(c.service_month_on)
    group by years.year, c.person_id, c.care_mode

),

home_mods as (

    select '12' as code, person_id, inspected_on, inspection_result, township, village,
        person_age, _file_seq, _row
    from stg_accessibility_mod
    union all
    select '13a' as code, person_id, inspected_on, inspection_result, township, village,
        person_age, _file_seq, _row
    from stg_elderly_home_mod

),

passed_households as (

    select
        years.year,
        h.code,
        h.person_id as person_id,
        cast(null as varchar) as key_part,
        cast(null as date) as key_on,
        min(h.inspected_on) as first_on,
        cast(null as boolean) as is_compliant,
        arg_min(h.township, row_order(h.inspected_on, h._file_seq, h._row)) as township,
        arg_min(h.village, row_order(h.inspected_on, h._file_seq, h._row)) as village,
        cast(arg_min(h.person_age, row_order(h.inspected_on, h._file_seq, h._row)) as smallint) as person_age,
        arg_min(row_locator(h._file_seq, h._row), row_order(h.inspected_on, h._file_seq, h._row)) as first_row
    from home_mods as h
    join years on years.year = year(h.inspected_on)
    where h.inspection_result = '合格'
    group by years.year, h.person_id, h.code

),

aid_persons as (

    select
        year,
        code,
        person_id,
        cast(null as varchar) as key_part,
        cast(null as date) as key_on,
        min(aided_on) as first_on,
        cast(null as boolean) as is_compliant,
        arg_min(township, row_order(aided_on, _file_seq, _row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(_file_seq, _row), row_order(aided_on, _file_seq, _row)) as first_row
    from int_aid_deduped
    group by year, code, person_id

),

allowance_months as (

    select
        years.year,
        '15' as code,
        a.person_id as person_id,
        cast(null as varchar) as key_part,
        a.paid_month_on as key_on,
        min(a.paid_month_on) as first_on,
        coalesce(bool_and(a.standard_yuan >= thresholds.allowance_standard_yuan), false) as is_compliant,
        arg_min(a.township, row_order(a.paid_month_on, a._file_seq, a._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(a._file_seq, a._row), row_order(a.paid_month_on, a._file_seq, a._row)) as first_row
    from stg_disability_allowance as a
    join years on years.year = year(a.paid_month_on)
    left join thresholds on thresholds.year = years.year
    group by years.year, a.person_id, a.paid_month_on

),

legal_cases as (

    select
        years.year,
        '16a' as code,
        arg_min(l.person_id, row_order(l.accepted_on, l._file_seq, l._row)) as person_id,
        l.case_no as key_part,
        cast(null as date) as key_on,
        min(l.accepted_on) as first_on,
        cast(null as boolean) as is_compliant,
        arg_min(l.township, row_order(l.accepted_on, l._file_seq, l._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(l._file_seq, l._row), row_order(l.accepted_on, l._file_seq, l._row)) as first_row
    from stg_legal_aid as l
    join years on years.year = year(l.accepted_on)
    group by years.year, l.case_no

),

societies as (

    select
        years.year,
        '18' as code,
        cast(null as uuid) as person_id,
        concat_ws('/', s.township, s.village) as key_part,
        cast(null as date) as key_on,
        min(s.founded_on) as first_on,
        cast(null as boolean) as is_compliant,
        s.township,
        s.village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(s._file_seq, s._row), row_order(s.founded_on, s._file_seq, s._row)) as first_row
    from stg_mutual_aid_society as s
    join years on years.year = year(s.founded_on)
    join thresholds on thresholds.year = years.year
    where s.registration = '已登记'
        and s.county_fund_yuan >= thresholds.society_min_county_yuan
        and s.village_fund_yuan >= thresholds.society_min_village_yuan
        and s.donation_yuan >= thresholds.society_min_donation_yuan
        and s.county_fund_yuan + s.village_fund_yuan + s.donation_yuan
            >= thresholds.society_min_start_yuan
    group by years.year, s.township, s.village

),

orphan_months as (

    select
        years.year,
        '20' as code,
        o.person_id as person_id,
        cast(null as varchar) as key_part,
        o.paid_month_on as key_on,
        min(o.paid_month_on) as first_on,
        coalesce(bool_and(
            case o.care_mode
                when '分散养育' then o.amount_yuan >= thresholds.orphan_dispersed_yuan
                when '集中养育' then o.amount_yuan >= thresholds.orphan_centralized_yuan
                else false
            end
        ), false) as is_compliant,
        arg_min(o.township, row_order(o.paid_month_on, o._file_seq, o._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(o._file_seq, o._row), row_order(o.paid_month_on, o._file_seq, o._row)) as first_row
    from stg_orphan_support as o
    join years on years.year = year(o.paid_month_on)
    left join thresholds on thresholds.year = years.year
    group by years.year, o.person_id, o.paid_month_on

),

unioned as (

    select * from worker_aid
    union all select * from child_rehab
    union all select * from assistive_device
    union all select * from psych_medication
    union all select * from training
    union all select * from sunshine_care
    union all select * from passed_households
    union all select * from aid_persons
    union all select * from allowance_months
    union all select * from legal_cases
    union all select * from societies
    union all select * from orphan_months

),

final as (

    -- only the codes the year's plan has
    select
        unioned.year,
        unioned.code,
        unioned.person_id,
        unioned.key_part,
        unioned.key_on,
        unioned.first_on,
        unioned.is_compliant,
        unioned.township,
        unioned.village,
        unioned.person_age,
        cast(unioned.first_row >> 32 as integer) as _file_seq,
        cast(unioned.first_row & 4294967295 as integer) as _row

    from unioned
    semi join plan_targets
        on plan_targets.year = unioned.year and plan_targets.code = unioned.code

)

select * from final
