package dashboards

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/minsheng/minsheng"
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

// sheet writes rows under a merged title and an as-of line, the shape an office expects, set up
// to print as it is sent: A4 landscape, one page wide, the header row on every page, the title
// and the as-of date in the page header and the page number in the footer.
type sheet struct {
	b     *book
	name  string
	row   int
	cols  int
	title string
	wraps map[int]map[int]string // row → column → a text long enough to wrap: the row's height follows it
}

// book is a workbook with its cell styles, made once each: excelize adds a style per NewStyle.
type book struct {
	f      *excelize.File
	styles map[string]int
	asOf   string // the page header's right side on every sheet: 统计截至 ...
}

func newBook(asOf string) *book {
	return &book{f: excelize.NewFile(), styles: map[string]int{}, asOf: asOf}
}

// Cell kinds beside plain text and numbers: each gets its number format and, for a status, the
// colour of its chip on the pages.
type (
	pctCell    struct{ v *float64 } // a fraction, shown as a percentage: 0.58125 is 58.1%
	dateCell   string               // YYYY-MM-DD, a date cell
	monthCell  string               // YYYY-MM, a date cell of the month's first day shown as the month
	statusCell string               // 正常, 滞后, ...: coloured as the page's chip
	moneyCell  struct{ v *float64 } // yuan, with two decimals
)

// chipColors are the status chips' colours in app.css (background, text).
var chipColors = map[minsheng.Status][2]string{
	minsheng.StatusDone: {"#1B7A3D", "#FFFFFF"}, minsheng.StatusMet: {"#1B7A3D", "#FFFFFF"}, minsheng.StatusOnTrack: {"#1B7A3D", "#FFFFFF"},
	minsheng.StatusLagging: {"#E0A000", "#222222"}, minsheng.StatusFarBehind: {"#C62828", "#FFFFFF"}, minsheng.StatusNotMet: {"#C62828", "#FFFFFF"},
	minsheng.StatusMonitored: {"#607D8B", "#FFFFFF"}, minsheng.StatusNoData: {"#9E9E9E", "#FFFFFF"},
}

// style is the data cells' style of a kind: "text", "wrap", "int", "num", "pct", "pct2", "date",
// "month", "money", or "status:<status>".
func (b *book) style(kind string) int {
	if id, ok := b.styles[kind]; ok {
		return id
	}
	st := &excelize.Style{Border: borders(), Alignment: &excelize.Alignment{Vertical: "center"}}
	fmtCode := ""
	switch kind {
	case "wrap":
		st.Alignment.WrapText = true
	case "int":
		fmtCode = "#,##0"
	case "num":
		fmtCode = "#,##0.##"
	case "money":
		fmtCode = "#,##0.00"
	case "pct":
		fmtCode = "0.0%"
	case "pct2":
		fmtCode = "0.00%"
	case "date":
		fmtCode = "yyyy-mm-dd"
	case "month":
		fmtCode = "yyyy-mm"
	default:
		if status, ok := strings.CutPrefix(kind, "status:"); ok {
			st.Alignment.Horizontal = "center"
			if c, ok := chipColors[minsheng.Status(status)]; ok {
				st.Fill = excelize.Fill{Type: "pattern", Color: []string{c[0]}, Pattern: 1}
				st.Font = &excelize.Font{Color: c[1], Bold: true}
			}
		}
	}
	if fmtCode != "" {
		st.CustomNumFmt = &fmtCode
	}
	id, err := b.f.NewStyle(st)
	if err != nil {
		id = 0
	}
	b.styles[kind] = id
	return id
}

func newSheet(b *book, name, title, subtitle string, headers []string) (*sheet, error) {
	f := b.f
	idx, err := f.NewSheet(name)
	if err != nil {
		return nil, err
	}
	f.SetActiveSheet(idx)
	s := &sheet{b: b, name: name, cols: len(headers), title: title, wraps: map[int]map[int]string{}}
	last, _ := excelize.CoordinatesToCellName(len(headers), 1)
	titleStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
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
	for i, h := range headers {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		f.SetCellStr(name, cell, h)
	}
	s.row++
	first, _ := excelize.CoordinatesToCellName(1, 3)
	lastH, _ := excelize.CoordinatesToCellName(len(headers), 3)
	f.SetCellStyle(name, first, lastH, headStyle)
	f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"})
	s.printSetup(title)
	return s, nil
}

