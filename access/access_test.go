package access

import (
	"testing"

	"github.com/minsheng/minsheng/account"
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
