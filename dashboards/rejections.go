package dashboards

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/access"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/lake"
)

// The rejected rows of a file, every one of them, as a workbook the lead unit fixes its file by
// and sends back: GET /export/rejections/<sha256>.xlsx. They come from the file's quarantine
// (the rejected cells, their values masked): never from the archived original, so no name or ID
// number leaves the archive. Like the ingest report's first rejected rows in the API
// (api/records.go), they are for the administrator and the file's own lead unit only.

var (
	denyRejections = minsheng.Errorf(minsheng.EFORBIDDEN, "退回的行只向管理员和该文件的牵头单位开放",
		"only the administrator and the file's lead unit may see a file's rejected rows")
	fileSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// maxRejectionRows keeps the workbook within a sheet's rows (1,048,576) with room for its head.
const maxRejectionRows = 1_000_000

// quarantined is one rejected cell as the quarantine keeps it (ingest/schema.go).
type quarantined struct {
	Row    int32  `parquet:"row"`
	Column string `parquet:"column"`
	Code   string `parquet:"reason_code"`
	Zh     string `parquet:"reason_zh"`
	Value  string `parquet:"value_masked"`
	// the row's cells that name no one, as JSON by header (ingest/schema.go); "" in a quarantine
	// written before the column was
	Values string `parquet:"row_values,optional"`
}

// mayRejections: the administrator, or a unit account of the file's lead unit.
func mayRejections(p *account.Principal, leadUnit string) bool {
	return p != nil && (p.Role == account.RoleAdmin || p.Owns(leadUnit))
}

// rejectionsURL is where a file's rejected rows are, for a viewer who may have them; "" for
// another viewer, a file without rejected rows, or pages without a data folder.
func (d *Dashboards) rejectionsURL(c *gin.Context, sha, leadUnit string, rejected int) string {
	if d.cfg.Dir == "" || rejected == 0 || !mayRejections(access.PrincipalOf(c), leadUnit) {
		return ""
	}
	return "/export/rejections/" + sha + ".xlsx"
}

func (d *Dashboards) exportRejections(c *gin.Context) {
	p := access.PrincipalOf(c)
	if p == nil {
		d.fail(c, account.ErrLogin)
		return
	}
	if p.Role != account.RoleAdmin && p.Role != account.RoleUnit {
		d.fail(c, denyRejections)
		return
	}
	sha, ok := strings.CutSuffix(c.Param("file"), ".xlsx")
	if !ok || !fileSHA256.MatchString(sha) {
		d.fail(c, minsheng.Errorf(minsheng.ENOTFOUND, "没有这个文件:应为 64 位小写十六进制的 SHA-256 加 .xlsx",
			"no such file: a file is named by its SHA-256 as 64 lower-case hex digits and .xlsx"))
		return
	}
	rep, err := d.firstReport(sha)
	if err != nil {
		d.fail(c, err)
		return
	}
	if !mayRejections(p, rep.LeadUnit) {
		d.fail(c, denyRejections)
		return
	}
	var rows []quarantined
	if rep.QuarantineFile != "" {
		if rows, err = readQuarantine(lake.Layout{Dir: d.cfg.Dir}.File(rep.QuarantineFile)); err != nil {
			d.fail(c, err)
			return
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Row < rows[j].Row })
	f, err := rejectionsBook(rep, rows, d.valueColumns(rep.Source, rows))
	if err != nil {
		d.fail(c, err)
		return
	}
	defer f.Close()
	d.sendXLSX(c, f, strings.TrimSuffix(rep.FileName, filepath.Ext(rep.FileName))+"_退回的行.xlsx")
}

// firstReport is the report of the first handling of the file with this SHA-256: a duplicate
// sent later has no rows of its own.
func (d *Dashboards) firstReport(sha string) (lake.Report, error) {
	entries, err := lake.ReadManifest(d.cfg.Dir)
	if err != nil {
		return lake.Report{}, err
	}
	for _, e := range entries {
		if e.SHA256 == sha && e.Status != lake.StatusDuplicate {
			return lake.ReadReport(d.cfg.Dir, e.SHA256, e.IngestedAt)
		}
	}
	return lake.Report{}, minsheng.Errorf(minsheng.ENOTFOUND, "没有这个文件的导入记录", "no ingest run of a file with SHA-256 %s", sha)
}

// readQuarantine reads a file's rejected cells; a quarantine that is not there (removed by
// hand) is none, anything else an error.
func readQuarantine(path string) ([]quarantined, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dashboards: quarantine: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dashboards: quarantine: %w", err)
	}
	r := parquet.NewGenericReader[quarantined](f)
	defer r.Close()
	out := make([]quarantined, 0, min(r.NumRows(), maxRejectionRows))
	buf := make([]quarantined, 1024)
	for len(out) < maxRejectionRows {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dashboards: quarantine %s (%d bytes): %w", filepath.Base(path), st.Size(), err)
		}
	}
	return out[:min(len(out), maxRejectionRows)], nil
}

