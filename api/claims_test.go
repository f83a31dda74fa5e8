package api_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/internal/handlake"
)

// handGroup is one row of claims_by_group worked out by hand; rate NaN: null (no claim).
type handGroup struct {
	group             string
	ratio             float64 // NaN: null, the plan sets no ratio for the group
	claims, compliant int64
	rate              float64
	meets             bool
}

// handClaimsByGroup: the hand lake's 医疗救助 claims by effective 人员类别, worked out by hand from
// the package comment of internal/handlake (the claim's 人员类别, 结算日期, 政策范围内个人自付 ->
// 救助金额):
//
//	c1 P2 低保对象 03-01 100.02 -> 75.02    c2 P5 低保边缘家庭成员 03-01 1000 -> 600
//	c3 P3 低保对象 04-01 100.02 -> 75.01    c4 P4 低保对象 05-01 200 -> 150
//	c5 P1 低保对象 08-01 1000 -> 750
//
// The roster in force: snapshot 01-15 from 01-15 to 06-30 (P1 特困人员, P2 P3 低保对象, P4 脱贫人口),
// snapshot 07-01 from 07-01 (P1 特困人员, P2 P3 P7 低保对象, P5 低保边缘家庭成员, P6 防止返贫监测对象).
// The plan's ratios: 特困人员 0.90, 低保对象 0.75, 低保边缘家庭成员 0.60; 脱贫人口 has none.
//
// The groups of the year, in every answer, highest ratio first: 特困人员 (c5 from 08-01), 低保对象,
// 低保边缘家庭成员, 脱贫人口 (c4 from 05-01 to 06-30). A group meets when every claim in it is paid at
// its ratio (19b's target, 100%).
//
//	02-29: no claim settled yet: every group 0 claims, rate null, not met.
//	03-01: c1 P2 低保对象 (roster): 0.75 × 100.02 = 75.015, half up 75.02 = paid: compliant.
//	       c2 P5 not on the roster: the claim's 低保边缘家庭成员, 0.60 × 1000 = 600: compliant.
//	       低保对象 1/1, 低保边缘家庭成员 1/1: both meet.
//	06-30: + c3 P3 低保对象: 75.02 due, 75.01 paid: not compliant; + c4 P4 on the roster as 脱贫人口,
//	       no ratio: not compliant. 低保对象 2 claims, 1 compliant (0.5); 低保边缘家庭成员 1/1;
//	       脱贫人口 1/0 (rate 0, ratio null); 特困人员 0 (c5 is settled on 08-01, after the as-of).
//	07-01: snapshot 07-01 in force, P4 off it: c4 moves to the claim's 低保对象, 0.75 × 200 = 150:
//	       compliant. 低保对象 3/2; 脱贫人口 0 (rate null).
//	07-31: the same: c5 of 08-01 is not counted yet.
//	08-01: + c5 P1 on the roster as 特困人员: 0.90 × 1000 = 900 due, 750 paid: 特困人员 1/0.
//	10-31 (the newest record date): as 08-01. Sum 5 claims, 3 compliant: 19b's 0.6.
//	12-31: after the newest record: the values of 10-31.
var handClaimsByGroup = map[string][]handGroup{
	"2024-02-29": {
		{"特困人员", 0.90, 0, 0, math.NaN(), false},
		{"低保对象", 0.75, 0, 0, math.NaN(), false},
		{"低保边缘家庭成员", 0.60, 0, 0, math.NaN(), false},
		{"脱贫人口", math.NaN(), 0, 0, math.NaN(), false},
	},
	"2024-03-01": {
		{"特困人员", 0.90, 0, 0, math.NaN(), false},
		{"低保对象", 0.75, 1, 1, 1, true},
		{"低保边缘家庭成员", 0.60, 1, 1, 1, true},
		{"脱贫人口", math.NaN(), 0, 0, math.NaN(), false},
	},
	"2024-06-30": {
		{"特困人员", 0.90, 0, 0, math.NaN(), false},
		{"低保对象", 0.75, 2, 1, 0.5, false},
		{"低保边缘家庭成员", 0.60, 1, 1, 1, true},
		{"脱贫人口", math.NaN(), 1, 0, 0, false},
	},
	"2024-07-01": {
		{"特困人员", 0.90, 0, 0, math.NaN(), false},
		{"低保对象", 0.75, 3, 2, 2.0 / 3, false},
		{"低保边缘家庭成员", 0.60, 1, 1, 1, true},
		{"脱贫人口", math.NaN(), 0, 0, math.NaN(), false},
	},
	"2024-07-31": {
		{"特困人员", 0.90, 0, 0, math.NaN(), false},
		{"低保对象", 0.75, 3, 2, 2.0 / 3, false},
		{"低保边缘家庭成员", 0.60, 1, 1, 1, true},
		{"脱贫人口", math.NaN(), 0, 0, math.NaN(), false},
	},
	"2024-08-01": {
		{"特困人员", 0.90, 1, 0, 0, false},
		{"低保对象", 0.75, 3, 2, 2.0 / 3, false},
		{"低保边缘家庭成员", 0.60, 1, 1, 1, true},
		{"脱贫人口", math.NaN(), 0, 0, math.NaN(), false},
	},
	"2024-10-31": {
		{"特困人员", 0.90, 1, 0, 0, false},
		{"低保对象", 0.75, 3, 2, 2.0 / 3, false},
		{"低保边缘家庭成员", 0.60, 1, 1, 1, true},
		{"脱贫人口", math.NaN(), 0, 0, math.NaN(), false},
	},
	"2024-12-31": {
		{"特困人员", 0.90, 1, 0, 0, false},
		{"低保对象", 0.75, 3, 2, 2.0 / 3, false},
		{"低保边缘家庭成员", 0.60, 1, 1, 1, true},
		{"脱贫人口", math.NaN(), 0, 0, math.NaN(), false},
	},
}

