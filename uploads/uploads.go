// Package uploads receives a lead unit's extract over HTTP (POST /api/v1/uploads, and the upload
// page of package dashboards through Receive): it checks who sends it for which source, streams
// the file into the data folder under a name of its own, ingests it at once through the pipeline
// (the same ingest as the nightly run), answers with what was accepted and rejected and why, asks
// for a rebuild in the background, and writes every attempt to the audit log.
//
// Who may upload is decided twice, on purpose: the access guard's policy table lets only unit
// accounts reach the routes, and here a unit may upload only the sources it leads (the registry
// names each source's lead unit). Authentication and CSRF are the guard's; a request that reaches
// a handler without a principal is refused (fail closed).
package uploads

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/web"
)

// MaxFileBytes is the largest file accepted: 50 MB (MiB). A larger one is refused with 413.
const MaxFileBytes = 50 << 20

// formOverhead is what a multipart body may carry besides the file: boundaries, part headers, the
// source and the CSRF field.
const formOverhead = 64 << 10

// Pipeline ingests and rebuilds; *pipeline.Pipeline is one.
type Pipeline interface {
	// Upload ingests one file for a source now. A file refused whole is a report with status
	// rejected. Errors: EINVALID for an unknown source; others are the folder's.
	Upload(ctx context.Context, source, path, name string) (*lake.Report, error)
	// BuildSoon asks for a warehouse rebuild in the background.
	BuildSoon()
}

// Config is what the service needs.
type Config struct {
	Dir      string // the data folder: uploads are written to DIR/tmp, then ingested
	Registry *minsheng.Registry
	Pipeline Pipeline
	Audit    *audit.Log
	MaxBytes int64 // MaxFileBytes when zero (tests lower it)
}

// Service handles uploads.
type Service struct {
	cfg Config
	tmp string
}

// New checks the configuration and prepares DIR/tmp, removing uploads a crash left there.
func New(cfg Config) (*Service, error) {
	if cfg.Dir == "" || cfg.Registry == nil || cfg.Pipeline == nil || cfg.Audit == nil {
		return nil, errors.New("uploads: Dir, Registry, Pipeline and Audit are required")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = MaxFileBytes
	}
	s := &Service{cfg: cfg, tmp: lake.Layout{Dir: cfg.Dir}.Tmp()}
	if err := os.MkdirAll(s.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("uploads: %w", err)
	}
	// A file here at start was left by a killed server: the clear original of an upload, which
	// must not outlive the request (the archive keeps its own copy once ingested). One server
	// serves a data folder, so nothing here is in use.
	old, _ := filepath.Glob(filepath.Join(s.tmp, "upload-*.partial"))
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return nil, fmt.Errorf("uploads: removing a crashed upload: %w", err)
		}
	}
	return s, nil
}

// Register adds POST /api/v1/uploads.
func (s *Service) Register(r gin.IRouter) {
	r.POST("/api/v1/uploads", s.handleAPI)
}

// Sources are the sources p may upload: those of the lead unit a unit account is bound to, in the
// registry's order; none for any other role.
func (s *Service) Sources(p *account.Principal) []minsheng.Source {
	var out []minsheng.Source
	for _, src := range s.cfg.Registry.Sources {
		if p.Owns(src.LeadUnit) {
			out = append(out, src)
		}
	}
	return out
}