// printSetup: A4 landscape, as many pages down as it takes but one across, the header row
// repeated on every page, the title and the as-of line in the page header, the page number in
// the footer; so no page is printed without what it is and when it stood.
func (s *sheet) printSetup(title string) {
	f := s.b.f
	a4, landscape, one, down := 9, "landscape", 1, 0
	f.SetPageLayout(s.name, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &down})
	fit := true
	f.SetSheetProps(s.name, &excelize.SheetPropsOptions{FitToPage: &fit})
	top, bottom, side, hf := 0.75, 0.6, 0.4, 0.3
	center := true
	f.SetPageMargins(s.name, &excelize.PageLayoutMarginsOptions{Top: &top, Bottom: &bottom, Left: &side, Right: &side,
		Header: &hf, Footer: &hf, Horizontally: &center})
	f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + s.name + "'!$3:$3", Scope: s.name})
	f.SetHeaderFooter(s.name, &excelize.HeaderFooterOptions{
		OddHeader: "&L&\"-,Bold\"" + headerText(title, 60) + "&R" + headerText(s.b.asOf, 60),
		OddFooter: "&C第 &P 页,共 &N 页",
	})
}

// headerText is text for a page header section: & doubled (it starts a code there), and cut to
// keep the whole header within the 255 characters a spreadsheet allows.
func headerText(s string, max int) string {
	r := []rune(strings.ReplaceAll(s, "&", "&&"))
	if len(r) > max {
		r = append(r[:max-1], '…')
	}
	return string(r)
}

func borders() []excelize.Border {
	var b []excelize.Border
	for _, side := range []string{"left", "right", "top", "bottom"} {
		b = append(b, excelize.Border{Type: side, Color: "#B0BEC5", Style: 1})
	}
	return b
}

// add writes one row: strings as escaped text, numbers as numbers, percentages as fractions with
// a percent format, dates as dates, a status coloured; nil as an empty bordered cell.
func (s *sheet) add(vals ...any) {
	f := s.b.f
	for i, v := range vals {
		cell, _ := excelize.CoordinatesToCellName(i+1, s.row)
		kind := "text"
		switch x := v.(type) {
		case nil:
		case string:
			f.SetCellStr(s.name, cell, safeText(x))
			if textWidth(x) > 16 {
				kind = "wrap"
				if s.wraps[s.row] == nil {
					s.wraps[s.row] = map[int]string{}
				}
				s.wraps[s.row][i] = x
			}
		case statusCell:
			f.SetCellStr(s.name, cell, safeText(string(x)))
			kind = "status:" + string(x)
		case *float64:
			if x != nil {
				f.SetCellFloat(s.name, cell, *x, -1, 64)
				kind = "num"
				if *x == math.Trunc(*x) {
					kind = "int"
				}
			}
		case moneyCell:
			if x.v != nil {
				f.SetCellFloat(s.name, cell, *x.v, -1, 64)
			}
			kind = "money"
		case pctCell:
			if x.v != nil {
				f.SetCellFloat(s.name, cell, *x.v, -1, 64)
			}
			kind = "pct"
			if x.v != nil && *x.v > 0.99 && *x.v < 1 { // 99.95% must not print as 100.0%
				kind = "pct2"
			}
		case dateCell:
			if t, err := time.Parse(time.DateOnly, string(x)); err == nil {
				f.SetCellValue(s.name, cell, t)
				kind = "date"
			} else {
				f.SetCellStr(s.name, cell, safeText(string(x)))
			}
		case monthCell:
			if t, err := time.Parse("2006-01", string(x)); err == nil {
				f.SetCellValue(s.name, cell, t)
				kind = "month"
			} else {
				f.SetCellStr(s.name, cell, safeText(string(x)))
			}
		case int, int64:
			f.SetCellValue(s.name, cell, x)
			kind = "int"
		default:
			f.SetCellValue(s.name, cell, x)
		}
		f.SetCellStyle(s.name, cell, cell, s.b.style(kind))
	}
	s.row++
}

// widths sets the columns' widths, then the heights of the rows whose text wraps (and of the
// title when it is wider than the table): a spreadsheet program does not grow a row for a
// wrapped cell of a file it opens, and a cut title or cell prints cut.
func (s *sheet) widths(w ...float64) {
	f := s.b.f
	width := func(col int) float64 {
		if col < len(w) {
			return w[col]
		}
		return 9
	}
	total := 0.0
	for i := range s.cols {
		col, _ := excelize.ColumnNumberToName(i + 1)
		f.SetColWidth(s.name, col, col, width(i))
		total += width(i)
	}
	if lines := math.Ceil(textWidth(s.title) * 1.5 / total); lines > 1 { // 16 pt against the 11 pt the widths count in
		f.SetRowHeight(s.name, 1, 24*lines+4)
	}
	for row, cells := range s.wraps {
		lines := 1.0
		for col, text := range cells {
			lines = math.Max(lines, math.Ceil(textWidth(text)/math.Max(1, width(col)-1)))
		}
		if lines > 1 {
			f.SetRowHeight(s.name, row, 15*lines+2)
		}
	}
}

