package ingest

import (
	"strings"
	"unicode/utf8"

	"github.com/minsheng/minsheng"
)

// maxTitleRows is how far down a sheet the header row is looked for: title rows, a 填报单位 line
// and blank rows come before it, never pages of them.
const maxTitleRows = 30

// headerMatcher maps the headers of one source, normalised, to its columns.
type headerMatcher struct {
	src   *minsheng.Source
	alias map[string]int // normalised header -> column index in src.Columns
}

func newHeaderMatcher(reg *minsheng.Registry, src *minsheng.Source) *headerMatcher {
	m := &headerMatcher{src: src, alias: map[string]int{}}
	for i := range src.Columns {
		for _, a := range reg.Aliases(&src.Columns[i]) {
			n := minsheng.NormalizeHeader(a)
			if _, taken := m.alias[n]; !taken {
				m.alias[n] = i
			}
		}
	}
	return m
}

// column returns the column a header cell names: an exact alias, or an alias followed by a unit
// in brackets ("救助金额(元)", "发放标准(元/月)").
func (m *headerMatcher) column(cell string) (int, bool) {
	h := minsheng.NormalizeHeader(cell)
	if h == "" {
		return 0, false
	}
	if i, ok := m.alias[h]; ok {
		return i, true
	}
	if strings.HasSuffix(h, ")") {
		if j := strings.LastIndex(h, "("); j > 0 {
			if i, ok := m.alias[h[:j]]; ok {
				return i, true
			}
		}
	}
	return 0, false
}

// match maps a candidate header row: pos[i] is the cell index of column i, or -1.
func (m *headerMatcher) match(row []string) (pos []int, found int) {
	pos = make([]int, len(m.src.Columns))
	for i := range pos {
		pos[i] = -1
	}
	for j, cell := range row {
		if i, ok := m.column(cell); ok && pos[i] < 0 {
			pos[i] = j
			found++
		}
	}
	return pos, found
}

// missingRequired lists the required columns a header row lacks.
func (m *headerMatcher) missingRequired(pos []int) []string {
	var out []string
	for i, c := range m.src.Columns {
		if c.Required && pos[i] < 0 {
			out = append(out, c.Header)
		}
	}
	return out
}

// footerMatcher recognises a 合计 / 制表人 line under the data. It looks at a row's first non-empty
// cell only, and normalises it only when its first character could begin a marker: it runs on
// every row of every file.
type footerMatcher struct {
	markers []string
	first   map[rune]bool
}

func newFooterMatcher(markers []string) *footerMatcher {
	f := &footerMatcher{first: map[rune]bool{}}
	for _, m := range markers {
		n := minsheng.NormalizeHeader(m)
		if n == "" {
			continue
		}
		f.markers = append(f.markers, n)
		f.first[[]rune(n)[0]] = true
	}
	return f
}

func (f *footerMatcher) isFooter(row []string) bool {
	for _, cell := range row {
		c := trimCell(cell)
		if c == "" {
			continue
		}
		r, _ := utf8.DecodeRuneInString(c)
		if !f.first[r] {
			return false
		}
		c = minsheng.NormalizeHeader(c)
		for _, mk := range f.markers {
			if strings.HasPrefix(c, mk) {
				return true
			}
		}
		return false
	}
	return false
}
