package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/indicators"
)

// principalHeader carries, in tests only, who a request acts as: "role" or "role/lead unit",
// URL-escaped. standIn reads it where the access guard would authenticate.
const principalHeader = "X-Test-Principal"

// standIn stands in for the access guard: it sets the principal the request names, none when it
// names none.
func standIn(c *gin.Context) {
	v := c.GetHeader(principalHeader)
	if v == "" {
		return
	}
	s, err := url.QueryUnescape(v)
	if err != nil {
		c.AbortWithStatus(http.StatusBadRequest)
		return
	}
	role, unit, _ := strings.Cut(s, "/")
	access.WithPrincipal(c, &account.Principal{Kind: account.KindToken, Name: "test-" + role, Role: role, Unit: unit}, "")
}

func asRole(role string) *account.Principal { return &account.Principal{Role: role} }

func asUnit(unit string) *account.Principal {
	return &account.Principal{Role: account.RoleUnit, Unit: unit}
}

// getAs fetches url as p (nil: anonymous), fails unless the status is want, decodes a 200's JSON
// into v and returns the body. An error answer must have the API's shape and a message in both
// languages.
func getAs(t testing.TB, p *account.Principal, url string, want int, v any) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p != nil {
		req.Header.Set(principalHeader, who(p))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("GET %s as %s: %d %s, want %d", url, who(p), res.StatusCode, b, want)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s as %s: Content-Type %q", url, who(p), ct)
	}
	if want != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || !bilingual(e.Error.Message) {
			t.Errorf("GET %s as %s: error %s, want {error: {code, message}} in Chinese and English", url, who(p), b)
		}
		return b
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, b)
		}
	}
	return b
}

func who(p *account.Principal) string {
	if p == nil {
		return ""
	}
	if p.Unit == "" {
		return url.QueryEscape(p.Role)
	}
	return url.QueryEscape(p.Role + "/" + p.Unit)
}

// leadUnits are the year's lead units, from its plan.
func leadUnits(t *testing.T) []string {
	var out []string
	for _, tg := range demo.cfg.Plans[2024].Targets {
		if !slices.Contains(out, tg.LeadUnit) {
			out = append(out, tg.LeadUnit)
		}
	}
	if len(out) < 2 {
		t.Fatalf("lead units %v: need two to test one against another", out)
	}
	return out
}

// otherUnit is a lead unit that is not unit.
func otherUnit(t *testing.T, unit string) string {
	for _, u := range leadUnits(t) {
		if u != unit {
			return u
		}
	}
	t.Fatal("no other lead unit")
	return ""
}

var idNumberLike = regexp.MustCompile(`\d{17}[\dXx]`)

// noPerson fails if body holds an ID-number-like string or a name the generator wrote into the
// raw extracts.
func noPerson(t *testing.T, what string, body []byte) {
	t.Helper()
	s := string(body)
	if m := idNumberLike.FindString(s); m != "" {
		t.Errorf("%s: an 18-digit ID-number-like string %q in the answer", what, m)
	}
	if len(demo.expected.Secrets.Names) == 0 || len(demo.expected.Secrets.IDNumbers) == 0 {
		t.Fatal("the generator kept no names or ID numbers to look for")
	}
	for _, n := range demo.expected.Secrets.Names {
		if strings.Contains(s, n) {
			t.Errorf("%s: the name %q of a raw extract is in the answer", what, n)
			return
		}
	}
	for _, id := range demo.expected.Secrets.IDNumbers {
		if strings.Contains(s, id) {
			t.Errorf("%s: the ID number %q of a raw extract is in the answer", what, id)
			return
		}
	}
}