// textWidth is a text's width in a column's units (the width of a digit): a Chinese character
// takes two, as Excel draws it with a Chinese font (LibreOffice needs about 1.5): a row a little
// too tall prints, a row too short prints its text cut.
func textWidth(s string) float64 {
	n := 0.0
	for _, r := range s {
		switch {
		case r == '\n':
			n += 40 // a line break: count a line's worth
		case r >= 0x2E80:
			n += 2
		default:
			n++
		}
	}
	return n
}

// valueCell is an indicator's value as its kind reads: a share as a percentage, an amount in
// yuan with its cents, a count as a number.
func valueCell(t indicators.Target, v *float64) any {
	switch t.Measure {
	case "share":
		return pctCell{v}
	case "mean_yuan":
		return moneyCell{v}
	}
	return v
}

func targetRow(t indicators.Target) []any {
	var amount any
	if t.AmountYuan != nil {
		amount = moneyCell{t.AmountYuan}
	}
	return []any{t.Code, t.Item + " " + t.Title, t.LeadUnit, unitOf(t), valueCell(t, t.Target), valueCell(t, t.Actual),
		pctCell{t.Completion}, statusCell(t.Status), amount}
}

func unitOf(t indicators.Target) string {
	if t.Measure == "share" {
		return "%"
	}
	return t.Unit
}

var targetHeaders = []string{"编号", "项目", "牵头单位", "计量单位", "目标值", "完成值", "完成率", "状态", "金额(元)"}

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
	b := newBook("统计截至 " + t.AsOf)
	defer b.f.Close()
	// the lead units' newest note of each item, when there are notes (package notes)
	headers, latest := targetHeaders, map[string]notes.Note(nil)
	if d.cfg.Notes != nil {
		if latest, err = d.cfg.Notes.Latest(c.Request.Context(), year); err != nil {
			d.fail(c, err)
			return
		}
		headers = append(slices.Clone(targetHeaders), "最新进展")
	}
	s, err := newSheet(b, "通报", fmt.Sprintf("%d 年民生实事项目进度通报", t.Year),
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
	s.widths(6, 42, 14, 8, 11, 12, 9, 10, 14, 40)
	b.f.DeleteSheet("Sheet1")
	d.sendXLSX(c, b.f, fmt.Sprintf("%d年民生实事进度通报_%s.xlsx", t.Year, t.AsOf))
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
	b := newBook("统计截至 " + det.AsOf)
	defer b.f.Close()
	f := b.f
	sub := fmt.Sprintf("统计截至 %s(数据截至 %s) 序时进度 %s 牵头单位 %s", det.AsOf, det.DataAsOf, pctText(det.TimeProgress), det.LeadUnit)
	s, err := newSheet(b, "指标", det.Item+" "+det.Title, sub, targetHeaders)
	if err != nil {
		d.fail(c, err)
		return
	}
	s.add(targetRow(det.Target)...)
	for _, p := range det.PartValues {
		s.add(targetRow(p)...)
	}
	s.widths(6, 42, 14, 8, 11, 12, 9, 10, 14)

	valueHead := "完成值(" + unitOf(det.Target) + ")"
	if det.Measure == "share" {
		valueHead = "完成值"
	}
	m, _ := newSheet(b, "月度", det.Title+" 月度累计", sub, []string{"月份", "截至日期", valueHead, "序时计划(" + det.Unit + ")", "序时进度", "状态"})
	for _, p := range det.Monthly {
		tp := p.TimeProgress
		m.add(monthCell(p.Month), dateCell(p.AsOf), valueCell(det.Target, p.Actual), p.Plan, pctCell{&tp}, statusCell(p.Status))
	}
	m.widths(10, 12, 16, 18, 12, 10)

	tw, _ := newSheet(b, "分乡镇", det.Title+" 分乡镇", sub, []string{"乡镇", valueHead, "金额(元)"})
	for _, t := range det.ByTownship {
		var amount any
		if t.AmountYuan != nil {
			amount = moneyCell{t.AmountYuan}
		}
		tw.add(t.Township, valueCell(det.Target, t.Actual), amount)
	}
	tw.widths(14, 16, 16)
	if len(det.ByCategory) > 0 {
		cat, _ := newSheet(b, "分类别", det.Title+" 分类别", sub, []string{"类别", "人数(人)", "金额(元)"})
		for _, x := range det.ByCategory {
			amount := x.AmountYuan
			cat.add(x.Category, x.Persons, moneyCell{&amount})
		}
		cat.widths(18, 12, 16)
	}
	if len(det.Checks) > 0 {
		ch, _ := newSheet(b, "数据检查", det.Title+" 数据检查(截至 "+det.ChecksAsOf+")", sub, []string{"检查", "检查数", "问题数"})
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
