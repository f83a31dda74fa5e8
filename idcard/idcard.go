// Package idcard reads citizen ID numbers (公民身份号码) as GB 11643-1999 defines them: 17 digits
// (6 region, 8 birth date, 3 sequence, odd for men) and an ISO 7064 MOD 11-2 check character.
// Legacy 15-digit numbers (no century, no check character) are upgraded to 18.
package idcard

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// The reasons a number is refused; each is a sentinel so callers can give a person a message.
var (
	ErrEmpty       = errors.New("empty")
	ErrLength      = errors.New("not 15 or 18 characters")
	ErrCharacters  = errors.New("characters other than digits and a final X")
	ErrScientific  = errors.New("stored as a number in scientific notation: digits were lost")
	ErrBirthDate   = errors.New("the birth date in the number is not a real date")
	ErrFutureBirth = errors.New("the birth date in the number is in the future")
	ErrChecksum    = errors.New("the check character does not match")
	ErrRegion      = errors.New("the region code is not valid")
)

var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const checkChars = "10X98765432"

// CheckChar returns the check character for the first 17 digits of a number.
func CheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * weights[i]
	}
	return checkChars[sum%11]
}

// ID is a valid 18-character number with what the checks need from it.
type ID struct {
	Number string    // 18 characters, upper-case X
	Birth  time.Time // UTC midnight
	Male   bool
}

// Clean folds what spreadsheets do to an ID cell: spaces, a leading apostrophe, full-width digits,
// a lower-case x.
func Clean(s string) string {
	if isASCIIDigitsOrX(s) {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\u3000' || r == '\u00a0' || r == '\'' || r == '‘' || r == '’' || r == '\ufeff' || r == '-':
			continue
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + r - '０'))
		case r == 'x' || r == 'ｘ' || r == 'Ｘ':
			b.WriteByte('X')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isASCIIDigitsOrX(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9') && c != 'X' && c != 'x' {
			return false
		}
	}
	return s != ""
}

// Parse validates a number as a spreadsheet cell holds it. now bounds the birth date.
func Parse(s string, now time.Time) (ID, error) {
	s = Clean(s)
	if s == "" {
		return ID{}, ErrEmpty
	}
	if strings.ContainsAny(s, "Ee") && strings.Contains(s, ".") || strings.Contains(s, "E+") {
		return ID{}, ErrScientific
	}
	switch len(s) {
	case 15:
		if !allDigits(s) {
			return ID{}, ErrCharacters
		}
		s = s[:6] + "19" + s[6:]
		s += string(CheckChar(s))
	case 18:
		if !allDigits(s[:17]) || !(s[17] == 'X' || s[17] >= '0' && s[17] <= '9') {
			return ID{}, ErrCharacters
		}
	default:
		if utf8.RuneCountInString(s) == 15 || utf8.RuneCountInString(s) == 18 {
			return ID{}, ErrCharacters
		}
		return ID{}, ErrLength
	}
	if s[0] == '0' || s[0] == '9' {
		return ID{}, ErrRegion
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1880 {
		return ID{}, ErrBirthDate
	}
	if birth.After(now) {
		return ID{}, ErrFutureBirth
	}
	if CheckChar(s) != s[17] {
		return ID{}, ErrChecksum
	}
	return ID{Number: s, Birth: birth, Male: (s[16]-'0')%2 == 1}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// AgeOn returns the age in whole years on day d.
func (id ID) AgeOn(d time.Time) int {
	age := d.Year() - id.Birth.Year()
	if d.Month() < id.Birth.Month() || d.Month() == id.Birth.Month() && d.Day() < id.Birth.Day() {
		age--
	}
	return age
}

// Mask hides the birth date and sequence: 340826********123X keeps the region and the last four.
func Mask(number string) string {
	n := utf8.RuneCountInString(number)
	if n <= 10 {
		return strings.Repeat("*", n)
	}
	r := []rune(number)
	for i := 6; i < n-4; i++ {
		r[i] = '*'
	}
	return string(r)
}

// MaskName keeps the first and (for three characters or more) the last character: 张*丰, 李*.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	default:
		return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
	}
}
