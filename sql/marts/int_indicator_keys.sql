-- int_indicator_keys: what each counting measure counts, once, on the day it first counts, for
-- every target of the year's plan that names the measure (two targets of one measure each get
-- their own keys, by their own settings). The count at an as-of date is the number of keys whose
-- first_on is on or before it, so the daily mart sums first days instead of re-scanning records
-- per day. The first qualifying row (by day, then file as committed, then row) gives the key its
-- township and the masked names the checks list (found again by _file_seq and _row). A key is
-- (person_id, key_part, key_on), each part null where unused; every part below groups by its
-- key, so a key is one row. The measures (config/measures.yaml), with their 2024 codes:
--   worker_aid_person_times (09)  (person, 帮扶类型, 救助日期) after exact repeats are removed: 人次
--   distinct_children_rehab (10a)  children in child_rehab; distinct_children_devices (10b) in
--        assistive_device; distinct_persons_psych_medication (10c) persons in psych_medication
--   training_person_times (11a)  (person, 培训类型, 结业日期) with 是否结业 = 是: 人次
--   care_person_times (11b)  (person, 托养方式) in sunshine_care: 人次
--   households_accessibility_mod (12)  households (户主) with 验收结果 = 合格 in
--        accessibility_mod; households_elderly_home_mod (13a) in elderly_home_mod
--   persons_serious_illness_aid (14)  persons aided (serious_illness_aid); persons_veteran_aid
--        (17) in veteran_aid
--   standard_share_disability_allowance (15)  person-months of disability_allowance; compliant
--        when every payment row of the person-month has 发放标准 >= the target's standard_yuan
--   legal_aid_cases (16a)  distinct 案件编号, counted from the earliest 受理日期 of the case in
--        the year
--   mutual_aid_societies (18)  (乡镇, 村) with a registered society founded in the year whose
--        county, village and donation funds each reach the target's minimum and whose sum
--        reaches its min_start_fund_yuan (reading: a society founded before the plan year does
--        not count toward it)
--   standard_share_orphan_support (20)  child-months of orphan_support; compliant when every
--        payment row of the child-month reaches its 养育方式's standard (reading: each payment,
--        as the contract reads it, so a month paid in two parts below the standard each is not
--        compliant; two payments in one month are one child-month)
-- The household measures keep the 户主's age on the first 合格 验收日期, for the age checks.
-- grain: one row per plan year per target code per counted key.
with

-- the settings the measures read, one row per target of the measure
allowance_standards as (

    select
        year,
        code,
        cast(plan_setting(year, code, 'standard_yuan') as decimal(18, 2)) as standard_yuan
    from plan_targets_of('standard_share_disability_allowance')

),

society_minimums as (

    select
        year,
        code,
        cast(plan_setting(year, code, 'min_start_fund_yuan') as decimal(18, 2)) as min_start_fund_yuan,
        cast(plan_setting(year, code, 'min_county_yuan') as decimal(18, 2)) as min_county_yuan,
        cast(plan_setting(year, code, 'min_village_yuan') as decimal(18, 2)) as min_village_yuan,
        cast(plan_setting(year, code, 'min_donation_yuan') as decimal(18, 2)) as min_donation_yuan
    from plan_targets_of('mutual_aid_societies')

),

orphan_standards as (

    select
        year,
        code,
        cast(plan_setting(year, code, 'dispersed_yuan') as decimal(18, 2)) as dispersed_yuan,
        cast(plan_setting(year, code, 'centralized_yuan') as decimal(18, 2)) as centralized_yuan
    from plan_targets_of('standard_share_orphan_support')

),

worker_aid as (

    -- already one row per key, the first
    select
        t.year,
        t.code,
        w.person_id,
        w.aid_type as key_part,
        w.aided_on as key_on,
        w.aided_on as first_on,
        cast(null as boolean) as is_compliant,
        w.township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        row_locator(w._file_seq, w._row) as first_row
    from int_worker_aid_deduped as w
    join plan_targets_of('worker_aid_person_times') as t on t.year = w.year

),

child_rehab as (

    select
        t.year,
        t.code,
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
    join plan_targets_of('distinct_children_rehab') as t on t.year = year(r.aided_on)
    group by t.year, t.code, r.person_id

),

assistive_device as (

    select
        t.year,
        t.code,
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
    join plan_targets_of('distinct_children_devices') as t on t.year = year(d.fitted_on)
    group by t.year, t.code, d.person_id

),

