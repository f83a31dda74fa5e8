package api

// The record-level answers: masked records, each for the people who work on them (product.md's
// user table, issue 5's scoping). The access guard lets a role through a route's door
// (access.Policy); these handlers check again and narrow to the principal's own records, and fail
// closed: no principal is 401, another role or another unit 403.
//
//	GET /api/v1/checks/:name/violations          unit, of the check's lead unit
//	GET /api/v1/assessment/enrollment/unenrolled assessor
//	GET /api/v1/ingest/runs/:sha256              admin, and unit of the run's lead unit
//	GET /api/v1/ingest/runs                      every role; a unit its own lead unit's runs

import (
	"net/http"
	"regexp"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/lake"
)

// Refusals, one per kind of record: whom the records are for.
var (
	denyViolations = minsheng.Errorf(minsheng.EFORBIDDEN, "违规明细只向该检查的牵头单位开放",
		"only the check's lead unit may see its violations")
	denyUnenrolled = minsheng.Errorf(minsheng.EFORBIDDEN, "未参保人员名单只向医保局(考核方)开放",
		"only the medical insurance bureau (assessor) may see the unenrolled persons")
	denyRole = minsheng.Errorf(minsheng.EFORBIDDEN, "您的账号没有可识别的角色,请联系管理员",
		"your account has no role this service knows; please contact the administrator")
	denyRun = minsheng.Errorf(minsheng.EFORBIDDEN, "导入报告的被拒行只向管理员和该文件的牵头单位开放",
		"only the administrator and the file's lead unit may see an ingest report's rejected rows")
)

// allowRoles is the request's principal when its role is one of roles; otherwise it answers 401
// (no principal) or deny (403) and returns nil.
func allowRoles(c *gin.Context, deny error, roles ...string) *account.Principal {
	p := access.PrincipalOf(c)
	if p == nil {
		writeError(c, account.ErrLogin)
		return nil
	}
	if !slices.Contains(roles, p.Role) {
		writeError(c, deny)
		return nil
	}
	return p
}

// violations answers one check's violating subjects to a unit account of the check's lead unit.
func (s *Server) violations(c *gin.Context) {
	p := allowRoles(c, denyViolations, account.RoleUnit)
	if p == nil {
		return
	}
	name := c.Param("name")
	allow := func(snap *indicators.Snapshot, q query) error {
		ch, err := snap.CheckOf(q.year, name)
		if err != nil {
			return err
		}
		if !p.Owns(ch.LeadUnit) {
			return denyViolations
		}
		return nil
	}
	s.answerIf(c, "violations/"+name, false, allow, func(snap *indicators.Snapshot, q query) (any, error) {
		return snap.Violations(q.year, name)
	})
}

// unenrolled answers the townships under the enrollment target with their unenrolled roster
// persons (点对点督导) to the assessor; ?township= keeps one.
func (s *Server) unenrolled(c *gin.Context) {
	if allowRoles(c, denyUnenrolled, account.RoleAssessor) == nil {
		return
	}
	township := c.Query("township")
	s.answerIf(c, "unenrolled/"+township, false, nil, func(snap *indicators.Snapshot, q query) (any, error) {
		return snap.Unenrolled(q.year, township)
	})
}

// RunDetail is one ingest report with its first rejected and flagged rows: Excel row, column,
// reason, and the cell's value masked.
type RunDetail struct {
	lake.Run
	HeaderRow       int              `json:"header_row,omitempty"`
	Flags           map[string]int   `json:"flags,omitempty"`
	FirstRejections []lake.Rejection `json:"first_rejections"`
	FirstFlagged    []lake.Rejection `json:"first_flagged"`
	Duplicates      int              `json:"duplicates"` // times the same file was sent again
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ingestRun answers the report of the file with this SHA-256 (its first handling; sending it
// again only adds a duplicate) to the administrator and to a unit account of its lead unit.
func (s *Server) ingestRun(c *gin.Context) {
	p := allowRoles(c, denyRun, account.RoleAdmin, account.RoleUnit)
	if p == nil {
		return
	}
	sha := c.Param("sha256")
	if !sha256Hex.MatchString(sha) {
		writeError(c, minsheng.Errorf(minsheng.EINVALID, "文件标识应为 64 位小写十六进制的 SHA-256,而不是 %q",
			"a file is named by its SHA-256 as 64 lower-case hex digits, not %q", sha))
		return
	}
	entries, err := lake.ReadManifest(s.cfg.Dir)
	if err != nil {
		writeError(c, err)
		return
	}
	var out *RunDetail
	for _, e := range entries {
		if e.SHA256 != sha {
			continue
		}
		if out != nil {
			out.Duplicates++
			continue
		}
		r, err := lake.ReadReport(s.cfg.Dir, e.SHA256, e.IngestedAt)
		if err != nil {
			writeError(c, err)
			return
		}
		out = &RunDetail{Run: lake.RunOf(r, s.cfg.Location), HeaderRow: r.HeaderRow, Flags: r.Flags,
			FirstRejections: r.First, FirstFlagged: r.FirstFlagged}
	}
	if out == nil {
		writeError(c, minsheng.Errorf(minsheng.ENOTFOUND, "没有 SHA-256 为 %s 的文件的导入记录",
			"no ingest run of a file with SHA-256 %s", sha))
		return
	}
	if p.Role == account.RoleUnit && !p.Owns(out.LeadUnit) {
		writeError(c, denyRun)
		return
	}
	if out.FirstRejections == nil {
		out.FirstRejections = []lake.Rejection{}
	}
	if out.FirstFlagged == nil {
		out.FirstFlagged = []lake.Rejection{}
	}
	c.JSON(http.StatusOK, out)
}