// Response is the answer to an upload: counts, and the first rejected and flagged rows by the
// row number a person sees in Excel, with masked values only.
type Response struct {
	SHA256          string           `json:"sha256"`
	Source          string           `json:"source"`
	LeadUnit        string           `json:"lead_unit"`
	FileName        string           `json:"file_name"`
	Status          string           `json:"status"` // landed, or duplicate (the same bytes were ingested before)
	IngestedAt      time.Time        `json:"ingested_at"`
	Format          string           `json:"format,omitempty"`
	Encoding        string           `json:"encoding,omitempty"`
	HeaderRow       int              `json:"header_row,omitempty"`
	Sheet           string           `json:"sheet,omitempty"` // the workbook's sheet read, when it has more than one
	HiddenRows      int              `json:"hidden_rows"`     // rows hidden in Excel, read all the same
	MergedRows      int              `json:"merged_rows"`     // rows given a merged cell's value (a 乡镇 merged down)
	Rows            int              `json:"rows"`
	Accepted        int              `json:"accepted"`
	Rejected        int              `json:"rejected"`
	Skipped         int              `json:"skipped_rows"`
	Flagged         int              `json:"flagged_rows"`
	Reasons         map[string]int   `json:"reasons,omitempty"`
	FirstRejections []lake.Rejection `json:"first_rejections"`
	FirstFlagged    []lake.Rejection `json:"first_flagged,omitempty"`
	Message         string           `json:"message,omitempty"`
	Rebuild         bool             `json:"rebuild"` // a warehouse rebuild was asked for: the numbers move within minutes
}

// NewResponse is the answer for a report.
func NewResponse(r *lake.Report) Response {
	out := Response{SHA256: r.SHA256, Source: r.Source, LeadUnit: r.LeadUnit, FileName: r.FileName,
		Status: r.Status, IngestedAt: r.IngestedAt, Format: r.Format, Encoding: r.Encoding, HeaderRow: r.HeaderRow,
		Sheet: r.Sheet, HiddenRows: r.HiddenRows, MergedRows: r.MergedRows,
		Rows: r.Rows, Accepted: r.Landed, Rejected: r.Rejected, Skipped: r.Skipped, Flagged: r.Flagged,
		Reasons: r.Reasons, FirstRejections: r.First, FirstFlagged: r.FirstFlagged,
		Rebuild: r.Status == lake.StatusLanded && r.Landed > 0}
	if out.FirstRejections == nil {
		out.FirstRejections = []lake.Rejection{}
	}
	if r.MessageZh != "" {
		out.Message = r.MessageZh + " / " + r.MessageEn
	}
	return out
}

// handleAPI: 201 with the report when the file was read (rows may still be rejected), 200 for a
// file already ingested, the error's status otherwise.
func (s *Service) handleAPI(c *gin.Context) {
	rep, err := s.Receive(c)
	if err != nil {
		web.WriteError(c, err)
		return
	}
	status := http.StatusCreated
	if rep.Status == lake.StatusDuplicate {
		status = http.StatusOK
	}
	c.JSON(status, NewResponse(rep))
}

// upload is what a request named, as far as it was read: for the audit log.
type upload struct {
	source, name string
}

// Receive handles one multipart upload (fields source and file) from the request: the checks,
// the file written to DIR/tmp and removed after, the ingest, the rebuild asked for, the audit
// entry. It returns the report of a file that was read (landed, or a duplicate).
// Errors: EUNAUTHORIZED without a principal; EFORBIDDEN for a source of another lead unit (or a
// principal that is not a unit); ETOOLARGE over the limit; EINVALID for a missing field, an
// unknown source, an unreadable request, or a file ingest refused whole (with ingest's message).
func (s *Service) Receive(c *gin.Context) (rep *lake.Report, err error) {
	p := access.PrincipalOf(c)
	if p == nil {
		// the guard answers anonymous callers before this; reaching here is a wiring mistake
		return nil, account.ErrLogin
	}
	u := &upload{}
	defer func() { s.record(c, p, u, rep, err) }()

	path, err := s.receive(c, p, u)
	if path != "" {
		defer os.Remove(path)
	}
	if err != nil {
		return nil, err
	}
	// the body is read: a client that goes away now does not undo the ingest
	ctx := context.WithoutCancel(c.Request.Context())
	rep, err = s.cfg.Pipeline.Upload(ctx, u.source, path, u.name)
	if err != nil {
		return nil, err
	}
	if rep.FileName != "" {
		u.name = rep.FileName
	}
	switch rep.Status {
	case lake.StatusRejected:
		return rep, &minsheng.Error{Code: minsheng.EINVALID, Zh: "文件未导入:" + rep.MessageZh, En: "the file was not ingested: " + rep.MessageEn}
	case lake.StatusLanded:
		if rep.Landed > 0 {
			s.cfg.Pipeline.BuildSoon()
		}
	}
	return rep, nil
}

