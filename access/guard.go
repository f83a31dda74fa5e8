package access

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/web"
)

// ActionDenied is the audit action of a request the guard refused: a role without the right, a
// form without its CSRF token, or a bearer token that does not authenticate.
const ActionDenied = "access_denied"

// Cookie names. The session cookie is the only credential a browser holds.
const (
	SessionCookie = "minsheng_session"
	loginCookie   = "minsheng_login" // the login form's CSRF pair, before any session exists
)

// Config is what the guard needs.
type Config struct {
	Accounts *account.Store
	Audit    *audit.Log
	Policy   map[string]Rule // nil: Policy
	// Secure marks cookies Secure even when the request came in without TLS: set it when a
	// TLS-terminating proxy stands in front (cookies are Secure anyway on a TLS request).
	Secure      bool
	IdleTimeout time.Duration // a session unused this long ends; 30 minutes when zero
	MaxAge      time.Duration // and any session ends this long after login; 8 hours when zero
	Now         func() time.Time
	Log         *slog.Logger
	// Page renders an error as an HTML page (401, 403): the dashboards' error page. Nil: text.
	Page func(c *gin.Context, err error)
	// The refused requests one caller (an address, or a principal at an address) may have
	// written to the audit one by one: a burst of RefusedBurst (30 when zero), refilled at
	// RefusedPerSecond (0.2 when zero). Past it they are answered 429 and summarised in one
	// line per FloodWindow (10 s when zero).
	RefusedBurst     int
	RefusedPerSecond float64
	FloodWindow      time.Duration
}

// Guard is the access middleware and the login and logout actions behind the login page.
type Guard struct {
	cfg      Config
	rules    map[string]map[string]Rule // method → route → rule: Policy split once, no key built per request
	secure   atomic.Bool
	sessions *sessions
	flood    *floodGate
}

// SetSecure marks cookies Secure from now on (Config.Secure at start).
func (g *Guard) SetSecure(on bool) { g.secure.Store(on) }

