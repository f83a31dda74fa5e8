-- macros: the two rules every indicator shares (targets.md, "Kinds of indicator"), kept once so
-- that the marts cannot disagree (mart_indicator_daily and mart_indicator_by_township judge every
-- day of the year with indicator_status, a day after the newest record included; the API only
-- selects their rows).
-- grain: not a model; a file that starts with `create` is run as written.

-- indicator_actual: the indicator's number from its cumulative sums, by the value form of its
-- measure (config/measures.yaml: value).
--   count     n (records, persons, cases, households: whatever the code counts)
--   share     numerator / denominator; null while there is nothing to judge
--   mean_yuan the mean of numerator (yuan) over denominator (cases), rounded half up to the fen,
--             worked in integer fen so no binary fraction decides a rounding (16b)
create or replace macro indicator_actual(value_form, n, numerator, denominator) as
    case value_form
        when 'count' then cast(n as double)
        when 'share' then
            case when denominator > 0 then cast(numerator as double) / denominator end
        when 'mean_yuan' then
            case when denominator > 0 then
                cast((cast(numerator * 100 as hugeint) * 2 + denominator) // (2 * denominator) as double) / 100
            end
    end;

-- indicator_status: how an indicator stands at a day whose time progress (序时进度) is given.
--   count     已完成 at or above target; 正常 when completion keeps up with time progress;
--             滞后 when behind by up to lag_band_points percentage points; 严重滞后 beyond
--   rate, standard  达标 / 未达标 against the target (a standard's target is 1, i.e. 100%;
--             16b's is 1100 元/件)
--   monitor   监测: no number in the plan, never late
--   无数据    a rate or standard with nothing to judge yet (reading: not "met by default")
create or replace macro indicator_status(kind, target, actual, time_progress, lag_band_points) as
    case
        when kind = 'monitor' then '监测'
        when actual is null then '无数据'
        when kind = 'count' then
            case
                when actual >= target then '已完成'
                when actual / target >= time_progress then '正常'
                when time_progress - actual / target <= lag_band_points / 100 then '滞后'
                else '严重滞后'
            end
        when actual >= target then '达标'
        else '未达标'
    end;

-- row_order: one sortable number per lake row in the order "first" means everywhere: by the
-- given day, then by file as committed (manifest order), then by row in the file. arg_min over
-- it picks a key's first row; a single hugeint sorts far faster than a tuple at scale.
create or replace macro row_order(on_day, file_seq, file_row) as
    (cast(coalesce(date_diff('day', date '1970-01-01', on_day), 0) + 1000000 as hugeint) << 64)
    + (cast(file_seq as hugeint) << 32)
    + cast(file_row as hugeint);

-- row_locator: a lake row's file (manifest order) and row in one bigint, to carry the first
-- row of a key cheaply and find it again (file_seq = locator >> 32, row = locator & 4294967295).
create or replace macro row_locator(file_seq, file_row) as
    (cast(file_seq as bigint) << 32) + cast(file_row as bigint);

-- The plan as the SQL reads it. A model never names a target by its code (the county's label,
-- renumbered from year to year): it asks for the targets that use a measure, or the checks that
-- use a rule, of config/measures.yaml, and reads their settings by name. Go refuses a plan that
-- lacks a setting its measures and rules need (minsheng.ParsePlan), and plan_settings_present
-- checks it again, so plan_setting is never null where a model reads it.

-- plan_targets_of: the (year, code) of every target whose plan names the measure.
create or replace macro plan_targets_of(measure_name) as table
    select year, code from plan_targets where measure = measure_name;

-- plan_checks_of: the (year, check_name, target_code) of every check whose plan names the rule.
create or replace macro plan_checks_of(rule_name) as table
    select year, check_name, target_code from plan_checks where rule = rule_name;

-- plan_setting: a setting of a year's plan: a target's threshold (target_code = its code) or a
-- plan-wide setting (target_code = ''). Read it in a model over plan_targets_of or
-- plan_checks_of (a few rows), never per lake row.
create or replace macro plan_setting(setting_year, setting_target_code, setting_name) as (
    select value from plan_settings
    where year = setting_year and target_code = setting_target_code and name = setting_name
);
