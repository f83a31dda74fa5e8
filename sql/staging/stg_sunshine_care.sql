-- stg_sunshine_care: 残疾人托养服务台账 (县残联).
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_sunshine_care

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
        program,
        disability_category,
        care_mode,
        care_institution,
        payee,

        -- amounts
        amount_yuan,

        -- dates
        service_month_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
