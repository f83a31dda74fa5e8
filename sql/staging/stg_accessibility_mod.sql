-- stg_accessibility_mod: 困难重度残疾人家庭无障碍改造台账 (县残联); the person is the 户主.
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_accessibility_mod

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
        village,

        -- attributes
        work_content,
        inspection_result,

        -- amounts
        amount_yuan,

        -- dates
        started_on,
        inspected_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
