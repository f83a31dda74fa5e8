-- mart_person_overlap: persons counted by two targets in the year, by pair of target codes, so a
-- lead unit sees where two rescues reach the same person (targets.md: children's rehabilitation
-- and device fitting, 10a and 10b in 2024, are separate rescues and may overlap; the overlap is
-- reported, never removed). Targets whose keys are persons' records are compared
-- (int_indicator_keys); the enrollment rate's roster is a population, not aid.
-- grain: one row per plan year per pair of target codes (code_a < code_b) with a person in common.
with

persons as (

    select distinct year, code, person_id
    from int_indicator_keys
    where person_id is not null

),

pairs as (

    select
        a.year,
        a.code as code_a,
        b.code as code_b,
        count(*) as persons
    from persons as a
    join persons as b
        on b.year = a.year
        and b.person_id = a.person_id
        and b.code > a.code
    group by 1, 2, 3

),

final as (

    select
        pairs.year,
        pairs.code_a,
        pairs.code_b,
        target_a.lead_unit as lead_unit_a,
        target_b.lead_unit as lead_unit_b,
        target_a.lead_unit = target_b.lead_unit as is_same_lead_unit,
        pairs.persons

    from pairs
    join plan_targets as target_a
        on target_a.year = pairs.year and target_a.code = pairs.code_a
    join plan_targets as target_b
        on target_b.year = pairs.year and target_b.code = pairs.code_b

)

select * from final
