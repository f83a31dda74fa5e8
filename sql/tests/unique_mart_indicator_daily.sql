-- the key of mart_indicator_daily (year, code, as_of_on) is unique and never null
select year, code, as_of_on, count(*) as rows
from mart_indicator_daily
group by year, code, as_of_on
having count(*) > 1 or year is null or code is null or as_of_on is null
