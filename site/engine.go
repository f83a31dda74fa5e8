package site

import (
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/web"
)

// NewEngine is the site's Gin engine before any route is registered on it: no proxy trusted (so
// ClientIP is the connection's address, and X-Forwarded-For cannot forge the address the audit
// and the login throttle see), every request logged to log (nil: stderr) and a panic answered
// 500, then middleware (the access guard) before every route, the 404 and the 405 answers
// included. A path no route serves is a JSON 404 under /api/ and notFound's answer elsewhere (the
// pages' HTML; nil: JSON too); a method a path does not take is a JSON 405.
//
// api, dashboards and uploads each register their own routes on it; so may a test of one of
// them, with a stand-in for the guard as middleware.
func NewEngine(log *slog.Logger, notFound gin.HandlerFunc, middleware ...gin.HandlerFunc) *gin.Engine {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(nil); err != nil {
		panic(err)
	}
	r.HandleMethodNotAllowed = true
	r.Use(logRequests(log), recoverPanics(log))
	r.Use(middleware...)
	r.NoRoute(func(c *gin.Context) {
		if notFound != nil && !strings.HasPrefix(c.Request.URL.Path, "/api/") {
			notFound(c)
			return
		}
		web.WriteError(c, minsheng.Errorf(minsheng.ENOTFOUND, "没有这个地址:%s", "no such path: %s", c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		c.Header("Allow", "GET")
		web.WriteStatus(c, http.StatusMethodNotAllowed, "method_not_allowed",
			"此地址不支持 "+c.Request.Method+" 请求 / "+c.Request.Method+" is not allowed here")
	})
	return r
}

func logRequests(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		for _, e := range c.Errors {
			log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", e.Err)
		}
		// the path only: queries carry no person, but nothing here needs them either
		log.Debug("request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"status", c.Writer.Status(), "duration", time.Since(start).String())
	}
}

func recoverPanics(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				log.Error("panic serving a request", "path", c.Request.URL.Path, "panic", v)
				web.WriteError(c, minsheng.Errorf(minsheng.EINTERNAL, "内部错误,请联系管理员", "internal error; please contact the administrator"))
				c.Abort()
			}
		}()
		c.Next()
	}
}
