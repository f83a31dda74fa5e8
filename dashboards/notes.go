package dashboards

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/notes"
	"github.com/minsheng/minsheng/web"
)

// Notes is where the pages get the lead units' progress notes and milestones (package notes).
type Notes interface {
	// List is a year's current notes, of one item or (code "") of all, newest first.
	List(ctx context.Context, year int, code string) ([]notes.Note, error)
	// Latest is each item's newest current note.
	Latest(ctx context.Context, year int) (map[string]notes.Note, error)
	// Stages are an item's milestones, none for an item without.
	Stages(year int, code string) []string
	// Add writes a note for p and audits the attempt. Errors: EUNAUTHORIZED, EINVALID,
	// EFORBIDDEN (not the item's lead unit), ECONFLICT (a note corrected twice).
	Add(ctx context.Context, p *account.Principal, remoteAddr string, d notes.Draft) (notes.Note, error)
}

// ItemNotes is the notes section of an item's page.
type ItemNotes struct {
	Notes  []notes.Note
	Stages []string
	Form   *NoteForm // nil: the viewer may not write notes for the item
	Error  string    // why the last submission was refused, when it was
}

// NoteForm is the form a unit account of the item's lead unit writes notes with, refilled with
// what was sent when a submission is refused.
type NoteForm struct {
	Action                              string
	Year                                int
	CSRF                                string
	Min, Max                            string // the dates a note may have
	Date, Kind, Stage, Text, Supersedes string
}

// Progress is an item's newest note, for the overview (the bulletin) and the unit page.
type Progress struct {
	Code, Item, Title, LeadUnit string
	Note                        notes.Note
}

// submitted is what a refused form submission left for the page that shows the error.
type submitted struct {
	form NoteForm
	err  string
}

const submittedKey = "dashboards.notes.submitted"

// itemNotes builds an item's notes section; nil when no notes store is configured.
func (d *Dashboards) itemNotes(c *gin.Context, year int, code, leadUnit string) *ItemNotes {
	if d.cfg.Notes == nil {
		return nil
	}
	in := &ItemNotes{Stages: d.cfg.Notes.Stages(year, code)}
	list, err := d.cfg.Notes.List(c.Request.Context(), year, code)
	if err != nil {
		c.Error(err) //nolint:errcheck // logged; the page shows without its notes
		in.Error = "进展记录暂时无法读取,请稍后刷新"
	}
	in.Notes = list
	var sub *submitted
	if v, ok := c.Get(submittedKey); ok {
		sub = v.(*submitted)
		in.Error = sub.err
	}
	if access.PrincipalOf(c).Owns(leadUnit) {
		today := d.cfg.Now().In(d.cfg.Location).Format("2006-01-02")
		f := &NoteForm{Action: "/targets/" + url.PathEscape(code) + "/notes?year=" + strconv.Itoa(year), Year: year, CSRF: access.CSRF(c),
			Min: strconv.Itoa(year) + "-01-01", Max: strconv.Itoa(year) + "-12-31", Date: today, Kind: notes.KindNote}
		if today < f.Max {
			f.Max = today
		}
		if f.Date > f.Max {
			f.Date = f.Max
		}
		if sub != nil {
			sf := sub.form
			sf.Action, sf.Year, sf.CSRF, sf.Min, sf.Max = f.Action, f.Year, f.CSRF, f.Min, f.Max
			f = &sf
		}
		in.Form = f
	}
	return in
}

// latestProgress is the newest note of each item that ts lists and keep picks, in ts's order.
func (d *Dashboards) latestProgress(c *gin.Context, year int, ts []indicators.Target, keep func(indicators.Target) bool) []Progress {
	if d.cfg.Notes == nil {
		return nil
	}
	latest, err := d.cfg.Notes.Latest(c.Request.Context(), year)
	if err != nil {
		c.Error(err) //nolint:errcheck // logged; the page shows without its notes
		return nil
	}
	var out []Progress
	for _, t := range ts {
		if n, ok := latest[t.Code]; ok && keep(t) {
			out = append(out, Progress{Code: t.Code, Item: t.Item, Title: t.Title, LeadUnit: t.LeadUnit, Note: n})
		}
	}
	return out
}

// inBulletin picks the items whose progress the overview (the monthly bulletin) prints: the ones
// without a number (monitor: 14, 17) and the ones with milestones (13b), where a number alone
// does not say how the item stands.
func (d *Dashboards) inBulletin(year int) func(indicators.Target) bool {
	return func(t indicators.Target) bool {
		return t.Kind == minsheng.KindMonitor || len(d.cfg.Notes.Stages(year, t.Code)) > 0
	}
}

// addNote takes the item page's form: 303 back to the page when the note is written; the page
// again with the error and what was sent when it is refused. The store checks who may write and
// audits every attempt; the access guard has checked the CSRF token before this runs.
func (d *Dashboards) addNote(c *gin.Context) {
	code := c.Param("code")
	// the year rides in the form's address, so the page re-rendered on a refusal reads it as its own
	year, err := strconv.Atoi(c.Query("year"))
	if err != nil {
		d.fail(c, minsheng.Errorf(minsheng.EINVALID, "表单缺少年份,请刷新页面后重试", "the form has no year; reload the page and try again"))
		return
	}
	form := NoteForm{Date: c.PostForm("date"), Kind: c.PostForm("kind"), Stage: c.PostForm("stage"),
		Text: c.PostForm("text"), Supersedes: c.PostForm("supersedes")}
	if form.Kind == notes.KindNote {
		form.Stage = "" // the form's stage list stays filled in while kind is note
	}
	_, err = d.cfg.Notes.Add(c.Request.Context(), access.PrincipalOf(c), c.ClientIP(), notes.Draft{Year: year, Code: code,
		Date: form.Date, Kind: form.Kind, Stage: form.Stage, Text: form.Text, Supersedes: form.Supersedes})
	back := "/targets/" + url.PathEscape(code) + "?year=" + strconv.Itoa(year)
	if err == nil {
		c.Redirect(http.StatusSeeOther, back+"#notes")
		return
	}
	var me *minsheng.Error
	if !errors.As(err, &me) {
		c.Error(err) //nolint:errcheck // ours: logged, shown generically
	}
	c.Set(submittedKey, &submitted{form: form, err: zhMessage(err)})
	d.targetPage(c, web.HTTPStatus(err))
}

// noteLabel is a note's kind as a person reads it: 进展, or the milestone's stage.
func noteLabel(n notes.Note) string {
	if n.Kind == notes.KindMilestone {
		return "里程碑:" + n.Stage
	}
	return "进展"
}

// shortText is a note's text cut for a table cell of the bulletin.
func shortText(s string, max int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max]) + "…"
}
