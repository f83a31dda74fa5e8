package dashboards_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/dashboards"
	"github.com/minsheng/minsheng/fixtures"
	"github.com/minsheng/minsheng/ingest"
	webshell "github.com/minsheng/minsheng/site"
	"github.com/minsheng/minsheng/warehouse"
)

var testKey = []byte("0123456789abcdef-dash")

// site is a data folder served the way `minsheng serve` serves it: the API and the pages on one
// Gin engine, on a real loopback port.
type site struct {
	dir      string
	cfg      warehouse.Config
	expected *fixtures.Expected
	url      string
	srv      *httptest.Server
}

var (
	demoOnce sync.Once
	demo     *site
	demoErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if demo != nil {
		demo.srv.Close()
		os.RemoveAll(demo.dir)
	}
	os.Exit(code)
}

func shippedConfig(t testing.TB, dir string) warehouse.Config {
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := minsheng.LoadPlans("", reg)
	if err != nil {
		t.Fatal(err)
	}
	return warehouse.Config{Dir: dir, Registry: reg, County: county, Plans: plans}
}

// serve builds the warehouse of cfg's folder and serves it.
func serve(t testing.TB, cfg warehouse.Config) *site {
	ctx := context.Background()
	if _, err := warehouse.Build(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2024, 11, 2, 9, 0, 0, 0, loc) }
	// X-Test-As picks a principal of testPrincipals (the pages' viewer); none: no one logged in
	standIn := func(c *gin.Context) {
		if p := testPrincipals[c.GetHeader("X-Test-As")]; p != nil {
			access.WithPrincipal(c, p, "tok")
		}
	}
	// the pages beside the API on site's engine, over its holder of the answers
	answers := webshell.NewAnswers(cfg.Dir, loc, nil)
	if _, err := answers.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	pages := dashboards.New(dashboards.Config{Source: answers, Registry: cfg.Registry, Location: loc, Now: now, Dir: cfg.Dir})
	r := webshell.NewEngine(nil, pages.NotFound, standIn)
	api.New(api.Config{Answers: answers, Dir: cfg.Dir, Location: loc, Now: now}).Register(r)
	pages.Register(r)
	hs := httptest.NewServer(r)
	return &site{dir: cfg.Dir, cfg: cfg, url: hs.URL, srv: hs}
}

// demoSite is the demo year (seed 1, as of 2024-10-31), built once.
func demoSite(t testing.TB) *site {
	t.Helper()
	if testing.Short() {
		t.Skip("generates, ingests and builds the demo year")
	}
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "minsheng-dash-")
		if err != nil {
			demoErr = err
			return
		}
		cfg := shippedConfig(t, dir)
		ctx := context.Background()
		exp, err := fixtures.Generate(ctx, fixtures.Options{Year: 2024, Seed: 1, AsOf: time.Date(2024, 10, 31, 0, 0, 0, 0, time.UTC),
			Out: dir, Registry: cfg.Registry, County: cfg.County})
		if err != nil {
			demoErr = err
			return
		}
		in, err := ingest.New(ingest.Config{Dir: dir, Registry: cfg.Registry, County: cfg.County, Key: testKey})
		if err == nil {
			_, err = in.Run(ctx)
		}
		if err != nil {
			demoErr = err
			return
		}
		demo = serve(t, cfg)
		demo.expected = exp
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demo
}

// fetch GETs a path and returns the response with its body read.
func fetch(t testing.TB, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// no transparent gzip: the tests look at what is on the wire
	tr := &http.Transport{DisableCompression: true}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// pagePaths are every page of the demo: the overview, each target, each lead unit, enrollment.
func pagePaths(s *site) []string {
	paths := []string{"/", "/assessment/enrollment"}
	units := map[string]bool{}
	for _, tg := range s.cfg.Plans[2024].Targets {
		paths = append(paths, "/targets/"+tg.Code)
		if !units[tg.LeadUnit] {
			units[tg.LeadUnit] = true
			paths = append(paths, "/units/"+tg.LeadUnit)
		}
	}
	return paths
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
