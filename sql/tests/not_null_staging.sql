-- what the indicators key on is never null in staging: the person (where the source has one),
-- the township, the dating column where the registry requires it, and 是否结业
with

nulls as (

    select 'worker_aid' as source, count(*) filter (where person_id is null or township is null or aided_on is null or aid_type is null) as rows from stg_worker_aid
    union all select 'child_rehab', count(*) filter (where person_id is null or township is null or aided_on is null) from stg_child_rehab
    union all select 'assistive_device', count(*) filter (where person_id is null or township is null or fitted_on is null) from stg_assistive_device
    union all select 'psych_medication', count(*) filter (where person_id is null or township is null or paid_on is null) from stg_psych_medication
    union all select 'disability_training', count(*) filter (where person_id is null or township is null or is_completed is null or (is_completed and completed_on is null)) from stg_disability_training
    union all select 'sunshine_care', count(*) filter (where person_id is null or township is null or service_month_on is null) from stg_sunshine_care
    union all select 'accessibility_mod', count(*) filter (where person_id is null or township is null or inspection_result is null) from stg_accessibility_mod
    union all select 'elderly_home_mod', count(*) filter (where person_id is null or township is null or inspection_result is null) from stg_elderly_home_mod
    union all select 'elder_care_facility', count(*) filter (where facility_name is null or township is null or stage_on is null) from stg_elder_care_facility
    union all select 'serious_illness_aid', count(*) filter (where person_id is null or township is null or aided_on is null) from stg_serious_illness_aid
    union all select 'disability_allowance', count(*) filter (where person_id is null or township is null or paid_month_on is null) from stg_disability_allowance
    union all select 'legal_aid', count(*) filter (where case_no is null or person_id is null or township is null or accepted_on is null) from stg_legal_aid
    union all select 'veteran_aid', count(*) filter (where person_id is null or township is null or aided_on is null) from stg_veteran_aid
    union all select 'mutual_aid_society', count(*) filter (where township is null or village is null or founded_on is null) from stg_mutual_aid_society
    union all select 'low_income_roster', count(*) filter (where person_id is null or township is null or listed_on is null) from stg_low_income_roster
    union all select 'insurance_enrollment', count(*) filter (where person_id is null or plan_year is null or enrollment_status is null) from stg_insurance_enrollment
    union all select 'medical_assistance', count(*) filter (where person_id is null or township is null or settled_on is null) from stg_medical_assistance
    union all select 'orphan_support', count(*) filter (where person_id is null or township is null or paid_month_on is null) from stg_orphan_support

)

select * from nulls where rows > 0
