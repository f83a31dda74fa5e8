package ingest_test

import (
	"strings"
	"testing"

	"github.com/minsheng/minsheng/lake"
)

// An ID number typed into a free-text column lands masked, and the report counts it as flagged;
// NUL bytes and direction overrides do not land. Before, the 备注 landed in clear in the lake
// (and so in the warehouse) while only the upload's answer was masked.
func TestIDNumberInTextLandsMasked(t *testing.T) {
	in, dir := newIngester(t)
	body := `姓名,身份证号,乡镇,残疾类别,是否脑瘫,康复机构,救助金额,其中生活费补助,救助日期
张三丰,11010519491231002X,松兹街道,肢体,否,监护人李某身份证340826199001010013已核,100,,2024/3/5
李四,340826199001010013,孚玉镇,肢体,否,=T(11010519491231002X),100,,2024/3/5
王五,340826199001010013,孚玉镇,肢体,否,"a` + "\x00" + `b` + "\u202e" + `cod.exe",100,,2024/3/5
`
	put(t, dir, "child_rehab", "a.csv", gbk(t, body))
	rep := run(t, in).Reports[0]
	if rep.Status != lake.StatusLanded || rep.Landed != 3 {
		t.Fatalf("%s: %d landed, %v", rep.Status, rep.Landed, rep.Reasons)
	}
	if rep.Flags["id_in_text"] != 2 {
		t.Errorf("flags %v, want 2 id_in_text", rep.Flags)
	}
	for _, f := range rep.FirstFlagged {
		if strings.Contains(f.Value, "19900101") || strings.Contains(f.Value, "19491231") {
			t.Errorf("flagged value in clear: %q", f.Value)
		}
	}
	rows, err := duck(t).Query(`select coalesce(rehab_institution, '') from read_parquet('` + dir + `/` + rep.LakeFile + `') order by _row`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var notes []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		notes = append(notes, s)
	}
	want := []string{"监护人李某身份证340826********0013已核", "=T(110105********002X)", "abcod.exe"}
	if strings.Join(notes, "|") != strings.Join(want, "|") {
		t.Errorf("notes in the lake: %q, want %q", notes, want)
	}
}
