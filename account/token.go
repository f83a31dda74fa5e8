package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/minsheng/minsheng"
)

// TokenPrefix starts every API token, so a leaked one is recognised by secret scanners and by eye.
const TokenPrefix = "ms_"

// tokenLen is the length of a token's text: the prefix and 32 random bytes in unpadded base64url.
var tokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(32)

// tokenTouchEvery is how stale a token's LastUsedAt may get: a script calling every second must
// not rewrite the accounts file every second.
const tokenTouchEvery = 10 * time.Minute

// NewToken is what CreateToken needs.
type NewToken struct {
	Name      string // what the token is for, e.g. "残联夜间上传"
	Role      string // default: the owner's
	Unit      string // the lead unit, for RoleUnit; default: the owner's
	Owner     string // optional: the account the token acts for; it must exist and have this role and unit
	CreatedBy string // who makes it, for the record
}

// CreateToken makes an API token and returns its text, which is shown this once and never kept:
// the file keeps only its SHA-256 (a fast hash suits 256 random bits; nothing can be guessed).
// Errors: EINVALID for a bad name, role or unit, or an owner with another role or unit;
// ENOTFOUND for an unknown owner.
func (s *Store) CreateToken(ctx context.Context, nt NewToken) (string, Token, error) {
	nt.Name = strings.TrimSpace(nt.Name)
	if n := utf8.RuneCountInString(nt.Name); !utf8.ValidString(nt.Name) || n < 1 || n > 64 ||
		strings.IndexFunc(nt.Name, unicode.IsControl) >= 0 {
		return "", Token{}, minsheng.Errorf(minsheng.EINVALID, "令牌名称无效:需 1 到 64 个字符,不能含控制字符",
			"invalid token name: 1 to 64 characters, no control characters")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", Token{}, err
	}
	text := TokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	idb := make([]byte, 6)
	if _, err := rand.Read(idb); err != nil {
		return "", Token{}, err
	}
	var tok Token
	err := s.update(ctx, func(st *state) error {
		if nt.Owner != "" {
			u := st.user(nt.Owner)
			if u == nil {
				return noUser(nt.Owner)
			}
			if nt.Role == "" {
				nt.Role, nt.Unit = u.Role, u.Unit
			}
			if u.Role != nt.Role || u.Unit != nt.Unit {
				return minsheng.Errorf(minsheng.EINVALID, "令牌的角色和单位须与其所属账户 %s 相同(%s %s)",
					"a token has the role and unit of the account it belongs to, %s (%s %s)", u.Name, u.Role, u.Unit)
			}
		}
		if err := s.checkRole(nt.Role, nt.Unit); err != nil {
			return err
		}
		tok = Token{ID: "tok_" + hex.EncodeToString(idb), Name: nt.Name, Role: nt.Role, Unit: nt.Unit,
			Owner: nt.Owner, CreatedBy: nt.CreatedBy, CreatedAt: s.now()}
		st.Tokens = append(st.Tokens, tokenRecord{Token: tok, SHA256: tokenHash(text)})
		return nil
	})
	if err != nil {
		return "", Token{}, err
	}
	return text, tok, nil
}

func tokenHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

func errBadToken() error {
	return minsheng.Errorf(minsheng.EUNAUTHORIZED, "令牌无效、已撤销或其账户已停用",
		"the token is not valid, was revoked, or its account is disabled")
}

// Authenticate returns the principal of an API token (the text after "Bearer "). It refuses a
// revoked token and a token whose owning account is disabled, gone, or no longer has the token's
// role and unit. Errors: EUNAUTHORIZED, with one message for all of these. A change made by
// another process is seen within a second (loadRecent); one made through this Store at once.
func (s *Store) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if len(token) != tokenLen || !strings.HasPrefix(token, TokenPrefix) {
		return nil, errBadToken()
	}
	want := []byte(tokenHash(token))
	st, err := s.loadRecent()
	if err != nil {
		return nil, err
	}
	rec := st.validToken(want)
	if rec == nil {
		// a refusal is checked against the file as it is now: a token just made by another
		// process works at once; only a revocation elsewhere may take loadRecent's second
		if st, err = s.load(); err != nil {
			return nil, err
		}
		if rec = st.validToken(want); rec == nil {
			return nil, errBadToken()
		}
	}
	p := rec.Principal()
	if now := s.now(); now.Sub(rec.LastUsedAt) >= tokenTouchEvery {
		id := rec.ID
		// Best effort: a token that works must not fail because the file could not be written.
		_ = s.update(ctx, func(st *state) error {
			for i := range st.Tokens {
				if st.Tokens[i].ID == id {
					st.Tokens[i].LastUsedAt = now
					return nil
				}
			}
			return errNoChange
		})
	}
	return p, nil
}

// validToken is the record of the token whose SHA-256 is sum, if it is not revoked and its
// owner, if any, is enabled with the token's role and unit.
func (st *state) validToken(sum []byte) *tokenRecord {
	var rec *tokenRecord
	for i := range st.Tokens { // constant time per token: no early exit on the first byte that differs
		if subtle.ConstantTimeCompare([]byte(st.Tokens[i].SHA256), sum) == 1 {
			rec = &st.Tokens[i]
		}
	}
	if rec == nil || rec.Revoked {
		return nil
	}
	if rec.Owner != "" {
		u := st.user(rec.Owner)
		if u == nil || u.Disabled || u.Role != rec.Role || u.Unit != rec.Unit {
			return nil
		}
	}
	return rec
}

// RevokeToken revokes a token for good; the record stays, for the audit. Errors: ENOTFOUND;
// ECONFLICT if it was revoked already.
func (s *Store) RevokeToken(ctx context.Context, id string) (Token, error) {
	var tok Token
	err := s.update(ctx, func(st *state) error {
		for i := range st.Tokens {
			t := &st.Tokens[i]
			if t.ID != id {
				continue
			}
			if t.Revoked {
				return minsheng.Errorf(minsheng.ECONFLICT, "令牌 %s 已撤销", "token %s was revoked already", id)
			}
			t.Revoked, t.RevokedAt = true, s.now()
			tok = t.Token
			return nil
		}
		return minsheng.Errorf(minsheng.ENOTFOUND, "没有令牌 %s", "no token %s", id)
	})
	return tok, err
}

// Tokens returns every token, revoked ones included, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	st, err := s.load()
	if err != nil {
		return nil, err
	}
	out := make([]Token, 0, len(st.Tokens))
	for _, t := range st.Tokens {
		out = append(out, t.Token)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}
