-- int_aid_deduped: the monitored payments, 14 困难大病患者救治 (category = 病种) and 17 困难退役
-- 军人帮扶 (category = 对象类别), after removing exact duplicate rows: the same person, day,
-- amount, category (and 困难类型 for 17) entered twice is one payment, so the sum aided counts it
-- once. The first row (by file as committed, then row) stands for the repeat.
-- grain: one row per plan year per monitor code per distinct payment.
with

payments as (

    select
        '14' as code,
        person_id,
        disease as category,
        cast(null as varchar) as hardship_type,
        amount_yuan,
        aided_on,
        township,
        person_id_masked,
        name_masked,
        person_age,
        _file_sha256,
        _file_seq,
        _row
    from stg_serious_illness_aid

    union all

    select
        '17' as code,
        person_id,
        target_group as category,
        hardship_type,
        amount_yuan,
        aided_on,
        township,
        person_id_masked,
        name_masked,
        person_age,
        _file_sha256,
        _file_seq,
        _row
    from stg_veteran_aid

),

final as (

    select
        int_plan_years.year,
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
    join int_plan_years on int_plan_years.year = year(payments.aided_on)
    where payments.person_id is not null
    qualify row_number() over (
        partition by payments.code, payments.person_id, payments.category,
            payments.hardship_type, payments.amount_yuan, payments.aided_on
        order by payments._file_seq, payments._row
    ) = 1

)

select * from final
