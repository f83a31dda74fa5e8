-- the thresholds and settings the marts read are in the plan of every year whose plan has the
-- target that needs them: a missing one would silently count nothing
with

needed as (

    select * from (values
        ('', 'lag_band_points', null),
        ('', 'urban_dibao_yuan_per_month', '09'),
        ('13b', 'min_subsidy_yuan', '13b'),
        ('15', 'standard_yuan', '15'),
        ('18', 'min_start_fund_yuan', '18'),
        ('18', 'min_county_yuan', '18'),
        ('18', 'min_village_yuan', '18'),
        ('18', 'min_donation_yuan', '18'),
        ('19b', 'ratio_tekun', '19b'),
        ('19b', 'ratio_dibao', '19b'),
        ('19b', 'ratio_bianyuan', '19b'),
        ('19b', 'ratio_jiance', '19b'),
        ('20', 'dispersed_yuan', '20'),
        ('20', 'centralized_yuan', '20')
    ) as n(target_code, name, needed_by)

),

years as (

    select distinct year, code from plan_targets

)

select distinct years.year, needed.target_code, needed.name
from needed
join years
    on needed.needed_by is null or years.code = needed.needed_by
anti join plan_settings
    on plan_settings.year = years.year
    and plan_settings.target_code = needed.target_code
    and plan_settings.name = needed.name
