package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/lake"
)

// Runs is the ingest history, newest first.
type Runs struct {
	Count int        `json:"count"`
	Runs  []lake.Run `json:"runs"`
}

// ingestRuns lists the ingest reports, newest first: ?source=, ?lead_unit=, ?status= filter;
// ?limit= (default 200, at most 5000). Every role may list them (counts, not records), but a unit
// account sees only its own lead unit's files; no principal is 401.
func (s *Server) ingestRuns(c *gin.Context) {
	p := allowRoles(c, denyRole, account.Roles()...)
	if p == nil {
		return
	}
	all, err := s.cfg.Answers.Runs()
	if err != nil {
		writeError(c, err)
		return
	}
	limit := 200
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			writeError(c, minsheng.Errorf(minsheng.EINVALID, "limit 应为 1 到 5000 之间的整数,而不是 %q",
				"limit must be a whole number from 1 to 5000, not %q", v))
			return
		}
		limit = n
	}
	source, unit, status := c.Query("source"), c.Query("lead_unit"), c.Query("status")
	out := Runs{Runs: []lake.Run{}}
	for _, r := range all {
		if (source != "" && r.Source != source) || (unit != "" && r.LeadUnit != unit) || (status != "" && r.Status != status) {
			continue
		}
		if p.Role == account.RoleUnit && !p.Owns(r.LeadUnit) {
			continue
		}
		out.Count++
		if len(out.Runs) < limit {
			out.Runs = append(out.Runs, r)
		}
	}
	c.JSON(http.StatusOK, out)
}
