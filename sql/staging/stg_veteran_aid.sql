-- stg_veteran_aid: 困难退役军人帮扶台账 (县退役军人事务局).
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_veteran_aid

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
        target_group,
        hardship_type,

        -- amounts
        amount_yuan,

        -- dates
        aided_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
