-- the key of mart_check_violations (year, check_name, subject_key) is unique and never null
select year, check_name, subject_key, count(*) as rows
from mart_check_violations
group by year, check_name, subject_key
having count(*) > 1 or year is null or check_name is null or subject_key is null
