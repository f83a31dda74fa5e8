-- the key of mart_indicator_by_township (year, code, township, as_of_on) is unique and never null
select year, code, township, as_of_on, count(*) as rows
from mart_indicator_by_township
group by year, code, township, as_of_on
having count(*) > 1 or year is null or code is null or township is null or as_of_on is null
