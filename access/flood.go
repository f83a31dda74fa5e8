package access

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/minsheng/minsheng/audit"
)

// ActionFlood is the audit action of a summary: the refusals of one caller past the rate limit,
// counted instead of written one by one.
const ActionFlood = "refused_flood"

// Defaults of the refusal rate limit (Config.RefusedBurst, RefusedPerSecond, FloodWindow).
const (
	defaultRefusedBurst     = 30
	defaultRefusedPerSecond = 0.2
	defaultFloodWindow      = 10 * time.Second
)

// floodGate rate-limits, per caller (an address, or a principal at an address), the refused
// requests that reach the audit log: a token bucket of burst entries refilled at perSecond.
// Past it a refusal is counted, not written, and each window of such refusals ends in one
// summary line ("2000 refused logins from 127.0.0.1 in 3 s"): a flood of 690 refused logins a
// second from one connection, each an fsynced line, filled the disk with 11 GB a day. Every
// refusal is in the log, one by one or in a summary's count.
type floodGate struct {
	burst, perSecond float64
	window           time.Duration
	write            func(audit.Entry) // appends a summary to the audit

	mu      sync.Mutex
	callers map[string]*bucket
	// writing is held by whoever takes floods out to write their summaries, from taking to
	// written: once close has it, no summary taken earlier is still unwritten.
	writing sync.Mutex
}

type bucket struct {
	tokens float64
	last   time.Time
	floods map[string]*flood // by the action summarised
}

// flood is the refusals of one caller and action past the limit, within one window.
type flood struct {
	first, last time.Time
	n           int
	entry       audit.Entry // the first refusal counted: who, from where
	timer       *time.Timer
}

// maxCallers bounds the buckets kept; full ones without a flood are forgotten first.
const maxCallers = 10000

func newFloodGate(burst int, perSecond float64, window time.Duration, write func(audit.Entry)) *floodGate {
	if burst <= 0 {
		burst = defaultRefusedBurst
	}
	if perSecond <= 0 {
		perSecond = defaultRefusedPerSecond
	}
	if window <= 0 {
		window = defaultFloodWindow
	}
	return &floodGate{burst: float64(burst), perSecond: perSecond, window: window, write: write, callers: map[string]*bucket{}}
}

// callerKey is whom a refusal is counted against: the address, and the principal if any, so an
// office behind one address is not summarised together with one of its people.
func callerKey(e audit.Entry) string { return e.RemoteAddr + "\x00" + e.ActorKind + "\x00" + e.Actor }

// allow takes a token for refusal e. Without one it counts e into its caller's flood and
// returns false with how long until the next token.
func (g *floodGate) allow(e audit.Entry) (bool, time.Duration) {
	now := time.Now() // the wall clock: a rate, not a time of day the site's clock may move
	key := callerKey(e)
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.callers[key]
	if b == nil {
		if len(g.callers) >= maxCallers {
			g.prune(now)
		}
		b = &bucket{tokens: g.burst, last: now}
		g.callers[key] = b
	}
	b.tokens = math.Min(g.burst, b.tokens+now.Sub(b.last).Seconds()*g.perSecond)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	f := b.floods[e.Action]
	if f == nil {
		if b.floods == nil {
			b.floods = map[string]*flood{}
		}
		f = &flood{first: now, entry: e}
		b.floods[e.Action] = f
		action := e.Action
		f.timer = time.AfterFunc(g.window, func() { g.flush(key, action) })
	}
	f.n++
	f.last = now
	return false, time.Duration((1 - b.tokens) / g.perSecond * float64(time.Second))
}

// prune forgets the callers whose bucket is full again and who have no flood running.
func (g *floodGate) prune(now time.Time) {
	for k, b := range g.callers {
		if len(b.floods) == 0 && b.tokens+now.Sub(b.last).Seconds()*g.perSecond >= g.burst {
			delete(g.callers, k)
		}
	}
}

// flush writes the summary of one caller's flood of action, when its window ends.
func (g *floodGate) flush(key, action string) {
	g.writing.Lock()
	defer g.writing.Unlock()
	g.mu.Lock()
	b := g.callers[key]
	var f *flood
	if b != nil {
		f = b.floods[action]
		delete(b.floods, action)
	}
	g.mu.Unlock()
	if f != nil {
		g.write(summary(f))
	}
}

// close writes the summary of every flood still counting, at once: nothing counted is lost when
// the server stops.
func (g *floodGate) close() {
	g.writing.Lock()
	defer g.writing.Unlock()
	g.mu.Lock()
	var pending []*flood
	for _, b := range g.callers {
		for action, f := range b.floods {
			if f.timer != nil {
				f.timer.Stop()
			}
			pending = append(pending, f)
			delete(b.floods, action)
		}
	}
	g.mu.Unlock()
	for _, f := range pending {
		g.write(summary(f))
	}
}

// summary is the audit line of a flood: who, from where, how many refusals of what, how long.
func summary(f *flood) audit.Entry {
	secs := max(1, int(math.Ceil(f.last.Sub(f.first).Seconds())))
	what, whatZh := "refused request", "次请求被拒绝"
	if f.entry.Action == audit.ActionLoginFailed {
		what, whatZh = "refused login", "次登录被拒绝"
	}
	if f.n != 1 {
		what += "s"
	}
	addr := f.entry.RemoteAddr
	if addr == "" {
		addr = "an unknown address"
	}
	e := f.entry
	e.Time, e.Action, e.Target, e.Outcome = f.first, ActionFlood, f.entry.Action, audit.OutcomeDenied
	e.Detail = fmt.Sprintf("%d %s from %s in %d s (past the rate limit, not recorded one by one) / "+
		"%d 秒内来自 %s 的 %d %s(超出限速,未逐条记录)", f.n, what, addr, secs, secs, addr, f.n, whatZh)
	return e
}

// Close writes the summaries of the refusal floods still being counted, without waiting for
// their windows to end. Call it when the server stops.
func (g *Guard) Close() { g.flood.close() }

// writeSummary appends a flood's summary to the audit, logging a failure (the audit counts it).
func (g *Guard) writeSummary(e audit.Entry) {
	if err := g.cfg.Audit.Append(context.Background(), e); err != nil {
		g.cfg.Log.Error("audit: append failed", "action", e.Action, "err", err)
	}
}
