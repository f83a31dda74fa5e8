-- counts are never negative, a share lies in [0, 1] with its numerator within its denominator,
-- and a mean has cases behind it (value_form: how the target's measure makes its actual)
select year, code, as_of_on, measure, value_form, actual, numerator, denominator
from mart_indicator_daily
where (value_form = 'count' and (actual is null or actual < 0))
    or (value_form = 'share' and (actual < 0 or actual > 1 or numerator > denominator or denominator < 0))
    or (value_form = 'mean_yuan' and (denominator < 0 or (actual is not null and denominator = 0)))
    or value_form not in ('count', 'share', 'mean_yuan') or value_form is null or measure is null
