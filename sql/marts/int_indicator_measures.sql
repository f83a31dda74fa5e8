-- int_indicator_measures: how each target of the plan turns its sums into a number, and the
-- settings its status needs. A count or monitor counts; a rate or standard is a share, except
-- 16b, a standard stated as a mean (元/件).
-- grain: one row per plan year per target code.
with

overrides as (

    select * from (values ('16b', 'mean_yuan')) as o(code, measure)

),

final as (

    select
        plan_targets.year,
        plan_targets.code,
        plan_targets.item,
        plan_targets.title,
        plan_targets.lead_unit,
        plan_targets.kind,
        plan_targets.unit,
        plan_targets.target,
        plan_targets.parent_code,
        plan_targets.sort_order,
        coalesce(
            overrides.measure,
            case when plan_targets.kind in ('count', 'monitor') then 'count' else 'share' end
        ) as measure,
        int_plan_years.lag_band_points

    from plan_targets
    join int_plan_years on int_plan_years.year = plan_targets.year
    left join overrides on overrides.code = plan_targets.code

)

select * from final
