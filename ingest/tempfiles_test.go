package ingest_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/minsheng/minsheng/lake"
)

// A workbook whose sheet unpacks past 16 MB writes nothing to the system's temporary folder
// while it is ingested: excelize unpacked such a sheet (clear names and ID numbers) to
// os.TempDir(), where a killed ingest left it for good.
func TestLargeSheetWritesNoTemporaryFile(t *testing.T) {
	if testing.Short() {
		t.Skip("a 20 MB sheet")
	}
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"姓名", "身份证号", "乡镇", "帮扶类型", "救助金额", "救助日期", "说明一", "说明二"})
	for i := 2; i <= 40_000; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		sw.SetRow(cell, []any{"张三", "340826199001010013", "松兹街道", "生活救助", 100 + i%900, "2024-03-05",
			fmt.Sprintf("第%d行的一段不短的说明文字", i), "另一段说明文字,让这张表解压后超过十六兆"})
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	f.Close()
	z, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	for _, e := range z.File {
		if e.Name == "xl/worksheets/sheet1.xml" {
			if e.UncompressedSize64 < 16<<20 {
				t.Fatalf("the sheet unpacks to %d MB only", e.UncompressedSize64>>20)
			}
			t.Logf("the sheet unpacks to %d MB", e.UncompressedSize64>>20)
		}
	}
	in, dir := newIngester(t)
	put(t, dir, "worker_aid", "大表.xlsx", buf.Bytes())
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	done := make(chan *lake.Report, 1)
	go func() { done <- &run(t, in).Reports[0] }()
	var rep *lake.Report
	for rep == nil {
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Fatalf("ingest wrote %s in the temporary folder", left[0].Name())
		}
		select {
		case rep = <-done:
		case <-time.After(2 * time.Millisecond):
		}
	}
	if rep.Status != lake.StatusLanded || rep.Landed != 39_999 {
		t.Fatalf("%s %q: %d landed", rep.Status, rep.MessageZh, rep.Landed)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Fatalf("left in the temporary folder: %v", left)
	}
}
