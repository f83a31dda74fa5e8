package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sort"
	"time"

	"github.com/minsheng/minsheng"
)

// Throttle says when failed logins lock a name or an address for a while. A name is locked
// whether or not an account has it, so a lockout tells a guesser nothing; an address is locked
// too, so guessing across many names is slowed as much, with a higher limit because a whole
// office may sit behind one address.
type Throttle struct {
	NameFailures int           // failures for one name within Window that lock it; 0: never
	AddrFailures int           // failures from one address (an IPv6 /64) within Window that lock it; 0: never
	Window       time.Duration // how far back failures count
	Lockout      time.Duration // how long a lock lasts
}

// DefaultThrottle locks a name after 5 failures in 15 minutes, an address after 20, for 15 minutes.
var DefaultThrottle = Throttle{NameFailures: 5, AddrFailures: 20, Window: 15 * time.Minute, Lockout: 15 * time.Minute}

func (s *Store) throttle() Throttle {
	if s.Throttle == (Throttle{}) {
		return DefaultThrottle
	}
	return s.Throttle
}

// maxThrottled bounds the names and addresses the file remembers failures of, so a flood of
// made-up names cannot grow it without end; the oldest are forgotten first.
const maxThrottled = 10000

type throttleState struct {
	Names map[string]*attempts `json:"names,omitempty"` // by nameKey
	Addrs map[string]*attempts `json:"addrs,omitempty"` // by addrKey
}

type attempts struct {
	Failures    []time.Time `json:"failures,omitempty"`
	LockedUntil time.Time   `json:"locked_until,omitzero"`
}

func (a *attempts) lockedAt(now time.Time) bool { return a != nil && now.Before(a.LockedUntil) }

// fail counts a failure and locks when it is the limit-th within the window; it returns the end
// of the lock it set, or zero.
func (a *attempts) fail(now time.Time, th Throttle, limit int) time.Time {
	keep := a.Failures[:0]
	for _, t := range a.Failures {
		if now.Sub(t) < th.Window {
			keep = append(keep, t)
		}
	}
	a.Failures = append(keep, now)
	if limit > 0 && len(a.Failures) >= limit {
		a.LockedUntil, a.Failures = now.Add(th.Lockout), nil
		return a.LockedUntil
	}
	return time.Time{}
}

func (t *throttleState) prune(now time.Time, th Throttle) {
	t.Names = pruneAttempts(t.Names, now, th)
	t.Addrs = pruneAttempts(t.Addrs, now, th)
}

