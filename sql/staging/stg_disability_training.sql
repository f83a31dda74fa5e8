-- stg_disability_training: 残疾人职业技能和创业培训台账 (县残联).
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_disability_training

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
        training_type,
        training_project,
        case is_completed when '是' then true when '否' then false end as is_completed,

        -- dates
        started_on,
        completed_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
