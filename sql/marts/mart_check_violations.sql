-- mart_check_violations: every violation of every check, masked (person_id_masked, masked name,
-- and the file and row it is found again by: _file_sha256, _row), per lead unit. Checks run at
-- the newest record date of the year over the records of the year. A check on yearly sums
-- lists the person once, with their first record of the year; a missing month lists the child's
-- latest record; a village without a society has no record.
-- Each rule of config/measures.yaml takes its checks from the year's plan (plan_checks_of: a
-- check's name and target are the plan's, and two checks of one rule on two targets each get
-- their own rows) and reads every limit from the plan by name, in a small CTE over its checks:
-- the check's target's threshold (plan_setting(year, target_code, name)) or a plan-wide
-- setting (target_code ''). Go refuses a plan that lacks one, so there is no default here. The
-- 2024 plan's codes are named in the comments as examples only.
-- grain: one row per plan year per check per violating subject (subject_key).
with

years as (

    select year, starts_on, data_ends_on from int_plan_years

),

-- worker_aid_living_cap, worker_aid_study_cap (09) -------------------------------------------

-- a cap is the plan's urban 低保 standard (元/月) times the target's number of months
worker_cap_checks as (

    select
        year,
        check_name,
        target_code,
        '生活救助' as aid_type,
        cast(plan_setting(checks.year, '', 'urban_dibao_yuan_per_month') as decimal(38, 2))
            * cast(plan_setting(checks.year, checks.target_code, 'living_cap_months') as decimal(38, 4)) as cap_yuan
    from plan_checks_of('worker_aid_living_cap') as checks

    union all

    select
        year,
        check_name,
        target_code,
        '子女助学',
        cast(plan_setting(checks.year, '', 'urban_dibao_yuan_per_month') as decimal(38, 2))
            * cast(plan_setting(checks.year, checks.target_code, 'study_cap_months') as decimal(38, 4))
    from plan_checks_of('worker_aid_study_cap') as checks

),

worker_person_sums as (

    select
        year,
        person_id,
        aid_type,
        sum(amount_yuan) as amount_yuan,
        first(person_id_masked order by aided_on, _file_seq, _row) as person_id_masked,
        first(name_masked order by aided_on, _file_seq, _row) as name_masked,
        first(township order by aided_on, _file_seq, _row) as township,
        min(aided_on) as record_on,
        first(_file_sha256 order by aided_on, _file_seq, _row) as _file_sha256,
        first(_row order by aided_on, _file_seq, _row) as _row
    from int_worker_aid_deduped
    where aid_type in ('生活救助', '子女助学')
    group by 1, 2, 3

),

worker_caps as (

    select
        sums.year,
        checks.check_name,
        cast(sums.person_id as varchar) as subject_key,
        sums.person_id,
        sums.person_id_masked,
        sums.name_masked,
        sums.township,
        cast(null as varchar) as village,
        sums.record_on,
        cast(sums.amount_yuan as decimal(38, 2)) as amount_yuan,
        cast(checks.cap_yuan as decimal(38, 2)) as limit_yuan,
        sums._file_sha256,
        sums._row
    from worker_person_sums as sums
    join worker_cap_checks as checks
        on checks.year = sums.year and checks.aid_type = sums.aid_type
    where sums.amount_yuan > checks.cap_yuan

),

-- worker_aid_medical_cap (09) ----------------------------------------------------------------

worker_medical as (

    select
        a.year,
        checks.check_name,
        concat(a._file_sha256, ':', a._row) as subject_key,
        a.person_id,
        a.person_id_masked,
        a.name_masked,
        a.township,
        cast(null as varchar) as village,
        a.aided_on as record_on,
        cast(a.amount_yuan as decimal(38, 2)) as amount_yuan,
        cast(a.out_of_pocket_yuan as decimal(38, 2)) as limit_yuan,
        a._file_sha256,
        a._row
    from int_worker_aid_deduped as a
    join plan_checks_of('worker_aid_medical_cap') as checks on checks.year = a.year
    where a.aid_type = '医疗救助' and a.amount_yuan > a.out_of_pocket_yuan

),

-- child_rehab_amount_cap, child_rehab_living_cap, child_rehab_age (10a) ----------------------

child_rehab as (

    select years.year, r.*
    from stg_child_rehab as r
    join years on years.year = year(r.aided_on)

),

child_sums as (

    select
        year,
        person_id,
        sum(amount_yuan) as amount_yuan,
        sum(coalesce(living_allowance_yuan, 0)) as living_allowance_yuan,
        coalesce(bool_or(disability_category = '肢体' or is_cerebral_palsy), false) as is_limb_or_palsy,
        first(person_id_masked order by aided_on, _file_seq, _row) as person_id_masked,
        first(name_masked order by aided_on, _file_seq, _row) as name_masked,
        first(township order by aided_on, _file_seq, _row) as township,
        min(aided_on) as record_on,
        first(_file_sha256 order by aided_on, _file_seq, _row) as _file_sha256,
        first(_row order by aided_on, _file_seq, _row) as _row
    from child_rehab
    group by 1, 2

),

