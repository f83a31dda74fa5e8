package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
)

// Fuzz targets for the value parsers, the header matcher and the CSV reader. Their seeds are in
// testdata/fuzz/<FuzzName>/ (cells as lead units type them; sources.md "Values"); plain `go test`
// runs the seeds, `make test` each target for a few seconds and `make fuzz` for FUZZTIME each.
// The whole-file targets (CSV and xlsx through New and IngestFile) are in fuzz_file_test.go, those
// of .xls and .ods in fuzz_office_test.go.

// The range a parsed date may fall in: ymd's years, and the Excel serials up to maxSerial.
var (
	minDate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = excelEpoch.AddDate(0, 0, maxSerial)
)

// FuzzParseDate: parseDate never panics and answers a date or errValue. A date is a UTC
// midnight in range, and every form sources.md lists of it (2024-03-05, 2024/3/5, 2024.3.5,
// 2024年3月5日, 20240305, its Excel serial, with a time of day) reads back as the same date;
// parseMonth reads the cell as the first of that date's month.
func FuzzParseDate(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDate(s)
		if err != nil {
			if err != errValue || !d.IsZero() {
				t.Fatalf("parseDate(%q) = %v, %v; want the zero time and errValue", s, d, err)
			}
			return
		}
		if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
			t.Fatalf("parseDate(%q) = %v: not a UTC midnight", s, d)
		}
		if d.Before(minDate) || d.After(maxDate) {
			t.Fatalf("parseDate(%q) = %v: out of range", s, d)
		}
		// TODO(issue 9): serials 73416-80000 (2101-01-01 to 2119-01-08) are read as dates although
		// no typed date after 2100 is (ymd refuses it): a serial's date and its typed forms
		// disagree there. Drop this early return once maxSerial and ymd agree.
		if d.Year() > 2100 {
			return
		}
		y, m, dd := d.Date()
		forms := []string{
			d.Format("2006-01-02"), d.Format("2006/1/2"), d.Format("2006.1.2"), d.Format("2006/01/02"),
			fmt.Sprintf("%d年%d月%d日", y, m, dd), fmt.Sprintf("%d年%02d月%02d日", y, m, dd),
			d.Format("20060102"), d.Format("2006-01-02 15:04:05"),
		}
		if serial := int(d.Sub(excelEpoch).Hours() / 24); serial >= minSerial && serial <= maxSerial {
			forms = append(forms, strconv.Itoa(serial), strconv.Itoa(serial)+".5")
		}
		for _, form := range forms {
			if got, err := parseDate(form); err != nil || !got.Equal(d) {
				t.Fatalf("parseDate(%q) = %v, but its form %q reads as %v, %v", s, d, form, got, err)
			}
		}
		first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		if got, err := parseMonth(s); err != nil || !got.Equal(first) {
			t.Fatalf("parseDate(%q) = %v, but parseMonth reads it as %v, %v", s, d, got, err)
		}
	})
}

// FuzzParseMonth: parseMonth never panics and answers the first day of a month or errValue; the
// month's forms (2024-03, 2024/3, 2024.3, 2024年3月, 202403) read back as the same month.
func FuzzParseMonth(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseMonth(s)
		if err != nil {
			if err != errValue || !d.IsZero() {
				t.Fatalf("parseMonth(%q) = %v, %v; want the zero time and errValue", s, d, err)
			}
			return
		}
		if d.Location() != time.UTC || d.Day() != 1 || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
			t.Fatalf("parseMonth(%q) = %v: not the first of a month at UTC midnight", s, d)
		}
		if d.Before(minDate) || d.After(maxDate) {
			t.Fatalf("parseMonth(%q) = %v: out of range", s, d)
		}
		if d.Year() > 2100 {
			return // see the TODO in FuzzParseDate: an Excel serial past 2100
		}
		forms := []string{d.Format("2006-01"), d.Format("2006/01"), d.Format("2006/1"), d.Format("2006.1"),
			fmt.Sprintf("%d年%d月", d.Year(), d.Month()), d.Format("200601"), d.Format("2006-01-02")}
		for _, form := range forms {
			if got, err := parseMonth(form); err != nil || !got.Equal(d) {
				t.Fatalf("parseMonth(%q) = %v, but its form %q reads as %v, %v", s, d, form, got, err)
			}
		}
	})
}

