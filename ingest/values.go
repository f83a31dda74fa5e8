package ingest

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The value parsers accept what lead units' spreadsheets really hold (sources.md "Values") and
// nothing looser: an ambiguous value is rejected with a reason rather than guessed.

var errValue = errors.New("invalid value")

// trimCell removes the spaces spreadsheets leave around a value, full-width ones included.
func trimCell(s string) string {
	// Most cells have nothing to trim: look at the first and the last character only.
	if s == "" {
		return s
	}
	if c := s[0]; c < utf8.RuneSelf {
		if c <= ' ' {
			return trimCellSlow(s)
		}
	} else if !(cjkLead(c) && len(s) >= 3) {
		if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) || r == '\ufeff' {
			return trimCellSlow(s)
		}
	}
	if c := s[len(s)-1]; c < utf8.RuneSelf {
		if c <= ' ' {
			return trimCellSlow(s)
		}
	} else if !(len(s) >= 3 && cjkLead(s[len(s)-3]) && s[len(s)-2] >= 0x80 && s[len(s)-2] < 0xC0 && c < 0xC0) {
		if r, _ := utf8.DecodeLastRuneInString(s); unicode.IsSpace(r) {
			return trimCellSlow(s)
		}
	}
	return s
}

// cjkLead reports whether c leads a three-byte sequence in U+4000-U+EFFF (CJK ideographs, Yi,
// Hangul, ...): no space and no byte order mark is there. (Space-like characters past ASCII are
// U+0085, U+00A0, U+1680, U+2000-U+205F, U+3000 and U+FEFF.)
func cjkLead(c byte) bool { return c >= 0xE4 && c <= 0xEE }

func trimCellSlow(s string) string {
	s = strings.TrimSpace(s)
	for {
		r, n := utf8.DecodeRuneInString(s)
		if n > 0 && (r == '\u3000' || r == '\u00a0' || r == '\ufeff') {
			s = strings.TrimSpace(s[n:])
			continue
		}
		r, n = utf8.DecodeLastRuneInString(s)
		if n > 0 && (r == '\u3000' || r == '\u00a0') {
			s = strings.TrimSpace(s[:len(s)-n])
			continue
		}
		return s
	}
}

// excelEpoch is day 0 of Excel's 1900 date system, counting its phantom 1900-02-29.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// Serials from 1954 to 2119: a bare integer in this range in a date column is an Excel date.
const minSerial, maxSerial = 20000, 80000

// parseDate reads 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, an Excel serial
// (45356 or 45356.5), and a trailing time ("2024-03-05 00:00:00").
func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errValue
	}
	for i := 1; i < len(s); i++ { // strings.IndexAny(s, " T") without its rune decoding
		if s[i] == ' ' || s[i] == 'T' {
			s = s[:i]
			break
		}
	}
	if allDigits(s) {
		switch {
		case len(s) == 8:
			return ymd(atoi(s[:4]), atoi(s[4:6]), atoi(s[6:]))
		case len(s) == 5:
			n := atoi(s)
			if n >= minSerial && n <= maxSerial {
				return excelEpoch.AddDate(0, 0, n), nil
			}
		}
		return time.Time{}, errValue
	}
	// (ParseFloat only for a string with one dot: its error costs an allocation.)
	if strings.Count(s, ".") != 1 {
	} else if f, err := strconv.ParseFloat(s, 64); err == nil {
		// An Excel serial with a time of day; "2024.3" is not a date and fails the range.
		if f >= minSerial && f < maxSerial && strings.Index(s, ".") == 5 {
			return excelEpoch.AddDate(0, 0, int(f)), nil
		}
	}
	parts, ok := splitDate(s, 3)
	if !ok {
		return time.Time{}, errValue
	}
	return ymd(parts[0], parts[1], parts[2])
}

// parseMonth reads 2024-03, 2024/03, 2024.3, 2024年3月, 202403, a full date, or an Excel serial,
// and returns the first day of the month.
func parseMonth(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errValue
	}
	if allDigits(s) && len(s) == 6 {
		return ymd(atoi(s[:4]), atoi(s[4:]), 1)
	}
	if parts, ok := splitDate(s, 2); ok {
		return ymd(parts[0], parts[1], 1)
	}
	d, err := parseDate(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC), nil
}