-- a child's yearly cap: the higher one for 肢体 or 脑瘫
child_amount_checks as (

    select
        year,
        check_name,
        cast(plan_setting(checks.year, checks.target_code, 'max_yearly_yuan') as decimal(38, 2)) as cap_yuan,
        cast(plan_setting(checks.year, checks.target_code, 'max_yearly_limb_yuan') as decimal(38, 2)) as limb_cap_yuan
    from plan_checks_of('child_rehab_amount_cap') as checks

),

child_living_checks as (

    select
        year,
        check_name,
        cast(plan_setting(checks.year, checks.target_code, 'max_living_yuan') as decimal(38, 2)) as cap_yuan
    from plan_checks_of('child_rehab_living_cap') as checks

),

child_age_checks as (

    select year, check_name, plan_setting(checks.year, checks.target_code, 'adult_age') as adult_age
    from plan_checks_of('child_rehab_age') as checks

),

child_caps as (

    select
        sums.year,
        checks.check_name,
        cast(sums.person_id as varchar) as subject_key,
        sums.person_id,
        sums.person_id_masked,
        sums.name_masked,
        sums.township,
        cast(null as varchar) as village,
        sums.record_on,
        cast(sums.amount_yuan as decimal(38, 2)) as amount_yuan,
        cast(case when sums.is_limb_or_palsy then checks.limb_cap_yuan
            else checks.cap_yuan end as decimal(38, 2)) as limit_yuan,
        sums._file_sha256,
        sums._row
    from child_sums as sums
    join child_amount_checks as checks on checks.year = sums.year
    where sums.amount_yuan > case when sums.is_limb_or_palsy
        then checks.limb_cap_yuan else checks.cap_yuan end

    union all

    select
        sums.year,
        checks.check_name,
        cast(sums.person_id as varchar),
        sums.person_id,
        sums.person_id_masked,
        sums.name_masked,
        sums.township,
        null,
        sums.record_on,
        sums.living_allowance_yuan,
        checks.cap_yuan,
        sums._file_sha256,
        sums._row
    from child_sums as sums
    join child_living_checks as checks on checks.year = sums.year
    where sums.living_allowance_yuan > checks.cap_yuan

),

child_age as (

    select
        r.year,
        checks.check_name,
        concat(r._file_sha256, ':', r._row) as subject_key,
        r.person_id,
        r.person_id_masked,
        r.name_masked,
        r.township,
        cast(null as varchar) as village,
        r.aided_on as record_on,
        cast(r.amount_yuan as decimal(38, 2)) as amount_yuan,
        cast(null as decimal(38, 2)) as limit_yuan,
        r._file_sha256,
        r._row
    from child_rehab as r
    join child_age_checks as checks on checks.year = r.year
    where r.person_age >= checks.adult_age

),

-- psych_medication_yearly_cap (10c) ----------------------------------------------------------

psych_checks as (

    select
        year,
        check_name,
        cast(plan_setting(checks.year, checks.target_code, 'max_yearly_yuan') as decimal(38, 2)) as cap_yuan
    from plan_checks_of('psych_medication_yearly_cap') as checks

),

psych_sums as (

    select
        years.year,
        m.person_id,
        sum(m.amount_yuan) as amount_yuan,
        first(m.person_id_masked order by m.paid_on, m._file_seq, m._row) as person_id_masked,
        first(m.name_masked order by m.paid_on, m._file_seq, m._row) as name_masked,
        first(m.township order by m.paid_on, m._file_seq, m._row) as township,
        min(m.paid_on) as record_on,
        first(m._file_sha256 order by m.paid_on, m._file_seq, m._row) as _file_sha256,
        first(m._row order by m.paid_on, m._file_seq, m._row) as _row
    from stg_psych_medication as m
    join years on years.year = year(m.paid_on)
    group by 1, 2

),

psych_caps as (

    select
        sums.year,
        checks.check_name,
        cast(sums.person_id as varchar) as subject_key,
        sums.person_id,
        sums.person_id_masked,
        sums.name_masked,
        sums.township,
        cast(null as varchar) as village,
        sums.record_on,
        cast(sums.amount_yuan as decimal(38, 2)) as amount_yuan,
        cast(checks.cap_yuan as decimal(38, 2)) as limit_yuan,
        sums._file_sha256,
        sums._row
    from psych_sums as sums
    join psych_checks as checks on checks.year = sums.year
    where sums.amount_yuan > checks.cap_yuan

),

