package site

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// headers are the answer headers every route gets, before its handler runs (a handler may set
// its own: the checksummed assets are cached for a year). No answer of the site may be stored by
// a browser or a proxy: pages and JSON alike hold a unit's records or who did what, and a shared
// office computer keeps what is cached. None is to be sniffed into another type. Behind TLS the
// browser is told to come back only over TLS.
func (s *Site) headers(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if s.Guard.Secure(c) {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.Next()
}

// headAsGet answers HEAD like GET on every route: the same guard, the same status and headers,
// and no body (net/http drops what a handler writes to a HEAD request). Gin routes HEAD only
// where it is registered, so without this every GET route answered 405 and HEAD /healthz, a
// monitor's favourite, was sent to the login page.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.WithContext(r.Context()) // a shallow copy: the server still knows it is a HEAD
			r.Method = http.MethodGet
		}
		next.ServeHTTP(w, r)
	})
}
