-- stg_legal_aid: 法律援助案件台账 (县司法局); the person is the 受援人.
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_legal_aid

),

renamed as (

    select
        -- ids: case_no is the case's key; a case is listed again when it closes
        trim(case_no) as case_no,
        person_id,
        person_id_masked,
        name_masked,

        -- person, on the record's dating day (from the ID number)
        person_age,
        person_sex,

        -- place
        township,

        -- attributes
        case_type,
        recipient_group,

        -- amounts
        subsidy_yuan,

        -- dates
        accepted_on,
        closed_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
