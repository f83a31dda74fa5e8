-- every check's violation count is the number of its listed violations, and no violation names
-- a check the catalog does not know
select coalesce(checks.year, listed.year) as year,
    coalesce(checks.check_name, listed.check_name) as check_name,
    checks.violations, listed.violations as listed
from mart_checks as checks
full join (
    select year, check_name, count(*) as violations
    from mart_check_violations
    group by 1, 2
) as listed using (year, check_name)
where checks.violations is distinct from coalesce(listed.violations, 0)
