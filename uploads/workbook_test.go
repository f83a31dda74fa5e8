package uploads_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/minsheng/minsheng/api"
)

// clerkWorkbook is a workbook as clerks keep one: a 说明 sheet first and the data on 数据, the 乡镇
// merged down over two rows below the one that holds it, one row hidden.
func clerkWorkbook(t *testing.T) []byte {
	t.Helper()
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
	return buf.Bytes()
}

// The answer to an upload, and the ingest runs of the API, say which sheet of a workbook was
// read, how many of its rows were hidden in Excel (read all the same: a clerk often hides what
// they meant to drop) and how many took a merged cell's value (issue 13, points 2, 3, 5).
// Before, these were only in the report on disk: the answer had no sheet, hidden_rows or
// merged_rows.
func TestUploadSaysSheetHiddenAndMergedRows(t *testing.T) {
	e := newEnv(t, 0)
	status, body := e.post(t, "union", upload("worker_aid", "帮扶.xlsx", clerkWorkbook(t))...)
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, body)
	}
	if r := decode(t, body); r.Accepted != 4 || r.Sheet != "数据" || r.HiddenRows != 1 || r.MergedRows != 2 {
		t.Errorf("answer: %d accepted, sheet %q, %d hidden, %d merged rows; want 4, 数据, 1, 2: %s", r.Accepted, r.Sheet, r.HiddenRows, r.MergedRows, body)
	}
	// a CSV has no sheet, and says 0 hidden and merged rows
	status, body = e.post(t, "union", upload("worker_aid", "a.csv", handCSV(t, "worker_aid", "2024年1-6月帮扶台账.csv"))...)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); status != http.StatusCreated || err != nil {
		t.Fatalf("a CSV: %d %v %s", status, err, body)
	}
	if _, ok := raw["sheet"]; ok || raw["hidden_rows"] != 0.0 || raw["merged_rows"] != 0.0 {
		t.Errorf("a CSV's answer: sheet %v, hidden_rows %v, merged_rows %v", raw["sheet"], raw["hidden_rows"], raw["merged_rows"])
	}
	var runs api.Runs
	getAs(t, e.srv.URL+"/api/v1/ingest/runs?source=worker_aid", "union", &runs)
	if len(runs.Runs) != 2 {
		t.Fatalf("runs: %+v", runs)
	}
	wb := runs.Runs[1] // newest first
	if wb.FileName != "帮扶.xlsx" || wb.Sheet != "数据" || wb.HiddenRows != 1 || wb.MergedRows != 2 {
		t.Errorf("the workbook's run: %+v", wb)
	}
	var detail api.RunDetail
	getAs(t, e.srv.URL+"/api/v1/ingest/runs/"+wb.SHA256, "union", &detail)
	if detail.Sheet != "数据" || detail.HiddenRows != 1 || detail.MergedRows != 2 {
		t.Errorf("the workbook's run in detail: %+v", detail)
	}
}

func getAs(t *testing.T, url, as string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Test-As", as)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", url, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}
