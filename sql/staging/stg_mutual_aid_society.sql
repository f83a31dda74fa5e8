-- stg_mutual_aid_society: 村(社区)救急难互助社台账 (县民政局); no person.
-- grain: one row per landed row of a committed lake file (repeats kept: the marts say
-- what a repeat is). Renaming, casting and cleaning only.
with

source as (

    select * from lake_mutual_aid_society

),

renamed as (

    select
        -- place
        township,
        village,

        -- attributes
        registration,

        -- amounts
        county_fund_yuan,
        village_fund_yuan,
        donation_yuan,

        -- dates
        founded_on,

        -- lineage: the record is found again by file and row, never by name
        _file_sha256,
        _file_seq,
        _row

    from source

)

select * from renamed
