package access

import (
	"strings"
	"testing"
	"time"

	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
)

// TestNextPath: after login a person goes to a path on this site, never to another host.
func TestNextPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "/",
		"/targets/09?year=2024":     "/targets/09?year=2024",
		"/units/%E5%8E%BF%E6%AE%8B": "/units/%E5%8E%BF%E6%AE%8B",
		"//evil.example/":           "/",
		`/\evil.example`:            "/",
		"https://evil.example/":     "/",
		"javascript:alert(1)":       "/",
		"/ok\r\nSet-Cookie: x=y":    "/",
		"targets/09":                "/",
		// what a browser makes of tabs, line breaks and backslashes: //evil.example
		"/\t/evil.example":        "/",
		"/\t\t/evil.example":      "/",
		"/\n/evil.example":        "/",
		"/\r\n/evil.example":      "/",
		"\t//evil.example":        "/",
		`/\/evil.example`:         "/",
		`\\evil.example`:          "/",
		"/\x00/evil.example":      "/",
		"/%09/evil.example":       "/%09/evil.example", // still escaped: a path of this site
		"/%2F%2Fevil.example":     "/%2F%2Fevil.example",
		`/units/a\b`:              "/units/a/b",
		"/ok?next=//evil.example": "/ok?next=//evil.example",
	} {
		if got := NextPath(in); got != want {
			t.Errorf("NextPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPolicyRules: public routes are few and read-only or the login itself; every write is
// for named roles; no rule names a role that does not exist.
func TestPolicyRules(t *testing.T) {
	public := map[string]bool{"GET /healthz": true, "GET /static/:hash/:name": true, "GET /login": true, "POST /login": true}
	for route, r := range Policy {
		if r.Public != public[route] {
			t.Errorf("%s: public %v", route, r.Public)
		}
		for _, role := range r.Roles {
			if !account.ValidRole(role) {
				t.Errorf("%s names role %q", route, role)
			}
		}
		if method := route[:4]; method == "POST" && !r.Public && len(r.Roles) == 0 && route != "POST /logout" {
			t.Errorf("%s lets every role write", route)
		}
	}
	if (Rule{Roles: []string{account.RoleUnit}}).Allows(account.RoleAdmin) || !(Rule{}).Allows(account.RoleLeader) {
		t.Error("Rule.Allows")
	}
}

// TestFloodGate: a caller's refusals past the burst are counted, not written, and each window's
// count ends in one summary; another caller, or another principal at the same address, has its
// own bucket; close writes what is still counting.
func TestFloodGate(t *testing.T) {
	sums := make(chan audit.Entry, 10)
	g := newFloodGate(2, 0.001, 50*time.Millisecond, func(e audit.Entry) { sums <- e })
	anon := audit.Entry{Actor: "anonymous", ActorKind: audit.KindUser, RemoteAddr: "10.0.0.1", Action: audit.ActionLoginFailed,
		Outcome: audit.OutcomeDenied}
	for i := range 7 {
		ok, wait := g.allow(anon)
		if ok != (i < 2) {
			t.Fatalf("refusal %d: allowed %v", i, ok)
		}
		if !ok && wait <= 0 {
			t.Errorf("refusal %d: no wait for the next token", i)
		}
	}
	leader := anon
	leader.Actor = "leader"
	if ok, _ := g.allow(leader); !ok {
		t.Error("a principal at the flooding address shares its bucket")
	}
	select {
	case e := <-sums:
		if e.Action != ActionFlood || e.Target != audit.ActionLoginFailed || e.RemoteAddr != "10.0.0.1" ||
			!strings.HasPrefix(e.Detail, "5 refused logins from 10.0.0.1 in 1 s") || !strings.Contains(e.Detail, "5 次登录被拒绝") {
			t.Errorf("summary %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no summary 10 s after a 50 ms window")
	}
	// a new flood of the caller, and another action: written at close, each its own summary
	g.allow(anon)
	denied := anon
	denied.Action = ActionDenied
	g.allow(denied)
	g.allow(denied)
	g.close()
	got := map[string]string{}
	for range 2 {
		select {
		case e := <-sums:
			got[e.Target] = e.Detail
		case <-time.After(10 * time.Second):
			t.Fatal("close did not write the summaries")
		}
	}
	if !strings.HasPrefix(got[audit.ActionLoginFailed], "1 refused login from") || !strings.HasPrefix(got[ActionDenied], "2 refused requests") {
		t.Errorf("summaries at close: %q", got)
	}
}