psych_medication as (

    select
        t.year,
        t.code,
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
    join plan_targets_of('distinct_persons_psych_medication') as t on t.year = year(m.paid_on)
    group by t.year, t.code, m.person_id

),

training as (

    select
        t.year,
        t.code,
        tr.person_id as person_id,
        tr.training_type as key_part,
        tr.completed_on as key_on,
        min(tr.completed_on) as first_on,
        cast(null as boolean) as is_compliant,
        arg_min(tr.township, row_order(tr.completed_on, tr._file_seq, tr._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(tr._file_seq, tr._row), row_order(tr.completed_on, tr._file_seq, tr._row)) as first_row
    from stg_disability_training as tr
    join plan_targets_of('training_person_times') as t on t.year = year(tr.completed_on)
    where tr.is_completed
    group by t.year, t.code, tr.person_id, tr.training_type, tr.completed_on

),

sunshine_care as (

    select
        t.year,
        t.code,
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
    join plan_targets_of('care_person_times') as t on t.year = year(c.service_month_on)
    group by t.year, t.code, c.person_id, c.care_mode

),

home_mods as (

    select t.year, t.code, h.person_id, h.inspected_on, h.township, h.village,
        h.person_age, h._file_seq, h._row
    from stg_accessibility_mod as h
    join plan_targets_of('households_accessibility_mod') as t on t.year = year(h.inspected_on)
    where h.inspection_result = '合格'
    union all
    select t.year, t.code, h.person_id, h.inspected_on, h.township, h.village,
        h.person_age, h._file_seq, h._row
    from stg_elderly_home_mod as h
    join plan_targets_of('households_elderly_home_mod') as t on t.year = year(h.inspected_on)
    where h.inspection_result = '合格'

),

passed_households as (

    select
        h.year,
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
    group by h.year, h.code, h.person_id

),

-- int_aid_deduped has the payments of the targets of persons_serious_illness_aid and
-- persons_veteran_aid, each target's own
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
        s.year,
        s.code,
        a.person_id as person_id,
        cast(null as varchar) as key_part,
        a.paid_month_on as key_on,
        min(a.paid_month_on) as first_on,
        coalesce(bool_and(a.standard_yuan >= s.standard_yuan), false) as is_compliant,
        arg_min(a.township, row_order(a.paid_month_on, a._file_seq, a._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(a._file_seq, a._row), row_order(a.paid_month_on, a._file_seq, a._row)) as first_row
    from stg_disability_allowance as a
    join allowance_standards as s on s.year = year(a.paid_month_on)
    group by s.year, s.code, a.person_id, a.paid_month_on

),

legal_cases as (

    select
        t.year,
        t.code,
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
    join plan_targets_of('legal_aid_cases') as t on t.year = year(l.accepted_on)
    group by t.year, t.code, l.case_no

),

societies as (

    select
        m.year,
        m.code,
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
    join society_minimums as m on m.year = year(s.founded_on)
    where s.registration = '已登记'
        and s.county_fund_yuan >= m.min_county_yuan
        and s.village_fund_yuan >= m.min_village_yuan
        and s.donation_yuan >= m.min_donation_yuan
        and s.county_fund_yuan + s.village_fund_yuan + s.donation_yuan >= m.min_start_fund_yuan
    group by m.year, m.code, s.township, s.village

),

orphan_months as (

    select
        s.year,
        s.code,
        o.person_id as person_id,
        cast(null as varchar) as key_part,
        o.paid_month_on as key_on,
        min(o.paid_month_on) as first_on,
        coalesce(bool_and(
            case o.care_mode
                when '分散养育' then o.amount_yuan >= s.dispersed_yuan
                when '集中养育' then o.amount_yuan >= s.centralized_yuan
                else false
            end
        ), false) as is_compliant,
        arg_min(o.township, row_order(o.paid_month_on, o._file_seq, o._row)) as township,
        cast(null as varchar) as village,
        cast(null as smallint) as person_age,
        arg_min(row_locator(o._file_seq, o._row), row_order(o.paid_month_on, o._file_seq, o._row)) as first_row
    from stg_orphan_support as o
    join orphan_standards as s on s.year = year(o.paid_month_on)
    group by s.year, s.code, o.person_id, o.paid_month_on

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

    -- only the targets the year's plan has: every key above came through its measure's targets
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
