-- the key of mart_claims_by_group (year, code, as_of_on, person_group) is unique and never null,
-- and a group has claims on each of its days, no more compliant than counted
select year, code, as_of_on, person_group, count(*) as rows
from mart_claims_by_group
group by year, code, as_of_on, person_group
having count(*) > 1 or year is null or code is null or as_of_on is null or person_group is null
    or min(claims) <= 0 or max(compliant) > min(claims) or min(compliant) < 0