// fenText is the canonical form of an amount: yuan and two decimals, no sign.
func fenText(fen int64) string {
	if fen < 0 {
		fen = -fen
	}
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

// thousands groups the yuan of a canonical amount by three: 1234567.89 -> 1,234,567.89.
func thousands(canon string) string {
	intPart, frac, _ := strings.Cut(canon, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + "." + frac
}

// FuzzParseMoney: parseMoney never panics; it answers a non-negative amount in fen, errNegative
// with the negative amount, or errValue with 0. An amount is written with digits, separators,
// a decimal point or Excel's exponent only (besides ¥, ￥, RMB, 元 and spaces), and its
// canonical form, grouped by thousands or dressed with ¥ and 元, reads back as the same fen.
func FuzzParseMoney(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := parseMoney(s)
		switch {
		case err == errValue:
			if fen != 0 {
				t.Fatalf("parseMoney(%q) = %d with errValue", s, fen)
			}
			return
		case err == errNegative:
			if fen >= 0 {
				t.Fatalf("parseMoney(%q) = %d with errNegative", s, fen)
			}
			if got, err := parseMoney("-" + fenText(fen)); err != errNegative || got != fen {
				t.Fatalf("parseMoney(%q) = %d, but -%s reads as %d, %v", s, fen, fenText(fen), got, err)
			}
		case err != nil:
			t.Fatalf("parseMoney(%q): unexpected error %v", s, err)
		case fen < 0:
			t.Fatalf("parseMoney(%q) = %d without an error", s, fen)
		}
		if fen > 1e15 || fen < -1e15 {
			t.Fatalf("parseMoney(%q) = %d fen: past 13 digits of yuan", s, fen)
		}
		// What a number in a spreadsheet is made of: anything else (a letter, 0x, a second sign)
		// is not an amount a person typed.
		bare := s
		for _, mark := range []string{"¥", "￥", "RMB", "元"} {
			bare = strings.ReplaceAll(bare, mark, "")
		}
		if i := strings.IndexFunc(strings.TrimSpace(bare), func(r rune) bool { return !strings.ContainsRune("0123456789,.eE+-", r) }); i >= 0 {
			t.Fatalf("parseMoney(%q) = %d, %v: accepts %q", s, fen, err, strings.TrimSpace(bare)[i:])
		}
		if err != nil {
			return
		}
		canon := fenText(fen)
		for _, form := range []string{canon, thousands(canon), "¥" + canon, canon + "元", "￥" + thousands(canon) + "元", " " + canon + " "} {
			if got, err := parseMoney(form); err != nil || got != fen {
				t.Fatalf("parseMoney(%q) = %d, but its form %q reads as %d, %v", s, fen, form, got, err)
			}
		}
	})
}

// FuzzParseYear: a year is 1990-2100 and reads back from its forms.
func FuzzParseYear(f *testing.F) {
	for _, s := range []string{"2024", "2024年", "2024.0", "2024年度", "24", "二〇二四", "1989", "2101"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		y, err := parseYear(s)
		if err != nil {
			if err != errValue || y != 0 {
				t.Fatalf("parseYear(%q) = %d, %v", s, y, err)
			}
			return
		}
		if y < 1990 || y > 2100 {
			t.Fatalf("parseYear(%q) = %d: out of range", s, y)
		}
		for _, form := range []string{strconv.Itoa(y), strconv.Itoa(y) + "年", strconv.Itoa(y) + ".0"} {
			if got, err := parseYear(form); err != nil || got != y {
				t.Fatalf("parseYear(%q) = %d, but %q reads as %d, %v", s, y, form, got, err)
			}
		}
	})
}

// FuzzHeaderMatch: for any header row of any source, match never panics; it places each column
// at most once, at a cell that names it, no cell twice; missingRequired lists exactly the
// required columns not found; and a header a template decorates (surrounding and full-width
// spaces, the "*" of a required column, full-width brackets, a unit in brackets) names the same
// column. The input is the source's index in the registry and the row's cells, comma-separated.
func FuzzHeaderMatch(f *testing.F) {
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		f.Fatal(err)
	}
	matchers := make([]*headerMatcher, len(reg.Sources))
	for i := range reg.Sources {
		matchers[i] = newHeaderMatcher(reg, &reg.Sources[i])
	}
	footer := newFooterMatcher(reg.FooterMarkers)
	f.Fuzz(func(t *testing.T, source uint8, line string) {
		m := matchers[int(source)%len(matchers)]
		src := m.src
		row := strings.Split(line, ",")
		pos, found := m.match(row)
		if len(pos) != len(src.Columns) {
			t.Fatalf("%d positions for %d columns", len(pos), len(src.Columns))
		}
		n := 0
		used := map[int]bool{}
		for i, j := range pos {
			if j < 0 {
				if j != -1 {
					t.Fatalf("column %s at %d", src.Columns[i].Header, j)
				}
				continue
			}
			n++
			if j >= len(row) || used[j] {
				t.Fatalf("column %s at cell %d of %d (used: %v)", src.Columns[i].Header, j, len(row), used[j])
			}
			used[j] = true
			if c, ok := m.column(row[j]); !ok || c != i {
				t.Fatalf("column %s placed at cell %q, which names column %d (%v)", src.Columns[i].Header, row[j], c, ok)
			}
			if k := firstNaming(m, row, i); k != j {
				t.Fatalf("column %s placed at cell %d, but cell %d names it first", src.Columns[i].Header, j, k)
			}
			h := minsheng.NormalizeHeader(row[j])
			dressed := []string{" " + row[j] + "\u3000", "*" + row[j], strings.NewReplacer("(", "（", ")", "）").Replace(row[j])}
			if _, exact := m.alias[h]; exact && !strings.HasSuffix(h, ")") {
				dressed = append(dressed, row[j]+"(元)", row[j]+"（元/月）")
			}
			for _, d := range dressed {
				if c, ok := m.column(d); !ok || c != i {
					t.Fatalf("header %q names column %s, but %q names %d (%v)", row[j], src.Columns[i].Header, d, c, ok)
				}
			}
		}
		if n != found {
			t.Fatalf("found %d, but %d columns placed", found, n)
		}
		for j, cell := range row {
			if c, ok := m.column(cell); ok && !used[j] && pos[c] < 0 {
				t.Fatalf("cell %q names column %s, which was not placed", cell, src.Columns[c].Header)
			}
		}
		missing := map[string]bool{}
		for _, h := range m.missingRequired(pos) {
			missing[h] = true
		}
		for i, c := range src.Columns {
			if c.Required && pos[i] < 0 != missing[c.Header] {
				t.Fatalf("column %s: required, placed at %d, listed missing %v", c.Header, pos[i], missing[c.Header])
			}
		}
		if h := minsheng.NormalizeHeader(line); minsheng.NormalizeHeader(h) != h {
			t.Fatalf("NormalizeHeader(%q) = %q is not normalised", line, h)
		}
		footer.isFooter(row) // never panics
	})
}

