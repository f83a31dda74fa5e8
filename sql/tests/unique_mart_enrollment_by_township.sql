-- the key of mart_enrollment_by_township (year, code, as_of_on, township) is unique and never null
select year, code, as_of_on, township, count(*) as rows
from mart_enrollment_by_township
group by year, code, as_of_on, township
having count(*) > 1 or year is null or code is null or as_of_on is null or township is null