// TestViolationsOverHTTP: each check's violations go to its own lead unit only, as many as the
// check counts (and as the generator planted), masked and found again by file and row.
func TestViolationsOverHTTP(t *testing.T) {
	base := demoServer(t)
	var checks indicators.Checks
	getAs(t, asRole(account.RoleLeader), base+"/api/v1/checks?year=2024", http.StatusOK, &checks)
	if len(checks.Checks) == 0 {
		t.Fatal("no checks")
	}
	total := 0
	for _, c := range checks.Checks {
		path := base + "/api/v1/checks/" + url.PathEscape(c.Name) + "/violations?year=2024"
		var got indicators.Violations
		body := getAs(t, asUnit(c.LeadUnit), path, http.StatusOK, &got)
		noPerson(t, c.Name, body)
		if got.Year != 2024 || got.AsOf != checks.AsOf || got.Check != c {
			t.Errorf("%s: year %d as of %s check %+v, want 2024 %s %+v", c.Name, got.Year, got.AsOf, got.Check, checks.AsOf, c)
		}
		if int64(len(got.Violations)) != c.Violations {
			t.Errorf("%s: %d violations listed, /api/v1/checks counts %d", c.Name, len(got.Violations), c.Violations)
		}
		if want, ok := demo.expected.Checks[c.Name]; ok && want != len(got.Violations) {
			t.Errorf("%s: %d violations listed, the generator planted %d", c.Name, len(got.Violations), want)
		}
		total += len(got.Violations)
		for _, v := range got.Violations {
			if v.Township == "" {
				t.Errorf("%s: a violation without a township: %+v", c.Name, v)
			}
			if c.Name == "18_village_without_society" {
				if v.Village == "" || v.FileSHA256 != "" || v.NameMasked != "" {
					t.Errorf("%s: a village without a society is a village, not a record: %+v", c.Name, v)
				}
				continue
			}
			if len(v.FileSHA256) != 64 || v.Row < 2 || v.RecordOn == "" {
				t.Errorf("%s: a violation not found again by file and row: %+v", c.Name, v)
			}
			if !strings.Contains(v.PersonIDMasked, "*") || !strings.Contains(v.NameMasked, "*") {
				t.Errorf("%s: a person not masked: %+v", c.Name, v)
			}
		}

		getAs(t, asUnit(otherUnit(t, c.LeadUnit)), path, http.StatusForbidden, nil)
		getAs(t, &account.Principal{Role: account.RoleUnit}, path, http.StatusForbidden, nil) // a unit role bound to no unit
		for _, role := range []string{account.RoleLeader, account.RoleAssessor, account.RoleAdmin, "visitor"} {
			getAs(t, asRole(role), path, http.StatusForbidden, nil)
		}
		getAs(t, nil, path, http.StatusUnauthorized, nil)
	}
	if total == 0 {
		t.Error("no violation in the demo year: nothing was tested")
	}
	unit := checks.Checks[0].LeadUnit
	getAs(t, asUnit(unit), base+"/api/v1/checks/no_such_check/violations?year=2024", http.StatusNotFound, nil)
	getAs(t, asUnit(unit), base+"/api/v1/checks/"+checks.Checks[0].Name+"/violations?year=2023", http.StatusNotFound, nil)
	getAs(t, asUnit(unit), base+"/api/v1/checks/"+checks.Checks[0].Name+"/violations?as_of=2024-10-01", http.StatusBadRequest, nil)
	// the role is judged before the name: another role learns nothing of which checks exist
	getAs(t, asRole(account.RoleLeader), base+"/api/v1/checks/no_such_check/violations", http.StatusForbidden, nil)
}

