package ingest

import (
	"testing"

	"github.com/minsheng/minsheng"
)

func registry(t testing.TB) *minsheng.Registry {
	t.Helper()
	r, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHeaderMatch(t *testing.T) {
	reg := registry(t)
	src, _ := reg.Source("worker_aid")
	m := newHeaderMatcher(reg, src)
	row := []string{"序号", " 受助人姓名 ", "公民身份号码", "乡镇（街道）", "*帮扶类型", "救助金额（元）", "个人自付医疗费用(元)", "救助\n日期", "备注"}
	pos, found := m.match(row)
	if found != 7 || len(m.missingRequired(pos)) != 0 {
		t.Fatalf("found %d, missing %v", found, m.missingRequired(pos))
	}
	want := map[string]int{"姓名": 1, "身份证号": 2, "乡镇": 3, "帮扶类型": 4, "救助金额": 5, "个人自付医疗费用": 6, "救助日期": 7}
	for i, c := range src.Columns {
		if pos[i] != want[c.Header] {
			t.Errorf("%s at %d, want %d", c.Header, pos[i], want[c.Header])
		}
	}
	pos, _ = m.match([]string{"姓名", "身份证号", "救助金额"})
	if miss := m.missingRequired(pos); len(miss) != 3 {
		t.Errorf("missing %v, want 乡镇 帮扶类型 救助日期", miss)
	}
	// Households: the head's columns are named 户主.
	hm, _ := reg.Source("elderly_home_mod")
	pos, _ = newHeaderMatcher(reg, hm).match([]string{"户主", "户主身份证号", "乡镇", "村（社区）", "对象类别", "改造金额", "验收日期", "验收结果"})
	if miss := newHeaderMatcher(reg, hm).missingRequired(pos); len(miss) != 0 {
		t.Errorf("elderly_home_mod missing %v", miss)
	}
}

func TestFooter(t *testing.T) {
	reg := registry(t)
	for row, want := range map[*[]string]bool{
		{"合计", "", "", "35000"}: true,
		{"", "总计:"}:             true,
		{"制表人:王**  审核人:李**"}:    true,
		{"1", "张三", "3408..."}:  false,
		{"", "", ""}:            false,
	} {
		if got := newFooterMatcher(reg.FooterMarkers).isFooter(*row); got != want {
			t.Errorf("isFooter(%q) = %v", *row, got)
		}
	}
}