// splitDate splits "2024-3-5", "2024/03/05", "2024.3.5" or "2024年3月5日" into n numbers.
func splitDate(s string, n int) ([3]int, bool) {
	var out [3]int
	k := 0 // numbers found; only the first three are kept, and more than n fails
	add := func(v int) {
		if k < len(out) {
			out[k] = v
		}
		k++
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "日"), "号")
	start := 0
	for i := 0; i <= len(s); {
		if i == len(s) {
			v := -1
			if start < i {
				v = atoiOK(s[start:i])
			}
			add(v)
			break
		}
		if c := s[i]; c >= '0' && c <= '9' {
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '-', '/', '.', '年', '月':
		default:
			return out, false
		}
		add(atoiOK(s[start:i]))
		i += w
		start = i
		if r == '月' && i == len(s) {
			break
		}
	}
	if k > 0 && k <= len(out) && out[k-1] == -1 && strings.HasSuffix(s, "月") {
		k--
	}
	if k != n {
		return out, false
	}
	for i, v := range out[:k] {
		if v < 0 || i == 0 && (v < 1000 || v > 9999) {
			return out, false
		}
	}
	return out, true
}

func ymd(y, m, d int) (time.Time, error) {
	if y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, errValue
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 2024-02-30 normalises to March: not a real date
		return time.Time{}, errValue
	}
	return t, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func atoiOK(s string) int {
	if s == "" || len(s) > 4 || !allDigits(s) {
		return -1
	}
	return atoi(s)
}

var errNegative = errors.New("negative amount")

// parseMoney reads 1500, 1,500.00, 1500.5, "1500元", "￥1500", "1.5E+3" (Excel's raw value of a
// large number) and returns fen, rounding half up at the fen: Excel's raw value of 1500.1 is
// 1500.0999999999999, which is 1500.10.
func parseMoney(s string) (int64, error) {
	s = strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(s, "元")), "元")
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥"), "RMB")
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errValue
	}
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f > 1e13 {
			return 0, errValue
		}
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	if strings.Contains(s, ",") {
		// Thousands separators must group by three: "1,500.00" yes, "15,00" no.
		intPart, _, _ := strings.Cut(s, ".")
		groups := strings.Split(intPart, ",")
		for i, g := range groups {
			if g == "" || len(g) > 3 || i > 0 && len(g) != 3 {
				return 0, errValue
			}
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) || hasDot && frac != "" && !allDigits(frac) || len(intPart) > 13 {
		return 0, errValue
	}
	fen := int64(atoi(intPart)) * 100
	for i := 0; i < 2; i++ {
		fen += int64(digitAt(frac, i)) * []int64{10, 1}[i]
	}
	if digitAt(frac, 2) >= 5 {
		fen++
	}
	if fen >= 1e15 { // rounded up past 13 digits of yuan: refused as its written form would be
		return 0, errValue
	}
	if neg && fen != 0 {
		return -fen, errNegative
	}
	return fen, nil
}

func digitAt(s string, i int) int {
	if i < len(s) {
		return int(s[i] - '0')
	}
	return 0
}

// parseYear reads 2024, "2024年" and Excel's raw "2024.0".
func parseYear(s string) (int, error) {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "年度"), "年")
	s = strings.TrimSuffix(s, ".0")
	if len(s) != 4 || !allDigits(s) {
		return 0, errValue
	}
	y := atoi(s)
	if y < 1990 || y > 2100 {
		return 0, errValue
	}
	return y, nil
}

// isFormulaText reports whether a cell would be taken for a formula by a spreadsheet that opens
// an export of it (CSV injection: =cmd|' /c calc'!A0, +SUM(), @HYPERLINK()).
func isFormulaText(s string) bool {
	if len(s) < 2 {
		return false
	}
	switch s[0] {
	case '=', '+', '@':
		return true
	case '-':
		// "-5" or "--" are ordinary; "-cmd|..." or "-2+3" style is not data anyone types.
		return strings.ContainsAny(s, "=(|!")
	}
	return false
}