// TestUnenrolledOverHTTP: the assessor, and only the assessor, gets the unenrolled roster
// persons of exactly the townships under 99%, as many in each as its eligible − enrolled.
func TestUnenrolledOverHTTP(t *testing.T) {
	base := demoServer(t)
	var e indicators.Enrollment
	getAs(t, asRole(account.RoleAssessor), base+"/api/v1/assessment/enrollment?year=2024", http.StatusOK, &e)
	under := map[string]indicators.EnrollmentTownship{}
	var met string
	for _, tw := range e.Townships {
		if tw.Rate != nil && *tw.Rate < 0.99 {
			under[tw.Township] = tw
		} else if met == "" {
			met = tw.Township
		}
	}
	if len(under) == 0 {
		t.Fatal("no township under 99% in the demo year: nothing to test")
	}

	path := base + "/api/v1/assessment/enrollment/unenrolled?year=2024"
	var got indicators.Unenrolled
	body := getAs(t, asRole(account.RoleAssessor), path, http.StatusOK, &got)
	noPerson(t, "unenrolled", body)
	if got.Year != 2024 || got.AsOf != e.DataAsOf || got.Target != 0.99 || got.SnapshotOn != e.SnapshotOn {
		t.Errorf("year %d as of %s target %v snapshot %s; want 2024 %s 0.99 %s", got.Year, got.AsOf, got.Target,
			got.SnapshotOn, e.DataAsOf, e.SnapshotOn)
	}
	persons := 0
	for _, tw := range got.Townships {
		want, ok := under[tw.Township]
		if !ok {
			t.Errorf("%s is listed but not under 99%%", tw.Township)
			continue
		}
		delete(under, tw.Township)
		if n := want.Eligible - want.Enrolled; int64(len(tw.Persons)) != n || int64(tw.Unenrolled) != n {
			t.Errorf("%s: %d persons (unenrolled %d), the assessment has eligible %d − enrolled %d = %d",
				tw.Township, len(tw.Persons), tw.Unenrolled, want.Eligible, want.Enrolled, n)
		}
		if tw.EnrollmentCounts.Eligible != want.Eligible || tw.Enrolled != want.Enrolled {
			t.Errorf("%s: counts %+v, the assessment's %+v", tw.Township, tw.EnrollmentCounts, want.EnrollmentCounts)
		}
		persons += len(tw.Persons)
		for _, p := range tw.Persons {
			if p.Township != tw.Township || p.Village == "" || len(p.FileSHA256) != 64 || p.Row < 2 ||
				!strings.Contains(p.PersonIDMasked, "*") || !strings.Contains(p.NameMasked, "*") || p.SnapshotOn != e.SnapshotOn {
				t.Errorf("%s: person %+v", tw.Township, p)
			}
		}
	}
	for name := range under {
		t.Errorf("%s is under 99%% but not listed", name)
	}
	if got.Unenrolled != persons || persons == 0 {
		t.Errorf("unenrolled %d, %d persons listed", got.Unenrolled, persons)
	}

	// one township at a time
	one := got.Townships[0]
	var only indicators.Unenrolled
	getAs(t, asRole(account.RoleAssessor), path+"&township="+url.QueryEscape(one.Township), http.StatusOK, &only)
	if len(only.Townships) != 1 || only.Townships[0].Township != one.Township || only.Unenrolled != one.Unenrolled {
		t.Errorf("?township=%s: %+v", one.Township, only.Townships)
	}
	if met != "" {
		var none indicators.Unenrolled
		getAs(t, asRole(account.RoleAssessor), path+"&township="+url.QueryEscape(met), http.StatusOK, &none)
		if len(none.Townships) != 0 || none.Unenrolled != 0 {
			t.Errorf("?township=%s, which meets the target: %+v", met, none.Townships)
		}
	}
	getAs(t, asRole(account.RoleAssessor), path+"&township=%E6%B2%A1%E6%9C%89%E9%95%87", http.StatusNotFound, nil)

	for _, p := range []*account.Principal{asRole(account.RoleLeader), asRole(account.RoleAdmin), asRole("visitor")} {
		getAs(t, p, path, http.StatusForbidden, nil)
	}
	for _, u := range leadUnits(t) {
		getAs(t, asUnit(u), path, http.StatusForbidden, nil)
	}
	getAs(t, nil, path, http.StatusUnauthorized, nil)
}

