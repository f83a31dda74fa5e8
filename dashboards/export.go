package dashboards

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/notes"
)

// safeText escapes text a spreadsheet would read as a formula (=, +, -, @, and the tab and
// carriage return some programs strip first) with a leading apostrophe, the OWASP rule: a cell
// sent by a lead unit as `=cmd|...` opens as text in any program the file reaches.
func safeText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// sheet writes rows under a merged title and an as-of line, the shape an office expects.
type sheet struct {
	f    *excelize.File
	name string
	row  int
	cols int
}

func newSheet(f *excelize.File, name, title, subtitle string, headers []string) (*sheet, error) {
	idx, err := f.NewSheet(name)
	if err != nil {
		return nil, err
	}
	f.SetActiveSheet(idx)
	s := &sheet{f: f, name: name, cols: len(headers)}
	last, _ := excelize.CoordinatesToCellName(len(headers), 1)
	titleStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	headStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Color: []string{"#EEF2F6"}, Pattern: 1},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    borders()})
	f.MergeCell(name, "A1", last)
	f.SetCellStr(name, "A1", safeText(title))
	f.SetCellStyle(name, "A1", last, titleStyle)
	f.SetRowHeight(name, 1, 28)
	last2, _ := excelize.CoordinatesToCellName(len(headers), 2)
	f.MergeCell(name, "A2", last2)
	f.SetCellStr(name, "A2", safeText(subtitle))
	s.row = 3
	s.add(toAny(headers)...)
	first, _ := excelize.CoordinatesToCellName(1, 3)
	lastH, _ := excelize.CoordinatesToCellName(len(headers), 3)
	f.SetCellStyle(name, first, lastH, headStyle)
	f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"})
	return s, nil
}

