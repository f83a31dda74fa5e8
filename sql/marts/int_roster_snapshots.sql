-- int_roster_snapshots: the roster snapshots in force on some day of a plan year. The roster at
-- an as-of date is the snapshot with the newest 名单日期 on or before it; older snapshots are
-- superseded whole. A snapshot listed before Jan 1 is in force from Jan 1 until the year's first.
-- grain: one row per plan year per snapshot in force during it.
with

snapshots as (

    select distinct snapshot_on from int_roster

),

-- the snapshot in force on Jan 1
opening as (

    select int_plan_years.year, max(snapshots.snapshot_on) as snapshot_on
    from int_plan_years
    join snapshots on snapshots.snapshot_on <= int_plan_years.starts_on
    group by 1

),

in_year as (

    select
        int_plan_years.year,
        snapshots.snapshot_on,
        greatest(snapshots.snapshot_on, int_plan_years.starts_on) as effective_on

    from int_plan_years
    join snapshots
        on snapshots.snapshot_on <= int_plan_years.data_ends_on
    left join opening
        on opening.year = int_plan_years.year
    where snapshots.snapshot_on > int_plan_years.starts_on
        or snapshots.snapshot_on = opening.snapshot_on

),

final as (

    select
        year,
        snapshot_on,
        effective_on,
        lead(effective_on) over (partition by year order by effective_on) as superseded_on,
        -- the roster at the year's newest record date: the one the checks and lists use
        lead(effective_on) over (partition by year order by effective_on) is null as is_current

    from in_year

)

select * from final
