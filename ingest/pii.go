package ingest

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/minsheng/minsheng/idcard"
)

// Free text is where clerks put what has no column: "监护人张某 身份证340826…", a formula
// =T(340826…). The ID column is pseudonymised; an ID number typed into a text cell must not land
// in clear either. maskIDRuns finds every run that is shaped as an ID number, ASCII or
// full-width digits with single spaces or hyphens between groups, and masks it as the ID column's
// masked form is masked.
//
// Shaped as an ID number: 18 characters (17 digits and a digit or X) whose check character
// matches, or whose birth date is a real date from 1900 to today (a number mistyped by one digit
// is still a person's); or 15 digits whose YYMMDD is a real date. A longer run of digits (a bank
// card) is masked where an 18-character window of it passes the check.

// maskIDRuns returns s with every ID-shaped run masked, and how many it masked.
func maskIDRuns(s string, today time.Time) (string, int) {
	if !hasDigitRun(s, 15) {
		return s, 0
	}
	var b strings.Builder
	n := 0
	last := 0 // bytes of s written so far
	for i := 0; i < len(s); {
		d, _ := digitAt2(s, i)
		if d < 0 {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		// a run of digits from i, with single separators between them
		var digits []byte
		end := i
		j := i
		for j < len(s) {
			d, size := digitAt2(s, j)
			if d >= 0 {
				digits = append(digits, byte(d))
				j += size
				end = j
				continue
			}
			if x, size := xAt(s, j); x && len(digits) == 17 {
				digits = append(digits, 'X')
				j += size
				end = j
				break
			}
			if sep, size := sepAt(s, j); sep && j+size < len(s) {
				if d2, _ := digitAt2(s, j+size); d2 >= 0 {
					j += size
					continue
				}
			}
			break
		}
		if start, stop, ok := idWithin(digits, today); ok {
			// map the digit positions back to bytes of s
			from, to := byteSpan(s, i, end, start, stop)
			b.WriteString(s[last:from])
			b.WriteString(idcard.Mask(string(digits[start:stop])))
			last = to
			n++
		}
		i = end
	}
	if n == 0 {
		return s, 0
	}
	b.WriteString(s[last:])
	return b.String(), n
}

// idWithin finds an ID number in a run of digits: the whole run when it is 15 or 18 long, else
// an 18-long window that passes the check.
func idWithin(d []byte, today time.Time) (int, int, bool) {
	switch {
	case len(d) == 18 && (checks(d) || birthOK(string(d[6:14]), today)):
		return 0, 18, true
	case len(d) == 15 && birthOK("19"+string(d[6:12]), today):
		return 0, 15, true
	case len(d) > 18:
		for k := 0; k+18 <= len(d); k++ {
			if checks(d[k:k+18]) && birthOK(string(d[k+6:k+14]), today) {
				return k, k + 18, true
			}
		}
	}
	return 0, 0, false
}

func checks(d []byte) bool {
	for _, c := range d[:17] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return idcard.CheckChar(string(d[:17])) == d[17]
}

func birthOK(ymd string, today time.Time) bool {
	if len(ymd) != 8 {
		return false
	}
	t, err := time.Parse("20060102", ymd)
	return err == nil && t.Year() >= 1900 && !t.After(today)
}

// byteSpan maps digits [start, stop) of the run s[from:to] to byte offsets of s.
func byteSpan(s string, from, to, start, stop int) (int, int) {
	k := 0
	a, z := from, to
	for i := from; i < to; {
		d, size := digitAt2(s, i)
		if d < 0 {
			if x, xs := xAt(s, i); x {
				d, size = 'X', xs
			}
		}
		if d >= 0 {
			if k == start {
				a = i
			}
			k++
			if k == stop {
				z = i + size
				break
			}
		}
		if size == 0 {
			_, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
	}
	return a, z
}

// digitAt2 returns the digit at s[i] ('0'..'9', ASCII or full-width) and its size, or -1.
func digitAt2(s string, i int) (int, int) {
	c := s[i]
	if c >= '0' && c <= '9' {
		return int(c), 1
	}
	if c == 0xEF && i+2 < len(s) && s[i+1] == 0xBC && s[i+2] >= 0x90 && s[i+2] <= 0x99 { // ０-９
		return int('0' + s[i+2] - 0x90), 3
	}
	return -1, 0
}

func xAt(s string, i int) (bool, int) {
	switch {
	case s[i] == 'X' || s[i] == 'x':
		return true, 1
	case strings.HasPrefix(s[i:], "Ｘ") || strings.HasPrefix(s[i:], "ｘ"):
		return true, 3
	}
	return false, 0
}

func sepAt(s string, i int) (bool, int) {
	switch {
	case s[i] == ' ' || s[i] == '-':
		return true, 1
	case strings.HasPrefix(s[i:], "\u3000"):
		return true, 3
	}
	return false, 0
}

// hasDigitRun is a quick test that s holds at least n digits at all: most text cells do not.
func hasDigitRun(s string, n int) bool {
	c := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' || s[i] == 0xBC && i > 0 && s[i-1] == 0xEF {
			if c++; c >= n {
				return true
			}
		}
	}
	return false
}

// cleanText removes from a text cell what a person cannot see and a page must not show: NUL
// and the other control characters (a line break and a tab stay), and the bidirectional
// overrides that make a text read backwards (U+202A–U+202E, U+2066–U+2069).
func cleanText(s string) string {
	dirty := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c == 0x7F || c == 0xE2 {
			dirty = true
			break
		}
	}
	if !dirty {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7F || r >= 0x80 && r < 0xA0:
			return -1
		case r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' || r == '\u200E' || r == '\u200F' || r == '\u061C':
			return -1
		}
		return r
	}, s)
}
