package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/minsheng/minsheng/indicators"
)

func openXLSX(t *testing.T, url string) *excelize.File {
	t.Helper()
	res, body := fetch(t, url)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "spreadsheetml") ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment; filename*=UTF-8''") {
		t.Fatalf("%s: %d %v", url, res.StatusCode, res.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not an xlsx: %v", url, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestExportOverview: the bulletin as Excel: a merged title, the as-of date, headers with their
// units, and every target with the API's numbers, lagging ones first.
func TestExportOverview(t *testing.T) {
	s := demoSite(t)
	f := openXLSX(t, s.url+"/export/overview.xlsx?as_of=2024-09-30")
	sheet := f.GetSheetName(f.GetActiveSheetIndex())
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	merged, _ := f.GetMergeCells(sheet)
	if len(merged) < 2 || merged[0].GetStartAxis() != "A1" || !strings.Contains(rows[0][0], "2024 年民生实事项目进度通报") {
		t.Errorf("title %q merged %v", rows[0], merged)
	}
	if !strings.Contains(rows[1][0], "统计截至 2024-09-30") || !strings.Contains(rows[1][0], "序时进度") {
		t.Errorf("as-of line %q", rows[1])
	}
	if strings.Join(rows[2], "|") != "编号|项目|牵头单位|计量单位|目标值|完成值|完成率|状态|金额(元)" {
		t.Errorf("headers %q", rows[2])
	}
	var list indicators.Targets
	_, b := fetch(t, s.url+"/api/v1/targets?as_of=2024-09-30")
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	byCode := map[string]indicators.Target{}
	for _, tg := range list.Targets {
		byCode[tg.Code] = tg
	}
	if len(rows)-3 != len(list.Targets) {
		t.Fatalf("%d target rows, want %d", len(rows)-3, len(list.Targets))
	}
	for i, r := range rows[3:] {
		tg, ok := byCode[r[0]]
		if !ok {
			t.Errorf("row %d: %q is no target", i+4, r[0])
			continue
		}
		// a cell holds the number itself, not a formatted text
		cell, _ := excelize.CoordinatesToCellName(6, i+4)
		typ, _ := f.GetCellType(sheet, cell)
		v, err := strconv.ParseFloat(r[5], 64)
		want := *tg.Actual // a share as its fraction, shown with a percent format
		if err != nil || math.Abs(v-want) > 1e-6 || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("%s: 完成值 %q (%v, cell type %v), want the number %v", tg.Code, r[5], err, typ, want)
		}
		if r[7] != string(tg.Status) {
			t.Errorf("%s: 状态 %q, want %q", tg.Code, r[7], tg.Status)
		}
	}
	first := byCode[rows[3][0]].Status
	if first != "严重滞后" && first != "未达标" && first != "滞后" {
		t.Errorf("first row %s is %s: lagging targets come first", rows[3][0], first)
	}
}

// TestExportTarget: an item's workbook has its row, its parts, the monthly series, the
// townships and the checks.
func TestExportTarget(t *testing.T) {
	s := demoSite(t)
	f := openXLSX(t, s.url+"/export/targets/10.xlsx")
	want := []string{"指标", "月度", "分乡镇"}
	if got := f.GetSheetList(); strings.Join(got[:3], ",") != strings.Join(want, ",") {
		t.Errorf("sheets %v, want %v first", got, want)
	}
	rows, _ := f.GetRows("指标")
	if len(rows) != 3+4 || rows[3][0] != "10" || rows[4][0] != "10a" || rows[6][0] != "10c" {
		t.Errorf("指标 rows %q: want 10 and its three parts", rows)
	}
	months, _ := f.GetRows("月度")
	if len(months) != 3+10 || months[3][0] != "2024-01" || months[12][0] != "2024-10" {
		t.Errorf("月度: %d rows %q", len(months), months)
	}
	towns, _ := f.GetRows("分乡镇")
	if len(towns)-3 != len(s.cfg.County.Townships) {
		t.Errorf("分乡镇: %d townships, want %d", len(towns)-3, len(s.cfg.County.Townships))
	}
	f14 := openXLSX(t, s.url+"/export/targets/14.xlsx")
	if idx, _ := f14.GetSheetIndex("分类别"); idx < 0 {
		t.Errorf("14 has no 分类别 sheet: %v", f14.GetSheetList())
	}
}

