-- the key of mart_person_overlap (year, code_a, code_b) is unique and never null
select year, code_a, code_b, count(*) as rows
from mart_person_overlap
group by year, code_a, code_b
having count(*) > 1 or year is null or code_a is null or code_b is null