-- care_paid_to_person, care_age (11b) --------------------------------------------------------

care_age_checks as (

    select
        year,
        check_name,
        plan_setting(checks.year, checks.target_code, 'min_age') as min_age,
        plan_setting(checks.year, checks.target_code, 'max_age') as max_age
    from plan_checks_of('care_age') as checks

),

care_rows as (

    select years.year, c.*
    from stg_sunshine_care as c
    join years on years.year = year(c.service_month_on)

),

care_checks as (

    select
        c.year,
        checks.check_name,
        concat(c._file_sha256, ':', c._row) as subject_key,
        c.person_id,
        c.person_id_masked,
        c.name_masked,
        c.township,
        cast(null as varchar) as village,
        c.service_month_on as record_on,
        cast(c.amount_yuan as decimal(38, 2)) as amount_yuan,
        cast(null as decimal(38, 2)) as limit_yuan,
        c._file_sha256,
        c._row
    from care_rows as c
    join plan_checks_of('care_paid_to_person') as checks on checks.year = c.year
    where c.payee = '个人'

    union all

    select
        c.year,
        checks.check_name,
        concat(c._file_sha256, ':', c._row),
        c.person_id,
        c.person_id_masked,
        c.name_masked,
        c.township,
        null,
        c.service_month_on,
        c.amount_yuan,
        null,
        c._file_sha256,
        c._row
    from care_rows as c
    join care_age_checks as checks on checks.year = c.year
    where c.person_age < checks.min_age or c.person_age > checks.max_age

),

-- household_head_age (13a): the households the check's target counts ------------------------

head_age_checks as (

    select
        year,
        check_name,
        target_code,
        plan_setting(checks.year, checks.target_code, 'min_head_age') as min_head_age
    from plan_checks_of('household_head_age') as checks

),

head_age as (

    select
        keys.year,
        checks.check_name,
        cast(keys.person_id as varchar) as subject_key,
        keys.person_id,
        h.person_id_masked,
        h.name_masked,
        keys.township,
        keys.village,
        keys.first_on as record_on,
        cast(null as decimal(38, 2)) as amount_yuan,
        cast(null as decimal(38, 2)) as limit_yuan,
        h._file_sha256,
        h._row
    from head_age_checks as checks
    join int_indicator_keys as keys
        on keys.year = checks.year and keys.code = checks.target_code
    join stg_elderly_home_mod as h
        on h._file_seq = keys._file_seq and h._row = keys._row
    where keys.person_age < checks.min_head_age

),

-- village_without_society (18): the profile's villages the check's target counts no society in

villages_without_society as (

    select
        checks.year,
        checks.check_name,
        concat_ws('/', v.township, v.village) as subject_key,
        cast(null as uuid) as person_id,
        cast(null as varchar) as person_id_masked,
        cast(null as varchar) as name_masked,
        v.township,
        v.village,
        cast(null as date) as record_on,
        cast(null as decimal(38, 2)) as amount_yuan,
        cast(null as decimal(38, 2)) as limit_yuan,
        cast(null as varchar) as _file_sha256,
        cast(null as integer) as _row
    from plan_checks_of('village_without_society') as checks
    cross join county_villages as v
    anti join int_indicator_keys as keys
        on keys.year = checks.year
        and keys.code = checks.target_code
        and keys.township = v.township
        and keys.village = v.village

),

-- tekun_full_subsidy (19a), claim_category_mismatch (19b) ------------------------------------

current_roster as (

    select snapshots.year, roster.*
    from int_roster_snapshots as snapshots
    join int_roster as roster on roster.snapshot_on = snapshots.snapshot_on
    where snapshots.is_current

),

tekun_subsidy as (

    select
        r.year,
        checks.check_name,
        cast(r.person_id as varchar) as subject_key,
        r.person_id,
        listing.person_id_masked,
        listing.name_masked,
        r.township,
        r.village,
        r.snapshot_on as record_on,
        cast(null as decimal(38, 2)) as amount_yuan,
        cast(null as decimal(38, 2)) as limit_yuan,
        listing._file_sha256,
        listing._row
    from current_roster as r
    join plan_checks_of('tekun_full_subsidy') as checks on checks.year = r.year
    join int_enrollment_persons as e
        on e.year = r.year and e.person_id = r.person_id
    join stg_low_income_roster as listing
        on listing._file_seq = r._file_seq and listing._row = r._row
    where r.person_group = '特困人员' and e.is_enrolled and e.has_partial_subsidy

),

