package indicators

import (
	"context"
	"database/sql"
	"strings"
	"unicode"
	"unicode/utf8"
)

// nameKey is a masked name of three or four characters as ingest masks it: its first and last
// characters and its length (孙*强 is {孙, 强, 3}). Two-character names (王*) are left out: the
// first character alone would match half the sentences written.
type nameKey struct {
	first, last rune
	n           int
}

func (s *Snapshot) loadNames(ctx context.Context, q *sql.DB) error {
	rs, err := q.QueryContext(ctx, `select name_masked from person_name_masks`)
	if err != nil {
		return err
	}
	defer rs.Close()
	s.names = map[nameKey]string{}
	for rs.Next() {
		var m string
		if err := rs.Scan(&m); err != nil {
			return err
		}
		r := []rune(m)
		if len(r) < 3 || len(r) > 4 || strings.Trim(string(r[1:len(r)-1]), "*") != "" {
			continue
		}
		s.names[nameKey{r[0], r[len(r)-1], len(r)}] = m
	}
	return rs.Err()
}

// NameIn finds in a text what reads as the name of a person of the ledgers: three or four Han
// characters whose first and last are those of a masked name of the lake. It returns the masked
// name, never the text's characters.
func (s *Snapshot) NameIn(text string) (masked string, found bool) {
	if s == nil || len(s.names) == 0 || !utf8.ValidString(text) {
		return "", false
	}
	r := []rune(text)
	for i := range r {
		for _, n := range []int{3, 4} {
			if i+n > len(r) {
				break
			}
			w := r[i : i+n]
			han := true
			for _, c := range w {
				if !unicode.Is(unicode.Han, c) {
					han = false
					break
				}
			}
			if !han {
				continue
			}
			if m, ok := s.names[nameKey{w[0], w[n-1], n}]; ok {
				return m, true
			}
		}
	}
	return "", false
}