// firstNaming is the first cell of row that names column i, or -1.
func firstNaming(m *headerMatcher, row []string, i int) int {
	for j, cell := range row {
		if c, ok := m.column(cell); ok && c == i {
			return j
		}
	}
	return -1
}

// physicalLines counts the lines of a text as a person sees them in an editor: each "\n" ends
// one, and a last line without one is a line too.
func physicalLines(text []byte) int {
	n := bytes.Count(text, []byte("\n"))
	if len(text) > 0 && text[len(text)-1] != '\n' {
		n++
	}
	return n
}

// FuzzCSVTable: the CSV reader never panics and always ends; row numbers rise and name a line of
// the text; an error is a refusal with a message (EINVALID); every line is accounted for (a
// record, an empty line, or a line inside a quoted cell), counted here apart. A text without a quote is read
// exactly as a person sees it: each non-empty line one row, at its line number, its cells the
// line split on the delimiter (the one the opening lines hold most of).
func FuzzCSVTable(f *testing.F) {
	f.Fuzz(func(t *testing.T, text []byte) {
		lines := physicalLines(text)
		tb := newCSVTable(bytes.NewReader(text), 4096)
		var rows [][]string
		var nums []int
		for tb.Next() {
			if len(rows) > lines {
				t.Fatalf("more rows than the %d lines of the text", lines)
			}
			n := tb.RowNum()
			if n < 1 || n > lines || len(nums) > 0 && n <= nums[len(nums)-1] {
				t.Fatalf("row %d at line %d after lines %v; the text has %d lines", len(rows)+1, n, nums, lines)
			}
			if len(tb.Row()) == 0 {
				t.Fatalf("row at line %d has no cell", n)
			}
			rows, nums = append(rows, append([]string(nil), tb.Row()...)), append(nums, n)
		}
		if tb.Next() {
			t.Fatal("Next after the end")
		}
		if err := tb.Err(); err != nil {
			var me *minsheng.Error
			if !errors.As(err, &me) || me.Code != minsheng.EINVALID || me.Zh == "" || me.En == "" {
				t.Fatalf("error %v is not a refusal with a message", err)
			}
		}
		// Every line of the text is a record, an empty line or a line inside a quoted cell.
		records, blank, continued, physical := tb.Account()
		if records != len(rows) || physical != lines || tb.Err() == nil && records+blank+continued != physical ||
			blank < 0 || continued < 0 {
			t.Fatalf("%d rows read; accounted: %d records, %d empty, %d inside cells, %d lines; the text has %d lines (err %v)",
				len(rows), records, blank, continued, physical, lines, tb.Err())
		}
		if bytes.IndexByte(text, '"') >= 0 {
			return
		}
		if err := tb.Err(); err != nil {
			t.Fatalf("a text without a quote refused: %v", err)
		}
		// the delimiter the opening lines hold most of: comma, tab, then semicolon on a tie
		comma, most := ",", -1
		head := text[:min(len(text), 64<<10)]
		for _, d := range []string{",", "\t", ";"} {
			if n := bytes.Count(head, []byte(d)); n > most {
				comma, most = d, n
			}
		}
		var want [][]string
		var wantNums []int
		for i, l := range strings.SplitAfter(string(text), "\n") {
			l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
			if l == "" {
				continue
			}
			want, wantNums = append(want, strings.Split(l, comma)), append(wantNums, i+1)
		}
		if fmt.Sprint(nums) != fmt.Sprint(wantNums) || fmt.Sprintf("%q", rows) != fmt.Sprintf("%q", want) {
			t.Fatalf("%.300q\n got rows %.300q at lines %v\nwant rows %.300q at lines %v", text, rows, nums, want, wantNums)
		}
	})
}
