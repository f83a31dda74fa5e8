package ingest

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/minsheng/minsheng/lake"
)

// WriteSummary prints a run for a person: a line a file, then the totals.
func WriteSummary(w io.Writer, s *Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "状态 status\t数据源 source\t文件 file\t行 rows\t入库 landed\t拒收 rejected\t原因 reasons")
	var rows, landed, rejected, files, refused int
	for _, r := range s.Reports {
		status := map[string]string{lake.StatusLanded: "入库 landed", lake.StatusRejected: "拒收 REJECTED", lake.StatusDuplicate: "重复 duplicate"}[r.Status]
		detail := reasonList(r.Reasons)
		if r.Status != lake.StatusLanded {
			detail = r.MessageZh + " / " + r.MessageEn
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", status, r.Source, r.FileName, r.Rows, r.Landed, r.Rejected, detail)
		rows, landed, rejected = rows+r.Rows, landed+r.Landed, rejected+r.Rejected
		files++
		if r.Status == lake.StatusRejected {
			refused++
		}
	}
	tw.Flush()
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

func reasonList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
