-- the key of mart_enrollment_unenrolled (year, code, person_id) is unique and never null
select year, code, person_id, count(*) as rows
from mart_enrollment_unenrolled
group by year, code, person_id
having count(*) > 1 or year is null or code is null or person_id is null
