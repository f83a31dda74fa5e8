package warehouse_test

import (
	"math"
	"testing"
)

// groupClaims is one row of mart_claims_by_group.
type groupClaims struct {
	Ratio             float64 // NaN: the group has no ratio in the plan
	Claims, Compliant int64
	Rate              float64
}

// claimsByGroup are the hand lake's 19b claims by effective person group, worked out by hand
// from the package comment of internal/handlake.
//
// The claims (人员类别 on the claim, 结算日期, 政策范围内个人自付 -> 救助金额):
//
//	c1 P2 低保对象 03-01 100.02 -> 75.02    c2 P5 低保边缘家庭成员 03-01 1000 -> 600
//	c3 P3 低保对象 04-01 100.02 -> 75.01    c4 P4 低保对象 05-01 200 -> 150
//	c5 P1 低保对象 08-01 1000 -> 750
//
// The roster: snapshot 01-15 (in force 01-15..06-30) lists P1 特困人员, P2 低保对象, P3 低保对象,
// P4 脱贫人口; snapshot 07-01 (in force from 07-01) lists P1 特困人员, P2, P3, P7 低保对象, P5
// 低保边缘家庭成员, P6 防止返贫监测对象. The plan's ratios: 特困人员 0.90, 低保对象 0.75, 低保边缘家庭成员
// and 防止返贫监测对象 0.60.
//
// At 06-30 (snapshot 01-15; c1..c4 settled):
//
//	c1 P2 on the roster as 低保对象: 0.75 × 100.02 = 75.015, half up 75.02: compliant
//	c2 P5 not on the roster: the claim's 低保边缘家庭成员, 0.60 × 1000 = 600: compliant
//	c3 P3 低保对象: 75.02 expected, 75.01 paid: not compliant
//	c4 P4 on the roster as 脱贫人口, which has no ratio: not compliant
//	=> 低保对象 2 claims, 1 compliant (0.5); 低保边缘家庭成员 1, 1 (1); 脱贫人口 1, 0 (0, ratio null).
//	   Sum 4 claims, 2 compliant: 19b's 0.5.
//
// At 10-31 (snapshot 07-01; c1..c5 settled):
//
//	c1 P2 低保对象: compliant; c2 P5 now on the roster as 低保边缘家庭成员: compliant; c3 P3: not
//	c4 P4 off the roster: the claim's 低保对象, 0.75 × 200 = 150: compliant (moved from 脱贫人口)
//	c5 P1 on the roster as 特困人员: 0.90 × 1000 = 900 expected, 750 paid: not compliant
//	=> 低保对象 3 claims (c1, c3, c4), 2 compliant (2/3); 低保边缘家庭成员 1, 1; 特困人员 1, 0 (0);
//	   脱贫人口 has no claim that day, so no row. Sum 5 claims, 3 compliant: 19b's 0.6.
//
// Before 03-01 no claim is settled: no row.
var claimsByGroup = map[string]map[string]groupClaims{
	"2024-02-29": {},
	"2024-06-30": {
		"低保对象":     {0.75, 2, 1, 0.5},
		"低保边缘家庭成员": {0.60, 1, 1, 1},
		"脱贫人口":     {math.NaN(), 1, 0, 0},
	},
	"2024-10-31": {
		"低保对象":     {0.75, 3, 2, 2.0 / 3},
		"低保边缘家庭成员": {0.60, 1, 1, 1},
		"特困人员":     {0.90, 1, 0, 0},
	},
}

// TestHandClaimsByGroup: mart_claims_by_group on the hand lake, against the values worked out by
// hand above, and its groups add up to 19b in mart_indicator_daily on every day.
func TestHandClaimsByGroup(t *testing.T) {
	dir, _ := readHand(t)
	db := openDir(t, dir)
	for asOf, want := range claimsByGroup {
		rs, err := db.SQL().Query(`select person_group, ratio, claims, compliant, rate
			from mart_claims_by_group where year = 2024 and as_of_on = cast(? as date)`, asOf)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]groupClaims{}
		for rs.Next() {
			var g string
			var ratio, rate *float64
			var c groupClaims
			if err := rs.Scan(&g, &ratio, &c.Claims, &c.Compliant, &rate); err != nil {
				t.Fatal(err)
			}
			c.Ratio, c.Rate = val(ratio), val(rate)
			got[g] = c
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		rs.Close()
		for g, w := range want {
			c, ok := got[g]
			if !ok {
				t.Errorf("%s %s: no row, want %+v", asOf, g, w)
				continue
			}
			if c.Claims != w.Claims || c.Compliant != w.Compliant || !near(c.Ratio, w.Ratio) || !near(c.Rate, w.Rate) {
				t.Errorf("%s %s: %+v, want %+v", asOf, g, c, w)
			}
		}
		for g, c := range got {
			if _, ok := want[g]; !ok {
				t.Errorf("%s %s: unexpected row %+v", asOf, g, c)
			}
		}
	}

	// The groups add up to 19b's numerator and denominator, at the two dates and on every day:
	// the data days (01-01..10-31) and the days after, which keep 10-31's rows.
	var days, dataDays, bad int64
	err := db.SQL().QueryRow(`
		with groups as (
			select year, as_of_on, sum(claims) as claims, sum(compliant) as compliant
			from mart_claims_by_group group by 1, 2
		)
		select count(*), count(*) filter (where daily.as_of_on = daily.data_as_of_on),
			count(*) filter (where
				coalesce(groups.claims, 0) <> daily.denominator
				or coalesce(groups.compliant, 0) <> daily.numerator)
		from mart_indicator_daily as daily
		left join groups using (year, as_of_on)
		where daily.code = '19b' and daily.year = 2024`).Scan(&days, &dataDays, &bad)
	if err != nil {
		t.Fatal(err)
	}
	if dataDays != 305 || days != 366 || bad != 0 {
		t.Errorf("19b: %d days of which %d data days, %d where the groups do not add up; want 366 days, 305 data days (01-01..10-31), 0",
			days, dataDays, bad)
	}
	for asOf, wantNum := range map[string][2]int64{"2024-06-30": {2, 4}, "2024-10-31": {3, 5}} {
		var num, den int64
		err := db.SQL().QueryRow(`select cast(numerator as bigint), denominator from mart_indicator_daily
			where year = 2024 and code = '19b' and as_of_on = cast(? as date)`, asOf).Scan(&num, &den)
		if err != nil {
			t.Fatal(err)
		}
		var claims, compliant int64
		for _, c := range claimsByGroup[asOf] {
			claims += c.Claims
			compliant += c.Compliant
		}
		if num != wantNum[0] || den != wantNum[1] || compliant != num || claims != den {
			t.Errorf("19b at %s: %d/%d in the daily mart, groups %d/%d, want %d/%d",
				asOf, num, den, compliant, claims, wantNum[0], wantNum[1])
		}
	}
}

// near: equal within 1e-9, or both NaN (null).
func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9
}
