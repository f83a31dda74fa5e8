package dashboards

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/web"
)

// Uploader receives a lead unit's files for the upload page (package uploads is one): the same
// checks, ingest, audit and rebuild as POST /api/v1/uploads.
type Uploader interface {
	// Sources are the sources p may upload: its own unit's; none for another role.
	Sources(p *account.Principal) []minsheng.Source
	// Receive handles the multipart request (fields source and file) and returns the report of
	// a file that was read. Errors carry the codes the API maps to 400, 401, 403 and 413.
	Receive(c *gin.Context) (*lake.Report, error)
}

// recentUploads is how many of the unit's latest files the page lists.
const recentUploads = 20

type uploadPage struct {
	page
	Unit      string
	CSRFField string
	Sources   []minsheng.Source
	Recent    []recentRun
	Result    *lake.Report
	// ResultRejections is where all the result's rejected rows are (xlsx); "" when none.
	ResultRejections string
	Error            string // why the last upload was refused, in Chinese (the English is in the log and the API)
}

// uploadForm shows the form: the unit's sources, a file, the session's CSRF field; and the
// unit's latest files with what became of them.
func (d *Dashboards) uploadForm(c *gin.Context) {
	d.uploadPage(c, http.StatusOK, nil, nil)
}

// uploadPost receives the file and shows what was accepted and rejected, or why the file was
// refused, with the form again.
func (d *Dashboards) uploadPost(c *gin.Context) {
	rep, err := d.cfg.Uploads.Receive(c)
	if err != nil {
		d.uploadPage(c, web.HTTPStatus(err), nil, err)
		return
	}
	d.uploadPage(c, http.StatusOK, rep, nil)
}

func (d *Dashboards) uploadPage(c *gin.Context, status int, rep *lake.Report, upErr error) {
	p := access.PrincipalOf(c)
	if p == nil {
		d.fail(c, account.ErrLogin)
		return
	}
	sources := d.cfg.Uploads.Sources(p)
	if len(sources) == 0 {
		d.fail(c, minsheng.Errorf(minsheng.EFORBIDDEN, "只有牵头单位的账户可以上传台账", "only a lead unit's account may upload extracts"))
		return
	}
	runs, err := d.cfg.Source.Runs()
	if err != nil {
		d.fail(c, err)
		return
	}
	data := uploadPage{page: page{Title: "上传台账", Heading: p.Unit + " · 上传台账", Units: d.leadUnits()},
		Unit: p.Unit, CSRFField: access.CSRFField, Sources: sources, Result: rep}
	for _, r := range runs { // newest first
		if len(data.Recent) < recentUploads && slices.ContainsFunc(sources, func(s minsheng.Source) bool { return s.Code == r.Source }) {
			data.Recent = append(data.Recent, recentRun{r, d.rejectionsURL(c, r.SHA256, r.LeadUnit, r.Rejected)})
		}
	}
	if rep != nil && rep.Status == lake.StatusLanded {
		data.ResultRejections = d.rejectionsURL(c, rep.SHA256, rep.LeadUnit, rep.Rejected)
	}
	if upErr != nil {
		data.Error = zhMessage(upErr)
	}
	d.renderStatus(c, status, "upload", data)
}

// recentRun is one of the unit's latest files, with where all its rejected rows are.
type recentRun struct {
	lake.Run
	Rejections string
}

// leadUnits are the registry's lead units, for the navigation when no snapshot is at hand.
func (d *Dashboards) leadUnits() []string {
	var out []string
	if d.cfg.Registry != nil {
		for _, s := range d.cfg.Registry.Sources {
			if !slices.Contains(out, s.LeadUnit) {
				out = append(out, s.LeadUnit)
			}
		}
	}
	return out
}
