package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/notes"
)

// NotesAnswer is GET /api/v1/notes: a year's current notes, of one item or of all, newest first.
type NotesAnswer struct {
	Year   int          `json:"year"`
	Code   string       `json:"code,omitempty"`
	Stages []string     `json:"stages,omitempty"` // the item's milestones, when it has any
	Notes  []notes.Note `json:"notes"`
}

// maxNoteBody bounds a note's JSON: 1000 characters of text, escaped, and the other fields.
const maxNoteBody = 64 << 10

// listNotes answers the notes of ?year= (default: this year in the county) and ?code= (default:
// every item). Notes are aggregates, for every logged-in role; without a principal it refuses,
// in case the route is ever mounted outside the guard.
func (s *Server) listNotes(c *gin.Context) {
	if access.PrincipalOf(c) == nil {
		writeError(c, account.ErrLogin)
		return
	}
	st := s.cfg.Notes
	if st == nil {
		writeError(c, minsheng.Errorf(minsheng.EUNAVAILABLE, "进展记录未启用", "progress notes are not enabled on this server"))
		return
	}
	year := s.cfg.Now().In(s.cfg.Location).Year()
	if v := c.Query("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1900 || n > 2200 {
			writeError(c, minsheng.Errorf(minsheng.EINVALID, "year 应为四位年份(如 2024),而不是 %q",
				"year must be a four-digit year such as 2024, not %q", v))
			return
		}
		year = n
	}
	code := c.Query("code")
	if err := st.Check(year, code); err != nil {
		writeError(c, err)
		return
	}
	list, err := st.List(c.Request.Context(), year, code)
	if err != nil {
		writeError(c, err)
		return
	}
	if list == nil {
		list = []notes.Note{}
	}
	ans := NotesAnswer{Year: year, Code: code, Notes: list}
	if code != "" {
		ans.Stages = st.Stages(year, code)
	}
	c.JSON(http.StatusOK, ans)
}

// addNote writes a note from a JSON draft: 201 with the note. Only a unit account of the item's
// lead unit may (the store decides, and audits every attempt).
func (s *Server) addNote(c *gin.Context) {
	p := access.PrincipalOf(c)
	if p == nil {
		writeError(c, account.ErrLogin)
		return
	}
	st := s.cfg.Notes
	if st == nil {
		writeError(c, minsheng.Errorf(minsheng.EUNAVAILABLE, "进展记录未启用", "progress notes are not enabled on this server"))
		return
	}
	d, err := readDraft(c)
	if err != nil {
		if aerr := st.Refused(c.Request.Context(), p, c.ClientIP(), err); aerr != nil {
			err = errors.Join(err, aerr)
		}
		writeError(c, err)
		return
	}
	n, err := st.Add(c.Request.Context(), p, c.ClientIP(), d)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, n)
}

// readDraft decodes a note's JSON body: one object, known fields only, at most maxNoteBody.
func readDraft(c *gin.Context) (notes.Draft, error) {
	var d notes.Draft
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxNoteBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return d, minsheng.Errorf(minsheng.ETOOLARGE, "请求超过 %d KB", "the request is over %d KB", maxNoteBody>>10)
	}
	if err != nil {
		return d, minsheng.Errorf(minsheng.EINVALID, "读不到请求内容", "the request body could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil || dec.More() {
		return d, minsheng.Errorf(minsheng.EINVALID,
			"请求应为一个 JSON 对象:{\"year\": 2024, \"code\": \"14\", \"date\": \"2024-10-31\", \"kind\": \"note\" 或 \"milestone\", \"stage\", \"text\", \"supersedes\"}",
			"the body must be one JSON object: {\"year\": 2024, \"code\": \"14\", \"date\": \"2024-10-31\", \"kind\": \"note\" or \"milestone\", \"stage\", \"text\", \"supersedes\"}")
	}
	return d, nil
}
