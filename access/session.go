package access

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// session is one login, held in memory only: a restart logs everyone out, which an intranet
// service can afford, and nothing on disk can be stolen to resume it. The cookie holds a random
// ID; the map is keyed by its hash, so even a memory dump does not yield a usable cookie.
type session struct {
	user         string
	issued, seen time.Time
	csrf         string
	addr         string
}

func (s *session) csrfToken() string {
	if s == nil {
		return ""
	}
	return s.csrf
}

type sessions struct {
	idle, maxAge time.Duration // a session unused for idle, or older than maxAge, is over
	mu           sync.Mutex
	m            map[string]*session
}

func newSessions(idle, maxAge time.Duration) *sessions {
	return &sessions{idle: idle, maxAge: maxAge, m: map[string]*session{}}
}

// randomToken is 32 random bytes, URL-safe: 43 characters.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("access: no randomness: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (ss *sessions) create(user string, now time.Time, addr string) (string, *session) {
	id := randomToken()
	s := &session{user: user, issued: now, seen: now, csrf: randomToken(), addr: addr}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) > 1024 {
		ss.prune(now)
	}
	ss.m[hashID(id)] = s
	return id, s
}

// get returns the live session of a cookie and notes its use; an expired one is removed.
func (ss *sessions) get(id string, now time.Time) *session {
	k := hashID(id)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[k]
	if s == nil {
		return nil
	}
	if ss.over(s, now) {
		delete(ss.m, k)
		return nil
	}
	s.seen = now
	return s
}

func (ss *sessions) over(s *session, now time.Time) bool {
	return now.Sub(s.seen) > ss.idle || now.Sub(s.issued) > ss.maxAge
}

// prune forgets the sessions that are over, so logins never followed by a request do not pile up.
func (ss *sessions) prune(now time.Time) {
	for k, s := range ss.m {
		if ss.over(s, now) {
			delete(ss.m, k)
		}
	}
}

func (ss *sessions) drop(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, hashID(id))
}
