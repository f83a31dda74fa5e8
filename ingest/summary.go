package ingest

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

// WriteSummary prints a run for a person: a line a file, then the totals. Columns line up by
// display width (a Chinese character takes two columns of a terminal, which text/tabwriter
// counted as one), and the reasons are named in Chinese on a Chinese terminal (LANG zh_*), by
// their codes elsewhere.
func WriteSummary(w io.Writer, s *Summary) {
	writeSummary(w, s, chineseTerminal())
}

func chineseTerminal() bool {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			return strings.HasPrefix(v, "zh")
		}
	}
	return false
}

func writeSummary(w io.Writer, s *Summary, zh bool) {
	table := [][]string{{"状态 status", "数据源 source", "文件 file", "行 rows", "入库 landed", "拒收 rejected", "原因 reasons"}}
	var rows, landed, rejected, files, refused int
	for _, r := range s.Reports {
		status := map[string]string{lake.StatusLanded: "入库 landed", lake.StatusRejected: "拒收 REJECTED", lake.StatusDuplicate: "重复 duplicate"}[r.Status]
		detail := reasonList(r.Reasons, zh)
		if r.Status != lake.StatusLanded {
			detail = r.MessageZh + " / " + r.MessageEn
		}
		table = append(table, []string{status, r.Source, r.FileName, fmt.Sprint(r.Rows), fmt.Sprint(r.Landed), fmt.Sprint(r.Rejected), detail})
		rows, landed, rejected = rows+r.Rows, landed+r.Landed, rejected+r.Rejected
		files++
		if r.Status == lake.StatusRejected {
			refused++
		}
	}
	writeColumns(w, table)
	for _, u := range s.Unknown {
		fmt.Fprintf(w, "未处理 ignored: %s — 文件夹名不是已知数据源 / its folder names no source\n", u)
	}
	rate := 0.0
	if secs := s.Duration.Seconds(); secs > 0 {
		rate = float64(rows) / secs
	}
	fmt.Fprintf(w, "共 %d 个文件(整份拒收 %d,已导入过而跳过 %d);%d 行:入库 %d,拒收 %d;用时 %.1fs(%.0f 行/秒)\n",
		files, refused, s.Skipped, rows, landed, rejected, s.Duration.Seconds(), rate)
	fmt.Fprintf(w, "%d files (%d refused whole, %d skipped as already ingested); %d rows: %d landed, %d rejected; %.1fs (%.0f rows/s)\n",
		files, refused, s.Skipped, rows, landed, rejected, s.Duration.Seconds(), rate)
}

// writeColumns pads every cell but the last of a row to its column's display width.
func writeColumns(w io.Writer, table [][]string) {
	var width []int
	for _, row := range table {
		for i, c := range row {
			if i == len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], runewidth.StringWidth(c))
		}
	}
	var b strings.Builder
	for _, row := range table {
		b.Reset()
		for i, c := range row {
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-runewidth.StringWidth(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func reasonList(m map[string]int, zh bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		name := k
		if r, ok := minsheng.ReasonByCode(k); ok && zh {
			name, _, _ = strings.Cut(r.Zh, ":") // the reason's name, without its advice
			name, _, _ = strings.Cut(name, ",")
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, m[k]))
	}
	sep := ", "
	if zh {
		sep = "、"
	}
	return strings.Join(parts, sep)
}
