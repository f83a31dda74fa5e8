-- every setting the SQL reads is in the plan of the year: the thresholds the catalog
-- (catalog_settings, from config/measures.yaml) says a target's measure reads, on the target; the
-- thresholds a check's rule reads, on the check's target; the plan-wide settings either reads,
-- and lag_band_points, on the plan (target_code ''). A missing one would silently count nothing.
-- Go refuses such a plan before the build (minsheng.ParsePlan); this keeps the SQL honest too.
with
by_targets as (
    select
        t.year,
        case when s.plan_wide then '' else t.code end as target_code,
        s.setting as name,
        'target ' || t.code || ' (' || t.measure || ')' as needed_by
    from plan_targets as t
    join catalog_settings as s on s.kind = 'measure' and s.name = t.measure
),
by_checks as (
    select
        c.year,
        case when s.plan_wide then '' else c.target_code end as target_code,
        s.setting as name,
        'check ' || c.check_name || ' (' || c.rule || ')' as needed_by
    from plan_checks as c
    join catalog_settings as s on s.kind = 'rule' and s.name = c.rule
),
by_plans as (
    select distinct year, '' as target_code, 'lag_band_points' as name, 'the plan' as needed_by
    from plan_targets
),
needed as (
    select * from by_targets
    union all select * from by_checks
    union all select * from by_plans
)
select needed.year, needed.target_code, needed.name, string_agg(needed.needed_by, ', ' order by needed.needed_by) as needed_by
from needed
anti join plan_settings
    on plan_settings.year = needed.year
    and plan_settings.target_code = needed.target_code
    and plan_settings.name = needed.name
group by 1, 2, 3
