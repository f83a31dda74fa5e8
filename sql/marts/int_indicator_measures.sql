-- int_indicator_measures: how each target of the plan turns its sums into a number, and the
-- settings its status needs: the target's measure (config/measures.yaml) and that measure's value
-- form (count, share or mean_yuan), as the plan loads them.
-- grain: one row per plan year per target code.
with

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
        plan_targets.measure,
        plan_targets.value_form,
        int_plan_years.lag_band_points

    from plan_targets
    join int_plan_years on int_plan_years.year = plan_targets.year

)

select * from final