// New makes a guard.
func New(cfg Config) (*Guard, error) {
	if cfg.Accounts == nil || cfg.Audit == nil {
		return nil, errors.New("access: Accounts and Audit are required")
	}
	if cfg.Policy == nil {
		cfg.Policy = Policy
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 8 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	g := &Guard{cfg: cfg, rules: map[string]map[string]Rule{}, sessions: newSessions(cfg.IdleTimeout, cfg.MaxAge)}
	for key, r := range cfg.Policy {
		method, route, ok := strings.Cut(key, " ")
		if !ok {
			return nil, fmt.Errorf("access: policy line %q is not \"METHOD /route\"", key)
		}
		if g.rules[method] == nil {
			g.rules[method] = map[string]Rule{}
		}
		g.rules[method][route] = r
	}
	g.secure.Store(cfg.Secure)
	g.flood = newFloodGate(cfg.RefusedBurst, cfg.RefusedPerSecond, cfg.FloodWindow, g.writeSummary)
	return g, nil
}

// Errors a person reads.
var (
	errToken = minsheng.Errorf(minsheng.EUNAUTHORIZED, "API 令牌无效、已吊销,或其账号已停用",
		"the API token is not valid, was revoked, or its account is disabled")
	errCSRF = minsheng.Errorf(minsheng.EFORBIDDEN, "表单已过期或来自其他网站,请刷新页面后重试",
		"the form expired or came from another site: reload the page and try again")
	errUnlisted = minsheng.Errorf(minsheng.EFORBIDDEN, "此地址未列入访问规则,已拒绝",
		"this route is not in the access policy, so it is refused")
	errFlood = minsheng.Errorf(minsheng.ETOOMANY, "来自您地址的请求被拒绝次数过多,请稍后再试",
		"too many refused requests from your address; try again later")
)

func errRole(p *account.Principal) error {
	return minsheng.Errorf(minsheng.EFORBIDDEN, "您的角色(%s)无权访问此页面或接口",
		"your role (%s) may not use this page or API", p.Role)
}

// Middleware identifies the request, checks its route against the policy and, for a form sent
// with a session, its CSRF token. It runs before every route, the 404 and 405 answers included.
func (g *Guard) Middleware(c *gin.Context) {
	p, sess, err := g.identify(c)
	if err != nil {
		g.refuse(c, Entry(c, nil, ActionDenied, c.Request.Method+" "+c.Request.URL.Path, audit.OutcomeDenied, "invalid API token"), err)
		return
	}
	route := c.FullPath()
	if route == "" {
		// no such route (404, 405): a person logged in learns that; no one else learns anything
		if p == nil {
			g.deny(c, account.ErrLogin)
			return
		}
		WithPrincipal(c, p, sess.csrfToken())
		c.Next()
		return
	}
	rule, listed := g.rules[c.Request.Method][route]
	if !listed && c.Request.Method == http.MethodHead {
		rule, listed = g.rules[http.MethodGet][route]
	}
	if !listed {
		g.cfg.Log.Error("access: route missing from the policy", "method", c.Request.Method, "route", route)
		g.deny(c, errUnlisted)
		return
	}
	if route == "/login" {
		g.loginForm(c, p)
		return
	}
	if p == nil {
		if rule.Public {
			c.Next()
			return
		}
		g.deny(c, account.ErrLogin)
		return
	}
	if !rule.Allows(p.Role) {
		g.refuse(c, Entry(c, p, ActionDenied, c.Request.Method+" "+c.Request.URL.Path, audit.OutcomeDenied, "role "+p.Role), errRole(p))
		return
	}
	if sess != nil && unsafe(c.Request.Method) && !g.sameOrigin(c, sess.csrf) {
		g.refuse(c, Entry(c, p, ActionDenied, c.Request.Method+" "+c.Request.URL.Path, audit.OutcomeDenied, "missing or wrong CSRF token"), errCSRF)
		return
	}
	WithPrincipal(c, p, sess.csrfToken())
	c.Next()
}

func unsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// identify finds who sends the request: a bearer token (scripts), else a session cookie. A
// bearer token that does not authenticate is an error, not anonymity: the script must learn.
func (g *Guard) identify(c *gin.Context) (*account.Principal, *session, error) {
	if h := c.GetHeader("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return nil, nil, errToken
		}
		p, err := g.cfg.Accounts.Authenticate(c.Request.Context(), strings.TrimSpace(tok))
		if err != nil {
			return nil, nil, errToken
		}
		return p, nil, nil
	}
	ck, err := c.Cookie(SessionCookie)
	if err != nil || ck == "" {
		return nil, nil, nil
	}
	now := g.cfg.Now()
	sess := g.sessions.get(ck, now)
	if sess == nil {
		g.clearCookie(c, SessionCookie)
		return nil, nil, nil
	}
	// the account as it is now: disabled, its password changed, or its role moved since login
	// all take effect on the next request, even when changed by `minsheng user` from a shell
	u, err := g.cfg.Accounts.User(c.Request.Context(), sess.user)
	if err != nil || u.Disabled || u.PasswordChangedAt.After(sess.issued) {
		g.sessions.drop(ck)
		g.clearCookie(c, SessionCookie)
		return nil, nil, nil
	}
	return u.Principal(), sess, nil
}

