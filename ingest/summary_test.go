package ingest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/minsheng/minsheng/lake"
)

// The summary's columns line up on a terminal whatever the file names' script, and a Chinese
// terminal reads the reasons in Chinese.
func TestSummaryLinesUp(t *testing.T) {
	s := &Summary{Reports: []lake.Report{
		{Entry: lake.Entry{Source: "worker_aid", FileName: "2024年困难职工帮扶台账.xlsx", Status: lake.StatusLanded, Rows: 10, Landed: 9, Rejected: 1}, Reasons: map[string]int{"id_invalid": 1}},
		{Entry: lake.Entry{Source: "legal_aid", FileName: "a.csv", Status: lake.StatusLanded, Rows: 3, Landed: 3}},
	}}
	for _, zh := range []bool{false, true} {
		var b bytes.Buffer
		writeSummary(&b, s, zh)
		lines := strings.Split(b.String(), "\n")[:3]
		col := func(line, cell string) int { return runewidth.StringWidth(line[:strings.Index(line, cell)]) }
		if a, c := col(lines[1], "10"), col(lines[2], "3 "); a != c {
			t.Errorf("rows column at %d and %d:\n%s", a, c, strings.Join(lines, "\n"))
		}
		if zh != strings.Contains(lines[1], "身份证号无效 1") {
			t.Errorf("zh=%v: %q", zh, lines[1])
		}
	}
}
