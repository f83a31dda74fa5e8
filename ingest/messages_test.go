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