claim_mismatch as (

    select
        years.year,
        checks.check_name,
        concat(m._file_sha256, ':', m._row) as subject_key,
        m.person_id,
        m.person_id_masked,
        m.name_masked,
        m.township,
        cast(null as varchar) as village,
        m.settled_on as record_on,
        cast(m.assistance_yuan as decimal(38, 2)) as amount_yuan,
        cast(null as decimal(38, 2)) as limit_yuan,
        m._file_sha256,
        m._row
    from stg_medical_assistance as m
    join years on years.year = year(m.settled_on)
    join plan_checks_of('claim_category_mismatch') as checks on checks.year = years.year
    join current_roster as r
        on r.year = years.year and r.person_id = m.person_id
    where m.person_group <> r.person_group

),

-- orphan_missing_month (20) ------------------------------------------------------------------

orphan_months as (

    select distinct years.year, o.person_id, o.paid_month_on
    from stg_orphan_support as o
    join years on years.year = year(o.paid_month_on)

),

children as (

    select
        years.year,
        o.person_id,
        min(o.paid_month_on) as first_month_on,
        last(o.person_id_masked order by o.paid_month_on, o._file_seq, o._row) as person_id_masked,
        last(o.name_masked order by o.paid_month_on, o._file_seq, o._row) as name_masked,
        last(o.township order by o.paid_month_on, o._file_seq, o._row) as township,
        last(o._file_sha256 order by o.paid_month_on, o._file_seq, o._row) as _file_sha256,
        last(o._row order by o.paid_month_on, o._file_seq, o._row) as _row
    from stg_orphan_support as o
    join years on years.year = year(o.paid_month_on)
    group by 1, 2

),

-- every month from the child's first month in the year to the as-of month
child_months as (

    select
        children.*,
        cast(unnest(generate_series(
            cast(children.first_month_on as timestamp),
            cast(date_trunc('month', years.data_ends_on) as timestamp),
            interval 1 month
        )) as date) as month_on
    from children
    join years on years.year = children.year

),

missing_months as (

    select
        child_months.year,
        checks.check_name,
        concat(child_months.person_id, '|', child_months.month_on) as subject_key,
        child_months.person_id,
        child_months.person_id_masked,
        child_months.name_masked,
        child_months.township,
        cast(null as varchar) as village,
        child_months.month_on as record_on,
        cast(null as decimal(38, 2)) as amount_yuan,
        cast(null as decimal(38, 2)) as limit_yuan,
        child_months._file_sha256,
        child_months._row
    from child_months
    join plan_checks_of('orphan_missing_month') as checks on checks.year = child_months.year
    anti join orphan_months
        on orphan_months.year = child_months.year
        and orphan_months.person_id = child_months.person_id
        and orphan_months.paid_month_on = child_months.month_on

),

-- children_rehab_device_overlap (10a with 10b) -----------------------------------------------

-- the children counted by the year's targets of the rule's with_measure (config/measures.yaml)
device_children as (

    select distinct keys.year, keys.person_id
    from plan_targets_of('distinct_children_devices') as devices
    join int_indicator_keys as keys
        on keys.year = devices.year and keys.code = devices.code

),

rehab_and_device as (

    select
        rehab.year,
        checks.check_name,
        cast(rehab.person_id as varchar) as subject_key,
        rehab.person_id,
        r.person_id_masked,
        r.name_masked,
        rehab.township,
        cast(null as varchar) as village,
        rehab.first_on as record_on,
        cast(null as decimal(38, 2)) as amount_yuan,
        cast(null as decimal(38, 2)) as limit_yuan,
        r._file_sha256,
        r._row
    from plan_checks_of('children_rehab_device_overlap') as checks
    join int_indicator_keys as rehab
        on rehab.year = checks.year and rehab.code = checks.target_code
    semi join device_children as device
        on device.year = rehab.year and device.person_id = rehab.person_id
    join stg_child_rehab as r
        on r._file_seq = rehab._file_seq and r._row = rehab._row

),

unioned as (

    select * from worker_caps
    union all select * from worker_medical
    union all select * from child_caps
    union all select * from child_age
    union all select * from psych_caps
    union all select * from care_checks
    union all select * from head_age
    union all select * from villages_without_society
    union all select * from tekun_subsidy
    union all select * from claim_mismatch
    union all select * from missing_months
    union all select * from rehab_and_device

),

final as (

    select
        unioned.year,
        unioned.check_name,
        unioned.subject_key,
        catalog.target_code,
        plan_targets.lead_unit,
        unioned.person_id,
        unioned.person_id_masked,
        unioned.name_masked,
        unioned.township,
        unioned.village,
        unioned.record_on,
        unioned.amount_yuan,
        unioned.limit_yuan,
        unioned._file_sha256,
        unioned._row

    from unioned
    join int_check_catalog as catalog
        on catalog.year = unioned.year and catalog.check_name = unioned.check_name
    join plan_targets
        on plan_targets.year = unioned.year and plan_targets.code = catalog.target_code

)

select * from final