// receive reads the request into a temporary file and returns its path ("" when none was made).
func (s *Service) receive(c *gin.Context, p *account.Principal, u *upload) (string, error) {
	limit := s.cfg.MaxBytes + formOverhead
	if c.Request.ContentLength > limit {
		return "", s.tooLarge()
	}
	if f := c.Request.MultipartForm; f != nil {
		return s.receiveParsed(f, p, u) // a middleware parsed the form already
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return "", notMultipart()
	}
	path := ""
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return path, s.readError(err)
		}
		switch part.FormName() {
		case "source":
			if u.source != "" {
				return path, minsheng.Errorf(minsheng.EINVALID, "字段 source 只能有一个", "send the source field once")
			}
			b, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				return path, s.readError(err)
			}
			if err := s.checkSource(p, strings.TrimSpace(string(b)), u); err != nil {
				return path, err // before the file is read, when the form sends source first
			}
		case "file":
			if path != "" {
				return path, minsheng.Errorf(minsheng.EINVALID, "一次只能上传一个文件", "send one file per upload")
			}
			u.name = displayName(rawFileName(part))
			if u.name == "" {
				return path, missingFile()
			}
			path, err = s.save(part)
			if err != nil {
				return path, err
			}
		}
		part.Close()
	}
	return path, s.complete(p, u, path)
}

// receiveParsed takes the fields from a form a middleware already parsed.
func (s *Service) receiveParsed(f *multipart.Form, p *account.Principal, u *upload) (string, error) {
	if v := f.Value["source"]; len(v) > 0 {
		if err := s.checkSource(p, strings.TrimSpace(v[0]), u); err != nil {
			return "", err
		}
	}
	fhs := f.File["file"]
	if len(fhs) > 1 {
		return "", minsheng.Errorf(minsheng.EINVALID, "一次只能上传一个文件", "send one file per upload")
	}
	path := ""
	if len(fhs) == 1 {
		fh := fhs[0]
		u.name = displayName(fh.Filename)
		if fh.Size > s.cfg.MaxBytes {
			return "", s.tooLarge()
		}
		r, err := fh.Open()
		if err != nil {
			return "", s.readError(err)
		}
		defer r.Close()
		if path, err = s.save(r); err != nil {
			return path, err
		}
	}
	return path, s.complete(p, u, path)
}

// complete checks that both fields came.
func (s *Service) complete(p *account.Principal, u *upload, path string) error {
	if u.source == "" {
		return minsheng.Errorf(minsheng.EINVALID, "缺少字段 source:请选择要上传的台账(数据源)",
			"the source field is missing: name the source the file is for")
	}
	if path == "" {
		return missingFile()
	}
	return nil
}

// checkSource: the source must exist and be led by the principal's unit.
func (s *Service) checkSource(p *account.Principal, code string, u *upload) error {
	if code == "" {
		return minsheng.Errorf(minsheng.EINVALID, "缺少字段 source:请选择要上传的台账(数据源)",
			"the source field is missing: name the source the file is for")
	}
	u.source = code
	src, ok := s.cfg.Registry.Source(code)
	if !ok {
		return minsheng.Errorf(minsheng.EINVALID, "未知的数据源“%s”,请从本单位的台账中选择", "unknown source %q: choose one of your unit's sources", code)
	}
	if !p.Owns(src.LeadUnit) {
		if p.Role != account.RoleUnit {
			return minsheng.Errorf(minsheng.EFORBIDDEN, "只有牵头单位的账户可以上传台账", "only a lead unit's account may upload extracts")
		}
		return minsheng.Errorf(minsheng.EFORBIDDEN, "“%s”由%s报送,%s的账户不能上传",
			"%q is sent by %s; an account of %s may not upload it", src.Title, src.LeadUnit, p.Unit)
	}
	return nil
}

