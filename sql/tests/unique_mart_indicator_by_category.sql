-- the key of mart_indicator_by_category (year, code, category, as_of_on) is unique and never null
select year, code, category, as_of_on, count(*) as rows
from mart_indicator_by_category
group by year, code, category, as_of_on
having count(*) > 1 or year is null or code is null or category is null or as_of_on is null
