package ingest_test

import (
	"testing"

	"github.com/minsheng/minsheng/lake"
)

// flagged_rows counts rows, not flags: a row with a stray quote and an ID number in its 康复机构
// is one flagged row with two flags, and a stray quote on a title or 合计 line flags no data row.
// Before, the stray quotes were added on top of the rows already flagged, so this file reported
// rows 2, flagged 4 (and FuzzIngestCSV's flagged ≤ rows failed on the audit's one-row file:
// rows 1, flagged 2).
func TestFlaggedCountsRows(t *testing.T) {
	const head = "姓名,身份证号,乡镇,残疾类别,是否脑瘫,康复机构,救助金额,其中生活费补助,救助日期\n"
	for _, c := range []struct {
		name, body          string
		rows, flagged       int
		idInText, strays    int
		firstFlaggedAtLeast int
	}{
		{"stray and ID on one row", head +
			"张三丰,11010519491231002X,松兹街道,肢体,否,\"监护人身份证340826199001010013,100,,2024/3/5\n",
			1, 1, 1, 1, 2},
		{"stray on the title and the footer", "\"2024年残疾儿童康复救助台账\n" + head +
			"张三丰,11010519491231002X,松兹街道,肢体,否,\"监护人身份证340826199001010013,100,,2024/3/5\n" +
			"李四,340826199001010013,孚玉镇,肢体,否,\"星星康复,100,,2024/3/5\n" +
			"合计,\"2人,,,,,200,,\n",
			2, 2, 1, 2, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := gbk(t, c.body)
			rep, dir := ingestBytes(t, sourceIndex(t, "child_rehab"), "台账.csv", body)
			if rep.Status != lake.StatusLanded {
				t.Fatalf("%s: %s", rep.Status, rep.MessageEn)
			}
			if rep.Rows != c.rows || rep.Flagged != c.flagged {
				t.Errorf("rows %d, flagged %d (flags %v); want rows %d, flagged %d", rep.Rows, rep.Flagged, rep.Flags, c.rows, c.flagged)
			}
			if rep.Flags["id_in_text"] != c.idInText || rep.Flags["stray_quote"] != c.strays {
				t.Errorf("flags %v, want id_in_text %d, stray_quote %d", rep.Flags, c.idInText, c.strays)
			}
			if len(rep.FirstFlagged) < c.firstFlaggedAtLeast {
				t.Errorf("first flagged %v: want at least %d", rep.FirstFlagged, c.firstFlaggedAtLeast)
			}
			checkOutcome(t, dir, rep, body)
		})
	}
}

// The 100-row file of issue 9 with a name typed as "王伟: every row is read, and the one stray
// quote is one flagged row (before issue 9, 98 rows vanished into one cell).
func TestStrayQuoteFileLandsEveryRow(t *testing.T) {
	body := "姓名,身份证号,乡镇,残疾类别,是否脑瘫,康复机构,救助金额,其中生活费补助,救助日期\n"
	body += "\"王伟,340826199001010013,孚玉镇,肢体,否,,100,,2024/3/5\n"
	for i := 0; i < 99; i++ {
		body += "李四,340826199001010013,孚玉镇,肢体,否,,100,,2024/3/5\n"
	}
	rep, dir := ingestBytes(t, sourceIndex(t, "child_rehab"), "台账.csv", []byte(body))
	defer checkOutcome(t, dir, rep, []byte(body))
	if rep.Status != lake.StatusLanded || rep.Rows != 100 || rep.Landed+rep.Rejected != 100 {
		t.Fatalf("%s: rows %d, landed %d, rejected %d: want 100 rows read", rep.Status, rep.Rows, rep.Landed, rep.Rejected)
	}
	if rep.Flagged != 1 || rep.Flags["stray_quote"] != 1 || len(rep.FirstFlagged) != 1 || rep.FirstFlagged[0].Row != 2 {
		t.Errorf("flagged %d, flags %v, first %v: want the one stray quote on row 2", rep.Flagged, rep.Flags, rep.FirstFlagged)
	}
}