// TestExportCells: the workbooks' cells are what a clerk would type: a percentage is a fraction
// with a percent format (99.95% stays 99.95%), a date a date serial with a date format, a status
// filled with its chip's colour; and every sheet is set up for A4 landscape, one page wide.
func TestExportCells(t *testing.T) {
	s := demoSite(t)
	styleOf := func(f *excelize.File, sheet, cell string) *excelize.Style {
		id, err := f.GetCellStyle(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	format := func(st *excelize.Style) string {
		if st.CustomNumFmt != nil {
			return *st.CustomNumFmt
		}
		return ""
	}
	f := openXLSX(t, s.url+"/export/overview.xlsx")
	rows, _ := f.GetRows("通报")
	raw, _ := f.GetRows("通报", excelize.Options{RawCellValue: true})
	for i, r := range rows[3:] {
		row := i + 4
		switch r[0] {
		case "15": // 99.95%: a standard item just short of its target
			if st := styleOf(f, "通报", fmt.Sprintf("F%d", row)); r[5] != "99.95%" || format(st) != "0.00%" || !strings.HasPrefix(raw[row-1][5], "0.999") {
				t.Errorf("15's 完成值 %q (raw %q, format %q), want 99.95%% from a fraction", r[5], raw[row-1][5], format(st))
			}
		case "11a":
			if st := styleOf(f, "通报", fmt.Sprintf("G%d", row)); format(st) != "0.0%" || !strings.HasSuffix(r[6], "%") {
				t.Errorf("11a's 完成率 %q (format %q), want a percent cell", r[6], format(st))
			}
		}
		st := styleOf(f, "通报", fmt.Sprintf("H%d", row))
		want := map[string]string{"正常": "1B7A3D", "已完成": "1B7A3D", "达标": "1B7A3D", "滞后": "E0A000", "严重滞后": "C62828", "未达标": "C62828", "监测": "607D8B", "无数据": "9E9E9E"}[r[7]]
		if len(st.Fill.Color) == 0 || !strings.EqualFold(strings.TrimPrefix(st.Fill.Color[0], "#"), want) {
			t.Errorf("%s's status %s filled %v, want #%s as on screen", r[0], r[7], st.Fill.Color, want)
		}
	}
	f20 := openXLSX(t, s.url+"/export/targets/20.xlsx")
	months, _ := f20.GetRows("月度")
	rawMonths, _ := f20.GetRows("月度", excelize.Options{RawCellValue: true})
	if months[3][0] != "2024-01" || months[3][1] != "2024-01-31" || format(styleOf(f20, "月度", "B4")) != "yyyy-mm-dd" ||
		format(styleOf(f20, "月度", "A4")) != "yyyy-mm" || rawMonths[3][1] != "45322" {
		t.Errorf("月度 row 4 %q (raw %q): want the month and the date as date cells", months[3], rawMonths[3])
	}
	if !strings.HasSuffix(months[3][4], "%") {
		t.Errorf("月度 序时进度 %q, want a percent cell", months[3][4])
	}
	// Every workbook prints as sent (issue 13, point 9: "the same for every item's workbook"):
	// the 通报 and each item's, whatever sheets it has (10's parts, 14's and 17's categories).
	// Before, only the 通报 and 20's were checked.
	books := map[string]*excelize.File{"通报": f, "20": f20}
	for _, tg := range s.cfg.Plans[2024].Targets {
		if books[tg.Code] == nil {
			books[tg.Code] = openXLSX(t, s.url+"/export/targets/"+tg.Code+".xlsx")
		}
	}
	if len(books) < 10 {
		t.Fatalf("%d workbooks checked: the plan's targets are missing", len(books))
	}
	sheets := 0
	for code, wb := range books {
		sheets += len(wb.GetSheetList())
		for _, sh := range wb.GetSheetList() {
			pl, err := wb.GetPageLayout(sh)
			if err != nil || pl.Size == nil || *pl.Size != 9 || pl.Orientation == nil || *pl.Orientation != "landscape" ||
				pl.FitToWidth == nil || *pl.FitToWidth != 1 {
				t.Errorf("%s, sheet %s: page layout %+v, want A4 (9) landscape, one page wide", code, sh, pl)
			}
			hf, _ := wb.GetHeaderFooter(sh)
			if hf == nil || !strings.Contains(hf.OddHeader, "统计截至 ") || !strings.Contains(hf.OddFooter, "&P") {
				t.Errorf("%s, sheet %s: header and footer %+v, want the title, the as-of date and the page number", code, sh, hf)
			}
		}
		names := wb.GetDefinedName()
		titles := 0
		for _, n := range names {
			if n.Name == "_xlnm.Print_Titles" && strings.HasSuffix(n.RefersTo, "!$3:$3") {
				titles++
			}
		}
		if titles != len(wb.GetSheetList()) {
			t.Errorf("%s: print titles on %d of %d sheets: %+v", code, titles, len(wb.GetSheetList()), names)
		}
	}
	t.Logf("print setup checked on %d workbooks, %d sheets", len(books), sheets)
}
