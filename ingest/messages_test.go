package ingest_test

import (
	"strings"
	"testing"

	"github.com/minsheng/minsheng/lake"
)

// The messages a clerk reads say what to do: the allowed values of an enum, the township meant,
// an Excel error cell named as one; a semicolon-separated file is read as such.
func TestMessagesAClerkCanActOn(t *testing.T) {
	in, dir := newIngester(t)
	body := "姓名;身份证号;乡镇;帮扶类型;救助金额;救助日期\r\n" +
		"张三;11010519491231002X;松兹街道;生活补助;100;2024-03-05\r\n" + // not an allowed 帮扶类型
		"李四;340826199001010013;松兹镇;生活救助;100;2024-03-05\r\n" + // 松兹街道 meant
		"王五;340826199001010013;孚玉镇;生活救助;#VALUE!;2024-03-05\r\n" +
		"赵六;340826199001010013;孚玉镇;生活救助;100;3/5/2024\r\n" +
		"钱七;340826199001010013;孚玉镇;生活救助;100;2024-03-05\r\n"
	put(t, dir, "worker_aid", "a.csv", gbk(t, body))
	rep := run(t, in).Reports[0]
	if rep.Status != lake.StatusLanded || rep.Rows != 5 || rep.Landed != 1 {
		t.Fatalf("%s %q: %d rows, %d landed", rep.Status, rep.MessageZh, rep.Rows, rep.Landed)
	}
	want := map[int]string{
		2: "应为:生活救助、子女助学、医疗救助",
		3: "是否为“松兹街道”?",
		4: "单元格是 Excel 公式错误",
		5: "不接受 3/5/2024",
	}
	for _, r := range rep.First {
		if w, ok := want[r.Row]; ok && strings.Contains(r.Zh, w) {
			delete(want, r.Row)
		}
	}
	if len(want) > 0 {
		t.Errorf("messages missing: %v\nfirst rejections: %+v", want, rep.First)
	}
}

// The delimiter is the one the header row is written with (issue 13, point 4): a semicolon file
// whose 备注 holds more commas than the row has semicolons is read, and a file separated by
// a character not read (|) is refused saying so, never as "找不到表头". Before, the delimiter
// was the most frequent of , \t ; over the file's first 64 KB: both were refused with
// "找不到表头:前 30 行中没有“困难职工帮扶救助台账”表的列名(文件是否放错了文件夹?)".
func TestDelimiterFromTheHeaderRow(t *testing.T) {
	note := "已入户核实,家中两人,一人患病,一人失业,住房困难,子女就学,已报乡镇,已公示,无异议"
	semicolons := "困难职工帮扶救助台账(2024年)\r\n" +
		"姓名;身份证号;乡镇;帮扶类型;救助金额;救助日期;备注\r\n"
	pipes := "姓名|身份证号|乡镇|帮扶类型|救助金额|救助日期|备注\r\n"
	for i := 0; i < 40; i++ {
		semicolons += "钱七;340826199001010013;孚玉镇;生活救助;100;2024-03-05;" + note + "\r\n"
		pipes += "钱七|340826199001010013|孚玉镇|生活救助|100|2024-03-05|" + note + "\r\n"
	}
	in, dir := newIngester(t)
	put(t, dir, "worker_aid", "a.csv", gbk(t, semicolons))
	put(t, dir, "worker_aid", "b.txt", []byte(pipes))
	reps := map[string]*lake.Report{}
	for _, r := range run(t, in).Reports {
		reps[r.FileName] = &r
	}
	if r := reps["a.csv"]; r == nil || r.Status != lake.StatusLanded || r.Rows != 40 || r.Landed != 40 || r.HeaderRow != 2 {
		t.Errorf("semicolons with commas in 备注: %+v", r)
	}
	r := reps["b.txt"]
	if r == nil || r.Status != lake.StatusRejected {
		t.Fatalf("pipes: %+v", r)
	}
	if strings.Contains(r.MessageZh, "找不到表头") || !strings.Contains(r.MessageZh, "“|”") || !strings.Contains(r.MessageEn, `"|"`) {
		t.Errorf("pipes refused with %q / %q: want the delimiter named", r.MessageZh, r.MessageEn)
	}
}
