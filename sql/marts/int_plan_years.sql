-- int_plan_years: each plan year's span, and the newest record date in it, which ends the daily
-- spine and is the as-of date of the checks.
-- grain: one row per plan year (a year with a target registry in plan_targets).
with

plans as (

    select distinct year from plan_targets

),

lag_bands as (

    select year, value as lag_band_points
    from plan_settings
    where target_code = '' and name = 'lag_band_points'

),

-- every date that can move an indicator: each source's dating column, and the 结案日期 that
-- mean_subsidy_closed_cases counts closed cases by
record_dates as (

    select aided_on as record_on from stg_worker_aid
    union all select aided_on from stg_child_rehab
    union all select fitted_on from stg_assistive_device
    union all select paid_on from stg_psych_medication
    union all select completed_on from stg_disability_training
    union all select service_month_on from stg_sunshine_care
    union all select inspected_on from stg_accessibility_mod
    union all select inspected_on from stg_elderly_home_mod
    union all select stage_on from stg_elder_care_facility
    union all select aided_on from stg_serious_illness_aid
    union all select paid_month_on from stg_disability_allowance
    union all select accepted_on from stg_legal_aid
    union all select closed_on from stg_legal_aid
    union all select aided_on from stg_veteran_aid
    union all select founded_on from stg_mutual_aid_society
    union all select listed_on from stg_low_income_roster
    union all select data_on from stg_insurance_enrollment
    union all select settled_on from stg_medical_assistance
    union all select paid_month_on from stg_orphan_support

),

newest as (

    select year(record_on) as year, max(record_on) as newest_record_on
    from record_dates
    where record_on is not null
    group by 1

),

final as (

    select
        plans.year,
        make_date(plans.year, 1, 1) as starts_on,
        make_date(plans.year, 12, 31) as ends_on,
        -- the spine runs to the newest record of the year (Jan 1 when there is none yet)
        coalesce(newest.newest_record_on, make_date(plans.year, 1, 1)) as data_ends_on,
        newest.newest_record_on,
        make_date(plans.year, 12, 31) - make_date(plans.year, 1, 1) + 1 as days_in_year,
        lag_bands.lag_band_points

    from plans
    left join newest using (year)
    left join lag_bands using (year)

)

select * from final
