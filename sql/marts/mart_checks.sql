-- mart_checks: each check's standing for the year at the newest record date, per lead unit:
-- how many subjects were checked and how many violate (listed in mart_check_violations). They
-- feed the quality indicators of the performance self-evaluation (绩效自评).
--   checked  persons for checks on yearly sums, records for checks on a record, counted
--            households (13a), profile villages (18), roster 特困人员 (19a), claims (19b), child-
--            months due from each child's first month to the as-of month (20), children in 10a
--            or 10b (overlap)
-- grain: one row per plan year per check whose target is in the year's plan.
with

years as (

    select year, data_ends_on from int_plan_years

),

checked as (

    select year, case aid_type when '生活救助' then '09_living_cap' else '09_study_cap' end as check_name,
        count(distinct person_id) as checked
    from int_worker_aid_deduped
    where aid_type in ('生活救助', '子女助学')
    group by 1, 2

    union all
    select year, '09_medical_cap', count(*)
    from int_worker_aid_deduped
    where aid_type = '医疗救助' and out_of_pocket_yuan is not null
    group by 1

    union all
    select years.year, names.check_name, count(distinct r.person_id)
    from stg_child_rehab as r
    join years on years.year = year(r.aided_on)
    cross join (values ('10a_amount_cap'), ('10a_living_cap')) as names(check_name)
    group by 1, 2

    union all
    select years.year, '10a_age', count(*)
    from stg_child_rehab as r
    join years on years.year = year(r.aided_on)
    group by 1

    union all
    select years.year, '10c_yearly_cap', count(distinct m.person_id)
    from stg_psych_medication as m
    join years on years.year = year(m.paid_on)
    group by 1

    union all
    select years.year, names.check_name, count(*)
    from stg_sunshine_care as c
    join years on years.year = year(c.service_month_on)
    cross join (values ('11b_paid_to_person'), ('11b_age')) as names(check_name)
    group by 1, 2

    union all
    select year, '13a_age', count(*)
    from int_indicator_keys
    where code = '13a'
    group by 1

    union all
    select years.year, '18_village_without_society', count(*)
    from years
    cross join county_villages
    group by 1

    union all
    select snapshots.year, '19a_tekun_full_subsidy', count(*)
    from int_roster_snapshots as snapshots
    join int_roster as roster on roster.snapshot_on = snapshots.snapshot_on
    where snapshots.is_current and roster.person_group = '特困人员'
    group by 1

    union all
    select years.year, '19b_category_mismatch', count(*)
    from stg_medical_assistance as m
    join years on years.year = year(m.settled_on)
    group by 1

    union all
    select years.year, '20_missing_month',
        sum(datediff('month', first_month_on, date_trunc('month', years.data_ends_on)) + 1)
    from (
        select years.year, o.person_id, min(o.paid_month_on) as first_month_on
        from stg_orphan_support as o
        join years on years.year = year(o.paid_month_on)
        group by 1, 2
    ) as children
    join years on years.year = children.year
    group by 1

    union all
    select year, 'overlap_10a_10b', count(distinct person_id)
    from int_indicator_keys
    where code in ('10a', '10b')
    group by 1

),

violations as (

    select year, check_name, count(*) as violations
    from mart_check_violations
    group by 1, 2

),

final as (

    select
        years.year,
        catalog.check_name,
        catalog.target_code,
        plan_targets.lead_unit,
        catalog.subject,
        catalog.description_zh,
        years.data_ends_on as as_of_on,
        cast(coalesce(checked.checked, 0) as bigint) as checked,
        cast(coalesce(violations.violations, 0) as bigint) as violations

    from years
    cross join int_check_catalog as catalog
    join plan_targets
        on plan_targets.year = years.year and plan_targets.code = catalog.target_code
    left join checked
        on checked.year = years.year and checked.check_name = catalog.check_name
    left join violations
        on violations.year = years.year and violations.check_name = catalog.check_name

)

select * from final
