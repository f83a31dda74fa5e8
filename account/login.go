package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/minsheng/minsheng"
)

// Throttle says how failed logins slow guessing down without letting a guesser lock anyone
// out. A lock is per name and address: five wrong passwords for one name from one address lock
// that pair only, so a guesser elsewhere cannot keep an administrator, or a whole office behind
// one address, from logging in. Per name, from everywhere, failures past NameFailures make every
// further attempt from an address that has itself failed for the name wait a delay that doubles
// with each failure (1 s, 2 s, 4 s, … up to MaxDelay): guessing from many addresses slows down,
// while the right password from an address that has not failed for the name always gets in. A
// name is throttled alike whether or not an account has it, so a throttle tells a guesser nothing.
type Throttle struct {
	PairFailures int           // failures of one name from one address (an IPv6 /64) within Window that lock the pair; 0: never
	NameFailures int           // failures of one name from everywhere within Window past which it is slowed down; 0: never
	Window       time.Duration // how far back failures count
	Lockout      time.Duration // how long a pair's lock lasts
	MaxDelay     time.Duration // the longest wait a slowed-down name imposes
}

// DefaultThrottle locks a name at one address after 5 failures in 15 minutes, for 15 minutes,
// and slows a name down after 5 failures from anywhere, by up to 5 minutes between attempts.
var DefaultThrottle = Throttle{PairFailures: 5, NameFailures: 5, Window: 15 * time.Minute, Lockout: 15 * time.Minute,
	MaxDelay: 5 * time.Minute}

func (s *Store) throttle() Throttle {
	if s.Throttle == (Throttle{}) {
		return DefaultThrottle
	}
	return s.Throttle
}

// maxThrottled bounds the names the file remembers failures of, and maxAddrsPerName the addresses
// per name, so a flood of made-up names or addresses cannot grow it without end; the oldest are
// forgotten first.
const (
	maxThrottled    = 10000
	maxAddrsPerName = 1000
)

type throttleState struct {
	Names map[string]*nameAttempts `json:"names,omitempty"` // by nameKey
}

// nameAttempts are a name's failures from everywhere, with their delay, and per address.
type nameAttempts struct {
	attempts                      // from everywhere; LockedUntil is the end of the name's delay
	Addrs    map[string]*attempts `json:"addrs,omitempty"` // by addrKey; LockedUntil is the pair's lock
}

type attempts struct {
	Failures    []time.Time `json:"failures,omitempty"`
	LockedUntil time.Time   `json:"locked_until,omitzero"`
}

func (a *attempts) lockedAt(now time.Time) bool { return a != nil && now.Before(a.LockedUntil) }

// recent is how many failures are within the window.
func (a *attempts) recent(now time.Time, th Throttle) int {
	if a == nil {
		return 0
	}
	n := 0
	for _, t := range a.Failures {
		if now.Sub(t) < th.Window {
			n++
		}
	}
	return n
}

// fail counts a failure, forgetting those older than the window, and returns how many are left.
func (a *attempts) fail(now time.Time, th Throttle) int {
	keep := a.Failures[:0]
	for _, t := range a.Failures {
		if now.Sub(t) < th.Window {
			keep = append(keep, t)
		}
	}
	a.Failures = append(keep, now)
	return len(a.Failures)
}

func (a *attempts) last() time.Time {
	if n := len(a.Failures); n > 0 && a.Failures[n-1].After(a.LockedUntil) {
		return a.Failures[n-1]
	}
	return a.LockedUntil
}

// stale reports whether a has nothing left to say: no lock running, no failure within the window.
func (a *attempts) stale(now time.Time, th Throttle) bool {
	return !a.lockedAt(now) && (len(a.Failures) == 0 || now.Sub(a.Failures[len(a.Failures)-1]) >= th.Window)
}

// nameDelay is how long a name slowed down by n failures within the window makes the next
// attempt wait: 1 s at the first failure past the limit, doubling, at most MaxDelay.
func nameDelay(n int, th Throttle) time.Duration {
	k := n - th.NameFailures
	if th.NameFailures <= 0 || k < 0 {
		return 0
	}
	d := th.MaxDelay
	if k < 30 && time.Duration(1<<k)*time.Second < d {
		d = time.Duration(1<<k) * time.Second
	}
	return d
}

func (t *throttleState) prune(now time.Time, th Throttle) {
	for nk, na := range t.Names {
		for ak, a := range na.Addrs {
			if a.stale(now, th) {
				delete(na.Addrs, ak)
			}
		}
		na.Addrs = keepNewest(na.Addrs, maxAddrsPerName, func(a *attempts) time.Time { return a.last() })
		if na.stale(now, th) && len(na.Addrs) == 0 {
			delete(t.Names, nk)
		}
	}
	t.Names = keepNewest(t.Names, maxThrottled, func(na *nameAttempts) time.Time { return na.last() })
}

