package indicators_test

import (
	"context"
	"testing"

	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/warehouse"
)

// A note that names a person of the ledgers is found by the masked names of the lake, and says
// only the masked name; ordinary sentences and two-character names are not taken for one.
func TestNameIn(t *testing.T) {
	dir := t.TempDir()
	handlake.Build(t, dir)
	db, err := warehouse.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := indicators.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		"已走访孙志强家,落实救助":    "孙*强", // handlake.P5
		"赵德胜老人已入住":        "赵*胜",
		"本月完成全县改造任务 38 户": "",
		"张伟同志牵头,已完成验收":    "", // two characters: not checked
		"孙强":              "",
	} {
		got, found := s.NameIn(text)
		if got != want || found != (want != "") {
			t.Errorf("NameIn(%q) = %q, %v; want %q", text, got, found, want)
		}
	}
}
