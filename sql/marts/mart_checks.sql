-- mart_checks: each check's standing for the year at the newest record date, per lead unit:
-- how many subjects were checked and how many violate (listed in mart_check_violations). They
-- feed the quality indicators of the performance self-evaluation (绩效自评). The checks, their
-- targets and descriptions are the year's plan's (int_check_catalog); each rule counts what it
-- checks for every check of it in the plan (plan_checks_of), never for a check named here.
--   checked  persons for checks on yearly sums, records for checks on a record, the households
--            the check's target counts (household_head_age), profile villages
--            (village_without_society), roster 特困人员 (tekun_full_subsidy), claims
--            (claim_category_mismatch), child-months due from each child's first month to the
--            as-of month (orphan_missing_month), children counted by the check's target or by a
--            target of distinct_children_devices (children_rehab_device_overlap)
-- grain: one row per plan year per check whose target is in the year's plan.
with

years as (

    select year, data_ends_on from int_plan_years

),

-- what the rules on one source check, counted once; every check of such a rule checks it
worker_aid_checked as (

    select
        year,
        aid_type,
        count(distinct person_id) as persons,
        count(*) filter (where out_of_pocket_yuan is not null) as with_out_of_pocket
    from int_worker_aid_deduped
    group by 1, 2

),

child_rehab_checked as (

    select years.year, count(distinct r.person_id) as persons, count(*) as records
    from stg_child_rehab as r
    join years on years.year = year(r.aided_on)
    group by 1

),

sunshine_care_checked as (

    select years.year, count(*) as records
    from stg_sunshine_care as c
    join years on years.year = year(c.service_month_on)
    group by 1

),

-- children_rehab_device_overlap checks the children of the check's target and of the year's
-- targets of the rule's with_measure (config/measures.yaml)
overlap_codes as (

    select year, check_name, target_code as code
    from plan_checks_of('children_rehab_device_overlap')

    union

    select checks.year, checks.check_name, devices.code
    from plan_checks_of('children_rehab_device_overlap') as checks
    join plan_targets_of('distinct_children_devices') as devices on devices.year = checks.year

),

checked as (

    select checks.year, checks.check_name, w.persons as checked
    from plan_checks_of('worker_aid_living_cap') as checks
    join worker_aid_checked as w on w.year = checks.year and w.aid_type = '生活救助'

    union all
    select checks.year, checks.check_name, w.persons
    from plan_checks_of('worker_aid_study_cap') as checks
    join worker_aid_checked as w on w.year = checks.year and w.aid_type = '子女助学'

    union all
    select checks.year, checks.check_name, w.with_out_of_pocket
    from plan_checks_of('worker_aid_medical_cap') as checks
    join worker_aid_checked as w on w.year = checks.year and w.aid_type = '医疗救助'

    union all
    select checks.year, checks.check_name, r.persons
    from plan_checks_of('child_rehab_amount_cap') as checks
    join child_rehab_checked as r on r.year = checks.year

    union all
    select checks.year, checks.check_name, r.persons
    from plan_checks_of('child_rehab_living_cap') as checks
    join child_rehab_checked as r on r.year = checks.year

    union all
    select checks.year, checks.check_name, r.records
    from plan_checks_of('child_rehab_age') as checks
    join child_rehab_checked as r on r.year = checks.year

    union all
    select checks.year, checks.check_name, count(distinct m.person_id)
    from plan_checks_of('psych_medication_yearly_cap') as checks
    join stg_psych_medication as m on year(m.paid_on) = checks.year
    group by 1, 2

    union all
    select checks.year, checks.check_name, c.records
    from plan_checks_of('care_paid_to_person') as checks
    join sunshine_care_checked as c on c.year = checks.year

    union all
    select checks.year, checks.check_name, c.records
    from plan_checks_of('care_age') as checks
    join sunshine_care_checked as c on c.year = checks.year

    union all
    select checks.year, checks.check_name, count(*)
    from plan_checks_of('household_head_age') as checks
    join int_indicator_keys as keys
        on keys.year = checks.year and keys.code = checks.target_code
    group by 1, 2

    union all
    select checks.year, checks.check_name, count(*)
    from plan_checks_of('village_without_society') as checks
    cross join county_villages
    group by 1, 2

    union all
    select checks.year, checks.check_name, count(*)
    from plan_checks_of('tekun_full_subsidy') as checks
    join int_roster_snapshots as snapshots on snapshots.year = checks.year
    join int_roster as roster on roster.snapshot_on = snapshots.snapshot_on
    where snapshots.is_current and roster.person_group = '特困人员'
    group by 1, 2

    union all
    select checks.year, checks.check_name, count(*)
    from plan_checks_of('claim_category_mismatch') as checks
    join stg_medical_assistance as m on year(m.settled_on) = checks.year
    group by 1, 2

    union all
    select checks.year, checks.check_name,
        sum(datediff('month', children.first_month_on, date_trunc('month', years.data_ends_on)) + 1)
    from plan_checks_of('orphan_missing_month') as checks
    join years on years.year = checks.year
    join (
        select year(paid_month_on) as year, person_id, min(paid_month_on) as first_month_on
        from stg_orphan_support
        group by 1, 2
    ) as children on children.year = checks.year
    group by 1, 2

    union all
    select overlap.year, overlap.check_name, count(distinct keys.person_id)
    from overlap_codes as overlap
    join int_indicator_keys as keys
        on keys.year = overlap.year and keys.code = overlap.code
    group by 1, 2

),

violations as (

    select year, check_name, count(*) as violations
    from mart_check_violations
    group by 1, 2

),

final as (

    select
        catalog.year,
        catalog.check_name,
        catalog.target_code,
        plan_targets.lead_unit,
        catalog.subject,
        catalog.description_zh,
        years.data_ends_on as as_of_on,
        cast(coalesce(checked.checked, 0) as bigint) as checked,
        cast(coalesce(violations.violations, 0) as bigint) as violations

    from int_check_catalog as catalog
    join years on years.year = catalog.year
    join plan_targets
        on plan_targets.year = catalog.year and plan_targets.code = catalog.target_code
    left join checked
        on checked.year = catalog.year and checked.check_name = catalog.check_name
    left join violations
        on violations.year = catalog.year and violations.check_name = catalog.check_name

)

select * from final
