package minsheng

// Status is how a target stands at an as-of date (targets.md, "Kinds of indicator"). The words
// are the warehouse's (sql/marts/macros.sql indicator_status makes them); every Go package and
// template names them through these constants, never by the Chinese text.
type Status string

// The statuses of the four kinds.
const (
	StatusDone      Status = "已完成"  // count: at or above target
	StatusOnTrack   Status = "正常"   // count: completion keeps up with the time progress
	StatusLagging   Status = "滞后"   // count: behind by up to the lag band
	StatusFarBehind Status = "严重滞后" // count: behind by more than the lag band
	StatusMet       Status = "达标"   // rate, standard: at or above target
	StatusNotMet    Status = "未达标"  // rate, standard: below target
	StatusMonitored Status = "监测"   // monitor: no number in the plan, never late
	StatusNoData    Status = "无数据"  // rate, standard: nothing to judge yet
)

// Statuses are every status, in the order a leader acts on them (a chart's legend).
var Statuses = []Status{StatusFarBehind, StatusNotMet, StatusLagging, StatusOnTrack, StatusDone, StatusMet, StatusMonitored, StatusNoData}

// Lagging: the target needs acting on (滞后, 严重滞后, 未达标).
func (s Status) Lagging() bool {
	return s == StatusLagging || s == StatusFarBehind || s == StatusNotMet
}

// Done: the target is met (已完成, 达标).
func (s Status) Done() bool { return s == StatusDone || s == StatusMet }

// Known: one of the statuses above; the warehouse never makes another.
func (s Status) Known() bool {
	for _, k := range Statuses {
		if s == k {
			return true
		}
	}
	return false
}

// Rank orders a list with the ones to act on first: far behind, not met, lagging, not judged,
// on track, done, monitored.
func (s Status) Rank() int {
	switch s {
	case StatusFarBehind:
		return 0
	case StatusNotMet:
		return 1
	case StatusLagging:
		return 2
	case StatusNoData:
		return 3
	case StatusOnTrack:
		return 4
	case StatusDone, StatusMet:
		return 5
	case StatusMonitored:
		return 6
	}
	return 7
}
