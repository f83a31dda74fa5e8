-- int_check_catalog: the checks of each year's plan (targets.md, "Checks"): the check's name
-- (what the API shows), the rule of config/measures.yaml that finds its violations, the target
-- whose lead unit answers for it (its thresholds are the rule's limits), and the description
-- people read, filled by Go from the rule's text with the plan's values. Nothing here is the
-- policy's: a county renames, renumbers or adds checks in its year file.
-- grain: one row per plan year per check.
with

checks as (

    select * from plan_checks

),

years as (

    select year from int_plan_years

),

final as (

    select
        checks.year,
        checks.check_name,
        checks.target_code,
        checks.rule,
        checks.subject,
        checks.description_zh,
        checks.sort_order

    from checks
    join years on years.year = checks.year

)

select * from final
