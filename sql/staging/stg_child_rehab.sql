-- stg_child_rehab: 残疾儿童康复救助台账 (县残联).
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_child_rehab

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
        disability_category,
        case is_cerebral_palsy when '是' then true when '否' then false end as is_cerebral_palsy,
        rehab_institution,

        -- amounts
        amount_yuan,
        living_allowance_yuan,

        -- dates
        aided_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
