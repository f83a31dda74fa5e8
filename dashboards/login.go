package dashboards

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/web"
)

// Auth is the login and logout behind the login page (access.Guard).
type Auth interface {
	Login(c *gin.Context, name, password string) error
	Logout(c *gin.Context)
}

// viewer is who looks at a page, for the layout's account bar and its forms' CSRF field.
type viewer struct {
	Viewer *account.Principal
	CSRF   string
}

func (v *viewer) setViewer(p *account.Principal, csrf string) { v.Viewer, v.CSRF = p, csrf }

// withViewer gives a page's data the request's principal: pages embed page (which embeds
// viewer); the data is copied to a pointer so the promoted setter can fill it.
func withViewer(c *gin.Context, data any) any {
	v := reflect.ValueOf(data)
	if !v.IsValid() || v.Kind() == reflect.Pointer {
		if s, ok := data.(interface {
			setViewer(*account.Principal, string)
		}); ok {
			s.setViewer(access.PrincipalOf(c), access.CSRF(c))
		}
		return data
	}
	pv := reflect.New(v.Type())
	pv.Elem().Set(v)
	if s, ok := pv.Interface().(interface {
		setViewer(*account.Principal, string)
	}); ok {
		s.setViewer(access.PrincipalOf(c), access.CSRF(c))
		return pv.Interface()
	}
	return data
}

// roleName is a role as a person reads it.
func roleName(role string) string {
	switch role {
	case account.RoleLeader:
		return "县领导"
	case account.RoleUnit:
		return "牵头单位"
	case account.RoleAssessor:
		return "考核单位"
	case account.RoleAdmin:
		return "管理员"
	}
	return role
}

type loginPage struct {
	page
	Name, Next, Error string
}

func (d *Dashboards) loginForm(c *gin.Context) {
	d.renderStatus(c, http.StatusOK, "login", loginPage{page: page{Title: "登录", Heading: "民生实事目标跟踪", Anonymous: true},
		Next: access.NextPath(c.Query("next"))})
}

func (d *Dashboards) login(c *gin.Context) {
	name := strings.TrimSpace(c.PostForm("name"))
	next := access.NextPath(c.PostForm("next"))
	if err := d.cfg.Auth.Login(c, name, c.PostForm("password")); err != nil {
		zh, _, _ := strings.Cut(minsheng.ErrorMessage(err), " / ") // a page speaks Chinese; the log keeps the English
		status := web.HTTPStatus(err)                              // 401 wrong, 429 wait (with the guard's Retry-After)
		if status == http.StatusInternalServerError {
			c.Error(err) //nolint:errcheck // logged by the server's middleware
		}
		d.renderStatus(c, status, "login", loginPage{page: page{Title: "登录", Heading: "民生实事目标跟踪", Anonymous: true},
			Name: name, Next: next, Error: zh})
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (d *Dashboards) logout(c *gin.Context) {
	d.cfg.Auth.Logout(c)
	c.Redirect(http.StatusSeeOther, "/login")
}

// Page renders an error as the error page: the access guard's 401 and 403 for people.
func (d *Dashboards) Page(c *gin.Context, err error) { d.fail(c, err) }
