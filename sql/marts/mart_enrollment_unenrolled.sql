-- mart_enrollment_unenrolled: the roster persons neither enrolled nor exempt for the year, on the
-- roster in force at the newest record date, masked; for the medical insurance bureau only, to
-- follow up township by township (is_township_flagged: the township is under the target).
-- grain: one row per plan year per unenrolled roster person.
with

current_roster as (

    select snapshots.year, roster.*
    from int_roster_snapshots as snapshots
    join int_roster as roster on roster.snapshot_on = snapshots.snapshot_on
    where snapshots.is_current

),

township_states as (

    select m.year, m.township, m.is_flagged
    from mart_enrollment_by_township as m
    join int_plan_years as y on y.year = m.year and y.data_ends_on = m.as_of_on

),

final as (

    select
        current_roster.year,
        current_roster.person_id,
        listing.person_id_masked,
        listing.name_masked,
        current_roster.township,
        current_roster.village,
        current_roster.person_group,
        current_roster.snapshot_on,
        enrollment.person_id is null as has_no_enrollment_row,
        coalesce(township_states.is_flagged, false) as is_township_flagged,
        listing._file_sha256,
        listing._row

    from current_roster
    join stg_low_income_roster as listing
        on listing._file_seq = current_roster._file_seq and listing._row = current_roster._row
    left join int_enrollment_persons as enrollment
        on enrollment.year = current_roster.year
        and enrollment.person_id = current_roster.person_id
    left join township_states
        on township_states.year = current_roster.year
        and township_states.township = current_roster.township
    where not coalesce(enrollment.is_enrolled, false)
        and not coalesce(enrollment.is_exempt, false)

)

select * from final
