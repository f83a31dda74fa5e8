package access

import (
	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng/account"
)

// Keys in the Gin context; unexported values so no other package can forge them by name.
type ctxKey int

const (
	principalKey ctxKey = iota
	csrfKey
)

// CSRFField is the name of the hidden form field (and CSRFHeader the header, for scripts
// running in a logged-in page) that carries the session's CSRF token.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

// PrincipalOf is who the request acts as, nil when anonymous. On a route the policy keeps from
// anonymous callers it is never nil; a handler still checks, so it fails closed if mounted wrongly.
func PrincipalOf(c *gin.Context) *account.Principal {
	if v, ok := c.Get(principalKey); ok {
		if p, ok := v.(*account.Principal); ok {
			return p
		}
	}
	return nil
}

// CSRF is the CSRF token of the request's session, for a form's hidden field; "" for requests
// made with a bearer token or anonymously.
func CSRF(c *gin.Context) string {
	if v, ok := c.Get(csrfKey); ok {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return ""
}

// WithPrincipal sets the request's principal (and its session's CSRF token, "" for none). The
// guard calls it; tests of a handler package use it to stand in for a login.
func WithPrincipal(c *gin.Context, p *account.Principal, csrf string) {
	c.Set(principalKey, p)
	c.Set(csrfKey, csrf)
}
