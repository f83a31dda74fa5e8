-- every enum value in staging is one the source registry allows (registry_enum_values, loaded
-- from config/sources.yaml); 是/否 columns are booleans in staging and checked by not_null_staging
with

seen as (

    select 'worker_aid' as source, 'aid_type' as field, aid_type as value from stg_worker_aid
    union all select 'child_rehab', 'disability_category', disability_category from stg_child_rehab
    union all select 'disability_training', 'training_type', training_type from stg_disability_training
    union all select 'sunshine_care', 'program', program from stg_sunshine_care
    union all select 'sunshine_care', 'disability_category', disability_category from stg_sunshine_care
    union all select 'sunshine_care', 'care_mode', care_mode from stg_sunshine_care
    union all select 'sunshine_care', 'payee', payee from stg_sunshine_care
    union all select 'accessibility_mod', 'inspection_result', inspection_result from stg_accessibility_mod
    union all select 'elderly_home_mod', 'target_group', target_group from stg_elderly_home_mod
    union all select 'elderly_home_mod', 'inspection_result', inspection_result from stg_elderly_home_mod
    union all select 'elder_care_facility', 'stage', stage from stg_elder_care_facility
    union all select 'serious_illness_aid', 'disease', disease from stg_serious_illness_aid
    union all select 'disability_allowance', 'allowance_type', allowance_type from stg_disability_allowance
    union all select 'legal_aid', 'case_type', case_type from stg_legal_aid
    union all select 'legal_aid', 'recipient_group', recipient_group from stg_legal_aid
    union all select 'veteran_aid', 'target_group', target_group from stg_veteran_aid
    union all select 'veteran_aid', 'hardship_type', hardship_type from stg_veteran_aid
    union all select 'mutual_aid_society', 'registration', registration from stg_mutual_aid_society
    union all select 'low_income_roster', 'person_group', person_group from stg_low_income_roster
    union all select 'insurance_enrollment', 'enrollment_status', enrollment_status from stg_insurance_enrollment
    union all select 'insurance_enrollment', 'insurance_type', insurance_type from stg_insurance_enrollment
    union all select 'insurance_enrollment', 'subsidy_class', subsidy_class from stg_insurance_enrollment
    union all select 'insurance_enrollment', 'unenrolled_reason', unenrolled_reason from stg_insurance_enrollment
    union all select 'medical_assistance', 'person_group', person_group from stg_medical_assistance
    union all select 'orphan_support', 'child_group', child_group from stg_orphan_support
    union all select 'orphan_support', 'care_mode', care_mode from stg_orphan_support

),

distinct_seen as (

    select source, field, value, count(*) as rows
    from seen
    where value is not null
    group by 1, 2, 3

)

select distinct_seen.*
from distinct_seen
anti join registry_enum_values as allowed
    on allowed.source = distinct_seen.source
    and allowed.field = distinct_seen.field
    and allowed.value = distinct_seen.value