// TestHandClaimsByGroupOverHTTP: the enrollment assessment's claims_by_group on the hand lake at
// each date above, against the figures worked out by hand; the groups add up to 19b's numerator
// and denominator as /targets/19b serves them at the same date.
func TestHandClaimsByGroupOverHTTP(t *testing.T) {
	dir := t.TempDir()
	handlake.Build(t, dir)
	loc := time.FixedZone("CST", 8*3600)
	srv := newAPI(testConfig{Dir: dir, Location: loc,
		Now: func() time.Time { return time.Date(2024, 11, 1, 9, 0, 0, 0, loc) }})
	if moved, err := srv.Reload(context.Background()); err != nil || !moved {
		t.Fatalf("reload: %v %v", moved, err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	h := handAPI{url: ts.URL, client: ts.Client()}

	for asOf, want := range handClaimsByGroup {
		path := fmt.Sprintf("/api/v1/assessment/enrollment?year=%d&as_of=%s", handlake.Year, asOf)
		var got indicators.Enrollment
		h.get(t, path, &got)
		if got.AsOf != asOf || got.DataAsOf != dataAsOf(asOf) || got.ClaimsTarget != 1 {
			t.Errorf("%s: as_of %s data_as_of %s claims_target %v; want %s, %s, 1", path, got.AsOf, got.DataAsOf,
				got.ClaimsTarget, asOf, dataAsOf(asOf))
		}
		if len(got.ClaimsByGroup) != len(want) {
			t.Errorf("%s: %d groups %+v, want %d", path, len(got.ClaimsByGroup), got.ClaimsByGroup, len(want))
			continue
		}
		var claims, compliant int64
		for i, w := range want {
			g := got.ClaimsByGroup[i]
			if g.PersonGroup != w.group || !sameNum(g.Ratio, w.ratio) || g.Claims != w.claims ||
				g.Compliant != w.compliant || !sameNum(g.Rate, w.rate) || g.Meets != w.meets {
				t.Errorf("%s: group %d is %s ratio %v claims %d compliant %d rate %v meets %v; want %+v", path, i,
					g.PersonGroup, fptr(g.Ratio), g.Claims, g.Compliant, fptr(g.Rate), g.Meets, w)
			}
			claims += g.Claims
			compliant += g.Compliant
		}
		var d indicators.TargetDetail
		h.get(t, fmt.Sprintf("/api/v1/targets/19b?year=%d&as_of=%s", handlake.Year, asOf), &d)
		den := int64(0)
		if d.Denominator != nil {
			den = *d.Denominator
		}
		if den != claims || int64(math.Round(fval0(d.Numerator))) != compliant {
			t.Errorf("%s: groups sum to %d/%d, 19b is %v/%d", path, compliant, claims, fval0(d.Numerator), den)
		}
	}
}

// TestClaimsByGroupOverHTTP: on the demo year the groups add up to the generator's 19b (numerator
// and denominator: it works 19b out from the rows it wrote, not by group); each group's rate is
// its compliant over its claims, and it meets exactly when every claim complies. The generator
// has no figures by group, so the groups themselves are asserted on the hand lake above.
func TestClaimsByGroupOverHTTP(t *testing.T) {
	base := demoServer(t)
	var e indicators.Enrollment
	get(t, base+"/api/v1/assessment/enrollment?year=2024", http.StatusOK, &e)
	want := demo.expected.Indicators["19b"]
	if e.ClaimsTarget != 1 || len(e.ClaimsByGroup) == 0 {
		t.Fatalf("claims_target %v, %d groups; want 1 and the groups", e.ClaimsTarget, len(e.ClaimsByGroup))
	}
	ratios := map[string]float64{"特困人员": 0.90, "低保对象": 0.75, "低保边缘家庭成员": 0.60, "防止返贫监测对象": 0.60}
	var claims, compliant int64
	for _, g := range e.ClaimsByGroup {
		claims += g.Claims
		compliant += g.Compliant
		if r, ok := ratios[g.PersonGroup]; ok != (g.Ratio != nil) || (ok && math.Abs(*g.Ratio-r) > 1e-12) {
			t.Errorf("%s: ratio %v, want %v (in the plan: %v)", g.PersonGroup, fptr(g.Ratio), r, ok)
		}
		if g.Claims == 0 {
			if g.Rate != nil || g.Meets {
				t.Errorf("%s: no claim, rate %v meets %v; want null and false", g.PersonGroup, fptr(g.Rate), g.Meets)
			}
			continue
		}
		r := float64(g.Compliant) / float64(g.Claims)
		if g.Rate == nil || math.Abs(*g.Rate-r) > 1e-12 || g.Meets != (g.Ratio != nil && g.Compliant == g.Claims) {
			t.Errorf("%s: %d/%d, rate %v meets %v", g.PersonGroup, g.Compliant, g.Claims, fptr(g.Rate), g.Meets)
		}
	}
	if float64(claims) != want.Denominator || float64(compliant) != want.Numerator {
		t.Errorf("groups sum to %d/%d, the generator's 19b is %v/%v", compliant, claims, want.Numerator, want.Denominator)
	}
}

// sameNum: a nullable number against a wanted one, NaN meaning null.
func sameNum(p *float64, want float64) bool {
	if math.IsNaN(want) {
		return p == nil
	}
	return p != nil && math.Abs(*p-want) <= 1e-9
}

func fval0(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
