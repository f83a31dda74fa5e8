package ingest

import (
	"testing"
	"time"
)

// ID numbers typed into free text are masked however they are typed; other numbers stay.
func TestMaskIDRuns(t *testing.T) {
	today := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in, want string
		n        int
	}{
		{"监护人王某身份证34082619900101001X已核", "监护人王某身份证340826********001X已核", 1},
		{"=T(340826199001010013)", "=T(340826********0013)", 1},
		{"340826 1990 0101 0013", "340826********0013", 1},
		{"３４０８２６１９９００１０１００１３", "340826********0013", 1},
		{"旧证340826900101001", "旧证340826*****1001", 1}, // 15 digits, in Mask's form for them
		{"卡号62340826199001010013 电话13800000000", "卡号62340826********0013 电话13800000000", 1},
		{"金额150000元,电话13800000000", "金额150000元,电话13800000000", 0},
		{"订单号123456789012345678", "订单号123456789012345678", 0}, // no check, no real birth date
		{"", "", 0},
	}
	for _, c := range cases {
		got, n := maskIDRuns(c.in, today)
		if n != c.n || got != c.want {
			t.Errorf("maskIDRuns(%q) = %q, %d; want %q, %d", c.in, got, n, c.want, c.n)
		}
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"a\x00b":           "ab",
		"报告\u202Excod.exe": "报告xcod.exe",
		"第一行\n第二行\t备注":     "第一行\n第二行\t备注",
		"—破折号…":            "—破折号…",
		"\x1b[31m红\x7f":    "[31m红",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"报告\u202excod.exe": "报告xcod.exe",
		"a\x00\nb.csv":     "a b.csv",
		"\u202e":           "upload",
		"台账(2024).xlsx":    "台账(2024).xlsx",
	} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
