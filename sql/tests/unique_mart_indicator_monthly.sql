-- the key of mart_indicator_monthly (year, code, month_on) is unique and never null
select year, code, month_on, count(*) as rows
from mart_indicator_monthly
group by year, code, month_on
having count(*) > 1 or year is null or code is null or month_on is null
