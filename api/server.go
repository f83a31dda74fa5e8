// Package api serves the indicator API with Gin from the answers of the current warehouse, held
// in memory (package indicators): a request never queries DuckDB. The server loads the file
// CURRENT names at start and again whenever a build swaps in a new one (Reload, Watch); the old
// answers serve until the new ones are complete, so a swap fails no request.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/notes"
	"github.com/minsheng/minsheng/warehouse"
	"github.com/minsheng/minsheng/web"
)

// Config is what a server needs.
type Config struct {
	Dir      string           // the data folder
	Location *time.Location   // the county's time zone: it decides "today" (the default year)
	Now      func() time.Time // for tests
	Log      *slog.Logger
	Notes    *notes.Store // the lead units' progress notes; nil: /api/v1/notes answers 503
	// Middleware runs before every route, the 404 and the 405 answers included: the access
	// guard. Routes added later (Engine) get it too.
	Middleware []gin.HandlerFunc
	// Health adds fields to the /healthz answer, such as the audit entries lost; nil: none.
	Health func() map[string]any
}

// Server is the HTTP API over one data folder.
type Server struct {
	cfg     Config
	engine  *gin.Engine
	current atomic.Pointer[answers]
	loadErr atomic.Pointer[error] // why no warehouse is loaded, while none is
	reload  sync.Mutex
	runs    *lake.RunCache
	// notFound answers a path outside /api/ that no route serves (the dashboards' HTML page)
	notFound gin.HandlerFunc
}

// answers is one warehouse's snapshot with the encoded responses asked of it so far.
type answers struct {
	snap  *indicators.Snapshot
	cache sync.Map // key -> []byte
	size  atomic.Int64
}

// maxCached bounds the encoded answers kept per snapshot; past it, answers are encoded per
// request (still from memory). Every as-of date of a year for every endpoint fits well within.
const maxCached = 20000

// New makes a server; call Reload (or Watch) to load the warehouse.
func New(cfg Config) *Server {
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{cfg: cfg}
	s.runs = lake.NewRunCache(cfg.Dir, cfg.Location)
	noWarehouse := error(minsheng.Errorf(minsheng.EUNAVAILABLE, "数据仓库尚未加载", "the warehouse is not loaded yet"))
	s.loadErr.Store(&noWarehouse)
	s.engine = s.routes()
	return s
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Engine is the Gin engine, for other packages to add their routes to (the dashboards).
func (s *Server) Engine() *gin.Engine { return s.engine }

// SetNotFound sets the handler of paths outside /api/ that no route serves.
func (s *Server) SetNotFound(h gin.HandlerFunc) { s.notFound = h }

// Runs is the ingest history, newest first.
func (s *Server) Runs() ([]lake.Run, error) { return s.runs.Runs() }

// Snapshot is the answers being served, nil before the first load.
func (s *Server) Snapshot() *indicators.Snapshot {
	if a := s.current.Load(); a != nil {
		return a.snap
	}
	return nil
}

// Reload loads the warehouse CURRENT names if it is not the one being served. It reports whether
// it moved to a new file. On an error the served answers stay as they were.
func (s *Server) Reload(ctx context.Context) (bool, error) {
	s.reload.Lock()
	defer s.reload.Unlock()
	name, err := os.ReadFile(lake.Layout{Dir: s.cfg.Dir}.Current())
	if err == nil {
		if a := s.current.Load(); a != nil && filepath.Base(a.snap.Path) == strings.TrimSpace(string(name)) {
			return false, nil
		}
	}
	db, err := warehouse.Open(s.cfg.Dir)
	if err != nil {
		if s.current.Load() == nil {
			s.loadErr.Store(&err)
		}
		return false, err
	}
	// the snapshot holds everything: the file is closed at once, so the next build may prune it
	snap, err := indicators.Load(ctx, db)
	db.Close()
	if err != nil {
		return false, err
	}
	s.current.Store(&answers{snap: snap})
	s.cfg.Log.Info("warehouse loaded", "file", filepath.Base(snap.Path), "years", snap.Years())
	return true, nil
}

// Watch reloads whenever CURRENT changes, checking every interval until ctx ends.
func (s *Server) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Reload(ctx); err != nil && !errors.Is(err, context.Canceled) {
			var me *minsheng.Error
			if !errors.As(err, &me) || me.Code != minsheng.EUNAVAILABLE {
				s.cfg.Log.Error("warehouse reload failed; still serving the previous one", "err", err)
			}
		}
	}
}

// routes registers every route. openapi.json documents exactly these (TestOpenAPIMatchesRoutes).
func (s *Server) routes() *gin.Engine {
	r := gin.New()
	// no proxy is trusted: ClientIP is the connection's address, so X-Forwarded-For cannot
	// forge the address the audit log and the login throttle see
	if err := r.SetTrustedProxies(nil); err != nil {
		panic(err)
	}
	r.HandleMethodNotAllowed = true
	r.Use(s.logRequests, s.recoverPanics)
	r.Use(s.cfg.Middleware...)
	r.NoRoute(func(c *gin.Context) {
		if s.notFound != nil && !strings.HasPrefix(c.Request.URL.Path, "/api/") {
			s.notFound(c)
			return
		}
		writeError(c, minsheng.Errorf(minsheng.ENOTFOUND, "没有这个地址:%s", "no such path: %s", c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		c.Header("Allow", "GET")
		web.WriteStatus(c, http.StatusMethodNotAllowed, "method_not_allowed",
			"此地址不支持 "+c.Request.Method+" 请求 / "+c.Request.Method+" is not allowed here")
	})
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
	return r
}

func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	for _, e := range c.Errors {
		s.cfg.Log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", e.Err)
	}
	// the path only: queries carry no person, but nothing here needs them either
	s.cfg.Log.Debug("request", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration", time.Since(start).String())
}

func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			s.cfg.Log.Error("panic serving a request", "path", c.Request.URL.Path, "panic", v)
			writeError(c, minsheng.Errorf(minsheng.EINTERNAL, "内部错误,请联系管理员", "internal error; please contact the administrator"))
			c.Abort()
		}
	}()
	c.Next()
}
