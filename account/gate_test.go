package account

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestHashGate: one address holds at most one hashing slot, so a second address always finds
// one free; an address's further attempts wait their turn behind its own, a few at most, and
// are answered busy past that or when their turn does not come in time.
func TestHashGate(t *testing.T) {
	ctx := context.Background()
	g := newHashGate(2)
	g.wait = 50 * time.Millisecond
	g.queue = 1
	flood, err := g.acquire(ctx, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// the flooding address's next attempt waits behind its own, not in the free slot
	done := make(chan error, 1)
	go func() {
		r, err := g.acquire(ctx, "10.0.0.1")
		if err == nil {
			r()
		}
		done <- err
	}()
	if err := <-done; !errors.Is(err, errBusy) {
		t.Errorf("a second hash from the flooding address: %v, want busy after the wait", err)
	}
	// while another address gets the slot the flood did not take
	other, err := g.acquire(ctx, "10.0.0.2")
	if err != nil {
		t.Fatalf("another address, with one slot held by the flood: %v", err)
	}
	if got := len(g.slots); got != 2 {
		t.Errorf("%d slots in use, want 2", got)
	}
	other()
	// past the queue an attempt is answered at once
	g.wait = time.Hour
	waiting := make(chan error, 1)
	go func() {
		r, err := g.acquire(ctx, "10.0.0.1")
		if err == nil {
			r()
		}
		waiting <- err
	}()
	for {
		g.mu.Lock()
		n := g.holders["10.0.0.1"].users
		g.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := g.acquire(ctx, "10.0.0.1"); !errors.Is(err, errBusy) {
		t.Errorf("past the queue: %v, want busy at once", err)
	}
	flood() // the waiting one gets its turn
	if err := <-waiting; err != nil {
		t.Errorf("the waiting attempt: %v", err)
	}
	if len(g.slots) != 0 || len(g.holders) != 0 {
		t.Errorf("left behind: %d slots, %d addresses", len(g.slots), len(g.holders))
	}
}
