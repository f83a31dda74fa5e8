-- int_roster: each 名单日期 of low_income_roster is a whole snapshot of the roster; a person
-- listed twice in one snapshot keeps the first listing (by file as committed, then row), found
-- again in stg_low_income_roster by _file_seq and _row.
-- grain: one row per roster snapshot (listed_on) per person.
with

roster as (

    select * from stg_low_income_roster
    where person_id is not null

),

firsts as (

    select
        listed_on as snapshot_on,
        person_id,
        arg_min(township, row_order(listed_on, _file_seq, _row)) as township,
        arg_min(village, row_order(listed_on, _file_seq, _row)) as village,
        arg_min(person_group, row_order(listed_on, _file_seq, _row)) as person_group,
        min(row_locator(_file_seq, _row)) as first_row

    from roster
    group by 1, 2

),

final as (

    select
        snapshot_on,
        person_id,
        township,
        village,
        person_group,
        cast(first_row >> 32 as integer) as _file_seq,
        cast(first_row & 4294967295 as integer) as _row

    from firsts

)

select * from final