// keepNewest forgets all but the limit entries of m whose last is latest; nil for none left.
func keepNewest[V any](m map[string]V, limit int, last func(V) time.Time) map[string]V {
	if len(m) > limit {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return last(m[keys[i]]).Before(last(m[keys[j]])) })
		for _, k := range keys[:len(m)-limit] {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// failed counts a failed login of name key nk from address key ak and returns when the attempt
// after it may come from this address: the end of the pair's lock if it set one, else the end of
// the name's delay, else zero. The pair's lock is reported as such (locked).
func (t *throttleState) failed(nk, ak string, now time.Time, th Throttle) (until time.Time, locked bool) {
	if t.Names == nil {
		t.Names = map[string]*nameAttempts{}
	}
	na := t.Names[nk]
	if na == nil {
		na = &nameAttempts{}
		t.Names[nk] = na
	}
	if d := nameDelay(na.fail(now, th), th); d > 0 {
		na.LockedUntil = now.Add(d)
		until = na.LockedUntil
	}
	if na.Addrs == nil {
		na.Addrs = map[string]*attempts{}
	}
	a := na.Addrs[ak]
	if a == nil {
		a = &attempts{}
		na.Addrs[ak] = a
	}
	if n := a.fail(now, th); th.PairFailures > 0 && n >= th.PairFailures {
		a.LockedUntil, a.Failures = now.Add(th.Lockout), nil
		return a.LockedUntil, true
	}
	return until, false
}

// held says whether an attempt for name key nk from address key ak must wait, and until when:
// the pair is locked, or the name is slowed down and this address has failed for it.
func (t *throttleState) held(nk, ak string, now time.Time, th Throttle) (until time.Time, locked bool) {
	na := t.Names[nk]
	if na == nil {
		return time.Time{}, false
	}
	a := na.Addrs[ak]
	if a.lockedAt(now) {
		return a.LockedUntil, true
	}
	if na.lockedAt(now) && a.recent(now, th) > 0 {
		return na.LockedUntil, false
	}
	return time.Time{}, false
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

// LockedError is the cause of a login refused for now: the name is locked at this address, or
// slowed down, or another login from the address is being checked. Until is when to try again
// (a Retry-After).
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return "account: locked until " + e.Until.Format(time.RFC3339) }

// lockedError is the answer to an attempt made while its name is locked at its address.
func (s *Store) lockedError(until, now time.Time) error {
	mins := int(math.Ceil(until.Sub(now).Minutes()))
	at := until.In(s.location()).Format("2006-01-02 15:04")
	return &minsheng.Error{Code: minsheng.ETOOMANY,
		Zh:  fmt.Sprintf("此用户名从您的地址登录失败次数过多,已暂时锁定,请于 %s 后再试(约 %d 分钟)", at, mins),
		En:  fmt.Sprintf("too many failed logins for this name from your address: locked for now; try again after %s (in about %d minutes)", at, mins),
		Err: &LockedError{Until: until}}
}

// slowError is the answer to an attempt made during its name's delay.
func slowError(until, now time.Time) error {
	secs := int(math.Ceil(until.Sub(now).Seconds()))
	return &minsheng.Error{Code: minsheng.ETOOMANY,
		Zh:  fmt.Sprintf("此用户名登录失败次数过多,请等待 %d 秒后再试", secs),
		En:  fmt.Sprintf("too many failed logins for this name: wait %d seconds before trying again", secs),
		Err: &LockedError{Until: until}}
}

// busyError is the answer to an attempt while the address's earlier ones are still being checked.
func busyError(now time.Time) error {
	return &minsheng.Error{Code: minsheng.ETOOMANY,
		Zh:  "您的地址有其他登录正在核对,请稍后再试",
		En:  "other logins from your address are being checked; try again in a moment",
		Err: &LockedError{Until: now.Add(time.Second)}}
}

// errBadLogin says nothing of whether the name exists.
func errBadLogin() error {
	return minsheng.Errorf(minsheng.EUNAUTHORIZED, "用户名或密码不正确", "wrong user name or password")
}

func errDisabled() error {
	return minsheng.Errorf(minsheng.EUNAUTHORIZED, "此账户已停用,请联系管理员", "this account is disabled; please contact the administrator")
}

// Login checks a name and password typed by a person at remoteAddr (host:port or host; empty for
// none) and returns the principal. A failure counts against the name and against the name at
// this address (see Throttle) and is kept in the file, so a lock outlasts a restart; a success
// clears the name's failures at this address and notes the time. An unknown name costs as long as
// a known one.
//
// Hashes run two at a time over all addresses and one at a time per address (hashGate), so a
// flood from one address queues behind itself and cannot hold every slot.
//
// Errors: EUNAUTHORIZED with the same message for an unknown name and a wrong password;
// ETOOMANY, saying when to try again, with a *LockedError cause (errors.As) for a Retry-After,
// for a name locked at this address or slowed down, or an address with too many logins being
// checked; EUNAUTHORIZED for a disabled account with the right password.
func (s *Store) Login(ctx context.Context, name, password, remoteAddr string) (*Principal, error) {
	nk, ak := nameKey(name), addrKey(remoteAddr)
	th := s.throttle()
	// a throttled attempt is answered before it waits for a hash
	if err := s.held(nk, ak, th); err != nil {
		return nil, err
	}
	release, err := s.gate.acquire(ctx, ak)
	if err != nil {
		if errors.Is(err, errBusy) {
			return nil, busyError(s.now())
		}
		return nil, err
	}
	defer release()
	// and checked again once its turn comes: a queued flood meets the lock its own failures set
	if err := s.held(nk, ak, th); err != nil {
		return nil, err
	}
	st, err := s.load()
	if err != nil {
		return nil, err
	}
	now := s.now()
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
		var locked bool
		err := s.update(ctx, func(st *state) error {
			until, locked = st.Throttle.failed(nk, ak, now, th)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if locked {
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
		// this address is cleared; the name's failures elsewhere stay, so a guesser's delay is
		// not lifted by the owner's login
		if na := st.Throttle.Names[nk]; na != nil {
			delete(na.Addrs, ak)
		}
		p = u.Principal()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// held returns the answer to an attempt for name key nk from address key ak that must wait, or nil.
func (s *Store) held(nk, ak string, th Throttle) error {
	st, err := s.load()
	if err != nil {
		return err
	}
	now := s.now()
	until, locked := st.Throttle.held(nk, ak, now, th)
	switch {
	case locked:
		return s.lockedError(until, now)
	case !until.IsZero():
		return slowError(until, now)
	}
	return nil
}

// LockedUntil returns when the last throttle on a login name ends (its lock at some address, or
// its delay), or zero if it has none.
func (s *Store) LockedUntil(ctx context.Context, name string) (time.Time, error) {
	st, err := s.load()
	if err != nil {
		return time.Time{}, err
	}
	now := s.now()
	var until time.Time
	if na := st.Throttle.Names[nameKey(name)]; na != nil {
		if na.lockedAt(now) {
			until = na.LockedUntil
		}
		for _, a := range na.Addrs {
			if a.lockedAt(now) && a.LockedUntil.After(until) {
				until = a.LockedUntil
			}
		}
	}
	return until, nil
}

// Unlock lifts every throttle on a login name, at every address, and forgets its failures.
// Errors: ENOTFOUND.
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

// errBusy: an address has as many logins waiting for a hash as it may.
var errBusy = errors.New("account: the address has too many logins being checked")

// hashGate bounds the argon2id hashes of logins: slots at once over all addresses (each holds
// Hash.Memory), and per address one running and a few waiting, so that one address flooding
// the login cannot hold every slot and make everyone else's login wait for its guesses.
type hashGate struct {
	slots   chan struct{} // shared with the hashes of new passwords (Store.hash)
	wait    time.Duration // how long an attempt waits for its turn before it is answered busy
	queue   int           // how many of one address's attempts may wait behind its running one
	mu      sync.Mutex
	holders map[string]*addrTurn
}

type addrTurn struct {
	turn  chan struct{} // one at a time per address
	users int           // running and waiting
}

func newHashGate(slots int) *hashGate {
	return &hashGate{slots: make(chan struct{}, slots), wait: 5 * time.Second, queue: 4, holders: map[string]*addrTurn{}}
}

// acquire waits for addr's turn, then for a slot. Errors: errBusy when addr has too many
// attempts waiting or its turn does not come within the wait; ctx's error.
func (g *hashGate) acquire(ctx context.Context, addr string) (release func(), err error) {
	g.mu.Lock()
	a := g.holders[addr]
	if a == nil {
		a = &addrTurn{turn: make(chan struct{}, 1)}
		g.holders[addr] = a
	}
	if a.users > g.queue {
		g.mu.Unlock()
		return nil, errBusy
	}
	a.users++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		if a.users--; a.users == 0 {
			delete(g.holders, addr)
		}
		g.mu.Unlock()
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case a.turn <- struct{}{}:
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	case <-timer.C:
		leave()
		return nil, errBusy
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		<-a.turn
		leave()
		return nil, ctx.Err()
	case <-timer.C:
		<-a.turn
		leave()
		return nil, errBusy
	}
	return func() {
		<-g.slots
		<-a.turn
		leave()
	}, nil
}