func pruneAttempts(m map[string]*attempts, now time.Time, th Throttle) map[string]*attempts {
	last := func(a *attempts) time.Time {
		if n := len(a.Failures); n > 0 {
			return a.Failures[n-1]
		}
		return a.LockedUntil
	}
	for k, a := range m {
		if !a.lockedAt(now) && (len(a.Failures) == 0 || now.Sub(last(a)) >= th.Window) {
			delete(m, k)
		}
	}
	if len(m) > maxThrottled {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return last(m[keys[i]]).Before(last(m[keys[j]])) })
		for _, k := range keys[:len(m)-maxThrottled] {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func note(m *map[string]*attempts, key string) *attempts {
	if *m == nil {
		*m = map[string]*attempts{}
	}
	a := (*m)[key]
	if a == nil {
		a = &attempts{}
		(*m)[key] = a
	}
	return a
}

// nameKey is how the throttle remembers a name typed at the login: by hash, because people
// sometimes type their password into the name box, and the file must never hold a password.
func nameKey(name string) string {
	sum := sha256.Sum256([]byte("minsheng-login-name\x00" + name))
	return hex.EncodeToString(sum[:16])
}

// addrKey is the address a login came from, without the port; IPv6 addresses count by /64,
// since one host usually has a whole /64 to pick from. Empty means no address to throttle.
func addrKey(remote string) string {
	if remote == "" {
		return ""
	}
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		if len(host) > 64 {
			host = host[:64]
		}
		return host
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// LockedError is the cause of a login refused because the name or the address is locked.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return "account: locked until " + e.Until.Format(time.RFC3339) }

func (s *Store) lockedError(until, now time.Time) error {
	mins := int(math.Ceil(until.Sub(now).Minutes()))
	at := until.In(s.location()).Format("2006-01-02 15:04")
	return &minsheng.Error{Code: minsheng.EUNAUTHORIZED,
		Zh:  fmt.Sprintf("登录失败次数过多,已暂时锁定,请于 %s 后再试(约 %d 分钟)", at, mins),
		En:  fmt.Sprintf("too many failed logins: locked for now; try again after %s (in about %d minutes)", at, mins),
		Err: &LockedError{Until: until}}
}

// errBadLogin says nothing of whether the name exists.
func errBadLogin() error {
	return minsheng.Errorf(minsheng.EUNAUTHORIZED, "用户名或密码不正确", "wrong user name or password")
}

func errDisabled() error {
	return minsheng.Errorf(minsheng.EUNAUTHORIZED, "此账户已停用,请联系管理员", "this account is disabled; please contact the administrator")
}

// Login checks a name and password typed by a person at remoteAddr (host:port or host; empty for
// none) and returns the principal. A failure counts against the name and the address (see
// Throttle) and is kept in the file, so a lock outlasts a restart; a success clears the name's
// failures and notes the time. An unknown name costs as long as a known one.
//
// Errors: EUNAUTHORIZED with the same message for an unknown name and a wrong password; for a
// locked name or address, EUNAUTHORIZED saying when to try again, with a *LockedError cause
// (errors.As) for a Retry-After; EUNAUTHORIZED for a disabled account with the right password.
func (s *Store) Login(ctx context.Context, name, password, remoteAddr string) (*Principal, error) {
	nk, ak := nameKey(name), addrKey(remoteAddr)
	// Hashes run two at a time, so a flood of guesses queues here instead of using all memory,
	// and is checked against the lock only once its turn comes.
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.hashing }()

	st, err := s.load()
	if err != nil {
		return nil, err
	}
	th := s.throttle()
	now := s.now()
	if until := st.lockedUntil(nk, ak, now); !until.IsZero() {
		return nil, s.lockedError(until, now)
	}
	rec := st.user(name)
	encoded := s.dummy()
	if rec != nil {
		encoded = rec.Password
	}
	ok := false
	if len(password) <= 4*maxPasswordLen { // no password is longer; nothing is hashed for megabytes
		var verr error
		if ok, verr = VerifyPassword(encoded, password); verr != nil {
			return nil, fileError(fmt.Errorf("user %s: %w", name, verr))
		}
	}
	if rec == nil || !ok {
		var until time.Time
		err := s.update(ctx, func(st *state) error {
			until = note(&st.Throttle.Names, nk).fail(now, th, th.NameFailures)
			if ak != "" {
				if t := note(&st.Throttle.Addrs, ak).fail(now, th, th.AddrFailures); t.After(until) {
					until = t
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if !until.IsZero() {
			return nil, s.lockedError(until, now)
		}
		return nil, errBadLogin()
	}
	if rec.Disabled {
		return nil, errDisabled()
	}
	// Hashes made with older costs are made again with the current ones while the password is here.
	rehash := ""
	if p, _, _, err := ParsePHC(encoded); err == nil && p != s.Hash {
		if h, err := HashPassword(password, s.Hash); err == nil {
			rehash = h
		}
	}
	var p *Principal
	err = s.update(ctx, func(st *state) error {
		u := st.user(name)
		switch {
		case u == nil || u.Password != encoded: // removed, or its password changed meanwhile
			return errBadLogin()
		case u.Disabled:
			return errDisabled()
		}
		if rehash != "" {
			u.Password = rehash
		}
		u.LastLoginAt = now
		delete(st.Throttle.Names, nk)
		p = u.Principal()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// lockedUntil returns when the later of the name's and the address's locks ends, or zero.
func (st *state) lockedUntil(nk, ak string, now time.Time) time.Time {
	var until time.Time
	if a := st.Throttle.Names[nk]; a.lockedAt(now) {
		until = a.LockedUntil
	}
	if a := st.Throttle.Addrs[ak]; ak != "" && a.lockedAt(now) && a.LockedUntil.After(until) {
		until = a.LockedUntil
	}
	return until
}

// LockedUntil returns when the lock on a login name ends, or zero if it is not locked.
func (s *Store) LockedUntil(ctx context.Context, name string) (time.Time, error) {
	st, err := s.load()
	if err != nil {
		return time.Time{}, err
	}
	if a := st.Throttle.Names[nameKey(name)]; a.lockedAt(s.now()) {
		return a.LockedUntil, nil
	}
	return time.Time{}, nil
}

// Unlock lifts the lock on a login name and forgets its failures. Errors: ENOTFOUND.
func (s *Store) Unlock(ctx context.Context, name string) error {
	return s.update(ctx, func(st *state) error {
		if st.user(name) == nil {
			return noUser(name)
		}
		if _, ok := st.Throttle.Names[nameKey(name)]; !ok {
			return errNoChange
		}
		delete(st.Throttle.Names, nameKey(name))
		return nil
	})
}
