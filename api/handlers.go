package api

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/web"
)

func (s *Server) healthz(c *gin.Context) {
	snap, err := s.cfg.Answers.Current()
	var h gin.H
	status := http.StatusOK
	if snap == nil {
		status, h = http.StatusServiceUnavailable, gin.H{"status": "unavailable",
			"error": gin.H{"code": minsheng.ErrorCode(err), "message": minsheng.ErrorMessage(err)}}
	} else {
		h = gin.H{"status": "ok", "warehouse": filepath.Base(snap.Path),
			"loaded_at": snap.LoadedAt.In(s.cfg.Location).Format(time.RFC3339), "years": snap.Years()}
	}
	if s.cfg.Health != nil {
		for k, v := range s.cfg.Health() {
			h[k] = v
		}
	}
	c.JSON(status, h)
}

// query is a request's year and as-of date, checked.
type query struct {
	year int
	asOf time.Time // zero: the newest record date
	raw  string    // the as_of as given, for the cache key
}

// parseQuery reads ?year= (default: the year of today in the county, or the newest plan year
// before it) and ?as_of=YYYY-MM-DD (default: the year's newest record date) as the pages do
// (web.ParseQuery): a year with a plan, a date in it.
func (s *Server) parseQuery(c *gin.Context, snap *indicators.Snapshot, withAsOf bool) (query, error) {
	q, err := web.ParseQuery(c.Request.URL.Query(), snap, s.cfg.Now().In(s.cfg.Location), withAsOf)
	if err != nil {
		return query{}, err
	}
	return query{year: q.Year, asOf: q.AsOf, raw: q.AsOfText}, nil
}

// answer serves an endpoint's answer from the snapshot's cache, computing and encoding it on the
// first request for its key.
func (s *Server) answer(c *gin.Context, name string, withAsOf bool, compute func(*indicators.Snapshot, query) (any, error)) {
	s.answerIf(c, name, withAsOf, nil, compute)
}

// answerIf is answer for a scoped endpoint: allow (when not nil) decides, on every request and
// against the snapshot that answers, whether this request may have the answer, cached or not.
func (s *Server) answerIf(c *gin.Context, name string, withAsOf bool, allow func(*indicators.Snapshot, query) error,
	compute func(*indicators.Snapshot, query) (any, error)) {
	snap, err := s.cfg.Answers.Current()
	if err != nil {
		writeError(c, err)
		return
	}
	q, err := s.parseQuery(c, snap, withAsOf)
	if err != nil {
		writeError(c, err)
		return
	}
	if allow != nil {
		if err := allow(snap, q); err != nil {
			writeError(c, err)
			return
		}
	}
	a := s.encodedOf(snap)
	key := name + "|" + strconv.Itoa(q.year) + "|" + q.raw
	if b, ok := a.cache.Load(key); ok {
		writeJSON(c, b.([]byte))
		return
	}
	v, err := compute(snap, q)
	if err != nil {
		writeError(c, err)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		writeError(c, err)
		return
	}
	if a.size.Load() < maxCached {
		if _, loaded := a.cache.LoadOrStore(key, b); !loaded {
			a.size.Add(1)
		}
	}
	writeJSON(c, b)
}

func (s *Server) targets(c *gin.Context) {
	s.answer(c, "targets", true, func(snap *indicators.Snapshot, q query) (any, error) {
		return snap.Targets(q.year, q.asOf)
	})
}

func (s *Server) target(c *gin.Context) {
	code := c.Param("code")
	s.answer(c, "target/"+code, true, func(snap *indicators.Snapshot, q query) (any, error) {
		return snap.Target(q.year, code, q.asOf)
	})
}

func (s *Server) enrollment(c *gin.Context) {
	s.answer(c, "enrollment", true, func(snap *indicators.Snapshot, q query) (any, error) {
		return snap.Enrollment(q.year, q.asOf)
	})
}

func (s *Server) checks(c *gin.Context) {
	s.answer(c, "checks", false, func(snap *indicators.Snapshot, q query) (any, error) {
		return snap.Checks(q.year)
	})
}

func writeJSON(c *gin.Context, b []byte) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}

// writeError answers {"error": {"code", "message"}} with the status of the error's code, as
// every package under /api/ does (package web).
func writeError(c *gin.Context, err error) { web.WriteError(c, err) }
