-- mart_check_violations: every violation of every check, masked (person_id_masked, masked name,
-- and the file and row it is found again by: _file_sha256, _row), per lead unit. Checks run at
-- the newest record date of the year over the records of the year. A check on yearly sums
-- lists the person once, with their first record of the year; a missing month lists the child's
-- latest record; a village without a society has no record.
-- grain: one row per plan year per check per violating subject (subject_key).
with

years as (

    select year, starts_on, data_ends_on from int_plan_years

),

limits as (

    select
        years.year,
        cast(max(s.value) filter (where s.target_code = '' and s.name = 'urban_dibao_yuan_per_month')
            as decimal(18, 2)) as urban_dibao_yuan,
        coalesce(max(s.value) filter (where s.target_code = '09' and s.name = 'living_cap_months'), 12) as living_cap_months,
        coalesce(max(s.value) filter (where s.target_code = '09' and s.name = 'study_cap_months'), 10) as study_cap_months,
        cast(coalesce(max(s.value) filter (where s.target_code = '10a' and s.name = 'max_yearly_yuan'), 15000) as decimal(18, 2)) as child_cap_yuan,
        cast(coalesce(max(s.value) filter (where s.target_code = '10a' and s.name = 'max_yearly_limb_yuan'), 18000) as decimal(18, 2)) as child_limb_cap_yuan,
        cast(coalesce(max(s.value) filter (where s.target_code = '10a' and s.name = 'max_living_yuan'), 3000) as decimal(18, 2)) as child_living_cap_yuan,
        coalesce(max(s.value) filter (where s.target_code = '10a' and s.name = 'adult_age'), 18) as adult_age,
        cast(coalesce(max(s.value) filter (where s.target_code = '10c' and s.name = 'max_yearly_yuan'), 1000) as decimal(18, 2)) as psych_cap_yuan,
        coalesce(max(s.value) filter (where s.target_code = '11b' and s.name = 'min_age'), 16) as care_min_age,
        coalesce(max(s.value) filter (where s.target_code = '11b' and s.name = 'max_age'), 59) as care_max_age,
        coalesce(max(s.value) filter (where s.target_code = '13a' and s.name = 'min_head_age'), 60) as head_min_age
    from years
    left join plan_settings as s on s.year = years.year
    group by 1

),

-- 09 -----------------------------------------------------------------------------------------

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
        case sums.aid_type when '生活救助' then '09_living_cap' else '09_study_cap' end as check_name,
        cast(sums.person_id as varchar) as subject_key,
        sums.person_id,
        sums.person_id_masked,
        sums.name_masked,
        sums.township,
        cast(null as varchar) as village,
        sums.record_on,
        cast(sums.amount_yuan as decimal(38, 2)) as amount_yuan,
        cast(limits.urban_dibao_yuan * case sums.aid_type
            when '生活救助' then limits.living_cap_months else limits.study_cap_months end
            as decimal(38, 2)) as limit_yuan,
        sums._file_sha256,
        sums._row
    from worker_person_sums as sums
    join limits on limits.year = sums.year
    where sums.amount_yuan > limits.urban_dibao_yuan * case sums.aid_type
        when '生活救助' then limits.living_cap_months else limits.study_cap_months end

),

worker_medical as (

    select
        year,
        '09_medical_cap' as check_name,
        concat(_file_sha256, ':', _row) as subject_key,
        person_id,
        person_id_masked,
        name_masked,
        township,
        cast(null as varchar) as village,
        aided_on as record_on,
        cast(amount_yuan as decimal(38, 2)) as amount_yuan,
        cast(out_of_pocket_yuan as decimal(38, 2)) as limit_yuan,
        _file_sha256,
        _row
    from int_worker_aid_deduped
    where aid_type = '医疗救助' and amount_yuan > out_of_pocket_yuan

),

-- 10 -----------------------------------------------------------------------------------------

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

child_caps as (

    select
        sums.year,
        '10a_amount_cap' as check_name,
        cast(sums.person_id as varchar) as subject_key,
        sums.person_id,
        sums.person_id_masked,
        sums.name_masked,
        sums.township,
        cast(null as varchar) as village,
        sums.record_on,
        cast(sums.amount_yuan as decimal(38, 2)) as amount_yuan,
        cast(case when sums.is_limb_or_palsy then limits.child_limb_cap_yuan
            else limits.child_cap_yuan end as decimal(38, 2)) as limit_yuan,
        sums._file_sha256,
        sums._row
    from child_sums as sums
    join limits on limits.year = sums.year
    where sums.amount_yuan > case when sums.is_limb_or_palsy
        then limits.child_limb_cap_yuan else limits.child_cap_yuan end

    union all

    select
        sums.year,
        '10a_living_cap',
        cast(sums.person_id as varchar),
        sums.person_id,
        sums.person_id_masked,
        sums.name_masked,
        sums.township,
        null,
        sums.record_on,
        sums.living_allowance_yuan,
        limits.child_living_cap_yuan,
        sums._file_sha256,
        sums._row
    from child_sums as sums
    join limits on limits.year = sums.year
    where sums.living_allowance_yuan > limits.child_living_cap_yuan

),