func borders() []excelize.Border {
	var b []excelize.Border
	for _, side := range []string{"left", "right", "top", "bottom"} {
		b = append(b, excelize.Border{Type: side, Color: "#B0BEC5", Style: 1})
	}
	return b
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// add writes one row: strings as escaped text, numbers as numbers, nil as an empty cell.
func (s *sheet) add(vals ...any) {
	for i, v := range vals {
		cell, _ := excelize.CoordinatesToCellName(i+1, s.row)
		switch x := v.(type) {
		case nil:
		case string:
			s.f.SetCellStr(s.name, cell, safeText(x))
		case *float64:
			if x != nil {
				s.f.SetCellFloat(s.name, cell, *x, -1, 64)
			}
		default:
			s.f.SetCellValue(s.name, cell, x)
		}
	}
	s.row++
}

func (s *sheet) widths(w ...float64) {
	for i, x := range w {
		col, _ := excelize.ColumnNumberToName(i + 1)
		s.f.SetColWidth(s.name, col, col, x)
	}
}

func percent(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p * 100
	return &v
}

func targetRow(t indicators.Target) []any {
	target, actual := t.Target, t.Actual
	if t.Measure == "share" {
		target, actual = percent(t.Target), percent(t.Actual)
	}
	return []any{t.Code, t.Item + " " + t.Title, t.LeadUnit, unitOf(t), target, actual, percent(t.Completion), t.Status, t.AmountYuan}
}

func unitOf(t indicators.Target) string {
	if t.Measure == "share" {
		return "%"
	}
	return t.Unit
}

var targetHeaders = []string{"编号", "项目", "牵头单位", "计量单位", "目标值", "完成值", "完成率(%)", "状态", "金额(元)"}

func (d *Dashboards) exportOverview(c *gin.Context) {
	snap, year, asOf, _, err := d.request(c)
	if err != nil {
		d.fail(c, err)
		return
	}
	t, err := snap.Targets(year, asOf)
	if err != nil {
		d.fail(c, err)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	// the lead units' newest note of each item, when there are notes (package notes)
	headers, latest := targetHeaders, map[string]notes.Note(nil)
	if d.cfg.Notes != nil {
		if latest, err = d.cfg.Notes.Latest(c.Request.Context(), year); err != nil {
			d.fail(c, err)
			return
		}
		headers = append(slices.Clone(targetHeaders), "最新进展")
	}
	s, err := newSheet(f, "通报", fmt.Sprintf("%d 年民生实事项目进度通报", t.Year),
		fmt.Sprintf("统计截至 %s(数据截至 %s) 序时进度 %s", t.AsOf, t.DataAsOf, pctText(t.TimeProgress)), headers)
	if err != nil {
		d.fail(c, err)
		return
	}
	for _, tg := range laggingFirst(t.Targets) {
		row := targetRow(tg)
		if latest != nil {
			p := ""
			if n, ok := latest[tg.Code]; ok {
				p = n.Date + " " + noteLabel(n) + ":" + n.Text
			}
			row = append(row, p)
		}
		s.add(row...)
	}
	s.widths(7, 44, 18, 10, 12, 14, 12, 10, 16, 60)
	f.DeleteSheet("Sheet1")
	d.sendXLSX(c, f, fmt.Sprintf("%d年民生实事进度通报_%s.xlsx", t.Year, t.AsOf))
}

func (d *Dashboards) exportTarget(c *gin.Context) {
	code, ok := strings.CutSuffix(c.Param("file"), ".xlsx")
	if !ok {
		d.NotFound(c)
		return
	}
	snap, year, asOf, _, err := d.request(c)
	if err != nil {
		d.fail(c, err)
		return
	}
	det, err := snap.Target(year, code, asOf)
	if err != nil {
		d.fail(c, err)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sub := fmt.Sprintf("统计截至 %s(数据截至 %s) 序时进度 %s 牵头单位 %s", det.AsOf, det.DataAsOf, pctText(det.TimeProgress), det.LeadUnit)
	s, err := newSheet(f, "指标", det.Item+" "+det.Title, sub, targetHeaders)
	if err != nil {
		d.fail(c, err)
		return
	}
	s.add(targetRow(det.Target)...)
	for _, p := range det.PartValues {
		s.add(targetRow(p)...)
	}
	s.widths(7, 44, 18, 10, 12, 14, 12, 10, 16)

	valueHead := "完成值(" + unitOf(det.Target) + ")"
	m, _ := newSheet(f, "月度", det.Title+" 月度累计", sub, []string{"月份", "截至日期", valueHead, "序时计划(" + det.Unit + ")", "序时进度(%)", "状态"})
	for _, p := range det.Monthly {
		actual := p.Actual
		if det.Measure == "share" {
			actual = percent(p.Actual)
		}
		tp := p.TimeProgress * 100
		m.add(p.Month, p.AsOf, actual, p.Plan, &tp, p.Status)
	}
	m.widths(10, 12, 16, 18, 14, 10)

	tw, _ := newSheet(f, "分乡镇", det.Title+" 分乡镇", sub, []string{"乡镇", valueHead, "金额(元)"})
	for _, t := range det.ByTownship {
		actual := t.Actual
		if det.Measure == "share" {
			actual = percent(t.Actual)
		}
		tw.add(t.Township, actual, t.AmountYuan)
	}
	tw.widths(14, 16, 16)
	if len(det.ByCategory) > 0 {
		cat, _ := newSheet(f, "分类别", det.Title+" 分类别", sub, []string{"类别", "人数(人)", "金额(元)"})
		for _, x := range det.ByCategory {
			cat.add(x.Category, x.Persons, x.AmountYuan)
		}
		cat.widths(18, 12, 16)
	}
	if len(det.Checks) > 0 {
		ch, _ := newSheet(f, "数据检查", det.Title+" 数据检查(截至 "+det.ChecksAsOf+")", sub, []string{"检查", "检查数", "问题数"})
		for _, x := range det.Checks {
			ch.add(x.Description, x.Checked, x.Violations)
		}
		ch.widths(48, 10, 10)
	}
	f.SetActiveSheet(1)
	f.DeleteSheet("Sheet1")
	d.sendXLSX(c, f, fmt.Sprintf("%s_%s_%s.xlsx", det.Code, det.Title, det.AsOf))
}

func (d *Dashboards) sendXLSX(c *gin.Context, f *excelize.File, name string) {
	buf, err := f.WriteToBuffer()
	if err != nil {
		d.fail(c, err)
		return
	}
	c.Header("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(strings.NewReplacer("/", "_", "\\", "_").Replace(name)))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}
