-- stg_insurance_enrollment: 城乡居民基本医保参保信息 (县医保局).
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_insurance_enrollment

),

renamed as (

    select
        -- ids
        person_id,
        person_id_masked,
        name_masked,

        -- person, on the record's dating day (from the ID number)
        person_age,
        person_sex,

        -- place
        township,

        -- attributes
        cast(plan_year as integer) as plan_year,
        enrollment_status,
        insurance_type,
        subsidy_class,
        unenrolled_reason,

        -- amounts
        subsidy_yuan,

        -- dates
        data_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
