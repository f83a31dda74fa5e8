package minsheng

import "testing"

func TestStatus(t *testing.T) {
	for _, c := range []struct {
		s             Status
		lagging, done bool
		rank          int
	}{
		{StatusFarBehind, true, false, 0}, {StatusNotMet, true, false, 1}, {StatusLagging, true, false, 2},
		{StatusNoData, false, false, 3}, {StatusOnTrack, false, false, 4}, {StatusDone, false, true, 5},
		{StatusMet, false, true, 5}, {StatusMonitored, false, false, 6}, {"别的", false, false, 7},
	} {
		if c.s.Lagging() != c.lagging || c.s.Done() != c.done || c.s.Rank() != c.rank || c.s.Known() != (c.rank < 7) {
			t.Errorf("%s: lagging %v done %v rank %d known %v", c.s, c.s.Lagging(), c.s.Done(), c.s.Rank(), c.s.Known())
		}
	}
	if len(Statuses) != 8 {
		t.Errorf("%d statuses", len(Statuses))
	}
}
