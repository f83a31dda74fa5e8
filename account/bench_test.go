package account_test

import (
	"context"
	"testing"

	"github.com/minsheng/minsheng/account"
)

// BenchmarkAuthenticate is the cost of a token's check, paid by every scripted request
// (`go test -run - -bench Authenticate ./account`).
func BenchmarkAuthenticate(b *testing.B) {
	s := mustOpen(b, b.TempDir(), nil)
	tok, _, err := s.CreateToken(context.Background(), account.NewToken{Name: "bench", Role: account.RoleLeader})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authenticate(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
	}
}
