package api_test

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/notes"
	"github.com/minsheng/minsheng/site"
)

// testConfig is what a test's API needs: the server's configuration, the data folder its
// answers are loaded from, and a stand-in for the access guard (Middleware).
type testConfig struct {
	Dir        string
	Location   *time.Location
	Now        func() time.Time
	Notes      *notes.Store
	Middleware []gin.HandlerFunc
}

// testServer is the API as the site serves it: its routes on site's engine, its answers from
// site's holder (Reload, Watch, Snapshot), without the pages, the uploads or the real guard.
type testServer struct {
	*site.Answers
	engine *gin.Engine
}

func newAPI(cfg testConfig) *testServer {
	answers := site.NewAnswers(cfg.Dir, cfg.Location, nil)
	srv := api.New(api.Config{Answers: answers, Dir: cfg.Dir, Location: cfg.Location, Now: cfg.Now, Notes: cfg.Notes})
	r := site.NewEngine(nil, nil, cfg.Middleware...)
	srv.Register(r)
	return &testServer{Answers: answers, engine: r}
}

func (s *testServer) Handler() http.Handler { return s.engine }
func (s *testServer) Engine() *gin.Engine   { return s.engine }
