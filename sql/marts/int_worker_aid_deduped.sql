-- int_worker_aid_deduped: 困难职工帮扶 records (what measure worker_aid_person_times counts; 09
-- in 2024) after removing exact repeats of (person, 帮扶类型, 救助日期): a ledger sent again, or a
-- row typed twice, is one 人次. The first row (by file as committed, then row) stands for the
-- repeat, with its amounts.
-- grain: one row per plan year per (person, aid_type, aided_on).
with

worker_aid as (

    select * from stg_worker_aid
    where person_id is not null

),

final as (

    select
        int_plan_years.year,
        worker_aid.person_id,
        worker_aid.aid_type,
        worker_aid.aided_on,
        worker_aid.person_id_masked,
        worker_aid.name_masked,
        worker_aid.person_age,
        worker_aid.township,
        worker_aid.amount_yuan,
        worker_aid.out_of_pocket_yuan,
        worker_aid._file_sha256,
        worker_aid._file_seq,
        worker_aid._row

    from worker_aid
    join int_plan_years on int_plan_years.year = year(worker_aid.aided_on)
    qualify row_number() over (
        partition by worker_aid.person_id, worker_aid.aid_type, worker_aid.aided_on
        order by worker_aid._file_seq, worker_aid._row
    ) = 1

)

select * from final
