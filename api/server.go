// Package api serves the indicator API: JSON under /api/v1 and /healthz, answered from the
// current warehouse's answers held in memory (package indicators), so a request never queries
// DuckDB. It registers its routes on the engine package site gives it, and reads the answers
// from site's one holder (Source), which swaps in each new warehouse whole; what it adds is the
// encoding: each answer is encoded once per (endpoint, year, as_of) and snapshot.
package api

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/notes"
)

// Source is where the answers come from: the site's holder of the current answers.
type Source interface {
	// Current is the snapshot being served or, before the first load, why there is none
	// (EUNAVAILABLE while no warehouse is built).
	Current() (*indicators.Snapshot, error)
	// Runs is the ingest history, newest first.
	Runs() ([]lake.Run, error)
}

// Config is what a server needs.
type Config struct {
	Answers  Source           // the current answers
	Dir      string           // the data folder: the ingest reports a run's detail reads
	Location *time.Location   // the county's time zone: it decides "today" (the default year)
	Now      func() time.Time // for tests
	Notes    *notes.Store     // the lead units' progress notes; nil: /api/v1/notes answers 503
	// Health adds fields to the /healthz answer, such as the audit entries lost; nil: none.
	Health func() map[string]any
}

// Server is the HTTP API over one data folder.
type Server struct {
	cfg     Config
	encoded atomic.Pointer[encoded]
}

// encoded is the answers encoded so far, of one snapshot.
type encoded struct {
	snap  *indicators.Snapshot
	cache sync.Map // key -> []byte
	size  atomic.Int64
}

// maxCached bounds the encoded answers kept per snapshot; past it, answers are encoded per
// request (still from memory). Every as-of date of a year for every endpoint fits well within.
const maxCached = 20000

// New makes a server; Register adds its routes to an engine.
func New(cfg Config) *Server {
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg}
}

// Register adds every route of the API. openapi.json documents exactly these, with the routes
// other packages add marked x-registered-by (TestOpenAPIMatchesRoutes).
func (s *Server) Register(r gin.IRouter) {
	r.GET("/healthz", s.healthz)
	v1 := r.Group("/api/v1")
	v1.GET("/openapi.json", serveOpenAPI)
	v1.GET("/notes", s.listNotes)
	v1.POST("/notes", s.addNote)
	v1.GET("/targets", s.targets)
	v1.GET("/targets/:code", s.target)
	v1.GET("/assessment/enrollment", s.enrollment)
	v1.GET("/assessment/enrollment/unenrolled", s.unenrolled)
	v1.GET("/checks", s.checks)
	v1.GET("/checks/:name/violations", s.violations)
	v1.GET("/ingest/runs", s.ingestRuns)
	v1.GET("/ingest/runs/:sha256", s.ingestRun)
}

// encodedOf is the cache of snap's encoded answers: a new, empty one when the holder has moved
// to a new snapshot, so the old snapshot's answers go with it.
func (s *Server) encodedOf(snap *indicators.Snapshot) *encoded {
	for {
		e := s.encoded.Load()
		if e != nil && e.snap == snap {
			return e
		}
		n := &encoded{snap: snap}
		if s.encoded.CompareAndSwap(e, n) {
			return n
		}
	}
}
