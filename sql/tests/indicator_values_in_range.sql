-- counts are never negative, a share lies in [0, 1] with its numerator within its denominator,
-- and a mean has cases behind it
select year, code, as_of_on, measure, actual, numerator, denominator
from mart_indicator_daily
where (measure = 'count' and (actual is null or actual < 0))
    or (measure = 'share' and (actual < 0 or actual > 1 or numerator > denominator or denominator < 0))
    or (measure = 'mean_yuan' and (denominator < 0 or (actual is not null and denominator = 0)))
