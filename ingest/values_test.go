package ingest

import "testing"

func TestParseDate(t *testing.T) {
	ok := map[string]string{
		"2024-03-05":          "2024-03-05",
		"2024/3/5":            "2024-03-05",
		"2024.3.5":            "2024-03-05",
		"2024年3月5日":           "2024-03-05",
		"2024年03月05日":         "2024-03-05",
		"20240305":            "2024-03-05",
		"2024-03-05 00:00:00": "2024-03-05",
		// Excel serials: 45356 days after 1899-12-30 is 2024-03-05 (45292 is 2024-01-01, +64).
		"45356":      "2024-03-05",
		"45356.5":    "2024-03-05",
		"45292":      "2024-01-01",
		"2024-02-29": "2024-02-29",
	}
	for in, want := range ok {
		got, err := parseDate(in)
		if err != nil || got.Format("2006-01-02") != want {
			t.Errorf("parseDate(%q) = %v, %v; want %s", in, got.Format("2006-01-02"), err, want)
		}
	}
	for _, in := range []string{"", "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "20241301", "2024.3", "abc", "3/5/2024", "123", "2024-3-5-1", "明天", "2024年3月", "99999"} {
		if got, err := parseDate(in); err == nil {
			t.Errorf("parseDate(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseMonth(t *testing.T) {
	ok := map[string]string{
		"2024-03": "2024-03-01", "2024/03": "2024-03-01", "2024/3": "2024-03-01", "2024年3月": "2024-03-01",
		"202403": "2024-03-01", "2024.3": "2024-03-01", "2024-03-17": "2024-03-01", "45356": "2024-03-01",
		"2024年12月": "2024-12-01",
	}
	for in, want := range ok {
		got, err := parseMonth(in)
		if err != nil || got.Format("2006-01-02") != want {
			t.Errorf("parseMonth(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2024-13", "202413", "2024", "三月", "2024年13月"} {
		if got, err := parseMonth(in); err == nil {
			t.Errorf("parseMonth(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseMoney(t *testing.T) {
	ok := map[string]int64{
		"1500": 150000, "1,500.00": 150000, "1500.5": 150050, "1500元": 150000, "1500.00元": 150000,
		"￥1,234,567.89": 123456789, "0": 0, "0.01": 1, "1500.0999999999999": 150010,
		"249.9975": 25000, "249.994": 24999, "1.5E+3": 150000, " 86 ": 8600, "86.": 8600, "1500 元 ": 150000,
	}
	for in, want := range ok {
		got, err := parseMoney(trimCell(in))
		if err != nil || got != want {
			t.Errorf("parseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "一千五", "待定", "15,00", "1.2.3", "abc元", "1,5000"} {
		if got, err := parseMoney(in); err == nil {
			t.Errorf("parseMoney(%q) = %d, want an error", in, got)
		}
	}
	if _, err := parseMoney("-20"); err != errNegative {
		t.Errorf("parseMoney(-20) error = %v, want errNegative", err)
	}
}

func TestParseYear(t *testing.T) {
	for in, want := range map[string]int{"2024": 2024, "2024年": 2024, "2024.0": 2024, "2024年度": 2024} {
		if got, err := parseYear(in); err != nil || got != want {
			t.Errorf("parseYear(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"24", "二〇二四", "20245", ""} {
		if _, err := parseYear(in); err == nil {
			t.Errorf("parseYear(%q): want an error", in)
		}
	}
}

func TestFormulaText(t *testing.T) {
	for in, want := range map[string]bool{
		"=cmd|' /c calc'!A0": true, "+SUM(A1)": true, "@HYPERLINK(x)": true, "-2+3=cmd|x": true,
		"县康复中心": false, "-": false, "-5": false, "=": false, "": false,
	} {
		if got := isFormulaText(in); got != want {
			t.Errorf("isFormulaText(%q) = %v", in, got)
		}
	}
}

func TestTrimCell(t *testing.T) {
	if got := trimCell("\u3000 低保对象 \u3000"); got != "低保对象" {
		t.Errorf("trimCell = %q", got)
	}
}
