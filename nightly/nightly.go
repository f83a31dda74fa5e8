// Package nightly runs a job every day at a set local time: the server's nightly ingest and build.
package nightly

import (
	"context"
	"log/slog"
	"time"

	"github.com/minsheng/minsheng"
)

// Schedule is a time of day in the county's time zone.
type Schedule struct {
	Hour, Minute int
	Location     *time.Location
}

// Parse reads "HH:MM" (24-hour) or "off". off reports a schedule that never runs.
func Parse(s string, loc *time.Location) (sch Schedule, off bool, err error) {
	if s == "off" {
		return Schedule{}, true, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return Schedule{}, false, minsheng.Errorf(minsheng.EINVALID,
			"--nightly 应为 24 小时制的 HH:MM(如 02:00)或 off,而不是 %q",
			"--nightly must be HH:MM on a 24-hour clock (such as 02:00) or off, not %q", s)
	}
	return Schedule{Hour: t.Hour(), Minute: t.Minute(), Location: loc}, false, nil
}

// Next is the first run strictly after now.
func (s Schedule) Next(now time.Time) time.Time {
	loc := s.Location
	if loc == nil {
		loc = time.Local
	}
	n := now.In(loc)
	at := time.Date(n.Year(), n.Month(), n.Day(), s.Hour, s.Minute, 0, 0, loc)
	if !at.After(n) {
		at = time.Date(n.Year(), n.Month(), n.Day()+1, s.Hour, s.Minute, 0, 0, loc)
	}
	return at
}

// String is the schedule as Parse reads it.
func (s Schedule) String() string {
	return time.Date(2000, 1, 1, s.Hour, s.Minute, 0, 0, time.UTC).Format("15:04")
}

// Run calls job at every scheduled time until ctx ends. A failed job is logged and tried again
// the next night; a job still running at the next time delays that run, never doubles it.
func Run(ctx context.Context, s interface{ Next(time.Time) time.Time }, log *slog.Logger, job func(context.Context) error) {
	for {
		next := s.Next(time.Now())
		log.Info("nightly run scheduled", "at", next.Format(time.RFC3339))
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		start := time.Now()
		if err := job(ctx); err != nil {
			log.Error("nightly run failed", "err", err, "duration", time.Since(start).String())
			continue
		}
		log.Info("nightly run done", "duration", time.Since(start).String())
	}
}