// rejectionsBook streams the rows into one sheet: a title, what the file was and what to do,
// then Excel row, column, reason and the value masked, one line per rejected cell.
func rejectionsBook(rep lake.Report, rows []quarantined, cols []string) (*excelize.File, error) {
	f := excelize.NewFile()
	const name = "退回的行"
	if err := f.SetSheetName("Sheet1", name); err != nil {
		f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		f.Close()
		return nil, err
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: borders(),
		Fill: excelize.Fill{Type: "pattern", Color: []string{"#EEF2F6"}, Pattern: 1}})
	cell, _ := f.NewStyle(&excelize.Style{Border: borders(), Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	widths := []float64{10, 18, 60, 24}
	for range cols {
		widths = append(widths, 14)
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			f.Close()
			return nil, err
		}
	}
	cut := ""
	if len(rows) >= maxRejectionRows {
		cut = fmt.Sprintf("(只列出前 %d 处)", maxRejectionRows)
	}
	lines := [][]any{
		{excelize.Cell{StyleID: bold, Value: safeText(rep.FileName + " 退回的行")}},
		{safeText(fmt.Sprintf("%s · 接收于 %s · 读取 %d 行,入库 %d 行,退回 %d 行,共 %d 处问题%s",
			rep.LeadUnit, rep.IngestedAt.Format("2006-01-02 15:04"), rep.Rows, rep.Landed, rep.Rejected, len(rows), cut))},
		{"请按 Excel 行号在原文件中找到这些行,改正后把整个文件作为新文件上传(已入库的行不会重复计入)。值已脱敏:姓名、证件号码只显示部分。"},
	}
	hdr := []any{}
	for _, h := range append([]string{"Excel 行号", "列", "原因", "值(已脱敏)"}, cols...) {
		hdr = append(hdr, excelize.Cell{StyleID: head, Value: h})
	}
	lines = append(lines, hdr)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: len(lines), TopLeftCell: fmt.Sprintf("A%d", len(lines)+1), ActivePane: "bottomLeft"}); err != nil {
		f.Close()
		return nil, err
	}
	for i, l := range lines {
		if err := sw.SetRow(fmt.Sprintf("A%d", i+1), l); err != nil {
			f.Close()
			return nil, err
		}
	}
	for i, r := range rows {
		line := []any{
			excelize.Cell{StyleID: cell, Value: int(r.Row)},
			excelize.Cell{StyleID: cell, Value: safeText(r.Column)},
			excelize.Cell{StyleID: cell, Value: safeText(reasonZh(r))},
			excelize.Cell{StyleID: cell, Value: safeText(r.Value)},
		}
		vals := rowValues(r)
		for _, h := range cols {
			line = append(line, excelize.Cell{StyleID: cell, Value: safeText(vals[h])})
		}
		err := sw.SetRow(fmt.Sprintf("A%d", i+len(lines)+1), line)
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		f.Close()
		return nil, err
	}
	// printed, too, as the other exports: A4 landscape, one page wide, the header row repeated
	a4, landscape, one, down, fit := 9, "landscape", 1, 0, true
	f.SetPageLayout(name, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &down})
	f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: &fit})
	f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$%d:$%d", name, len(lines), len(lines)), Scope: name})
	f.SetHeaderFooter(name, &excelize.HeaderFooterOptions{OddHeader: "&L" + headerText(rep.FileName+" 退回的行", 80), OddFooter: "&C第 &P 页,共 &N 页"})
	return f, nil
}

// reasonZh is a rejected cell's reason in Chinese: the words the quarantine kept, or the
// registry's for its code.
func reasonZh(r quarantined) string {
	if r.Zh == "" {
		if rs, ok := minsheng.ReasonByCode(r.Code); ok {
			return rs.Zh
		}
	}
	return r.Zh
}

func rowValues(r quarantined) map[string]string {
	m := map[string]string{}
	if r.Values != "" {
		json.Unmarshal([]byte(r.Values), &m) //nolint:errcheck // a value ingest wrote; none shows as empty
	}
	return m
}

// valueColumns are the source's headers, in the registry's order, that any rejected row has a
// value for: the cells of the original row that name no one, beside each rejected cell.
func (d *Dashboards) valueColumns(source string, rows []quarantined) []string {
	seen := map[string]bool{}
	for _, r := range rows {
		for h := range rowValues(r) {
			seen[h] = true
		}
	}
	var out []string
	if d.cfg.Registry != nil {
		if src, ok := d.cfg.Registry.Source(source); ok {
			for _, c := range src.Columns {
				if seen[c.Header] {
					out = append(out, c.Header)
				}
			}
		}
	}
	return out
}
