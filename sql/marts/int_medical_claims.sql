-- int_medical_claims: every 医疗救助 claim of a plan year judged for each target of measure
-- medical_assistance_ratio_compliance in the year's plan (19b in 2024), by that target's ratios,
-- once for each roster snapshot it is judged against. The measure's values
-- (int_indicator_events) and mart_claims_by_group both read it, so a claim is judged in one
-- place.
--   a claim      a row of the extract (_file_seq, _row), as agreed: a settlement sent again in a
--                later extract counts twice
--   its states   the roster snapshot in force on the settle day (none before the year's first
--                snapshot), then every snapshot that comes into force later in the year; a state
--                holds from its event_on until the next state's
--   person group the roster's 人员类别 in that snapshot (roster_group), or the claim's own when
--                the person is not on it or there is no snapshot yet (effective_group)
--   ratio        the target's setting for the effective group (ratio_tekun, ratio_dibao,
--                ratio_bianyuan, ratio_jiance; in 2024 特困人员 90%, 低保对象 75%, 低保边缘家庭成员
--                and 防止返贫监测对象 60%); null for a group without one (a roster 脱贫人口),
--                which cannot comply
--   compliant    救助金额 = ratio × 政策范围内个人自付 rounded half up to the fen, worked in
--                integer fen with the ratio in millionths (bigint holds a million times any
--                out-of-pocket sum below 90 billion yuan)
--   previous_group, was_compliant  the claim's state before this one (null on its first), so a
--                running sum can move a claim from one state to the next
-- grain: one row per target code per claim per roster state (event_on), the first at the settle
-- day.
with

ratio_names as (

    select * from (values
        ('ratio_tekun', '特困人员'),
        ('ratio_dibao', '低保对象'),
        ('ratio_bianyuan', '低保边缘家庭成员'),
        ('ratio_jiance', '防止返贫监测对象')
    ) as r(name, person_group)

),

-- the targets of the measure; target_seq numbers them, so a claim's states are partitioned by
-- integers alone (a claim is judged once for each target of its year)
targets as (

    select year, code, row_number() over (order by year, code) as target_seq
    from plan_targets_of('medical_assistance_ratio_compliance')

),

-- the measure's settings, one per person group it names, for each target of the measure
target_ratios as (

    select
        targets.target_seq,
        ratio_names.person_group,
        plan_setting(targets.year, targets.code, ratio_names.name) as ratio
    from targets
    cross join ratio_names

),

ratios as (

    select *, cast(round(ratio * 1000000) as bigint) as ratio_millionths
    from target_ratios

),

claims as (

    select
        int_plan_years.year,
        m._file_seq,
        m._row,
        m.person_id,
        m.township,
        m.person_group as claim_group,
        m.settled_on,
        cast(m.eligible_out_of_pocket_yuan * 100 as bigint) as eligible_fen,
        cast(m.assistance_yuan * 100 as bigint) as assistance_fen
    from stg_medical_assistance as m
    join int_plan_years on int_plan_years.year = year(m.settled_on)

),

-- the snapshot in force on the settle day (none before the first), then every later one
claim_states as (

    select claims.*, snapshots.snapshot_on, claims.settled_on as event_on, true as is_first
    from claims
    asof left join int_roster_snapshots as snapshots
        on snapshots.year = claims.year
        and claims.settled_on >= snapshots.effective_on

    union all

    select claims.*, snapshots.snapshot_on, snapshots.effective_on as event_on, false as is_first
    from claims
    join int_roster_snapshots as snapshots
        on snapshots.year = claims.year
        and snapshots.effective_on > claims.settled_on

),

-- the roster listings of claimants only: the roster is far larger than the claims
claimant_roster as (

    select roster.snapshot_on, roster.person_id, roster.person_group
    from int_roster as roster
    semi join claims on claims.person_id = roster.person_id

),

grouped as (

    select
        claim_states.*,
        roster.person_group as roster_group,
        coalesce(roster.person_group, claim_states.claim_group) as effective_group
    from claim_states
    left join claimant_roster as roster
        on roster.snapshot_on = claim_states.snapshot_on
        and roster.person_id = claim_states.person_id

),

-- the person group of a claim's state is the same whatever the target; only the ratios are the
-- target's, so the states are joined to the targets of their year here, after the roster
judged as (

    select
        grouped.*,
        targets.code,
        targets.target_seq,
        ratios.ratio,
        ratios.ratio_millionths,
        (ratios.ratio_millionths * grouped.eligible_fen + 500000) // 1000000 as expected_fen
    from grouped
    join targets on targets.year = grouped.year
    left join ratios
        on ratios.target_seq = targets.target_seq
        and ratios.person_group = grouped.effective_group

),

final as (

    select
        year,
        code,
        _file_seq,
        _row,
        person_id,
        township,
        claim_group,
        roster_group,
        effective_group,
        ratio,
        settled_on,
        snapshot_on,
        event_on,
        is_first,
        eligible_fen,
        assistance_fen,
        expected_fen,
        -- a group without a ratio cannot comply
        coalesce(assistance_fen = expected_fen, false) as is_compliant,
        lag(effective_group) over claim as previous_group,
        lag(coalesce(assistance_fen = expected_fen, false)) over claim as was_compliant

    from judged
    window claim as (partition by target_seq, _file_seq, _row order by event_on)

)

select * from final