// sameOrigin checks a form or script write made with a session: the CSRF token it carries
// (header, query or url-encoded form field; a multipart body is not read here so the upload's
// size limit applies before any parsing) and, when the browser says where it came from, the
// Origin: scheme and host both, the scheme being https when the site is told it stands behind
// TLS. "Origin: null" is what a browser sends from a sandboxed frame, a file or after a
// cross-site redirect: a page of another origin, so it is refused, not taken for no header.
func (g *Guard) sameOrigin(c *gin.Context, want string) bool {
	if o := c.GetHeader("Origin"); o != "" {
		scheme := "http"
		if g.isSecure(c) {
			scheme = "https"
		}
		u, err := url.Parse(o)
		if o == "null" || err != nil || !strings.EqualFold(u.Scheme, scheme) || !strings.EqualFold(u.Host, c.Request.Host) {
			return false
		}
	}
	got := c.GetHeader(CSRFHeader)
	if got == "" {
		got = c.Query(CSRFField)
	}
	if got == "" && strings.HasPrefix(c.ContentType(), "application/x-www-form-urlencoded") {
		got = c.PostForm(CSRFField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// deny answers 401 or 403: JSON under /api/ and to scripts, a page (or the login page, for a
// person not logged in asking for a page) elsewhere.
func (g *Guard) deny(c *gin.Context, err error) {
	defer c.Abort()
	code := minsheng.ErrorCode(err)
	if code == minsheng.EUNAUTHORIZED {
		c.Header("WWW-Authenticate", `Bearer realm="minsheng"`)
	}
	if wantsJSON(c) {
		web.WriteError(c, err)
		return
	}
	if code == minsheng.EUNAUTHORIZED && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		return
	}
	if g.cfg.Page != nil {
		g.cfg.Page(c, err)
		return
	}
	c.String(web.HTTPStatus(err), "%s", minsheng.ErrorMessage(err))
}

func wantsJSON(c *gin.Context) bool {
	return strings.HasPrefix(c.Request.URL.Path, "/api/") || c.GetHeader("Authorization") != ""
}

// refuse answers a refused request with err, and records it within the caller's rate limit;
// past the limit the answer is 429 with a Retry-After, and the refusal is counted into the
// caller's flood summary instead of a line of its own.
func (g *Guard) refuse(c *gin.Context, e audit.Entry, err error) {
	if ok, wait := g.recordRefusal(c, e); !ok {
		c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		err = errFlood
	}
	g.deny(c, err)
}

// recordRefusal writes a refusal's entry if the caller is within the rate limit, else counts it
// for the summary; false with the wait for the next one then.
func (g *Guard) recordRefusal(c *gin.Context, e audit.Entry) (bool, time.Duration) {
	ok, wait := g.flood.allow(e)
	if ok {
		g.record(c, e)
	}
	return ok, wait
}

// record writes an audit entry; a failure to write is logged, never hidden (the audit counts it
// too, for /healthz).
func (g *Guard) record(c *gin.Context, e audit.Entry) {
	if err := g.cfg.Audit.Append(context.WithoutCancel(c.Request.Context()), e); err != nil {
		g.cfg.Log.Error("audit: append failed", "action", e.Action, "err", err)
	}
}

// Entry is an audit entry for principal p's action from request c (p nil: "anonymous"), for the
// guard and the handlers that record writes (account changes) in the same shape.
func Entry(c *gin.Context, p *account.Principal, action, target, outcome, detail string) audit.Entry {
	e := audit.Entry{RemoteAddr: c.RemoteIP(), Action: action, Target: target, Outcome: outcome, Detail: detail,
		Actor: "anonymous", ActorKind: audit.KindUser}
	if p != nil {
		e.Actor, e.ActorKind, e.Role, e.Unit = p.Name, p.Kind, p.Role, p.Unit
	}
	return e
}

func (g *Guard) isSecure(c *gin.Context) bool { return g.secure.Load() || c.Request.TLS != nil }

// Secure reports whether the request reached the site over TLS, its own or a proxy's the site
// was told of (Config.Secure, SetSecure): where cookies are Secure and HSTS is sent.
func (g *Guard) Secure(c *gin.Context) bool { return g.isSecure(c) }

func (g *Guard) setCookie(c *gin.Context, name, value string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true,
		Secure: g.isSecure(c), SameSite: http.SameSiteStrictMode})
}

func (g *Guard) clearCookie(c *gin.Context, name string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: g.isSecure(c), SameSite: http.SameSiteStrictMode})
}

