-- the person groups of mart_claims_by_group add up to their target (of measure
-- medical_assistance_ratio_compliance) in mart_indicator_daily on every day: their claims to its
-- denominator, their compliant claims to its numerator (a day with no group row has no claim)
with
groups as (
    select year, code, as_of_on, sum(claims) as claims, sum(compliant) as compliant
    from mart_claims_by_group
    group by 1, 2, 3
),
daily as (
    select daily.year, daily.code, daily.as_of_on, daily.numerator, daily.denominator
    from mart_indicator_daily as daily
    semi join plan_targets_of('medical_assistance_ratio_compliance') as t
        on t.year = daily.year and t.code = daily.code
)
select
    coalesce(daily.year, groups.year) as year,
    coalesce(daily.code, groups.code) as code,
    coalesce(daily.as_of_on, groups.as_of_on) as as_of_on,
    daily.numerator,
    daily.denominator,
    groups.compliant,
    groups.claims
from daily
full join groups
    on groups.year = daily.year and groups.code = daily.code and groups.as_of_on = daily.as_of_on
where daily.year is null
    or coalesce(groups.claims, 0) is distinct from daily.denominator
    or coalesce(groups.compliant, 0) is distinct from daily.numerator
