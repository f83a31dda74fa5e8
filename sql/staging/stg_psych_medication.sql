-- stg_psych_medication: 困难精神残疾人药费补助发放表 (县残联).
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_psych_medication

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
        disability_cert_masked,
        disability_cert_category as disability_category_code,
        disability_cert_grade as disability_grade,

        -- amounts
        amount_yuan,

        -- dates
        paid_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