// loginForm guards the login page. The form is protected against login CSRF with a pair: a
// random cookie and the same value in the form. A person already logged in is sent on.
func (g *Guard) loginForm(c *gin.Context, p *account.Principal) {
	if p != nil && c.Request.Method == http.MethodGet {
		c.Redirect(http.StatusSeeOther, NextPath(c.Query("next")))
		c.Abort()
		return
	}
	ck, _ := c.Cookie(loginCookie)
	if c.Request.Method == http.MethodPost {
		got := c.PostForm(CSRFField)
		if ck == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(ck)) != 1 {
			g.refuse(c, Entry(c, nil, audit.ActionLoginFailed, "", audit.OutcomeDenied, "missing or wrong CSRF token"), errCSRF)
			return
		}
	} else if ck == "" || len(ck) != 43 {
		ck = randomToken()
		g.setCookie(c, loginCookie, ck)
	}
	WithPrincipal(c, p, ck) // the form's CSRF field is the login cookie's value
	c.Next()
}

// NextPath is where to go after login: a path on this site, never another host. It is judged as
// a browser would read it in a Location header, where tabs and line breaks are dropped anywhere
// and a backslash is a slash (the WHATWG URL parser): "/\t/evil.example" and "/\\evil.example"
// are the protocol-relative "//evil.example" to a browser. So a next with any control character
// is refused outright (the site's own links never have one), backslashes are read as slashes,
// and what is left must be a path: one slash first, no scheme, no host.
func NextPath(next string) string {
	if strings.IndexFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return "/"
	}
	clean := strings.ReplaceAll(next, `\`, "/")
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") {
		return "/"
	}
	u, err := url.Parse(clean)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	return clean
}

// Login checks a person's name and password (the account store throttles: a 429 with a
// Retry-After when it says to wait), and on success starts a new session: a fresh cookie, so a
// session planted before cannot be used.
func (g *Guard) Login(c *gin.Context, name, password string) error {
	p, err := g.cfg.Accounts.Login(c.Request.Context(), name, password, c.RemoteIP())
	if err != nil {
		if locked := (*account.LockedError)(nil); errors.As(err, &locked) {
			c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(locked.Until.Sub(g.cfg.Now()).Seconds())))))
		}
		detail := err.Error()
		var me *minsheng.Error
		if errors.As(err, &me) {
			detail = me.En
		}
		// the name typed, only when an account has it: people type their password into the name
		// box, and the audit must never hold one
		typed := audit.UnknownName
		if _, uerr := g.cfg.Accounts.User(c.Request.Context(), name); uerr == nil {
			typed = name
		}
		e := Entry(c, nil, audit.ActionLoginFailed, typed, audit.OutcomeDenied, detail)
		e.Actor = typed
		g.recordRefusal(c, e) // the answer is the store's: the hash is done already
		return err
	}
	if old, err := c.Cookie(SessionCookie); err == nil {
		g.sessions.drop(old)
	}
	id, sess := g.sessions.create(p.Name, g.cfg.Now(), c.RemoteIP())
	g.setCookie(c, SessionCookie, id)
	g.clearCookie(c, loginCookie)
	WithPrincipal(c, p, sess.csrf)
	g.record(c, Entry(c, p, audit.ActionLogin, p.Name, audit.OutcomeOK, ""))
	return nil
}

// Logout ends the request's session.
func (g *Guard) Logout(c *gin.Context) {
	if ck, err := c.Cookie(SessionCookie); err == nil {
		g.sessions.drop(ck)
	}
	g.clearCookie(c, SessionCookie)
	g.record(c, Entry(c, PrincipalOf(c), audit.ActionLogout, "", audit.OutcomeOK, ""))
}

// Me answers who the request acts as: GET /api/v1/me.
func (g *Guard) Me(c *gin.Context) {
	p := PrincipalOf(c)
	if p == nil {
		g.deny(c, account.ErrLogin)
		return
	}
	c.JSON(http.StatusOK, p)
}

func hashID(id string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(id))) }
