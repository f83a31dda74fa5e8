-- the key of mart_checks (year, check_name) is unique and never null
select year, check_name, count(*) as rows
from mart_checks
group by year, check_name
having count(*) > 1 or year is null or check_name is null
