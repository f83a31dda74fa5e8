package access

import (
	"slices"

	"github.com/minsheng/minsheng/account"
)

// Rule says who may use one route. Handlers narrow further by what they return (a lead unit's
// own records, sources and items): the rule is the door, the handler is the shelf.
type Rule struct {
	Public bool     // anyone, logged in or not
	Roles  []string // the roles allowed; empty with Public false means every logged-in role
}

// Allows reports whether a principal of role may pass.
func (r Rule) Allows(role string) bool {
	return r.Public || len(r.Roles) == 0 || slices.Contains(r.Roles, role)
}

var (
	anyone   = Rule{Public: true}
	loggedIn = Rule{}
)

func only(roles ...string) Rule { return Rule{Roles: roles} }

// Policy is every route of the service, "METHOD /pattern" as Gin registers it, with its rule.
// It is the one place the rights are written; a route missing here is refused to everyone (the
// guard fails closed) and a test checks that every registered route has its line.
//
// Readings (product.md's user table, issue 5, and the privacy law's minimum necessary access):
//   - Aggregates (targets, checks' counts, enrollment rates, ingest runs' counts, notes) are for
//     every logged-in role: they hold no person.
//   - Records, even masked, go to whoever works on them and no one else: a lead unit its own
//     violations and rejected rows; the assessor the unenrolled roster persons of townships
//     under target; the administrator the ingest reports (whose rejected rows are masked).
//   - Writing data is the lead units' alone: the administrator manages accounts and reads the
//     audit but does not upload or write notes for a unit (three-role separation, 三员分立).
var Policy = map[string]Rule{
	"GET /healthz":                                 anyone,
	"GET /static/:hash/:name":                      anyone,
	"GET /login":                                   anyone,
	"POST /login":                                  anyone,
	"POST /logout":                                 loggedIn,
	"GET /api/v1/openapi.json":                     loggedIn,
	"GET /api/v1/targets":                          loggedIn,
	"GET /api/v1/targets/:code":                    loggedIn,
	"GET /api/v1/checks":                           loggedIn,
	"GET /api/v1/ingest/runs":                      loggedIn, // a unit sees its own runs only
	"GET /api/v1/ingest/runs/:sha256":              only(account.RoleAdmin, account.RoleUnit),
	"GET /api/v1/checks/:name/violations":          only(account.RoleUnit),
	"GET /api/v1/assessment/enrollment":            loggedIn,
	"GET /api/v1/assessment/enrollment/unenrolled": only(account.RoleAssessor),
	"POST /api/v1/uploads":                         only(account.RoleUnit),
	"GET /api/v1/notes":                            loggedIn,
	"POST /api/v1/notes":                           only(account.RoleUnit),
	"GET /api/v1/audit":                            only(account.RoleAdmin),
	"GET /api/v1/me":                               loggedIn,

	"GET /":                          loggedIn,
	"GET /targets/:code":             loggedIn,
	"POST /targets/:code/notes":      only(account.RoleUnit),
	"GET /units/:unit":               loggedIn,
	"GET /assessment/enrollment":     loggedIn,
	"GET /export/overview.xlsx":      loggedIn,
	"GET /export/targets/:file":      loggedIn,
	"GET /export/rejections/:file":   only(account.RoleAdmin, account.RoleUnit), // a unit its own files' only
	"GET /upload":                    only(account.RoleUnit),
	"POST /upload":                   only(account.RoleUnit),
	"GET /admin/audit":               only(account.RoleAdmin),
	"GET /admin/audit.csv":           only(account.RoleAdmin),
	"GET /admin/accounts":            only(account.RoleAdmin),
	"POST /admin/accounts/:name/:op": only(account.RoleAdmin),
}
