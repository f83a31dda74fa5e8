// Package site assembles the service one data folder serves: the indicator API, the dashboards,
// the login, uploads, notes and the administrator's pages, all behind the access guard. It owns
// the Gin engine (NewEngine) and the one holder of the current answers (Answers), which the
// pipeline hands each build it makes; api, dashboards and uploads are peers that each register
// their own routes on the engine and import none of one another. It is what `minsheng serve`
// runs and what the route × role tests exercise.
package site

import (
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/dashboards"
	"github.com/minsheng/minsheng/notes"
	"github.com/minsheng/minsheng/pipeline"
	"github.com/minsheng/minsheng/uploads"
)

// Config is what the site needs.
type Config struct {
	Dir      string
	Registry *minsheng.Registry
	Location *time.Location
	Log      *slog.Logger
	Now      func() time.Time
	Plans    map[int]*minsheng.Plan // the years' registries, for the notes
	Pipeline *pipeline.Pipeline     // ingest and build, for uploads
	Secure   bool                   // cookies Secure and HSTS: behind a TLS-terminating proxy
	Limits   Limits                 // the HTTP server's timeouts and connection limit; zero fields: DefaultLimits
	Access   access.Config          // the guard's rate limit of refusals (RefusedBurst …); the rest is set here
}

// Site is the assembled service.
type Site struct {
	Answers  *Answers // the current answers every route reads
	API      *api.Server
	Pages    *dashboards.Dashboards
	Guard    *access.Guard
	Accounts *account.Store
	Audit    *audit.Log
	Notes    *notes.Store
	Uploads  *uploads.Service
	engine   *gin.Engine
	pipeline *pipeline.Pipeline
	limits   Limits
}

// New opens the accounts and the audit log of the data folder and assembles the routes.
func New(cfg Config) (*Site, error) {
	if cfg.Dir == "" || cfg.Registry == nil || cfg.Pipeline == nil || len(cfg.Plans) == 0 {
		return nil, errors.New("site: Dir, Registry, Plans and Pipeline are required")
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	accounts, err := account.Open(cfg.Dir, cfg.Registry)
	if err != nil {
		return nil, err
	}
	log, err := audit.Open(cfg.Dir, cfg.Location)
	if err != nil {
		return nil, err
	}
	if cfg.Now != nil {
		accounts.Now = cfg.Now
	}
	accounts.Location = cfg.Location
	s := &Site{Accounts: accounts, Audit: log, pipeline: cfg.Pipeline, limits: cfg.Limits.withDefaults()}
	s.Answers = NewAnswers(cfg.Dir, cfg.Location, cfg.Log)
	cfg.Pipeline.OnBuild(s.Answers.Built) // a build of this process is served at once, not at the next Watch
	s.Notes, err = notes.Open(notes.Config{Dir: cfg.Dir, Plans: cfg.Plans, Registry: cfg.Registry, Location: cfg.Location,
		Audit: log, Now: cfg.Now,
		// the current warehouse's masked names, read when a note is written
		NameIn: func(text string) (string, bool) { return s.Answers.Snapshot().NameIn(text) }})
	if err != nil {
		return nil, err
	}
	s.Uploads, err = uploads.New(uploads.Config{Dir: cfg.Dir, Registry: cfg.Registry, Pipeline: cfg.Pipeline, Audit: log})
	if err != nil {
		return nil, err
	}
	ac := cfg.Access
	ac.Accounts, ac.Audit, ac.Secure, ac.Now, ac.Log = accounts, log, cfg.Secure, cfg.Now, cfg.Log
	ac.Page = func(c *gin.Context, err error) { s.Pages.Page(c, err) }
	s.Guard, err = access.New(ac)
	if err != nil {
		return nil, err
	}
	s.API = api.New(api.Config{Answers: s.Answers, Dir: cfg.Dir, Location: cfg.Location, Now: cfg.Now, Notes: s.Notes,
		Health: func() map[string]any { return map[string]any{"audit_failures": log.Failures()} }})
	s.Pages = dashboards.New(dashboards.Config{Source: s.Answers, Registry: cfg.Registry, Location: cfg.Location, Now: cfg.Now,
		Auth: s.Guard, Accounts: accounts, Audit: log, Notes: s.Notes, Uploads: s.Uploads, Dir: cfg.Dir})
	// the guard runs before every route, the 404 and 405 answers included
	s.engine = NewEngine(cfg.Log, s.Pages.NotFound, s.headers, s.Guard.Middleware, s.uploadDeadlines)
	s.API.Register(s.engine)
	s.Pages.Register(s.engine)
	s.Uploads.Register(s.engine)
	s.engine.GET("/api/v1/me", s.Guard.Me)
	return s, nil
}

// Close waits for a build an upload asked for, and stops the pipeline's background work.
func (s *Site) Close() {
	s.pipeline.Close()
	s.Guard.Close() // the summaries of refusal floods still being counted
}

// Engine is the site's Gin engine, every route registered.
func (s *Site) Engine() *gin.Engine { return s.engine }

// Handler is the site's HTTP handler.
func (s *Site) Handler() http.Handler { return headAsGet(s.engine) }
