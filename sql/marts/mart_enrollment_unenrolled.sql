-- mart_enrollment_unenrolled: the roster persons neither enrolled nor exempt for the year, on the
-- roster in force at the newest record date, masked; for the medical insurance bureau only, to
-- follow up township by township (is_township_flagged: the township is under the target). Listed
-- for each target of measure enrollment_rate_low_income (19a in 2024) in the year's plan, flagged
-- by that target's township rows (mart_enrollment_by_township).
-- grain: one row per plan year per target code (of the measure) per unenrolled roster person.
with

current_roster as (

    select snapshots.year, roster.*
    from int_roster_snapshots as snapshots
    join int_roster as roster on roster.snapshot_on = snapshots.snapshot_on
    where snapshots.is_current

),

township_states as (

    select m.year, m.code, m.township, m.is_flagged
    from mart_enrollment_by_township as m
    join int_plan_years as y on y.year = m.year and y.data_ends_on = m.as_of_on

),

-- the unenrolled first: a few in a thousand of the roster, so the listings are found for them only
unenrolled as (

    select
        current_roster.*,
        enrollment.person_id is null as has_no_enrollment_row
    from current_roster
    left join int_enrollment_persons as enrollment
        on enrollment.year = current_roster.year
        and enrollment.person_id = current_roster.person_id
    where not coalesce(enrollment.is_enrolled, false)
        and not coalesce(enrollment.is_exempt, false)

),

final as (

    select
        unenrolled.year,
        t.code,
        unenrolled.person_id,
        listing.person_id_masked,
        listing.name_masked,
        unenrolled.township,
        unenrolled.village,
        unenrolled.person_group,
        unenrolled.snapshot_on,
        unenrolled.has_no_enrollment_row,
        coalesce(township_states.is_flagged, false) as is_township_flagged,
        listing._file_sha256,
        listing._row

    from unenrolled
    join plan_targets_of('enrollment_rate_low_income') as t on t.year = unenrolled.year
    join stg_low_income_roster as listing
        on listing._file_seq = unenrolled._file_seq and listing._row = unenrolled._row
    left join township_states
        on township_states.year = unenrolled.year
        and township_states.code = t.code
        and township_states.township = unenrolled.township

)

select * from final