child_age as (

    select
        r.year,
        '10a_age' as check_name,
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
    join limits on limits.year = r.year
    where r.person_age >= limits.adult_age

),

psych_caps as (

    select
        years.year,
        '10c_yearly_cap' as check_name,
        cast(m.person_id as varchar) as subject_key,
        m.person_id,
        first(m.person_id_masked order by m.paid_on, m._file_seq, m._row) as person_id_masked,
        first(m.name_masked order by m.paid_on, m._file_seq, m._row) as name_masked,
        first(m.township order by m.paid_on, m._file_seq, m._row) as township,
        cast(null as varchar) as village,
        min(m.paid_on) as record_on,
        cast(sum(m.amount_yuan) as decimal(38, 2)) as amount_yuan,
        cast(any_value(limits.psych_cap_yuan) as decimal(38, 2)) as limit_yuan,
        first(m._file_sha256 order by m.paid_on, m._file_seq, m._row) as _file_sha256,
        first(m._row order by m.paid_on, m._file_seq, m._row) as _row
    from stg_psych_medication as m
    join years on years.year = year(m.paid_on)
    join limits on limits.year = years.year
    group by years.year, m.person_id
    having sum(m.amount_yuan) > any_value(limits.psych_cap_yuan)

),

-- 11b ----------------------------------------------------------------------------------------

care_rows as (

    select
        years.year,
        c.*,
        c.payee = '个人' as is_paid_to_person,
        c.person_age < limits.care_min_age or c.person_age > limits.care_max_age as is_out_of_age
    from stg_sunshine_care as c
    join years on years.year = year(c.service_month_on)
    join limits on limits.year = years.year

),

care_checks as (

    select
        year,
        '11b_paid_to_person' as check_name,
        concat(_file_sha256, ':', _row) as subject_key,
        person_id,
        person_id_masked,
        name_masked,
        township,
        cast(null as varchar) as village,
        service_month_on as record_on,
        cast(amount_yuan as decimal(38, 2)) as amount_yuan,
        cast(null as decimal(38, 2)) as limit_yuan,
        _file_sha256,
        _row
    from care_rows
    where is_paid_to_person

    union all

    select
        year,
        '11b_age',
        concat(_file_sha256, ':', _row),
        person_id,
        person_id_masked,
        name_masked,
        township,
        null,
        service_month_on,
        amount_yuan,
        null,
        _file_sha256,
        _row
    from care_rows
    where is_out_of_age

),

-- 13a ----------------------------------------------------------------------------------------

head_age as (

    select
        keys.year,
        '13a_age' as check_name,
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
    from int_indicator_keys as keys
    join limits on limits.year = keys.year
    join stg_elderly_home_mod as h
        on h._file_seq = keys._file_seq and h._row = keys._row
    where keys.code = '13a' and keys.person_age < limits.head_min_age

),

-- 18 -----------------------------------------------------------------------------------------

villages_without_society as (

    select
        years.year,
        '18_village_without_society' as check_name,
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
    from years
    cross join county_villages as v
    anti join int_indicator_keys as keys
        on keys.year = years.year
        and keys.code = '18'
        and keys.township = v.township
        and keys.village = v.village

),

-- 19 -----------------------------------------------------------------------------------------

current_roster as (

    select snapshots.year, roster.*
    from int_roster_snapshots as snapshots
    join int_roster as roster on roster.snapshot_on = snapshots.snapshot_on
    where snapshots.is_current

),

tekun_subsidy as (

    select
        r.year,
        '19a_tekun_full_subsidy' as check_name,
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
    join int_enrollment_persons as e
        on e.year = r.year and e.person_id = r.person_id
    join stg_low_income_roster as listing
        on listing._file_seq = r._file_seq and listing._row = r._row
    where r.person_group = '特困人员' and e.is_enrolled and e.has_partial_subsidy

),

claim_mismatch as (

    select
        years.year,
        '19b_category_mismatch' as check_name,
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
    join current_roster as r
        on r.year = years.year and r.person_id = m.person_id
    where m.person_group <> r.person_group

),

-- 20 -----------------------------------------------------------------------------------------

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
        '20_missing_month' as check_name,
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
    anti join orphan_months
        on orphan_months.year = child_months.year
        and orphan_months.person_id = child_months.person_id
        and orphan_months.paid_month_on = child_months.month_on

),

-- overlap ------------------------------------------------------------------------------------

rehab_and_device as (

    select
        rehab.year,
        'overlap_10a_10b' as check_name,
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
    from int_indicator_keys as rehab
    join int_indicator_keys as device
        on device.year = rehab.year
        and device.code = '10b'
        and device.person_id = rehab.person_id
    join stg_child_rehab as r
        on r._file_seq = rehab._file_seq and r._row = rehab._row
    where rehab.code = '10a'

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
    join int_check_catalog as catalog on catalog.check_name = unioned.check_name
    join plan_targets
        on plan_targets.year = unioned.year and plan_targets.code = catalog.target_code

)

select * from final
