package ingest_test

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/minsheng/minsheng/lake"
)

// A workbook as clerks keep one: a 说明 sheet first and the data on the second, the 乡镇 merged
// down over its rows, a row hidden. The data sheet is found and named in the report, every row
// under a merged 乡镇 takes its value (before, only the first did, and the others were rejected
// as 乡镇 missing), and hidden rows are read and counted.
func TestWorkbookAsClerksKeepIt(t *testing.T) {
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "填表说明:请在“数据”表中填写")
	f.NewSheet("数据")
	rows := [][]any{
		{"姓名", "身份证号", "乡镇", "帮扶类型", "救助金额", "救助日期"},
		{"张三", "11010519491231002X", "松兹街道", "生活救助", 100, "2024-03-05"},
		{"李四", "340826199001010013", nil, "生活救助", 200, "2024-03-05"},
		{"王五", "340826199001010013", nil, "生活救助", 300, "2024-03-05"},
		{"赵六", "340826199001010013", "孚玉镇", "生活救助", 400, "2024-03-05"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("数据", cell, &r)
	}
	if err := f.MergeCell("数据", "C2", "C4"); err != nil {
		t.Fatal(err)
	}
	f.SetRowVisible("数据", 5, false)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	in, dir := newIngester(t)
	put(t, dir, "worker_aid", "帮扶.xlsx", buf.Bytes())
	rep := run(t, in).Reports[0]
	if rep.Status != lake.StatusLanded || rep.Sheet != "数据" || rep.Landed != 4 || rep.MergedRows != 2 || rep.HiddenRows != 1 {
		t.Fatalf("%s %q: sheet %q, %d landed (%v), %d merged rows, %d hidden", rep.Status, rep.MessageZh, rep.Sheet, rep.Landed, rep.Reasons, rep.MergedRows, rep.HiddenRows)
	}
	var towns []string
	rs, err := duck(t).Query(`select township from read_parquet('` + dir + `/` + rep.LakeFile + `') order by _row`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var s string
		rs.Scan(&s)
		towns = append(towns, s)
	}
	if len(towns) != 4 || towns[1] != "松兹街道" || towns[2] != "松兹街道" {
		t.Errorf("townships %q", towns)
	}
}
