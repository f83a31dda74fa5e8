-- int_medical_claims: every 医疗救助 claim of a plan year judged for 19b, once for each roster
-- snapshot it is judged against. 19b (int_indicator_events) and mart_claims_by_group both read
-- it, so a claim is judged in one place.
--   a claim      a row of the extract (_file_seq, _row), as agreed: a settlement sent again in a
--                later extract counts twice
--   its states   the roster snapshot in force on the settle day (none before the year's first
--                snapshot), then every snapshot that comes into force later in the year; a state
--                holds from its event_on until the next state's
--   person group the roster's 人员类别 in that snapshot (roster_group), or the claim's own when
--                the person is not on it or there is no snapshot yet (effective_group)
--   ratio        the plan's setting for the effective group (targets.md: 特困人员 90%, 低保对象
--                75%, 低保边缘家庭成员 and 防止返贫监测对象 60%); null for a group without one
--                (a roster 脱贫人口), which cannot comply
--   compliant    救助金额 = ratio × 政策范围内个人自付 rounded half up to the fen, worked in
--                integer fen with the ratio in millionths (bigint holds a million times any
--                out-of-pocket sum below 90 billion yuan)
--   previous_group, was_compliant  the claim's state before this one (null on its first), so a
--                running sum can move a claim from one state to the next
-- grain: one row per claim per roster state (event_on), the first at the settle day.
with

ratio_names as (

    select * from (values
        ('ratio_tekun', '特困人员'),
        ('ratio_dibao', '低保对象'),
        ('ratio_bianyuan', '低保边缘家庭成员'),
        ('ratio_jiance', '防止返贫监测对象')
    ) as r(name, person_group)

),

ratios as (

    select
        plan_settings.year,
        ratio_names.person_group,
        max(plan_settings.value) as ratio,
        cast(round(max(plan_settings.value) * 1000000) as bigint) as ratio_millionths
    from plan_settings
    join ratio_names on ratio_names.name = plan_settings.name
    where plan_settings.target_code = '19b'
    group by 1, 2

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

judged as (

    select
        grouped.*,
        ratios.ratio,
        ratios.ratio_millionths,
        (ratios.ratio_millionths * grouped.eligible_fen + 500000) // 1000000 as expected_fen
    from grouped
    left join ratios
        on ratios.year = grouped.year
        and ratios.person_group = grouped.effective_group

),

final as (

    select
        year,
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
    window claim as (partition by year, _file_seq, _row order by event_on)

)

select * from final
