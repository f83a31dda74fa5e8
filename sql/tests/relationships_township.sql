-- every township (and village, where the source has one) is in the county profile
-- (county_villages): a record in an unknown township would fall out of every by-township sum
with

townships as (

    select distinct 'worker_aid' as source, township from stg_worker_aid
    union all select distinct 'child_rehab', township from stg_child_rehab
    union all select distinct 'assistive_device', township from stg_assistive_device
    union all select distinct 'psych_medication', township from stg_psych_medication
    union all select distinct 'disability_training', township from stg_disability_training
    union all select distinct 'sunshine_care', township from stg_sunshine_care
    union all select distinct 'accessibility_mod', township from stg_accessibility_mod
    union all select distinct 'elderly_home_mod', township from stg_elderly_home_mod
    union all select distinct 'elder_care_facility', township from stg_elder_care_facility
    union all select distinct 'serious_illness_aid', township from stg_serious_illness_aid
    union all select distinct 'disability_allowance', township from stg_disability_allowance
    union all select distinct 'legal_aid', township from stg_legal_aid
    union all select distinct 'veteran_aid', township from stg_veteran_aid
    union all select distinct 'mutual_aid_society', township from stg_mutual_aid_society
    union all select distinct 'low_income_roster', township from stg_low_income_roster
    union all select distinct 'insurance_enrollment', township from stg_insurance_enrollment
    union all select distinct 'medical_assistance', township from stg_medical_assistance
    union all select distinct 'orphan_support', township from stg_orphan_support

),

villages as (

    select distinct 'accessibility_mod' as source, township, village from stg_accessibility_mod
    union all select distinct 'elderly_home_mod', township, village from stg_elderly_home_mod
    union all select distinct 'mutual_aid_society', township, village from stg_mutual_aid_society
    union all select distinct 'low_income_roster', township, village from stg_low_income_roster

),

unknown_townships as (

    select source, township, cast(null as varchar) as village
    from townships
    where township not in (select township from county_villages)

),

unknown_villages as (

    select villages.source, villages.township, villages.village
    from villages
    anti join county_villages
        on county_villages.township = villages.township
        and county_villages.village = villages.village

)

select * from unknown_townships
union all
select * from unknown_villages