// save streams the file to DIR/tmp under a name of our own: the name the person gave is only
// shown, never part of a path.
func (s *Service) save(r io.Reader) (string, error) {
	f, err := os.CreateTemp(s.tmp, "upload-*.partial")
	if err != nil {
		return "", fmt.Errorf("uploads: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, s.cfg.MaxBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return f.Name(), s.readError(err)
	}
	if n > s.cfg.MaxBytes {
		return f.Name(), s.tooLarge()
	}
	return f.Name(), nil
}

func (s *Service) readError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return s.tooLarge()
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("uploads: %w", err) // our disk, not the request: internal
	}
	return &minsheng.Error{Code: minsheng.EINVALID, Zh: "上传内容不完整或格式有误,请重新上传",
		En: "the upload was cut short or is malformed; send it again", Err: err}
}

func (s *Service) tooLarge() error {
	mb := s.cfg.MaxBytes >> 20
	return minsheng.Errorf(minsheng.ETOOLARGE, "文件超过 %d MB,请拆分后分别上传", "the file is over %d MB; split it and upload the parts", mb)
}

func notMultipart() error {
	return minsheng.Errorf(minsheng.EINVALID, "请以 multipart/form-data 方式上传,字段为 source 和 file",
		"send multipart/form-data with the fields source and file")
}

func missingFile() error {
	return minsheng.Errorf(minsheng.EINVALID, "缺少文件:请在字段 file 中选择要上传的 Excel(.xlsx)或 CSV 文件",
		"the file is missing: send the Excel (.xlsx) or CSV file in the field file")
}

// rawFileName is the filename as sent (Part.FileName would already cut it on this platform's
// separator only).
func rawFileName(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	return params["filename"]
}

// displayName keeps the last part of a name a browser or a Windows desktop sent, as ingest does:
// "C:\\台账\\a.xlsx" and "../../a.xlsx" are both "a.xlsx". It is shown and logged, nothing more,
// so it is cleaned as ingest cleans a name: control characters as spaces, and format characters
// (Unicode Cf: the direction overrides that make "报告\u202excod.exe" read as "报告exe.docx", the
// isolates, the marks) dropped.
func displayName(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, "\uFFFD"))
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	if name == "." || name == ".." {
		return "upload"
	}
	return name
}

// record writes the attempt to the audit log: ok when the file was read, denied for another
// unit's source, failed otherwise.
func (s *Service) record(c *gin.Context, p *account.Principal, u *upload, rep *lake.Report, err error) {
	target := u.source
	if u.name != "" {
		target += "/" + u.name
	}
	e := audit.Entry{Actor: p.Name, ActorKind: p.Kind, Role: p.Role, Unit: p.Unit, RemoteAddr: c.ClientIP(),
		Action: audit.ActionUpload, Target: target, Outcome: audit.OutcomeOK}
	switch {
	case err == nil:
		e.Detail = fmt.Sprintf("%s: rows %d, accepted %d, rejected %d", rep.Status, rep.Rows, rep.Landed, rep.Rejected)
	case minsheng.ErrorCode(err) == minsheng.EFORBIDDEN:
		e.Outcome, e.Detail = audit.OutcomeDenied, minsheng.ErrorMessage(err)
	default:
		e.Outcome, e.Detail = audit.OutcomeFailed, minsheng.ErrorCode(err)+": "+minsheng.ErrorMessage(err)
	}
	if aerr := s.cfg.Audit.Append(context.WithoutCancel(c.Request.Context()), e); aerr != nil {
		c.Error(fmt.Errorf("uploads: audit: %w", aerr)) //nolint:errcheck // logged by the server's middleware
	}
}
