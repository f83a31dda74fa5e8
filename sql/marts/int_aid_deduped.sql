-- int_aid_deduped: the monitored payments, of the targets of measure persons_serious_illness_aid
-- (category = 病种; 14 in 2024) and of persons_veteran_aid (category = 对象类别; 17 in 2024),
-- after removing exact duplicate rows: the same person, day, amount, category (and 困难类型 for
-- veteran aid) entered twice is one payment, so the sum aided counts it once. The first row (by
-- file as committed, then row) stands for the repeat. A target of the year's plan that names the
-- measure has the payments of its year, each target its own rows.
-- grain: one row per plan year per target code (of those measures) per distinct payment.
with

payments as (

    select
        t.year,
        t.code,
        a.person_id,
        a.disease as category,
        cast(null as varchar) as hardship_type,
        a.amount_yuan,
        a.aided_on,
        a.township,
        a.person_id_masked,
        a.name_masked,
        a.person_age,
        a._file_sha256,
        a._file_seq,
        a._row
    from stg_serious_illness_aid as a
    join plan_targets_of('persons_serious_illness_aid') as t on t.year = year(a.aided_on)

    union all

    select
        t.year,
        t.code,
        v.person_id,
        v.target_group as category,
        v.hardship_type,
        v.amount_yuan,
        v.aided_on,
        v.township,
        v.person_id_masked,
        v.name_masked,
        v.person_age,
        v._file_sha256,
        v._file_seq,
        v._row
    from stg_veteran_aid as v
    join plan_targets_of('persons_veteran_aid') as t on t.year = year(v.aided_on)

),

final as (

    select
        payments.year,
        payments.code,
        payments.person_id,
        payments.category,
        payments.hardship_type,
        payments.amount_yuan,
        payments.aided_on,
        payments.township,
        payments.person_id_masked,
        payments.name_masked,
        payments.person_age,
        payments._file_sha256,
        payments._file_seq,
        payments._row

    from payments
    where payments.person_id is not null
    qualify row_number() over (
        partition by payments.year, payments.code, payments.person_id, payments.category,
            payments.hardship_type, payments.amount_yuan, payments.aided_on
        order by payments._file_seq, payments._row
    ) = 1

)

select * from final
