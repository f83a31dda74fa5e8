package nightly

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for in, want := range map[string]string{"02:00": "02:00", "23:59": "23:59", "00:00": "00:00", "7:05": "07:05"} {
		s, off, err := Parse(in, loc)
		if err != nil || off || s.String() != want {
			t.Errorf("Parse(%q) = %v %v %v, want %s", in, s, off, err, want)
		}
	}
	if _, off, err := Parse("off", loc); !off || err != nil {
		t.Errorf("off: %v %v", off, err)
	}
	for _, bad := range []string{"2am", "24:00", "02:60", "", "02:00:00", "OFF "} {
		if _, _, err := Parse(bad, loc); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// TestNext: the next run in the county's time zone, whatever zone the clock reads in.
func TestNext(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	s := Schedule{Hour: 2, Minute: 0, Location: loc}
	cases := []struct{ now, want string }{
		{"2024-10-31T01:59:59+08:00", "2024-10-31T02:00:00+08:00"},
		{"2024-10-31T02:00:00+08:00", "2024-11-01T02:00:00+08:00"}, // at the time: the next night
		{"2024-10-31T15:00:00+08:00", "2024-11-01T02:00:00+08:00"},
		{"2024-12-31T23:00:00+08:00", "2025-01-01T02:00:00+08:00"},
		{"2024-02-28T18:30:00Z", "2024-03-01T02:00:00+08:00"}, // UTC evening is Shanghai's next morning
		{"2024-02-28T17:30:00Z", "2024-02-29T02:00:00+08:00"},
	}
	for _, c := range cases {
		now, _ := time.Parse(time.RFC3339, c.now)
		want, _ := time.Parse(time.RFC3339, c.want)
		if got := s.Next(now); !got.Equal(want) {
			t.Errorf("Next(%s) = %s, want %s", c.now, got.Format(time.RFC3339), c.want)
		}
	}
}

// soon is a schedule due a moment after each call.
type soon struct{}

func (soon) Next(now time.Time) time.Time { return now.Add(10 * time.Millisecond) }

// TestRunCallsJob: a due run calls the job; a failed job is tried again at the next time; the
// loop ends with its context.
func TestRunCallsJob(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	done := make(chan struct{})
	go func() {
		Run(ctx, soon{}, slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) error {
			if calls.Add(1) == 1 {
				return errors.New("the first night fails")
			}
			cancel()
			return nil
		})
		close(done)
	}()
	<-done
	if calls.Load() != 2 {
		t.Errorf("job ran %d times, want twice (a failure, then a success)", calls.Load())
	}
}
