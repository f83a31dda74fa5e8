-- stg_low_income_roster: 低收入人口和脱贫人口名单 (县民政局); each 名单日期 is a whole snapshot.
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_low_income_roster

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
        person_group,

        -- dates
        listed_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