// TestIngestRunDetailOverHTTP: a file's report with its first rejected rows goes to the
// administrator and the file's lead unit; the list of runs shows a unit its own files only.
func TestIngestRunDetailOverHTTP(t *testing.T) {
	base := demoServer(t)
	var all api.Runs
	getAs(t, asRole(account.RoleAdmin), base+"/api/v1/ingest/runs?limit=5000", http.StatusOK, &all)
	if all.Count == 0 || all.Count != len(all.Runs) {
		t.Fatalf("%d runs, %d listed", all.Count, len(all.Runs))
	}
	// everyone logged in lists runs; a unit its own
	perUnit := map[string]int{}
	for _, r := range all.Runs {
		perUnit[r.LeadUnit]++
	}
	for _, u := range leadUnits(t) {
		var mine api.Runs
		body := getAs(t, asUnit(u), base+"/api/v1/ingest/runs?limit=5000", http.StatusOK, &mine)
		noPerson(t, "runs of "+u, body)
		if mine.Count != perUnit[u] || len(mine.Runs) != mine.Count {
			t.Errorf("%s lists %d runs (%d), it has %d", u, mine.Count, len(mine.Runs), perUnit[u])
		}
		for _, r := range mine.Runs {
			if r.LeadUnit != u {
				t.Errorf("%s lists %s's file %s", u, r.LeadUnit, r.FileName)
			}
		}
		// asking for another unit's runs finds none
		var theirs api.Runs
		getAs(t, asUnit(u), base+"/api/v1/ingest/runs?lead_unit="+url.QueryEscape(otherUnit(t, u)), http.StatusOK, &theirs)
		if theirs.Count != 0 {
			t.Errorf("%s sees %d runs of %s", u, theirs.Count, otherUnit(t, u))
		}
	}
	for _, role := range []string{account.RoleLeader, account.RoleAssessor} {
		var runs api.Runs
		getAs(t, asRole(role), base+"/api/v1/ingest/runs?limit=5000", http.StatusOK, &runs)
		if runs.Count != all.Count {
			t.Errorf("%s lists %d runs of %d", role, runs.Count, all.Count)
		}
	}
	getAs(t, nil, base+"/api/v1/ingest/runs", http.StatusUnauthorized, nil)

	rejected := 0
	for _, r := range all.Runs {
		path := base + "/api/v1/ingest/runs/" + r.SHA256
		var got api.RunDetail
		body := getAs(t, asRole(account.RoleAdmin), path, http.StatusOK, &got)
		noPerson(t, "run "+r.FileName, body)
		if got.Run.SHA256 != r.SHA256 || got.Rows != r.Rows || got.Rejected != r.Rejected || got.LeadUnit != r.LeadUnit {
			t.Errorf("%s: %+v, the list has %+v", r.FileName, got.Run, r)
		}
		if (r.Rejected > 0) != (len(got.FirstRejections) > 0) {
			t.Errorf("%s: %d rejected rows, %d shown", r.FileName, r.Rejected, len(got.FirstRejections))
		}
		for _, rj := range got.FirstRejections {
			if rj.Row < 1 || rj.Code == "" || !bilingual(rj.Zh+" / "+rj.En) {
				t.Errorf("%s: rejection %+v", r.FileName, rj)
			}
		}
		rejected += len(got.FirstRejections)

		var own api.RunDetail
		getAs(t, asUnit(r.LeadUnit), path, http.StatusOK, &own)
		if own.SHA256 != r.SHA256 || len(own.FirstRejections) != len(got.FirstRejections) {
			t.Errorf("%s: the lead unit gets %+v", r.FileName, own.Run)
		}
		getAs(t, asUnit(otherUnit(t, r.LeadUnit)), path, http.StatusForbidden, nil)
		for _, role := range []string{account.RoleLeader, account.RoleAssessor, "visitor"} {
			getAs(t, asRole(role), path, http.StatusForbidden, nil)
		}
		getAs(t, nil, path, http.StatusUnauthorized, nil)
	}
	if rejected == 0 {
		t.Error("no rejected row in the demo lake: nothing was tested")
	}
	zero := strings.Repeat("0", 64)
	getAs(t, asRole(account.RoleAdmin), base+"/api/v1/ingest/runs/"+zero, http.StatusNotFound, nil)
	getAs(t, asUnit(all.Runs[0].LeadUnit), base+"/api/v1/ingest/runs/"+zero, http.StatusNotFound, nil)
	getAs(t, asRole(account.RoleAdmin), base+"/api/v1/ingest/runs/"+strings.ToUpper(all.Runs[0].SHA256), http.StatusBadRequest, nil)
	getAs(t, asRole(account.RoleAdmin), base+"/api/v1/ingest/runs/..%2F..%2Fmanifest.jsonl", http.StatusNotFound, nil)
	getAs(t, asRole(account.RoleLeader), base+"/api/v1/ingest/runs/"+zero, http.StatusForbidden, nil)
}

// TestRecordsNeedAWarehouse: before any warehouse, an allowed caller is told so (503); the
// principal is still checked first.
func TestRecordsNeedAWarehouse(t *testing.T) {
	srv := newAPI(testConfig{Dir: t.TempDir(), Middleware: []gin.HandlerFunc{standIn}})
	hs := newServer(t, srv)
	getAs(t, asUnit("县残联"), hs+"/api/v1/checks/10a_age/violations", http.StatusServiceUnavailable, nil)
	getAs(t, asRole(account.RoleAssessor), hs+"/api/v1/assessment/enrollment/unenrolled", http.StatusServiceUnavailable, nil)
	getAs(t, nil, hs+"/api/v1/checks/10a_age/violations", http.StatusUnauthorized, nil)
	getAs(t, asRole(account.RoleLeader), hs+"/api/v1/assessment/enrollment/unenrolled", http.StatusForbidden, nil)
	var runs api.Runs
	getAs(t, asRole(account.RoleAdmin), hs+"/api/v1/ingest/runs", http.StatusOK, &runs)
	if runs.Count != 0 {
		t.Errorf("runs of an empty folder: %+v", runs)
	}
	getAs(t, asRole(account.RoleAdmin), hs+"/api/v1/ingest/runs/"+strings.Repeat("a", 64), http.StatusNotFound, nil)
}

func newServer(t *testing.T, srv *testServer) string {
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}
