package idcard

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The seeds are in testdata/fuzz/FuzzParse: ID cells as units type them (valid 18-character
// numbers with a digit or an X check character, lower-case x, 15-digit legacy numbers,
// full-width digits, spaces, a leading apostrophe, Excel's scientific notation) and near misses.
// `make fuzz` runs it longer.

// fuzzNow bounds birth dates; fixed so a failing input fails again.
var fuzzNow = time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)

var sentinels = []error{ErrEmpty, ErrLength, ErrCharacters, ErrScientific, ErrBirthDate, ErrFutureBirth, ErrChecksum, ErrRegion}

// FuzzParse: Parse never panics; it answers a valid ID or one of its sentinel errors, never both;
// a valid ID is 18 characters whose check character, birth date and sex agree with the number,
// parses again to itself, and keeps the cell's digits in order; Clean is idempotent and Parse
// reads a cell as it reads the cell cleaned.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		c := Clean(s)
		if cc := Clean(c); cc != c {
			t.Fatalf("Clean(%q) = %q, Clean of that = %q: not idempotent", s, c, cc)
		}
		id, err := Parse(s, fuzzNow)
		id2, err2 := Parse(c, fuzzNow)
		if id != id2 || err != err2 {
			t.Fatalf("Parse(%q) = %+v, %v but Parse(Clean) = %+v, %v", s, id, err, id2, err2)
		}
		if err != nil {
			known := false
			for _, e := range sentinels {
				known = known || errors.Is(err, e)
			}
			if !known {
				t.Fatalf("Parse(%q): error %v is none of the sentinels", s, err)
			}
			if id != (ID{}) {
				t.Fatalf("Parse(%q): error %v with an ID %+v", s, err, id)
			}
			return
		}
		n := id.Number
		if len(n) != 18 || !allDigits(n[:17]) || !(n[17] == 'X' || n[17] >= '0' && n[17] <= '9') {
			t.Fatalf("Parse(%q) = %q: not 17 digits and a check character", s, n)
		}
		if CheckChar(n) != n[17] {
			t.Fatalf("Parse(%q) = %q: check character %c, want %c", s, n, n[17], CheckChar(n))
		}
		if n[0] == '0' || n[0] == '9' {
			t.Fatalf("Parse(%q) = %q: region starts with %c", s, n, n[0])
		}
		birth, berr := time.Parse("20060102", n[6:14])
		if berr != nil || !id.Birth.Equal(birth) || id.Birth.Location() != time.UTC || id.Birth.After(fuzzNow) || id.Birth.Year() < 1880 {
			t.Fatalf("Parse(%q): birth %v for number %q", s, id.Birth, n)
		}
		if id.Male != ((n[16]-'0')%2 == 1) {
			t.Fatalf("Parse(%q): male %v for sequence digit %c", s, id.Male, n[16])
		}
		if again, err := Parse(n, fuzzNow); err != nil || again != id {
			t.Fatalf("the number %q of Parse(%q) parses to %+v, %v", n, s, again, err)
		}
		// The number is the cell's characters, cleaned: an 18-character cell as it is, a
		// 15-digit one with the century and a check character added.
		switch len(c) {
		case 18:
			if c != n {
				t.Fatalf("Parse(%q) = %q, the cell cleaned is %q", s, n, c)
			}
		case 15:
			if n[:6] != c[:6] || n[6:8] != "19" || n[8:17] != c[6:] {
				t.Fatalf("Parse(%q) = %q does not extend the 15 digits %q", s, n, c)
			}
		default:
			t.Fatalf("Parse(%q) = %q from a cleaned cell of %d bytes", s, n, len(c))
		}
		// Age is never negative on a day after the birth.
		if a := id.AgeOn(fuzzNow); a < 0 || a > fuzzNow.Year()-id.Birth.Year() {
			t.Fatalf("age %d of %q on %v", a, n, fuzzNow)
		}
		checkMask(t, n)
	})
}

// FuzzMask: a masked number keeps its length in characters and never shows the birth date and
// sequence of a number longer than ten characters; a masked name keeps its first character only
// (and the last, for three or more).
func FuzzMask(f *testing.F) {
	f.Add("11010519491231002X")
	f.Add("张三丰")
	f.Add("李四")
	f.Add("欧阳娜娜")
	f.Add(" 王 ")
	f.Add("１１０１０５１９４９１２３１００２Ｘ")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // cells are decoded text
		}
		checkMask(t, s)
		m := MaskName(s)
		r := []rune(strings.TrimSpace(s))
		mr := []rune(m)
		if len(mr) != len(r) {
			t.Fatalf("MaskName(%q) = %q: %d characters, want %d", s, m, len(mr), len(r))
		}
		for i := range mr {
			keep := len(r) > 1 && i == 0 || len(r) > 2 && i == len(r)-1
			if keep && mr[i] != r[i] || !keep && mr[i] != '*' {
				t.Fatalf("MaskName(%q) = %q", s, m)
			}
		}
	})
}

func checkMask(t *testing.T, number string) {
	t.Helper()
	m := Mask(number)
	r, mr := []rune(number), []rune(m)
	if len(mr) != len(r) {
		t.Fatalf("Mask(%q) = %q: %d characters, want %d", number, m, len(mr), len(r))
	}
	for i := range mr {
		keep := len(r) > 10 && (i < 6 || i >= len(r)-4)
		if keep && mr[i] != r[i] || !keep && mr[i] != '*' {
			t.Fatalf("Mask(%q) = %q: character %d", number, m, i)
		}
	}
}
