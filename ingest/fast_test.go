package ingest

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/minsheng/minsheng/idcard"
)

// The fast paths of the row loop must answer exactly what the plain code answers, on anything
// a cell can hold: each is compared here with the code it stands in for, on hand-picked cells
// and on many random ones made of the characters that matter (spaces of every kind, the byte
// order mark, CJK, ASCII, bytes that are not UTF-8).

var cellAlphabet = []string{
	"a", "1", "-", "X", ".", "/", "年", "月", "日", "号", "张", "丰", "ꀀ", "힣", "\uE000",
	" ", "\t", "\n", "\r", "\u3000", "\u00a0", "\ufeff", "\u0085", "\u2003", "\u205f", "\u1680",
	"\xe4", "\xc2", "\xa0", "\xbd", "\xff",
}

func randomCells(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for k := r.IntN(7); k > 0; k-- {
			b.WriteString(cellAlphabet[r.IntN(len(cellAlphabet))])
		}
		out[i] = b.String()
	}
	return out
}

func TestTrimCellFastPath(t *testing.T) {
	cells := append(randomCells(200_000),
		"", "a", " a", "a ", "\u3000低保对象\u3000", "\ufeff张三", "张三\ufeff", "张三\u00a0", "\u00a0张三",
		"张\xe4\xc2\xa0", "\xe4\xbd", "\xe4", "丰\u2003", "\u205f丰", "ꀀ", "\uE000 ")
	for _, c := range cells {
		if got, want := trimCell(c), trimCellSlow(c); got != want {
			t.Fatalf("trimCell(%q) = %q, the plain trim gives %q", c, got, want)
		}
	}
}

func TestMaskNameFastPath(t *testing.T) {
	cells := append(randomCells(100_000), "", "张", "张三", "张三丰", "欧阳娜娜", " 李四 ", "\xff张三", "a", "ab", "abc")
	for _, c := range cells {
		if got, want := maskName(c), idcard.MaskName(c); got != want {
			t.Fatalf("maskName(%q) = %q, idcard.MaskName gives %q", c, got, want)
		}
	}
}

func TestMaskIDFastPath(t *testing.T) {
	for _, n := range []string{"340826199001010013", "11010519491231002X", "110105491231002", "12345", "", "３４０８２６１９９００１０１００１３"} {
		if got, want := maskID(n), idcard.Mask(n); got != want {
			t.Errorf("maskID(%q) = %q, idcard.Mask gives %q", n, got, want)
		}
	}
}

func TestAgeOnFromParts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	day := func() time.Time {
		return time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(200*366))
	}
	for i := 0; i < 100_000; i++ {
		birth, on := day(), day()
		if i%3 == 0 { // birthdays and the days around them
			on = time.Date(on.Year(), birth.Month(), birth.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(3)-1)
		}
		by, bm, bd := birth.Date()
		y, m, d := on.Date()
		if got, want := ageOn(by, int(bm), bd, y, int(m), d), (idcard.ID{Birth: birth}).AgeOn(on); got != want {
			t.Fatalf("age on %s of someone born %s: %d, idcard says %d", on.Format(time.DateOnly), birth.Format(time.DateOnly), got, want)
		}
	}
}

// splitDateSlices is splitDate as it was written first, with slices: the reference.
func splitDateSlices(s string, n int) ([]int, bool) {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "日"), "号")
	out := make([]int, 0, 3)
	start := 0
	for i := 0; i <= len(s); {
		if i == len(s) {
			out = append(out, -1)
			if start < i {
				out[len(out)-1] = atoiOK(s[start:i])
			}
			break
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r >= '0' && r <= '9' {
			i += w
			continue
		}
		switch r {
		case '-', '/', '.', '年', '月':
		default:
			return nil, false
		}
		out = append(out, atoiOK(s[start:i]))
		i += w
		start = i
		if r == '月' && i == len(s) {
			break
		}
	}
	if len(out) > 0 && out[len(out)-1] == -1 && strings.HasSuffix(s, "月") {
		out = out[:len(out)-1]
	}
	if len(out) != n {
		return nil, false
	}
	for i, v := range out {
		if v < 0 || i == 0 && (v < 1000 || v > 9999) {
			return nil, false
		}
	}
	return out, true
}

func TestSplitDateWithoutSlices(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	parts := []string{"2024", "1999", "3", "03", "12", "31", "0", "", "-", "/", ".", "年", "月", "日", "号", "x", "１"}
	cells := []string{"2024-3-5", "2024/03/05", "2024.3.5", "2024年3月5日", "2024年3月", "2024-03", "2024年3月5号", "2024--5", "999-1-1", "2024-1-2-3"}
	for i := 0; i < 200_000; i++ {
		var b strings.Builder
		for k := 1 + r.IntN(6); k > 0; k-- {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		cells = append(cells, b.String())
	}
	for _, c := range cells {
		for n := 2; n <= 3; n++ {
			want, wok := splitDateSlices(c, n)
			got, ok := splitDate(c, n)
			if ok != wok || ok && !equalInts(got[:n], want) {
				t.Fatalf("splitDate(%q, %d) = %v %v, want %v %v", c, n, got, ok, want, wok)
			}
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fanOut writes, hashes and checks every byte once, in order, whatever the size against its chunk.
func TestFanOut(t *testing.T) {
	const chunk = 4 << 20
	for _, size := range []int{0, 1, chunk - 1, chunk, chunk + 1, 3*chunk + 17} {
		data := []byte(strings.Repeat("困难职工,帮扶救助\n", size/10+1))[:size]
		var out bytes.Buffer
		h := sha256.New()
		var u utf8Validator
		if err := fanOut(bytes.NewReader(data), &out, h, &u); err != nil {
			t.Fatal(err)
		}
		if want := sha256.Sum256(data); !bytes.Equal(out.Bytes(), data) || !bytes.Equal(h.Sum(nil), want[:]) || u.Valid() != utf8.Valid(data) {
			t.Errorf("%d bytes: copied %d, hash or UTF-8 verdict differ", size, out.Len())
		}
	}
}
