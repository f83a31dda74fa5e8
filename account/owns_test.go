package account_test

import (
	"testing"

	"github.com/minsheng/minsheng/account"
)

// Only a unit account or token bound to the unit acts for it; no one else, nor no one.
func TestPrincipalOwns(t *testing.T) {
	for _, tc := range []struct {
		p    *account.Principal
		unit string
		want bool
	}{
		{&account.Principal{Kind: account.KindUser, Role: account.RoleUnit, Unit: "县残联"}, "县残联", true},
		{&account.Principal{Kind: account.KindToken, Role: account.RoleUnit, Unit: "县残联"}, "县残联", true},
		{&account.Principal{Role: account.RoleUnit, Unit: "县残联"}, "县民政局", false},
		{&account.Principal{Role: account.RoleUnit}, "", false}, // a unit account without its unit
		{&account.Principal{Role: account.RoleAdmin, Unit: "县残联"}, "县残联", false},
		{&account.Principal{Role: account.RoleLeader}, "县残联", false},
		{nil, "县残联", false},
	} {
		if got := tc.p.Owns(tc.unit); got != tc.want {
			t.Errorf("%+v owns %q: %v, want %v", tc.p, tc.unit, got, tc.want)
		}
	}
}
