-- int_enrollment_snapshot: the state of measure enrollment_rate_low_income (19a in 2024) under
-- each roster snapshot: roster persons, the exempt among them, the enrolled. A roster person with
-- no enrollment row is not enrolled. The township is the roster's.
-- grain: one row per plan year per snapshot in force per profile township.
with

townships as (

    select distinct township from county_villages

),

counts as (

    select
        snapshots.year,
        snapshots.snapshot_on,
        roster.township,
        count(*) as roster_persons,
        count(*) filter (where enrollment.is_exempt) as exempt_persons,
        count(*) filter (where enrollment.is_enrolled) as enrolled_persons

    from int_roster_snapshots as snapshots
    join int_roster as roster
        on roster.snapshot_on = snapshots.snapshot_on
    left join int_enrollment_persons as enrollment
        on enrollment.year = snapshots.year
        and enrollment.person_id = roster.person_id
    group by 1, 2, 3

),

final as (

    select
        snapshots.year,
        snapshots.snapshot_on,
        snapshots.effective_on,
        snapshots.superseded_on,
        snapshots.is_current,
        townships.township,
        coalesce(counts.roster_persons, 0) as roster_persons,
        coalesce(counts.exempt_persons, 0) as exempt_persons,
        coalesce(counts.enrolled_persons, 0) as enrolled_persons

    from int_roster_snapshots as snapshots
    cross join townships
    left join counts
        on counts.year = snapshots.year
        and counts.snapshot_on = snapshots.snapshot_on
        and counts.township = townships.township

)

select * from final
