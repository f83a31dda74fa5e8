package idcard

import (
	"errors"
	"testing"
	"time"
)

var now = time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)

// The check characters here were worked out by hand from the GB 11643 weights, not by CheckChar.
func TestParse(t *testing.T) {
	tests := []struct {
		in    string
		want  string
		err   error
		male  bool
		birth string
	}{
		// 11010519491231002: sum = 1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0*8+0*4+2*2 = 167; 167%11 = 2 -> 'X'
		{in: "11010519491231002X", want: "11010519491231002X", birth: "1949-12-31", male: false},
		{in: "11010519491231002x", want: "11010519491231002X", birth: "1949-12-31"},
		{in: " '11010519491231002X ", want: "11010519491231002X", birth: "1949-12-31"},
		{in: "１１０１０５１９４９１２３１００２Ｘ", want: "11010519491231002X", birth: "1949-12-31"},
		{in: "110105194912310021", err: ErrChecksum},
		// 34082620240230001?: February 30th is no date.
		{in: "340826202402300011", err: ErrBirthDate},
		{in: "340826203001010011", err: ErrFutureBirth},
		{in: "3.40826199001011E+17", err: ErrScientific},
		{in: "12345", err: ErrLength},
		{in: "", err: ErrEmpty},
		{in: "11010519491231002Y", err: ErrCharacters},
		// 15 digits 110105491231002 -> 11010519491231002 + check X (as above).
		{in: "110105491231002", want: "11010519491231002X", birth: "1949-12-31"},
		// 34082619900101001: 3*7+4*9+0+8*5+2*8+6*4+1*2+9+9*6+0+0+1*9+0+1*5+0+0+1*2 = 218; 218%11=9 -> '3'; sequence 001 odd -> male
		{in: "340826199001010013", want: "340826199001010013", birth: "1990-01-01", male: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, now)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Parse(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q) error = %v", tt.in, err)
			continue
		}
		if got.Number != tt.want || got.Birth.Format("2006-01-02") != tt.birth {
			t.Errorf("Parse(%q) = %s %s, want %s %s", tt.in, got.Number, got.Birth.Format("2006-01-02"), tt.want, tt.birth)
		}
		if tt.male && !got.Male {
			t.Errorf("Parse(%q) not male", tt.in)
		}
	}
}

func TestAgeOn(t *testing.T) {
	id, err := Parse("340826199001010013", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		day  string
		want int
	}{{"2024-01-01", 34}, {"2023-12-31", 33}, {"1990-01-01", 0}} {
		d, _ := time.Parse("2006-01-02", tt.day)
		if got := id.AgeOn(d); got != tt.want {
			t.Errorf("AgeOn(%s) = %d, want %d", tt.day, got, tt.want)
		}
	}
}

func TestMask(t *testing.T) {
	if got := Mask("34082619900101001X"); got != "340826********001X" {
		t.Errorf("Mask = %s", got)
	}
	for in, want := range map[string]string{"张三丰": "张*丰", "李四": "李*", "王": "*", "欧阳娜娜": "欧**娜"} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%s) = %s, want %s", in, got, want)
		}
	}
}
