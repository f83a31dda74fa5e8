-- the key of mart_enrollment_unenrolled (year, person_id) is unique and never null
select year, person_id, count(*) as rows
from mart_enrollment_unenrolled
group by year, person_id
having count(*) > 1 or year is null or person_id is null
