-- stg_elder_care_facility: 社区嵌入式养老服务机构建设进度 (县民政局); no person.
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_elder_care_facility

),

renamed as (

    select
        -- ids
        trim(facility_name) as facility_name,

        -- place
        township,
        address,

        -- attributes
        stage,

        -- amounts
        subsidy_yuan,

        -- dates
        stage_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
