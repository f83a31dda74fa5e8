-- the townships of mart_indicator_by_township add up to the county in mart_indicator_daily
-- (counts, numerators, denominators, money) on every day
with

townships as (

    select
        year, code, as_of_on,
        sum(case when kind in ('count', 'monitor') then actual end) as actual,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(amount_yuan) as amount_yuan
    from mart_indicator_by_township
    group by 1, 2, 3

)

select daily.year, daily.code, daily.as_of_on
from mart_indicator_daily as daily
join townships using (year, code, as_of_on)
where (daily.kind in ('count', 'monitor') and daily.actual is distinct from townships.actual)
    or daily.numerator is distinct from townships.numerator
    or daily.denominator is distinct from townships.denominator
    or daily.amount_yuan is distinct from townships.amount_yuan
