package minsheng

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
)

// ColumnType says how a cell is read, validated and stored.
type ColumnType string

const (
	TypeName           ColumnType = "name"            // a person's name: PII, lands masked only
	TypeIDNumber       ColumnType = "id_number"       // GB 11643 ID: PII, lands as pseudonym, mask, age, sex
	TypeDisabilityCert ColumnType = "disability_cert" // ID number + category digit + grade digit: PII
	TypeTownship       ColumnType = "township"        // one of the county profile's townships
	TypeVillage        ColumnType = "village"         // one of that township's villages
	TypeEnum           ColumnType = "enum"            // one of Values
	TypeText           ColumnType = "text"            // free text
	TypeDate           ColumnType = "date"
	TypeMonth          ColumnType = "month" // stored as the first day of the month
	TypeMoney          ColumnType = "money" // yuan, kept to the fen
	TypeYear           ColumnType = "year"
)

var columnTypes = map[ColumnType]bool{
	TypeName: true, TypeIDNumber: true, TypeDisabilityCert: true, TypeTownship: true,
	TypeVillage: true, TypeEnum: true, TypeText: true, TypeDate: true, TypeMonth: true,
	TypeMoney: true, TypeYear: true,
}

// PII reports whether values of this type identify a person and may never land in clear.
func (t ColumnType) PII() bool {
	return t == TypeName || t == TypeIDNumber || t == TypeDisabilityCert
}

// Condition makes a column's value required when another column of the same row holds one of
// Values, or (Present) holds any value at all.
type Condition struct {
	Column  string   `yaml:"column"`
	Values  []string `yaml:"values"`
	Present bool     `yaml:"present"`
}

// Column is one column of a source's extract.
type Column struct {
	Header       string     `yaml:"header"`
	Field        string     `yaml:"field"`
	Type         ColumnType `yaml:"type"`
	Required     bool       `yaml:"required"`
	RequiredWhen *Condition `yaml:"required_when"`
	Values       []string   `yaml:"values"`
	Aliases      []string   `yaml:"aliases"`
}

// Source is one departmental extract: its code, its lead unit, and its columns.
type Source struct {
	Code       string   `yaml:"code"`
	LeadUnit   string   `yaml:"lead_unit"`
	Title      string   `yaml:"title"`
	Sheet      string   `yaml:"sheet"`       // xlsx sheet to read; empty means the first
	DateColumn string   `yaml:"date_column"` // the header of the column that dates a record
	Columns    []Column `yaml:"columns"`
}

// Column returns the column with the canonical header h.
func (s *Source) Column(h string) (*Column, bool) {
	for i := range s.Columns {
		if s.Columns[i].Header == h {
			return &s.Columns[i], true
		}
	}
	return nil, false
}

// HasPerson reports whether the source's records are about a person (it has an ID column).
func (s *Source) HasPerson() bool {
	for _, c := range s.Columns {
		if c.Type == TypeIDNumber {
			return true
		}
	}
	return false
}

// Registry is the set of sources, with the header aliases and footer markers they share.
type Registry struct {
	CommonAliases map[string][]string `yaml:"common_aliases"`
	FooterMarkers []string            `yaml:"footer_markers"`
	Sources       []Source            `yaml:"sources"`
}

// Source returns the source with the given code.
func (r *Registry) Source(code string) (*Source, bool) {
	for i := range r.Sources {
		if r.Sources[i].Code == code {
			return &r.Sources[i], true
		}
	}
	return nil, false
}

// Aliases returns every header that names column c of a source, the canonical one first.
func (r *Registry) Aliases(c *Column) []string {
	out := []string{c.Header}
	out = append(out, c.Aliases...)
	out = append(out, r.CommonAliases[c.Header]...)
	return out
}

// LoadRegistry reads a source registry from path, or the shipped one when path is empty.
func LoadRegistry(path string) (*Registry, error) {
	b, err := readConfig(path, "config/sources.yaml")
	if err != nil {
		return nil, err
	}
	return ParseRegistry(b)
}

// ParseRegistry parses and checks a source registry.
func ParseRegistry(b []byte) (*Registry, error) {
	var r Registry
	if err := yaml.UnmarshalWithOptions(b, &r, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return &r, nil
}

func (r *Registry) validate() error {
	codes := map[string]bool{}
	for _, s := range r.Sources {
		if s.Code == "" || codes[s.Code] {
			return fmt.Errorf("source code %q is empty or repeated", s.Code)
		}
		codes[s.Code] = true
		if s.LeadUnit == "" {
			return fmt.Errorf("source %s: no lead_unit", s.Code)
		}
		dc, ok := s.Column(s.DateColumn)
		if !ok || (dc.Type != TypeDate && dc.Type != TypeMonth) {
			return fmt.Errorf("source %s: date_column %q is not a date or month column", s.Code, s.DateColumn)
		}
		fields := map[string]bool{}
		headers := map[string]bool{}
		ids := 0
		for _, c := range s.Columns {
			if !columnTypes[c.Type] {
				return fmt.Errorf("source %s: column %s: unknown type %q", s.Code, c.Header, c.Type)
			}
			if c.Field == "" || fields[c.Field] || headers[c.Header] {
				return fmt.Errorf("source %s: column %s: field %q is empty or repeated", s.Code, c.Header, c.Field)
			}
			fields[c.Field], headers[c.Header] = true, true
			if c.Type == TypeEnum && len(c.Values) == 0 {
				return fmt.Errorf("source %s: enum column %s has no values", s.Code, c.Header)
			}
			if c.Type == TypeIDNumber {
				ids++
			}
			if w := c.RequiredWhen; w != nil {
				if _, ok := s.Column(w.Column); !ok {
					return fmt.Errorf("source %s: column %s: required_when names unknown column %q", s.Code, c.Header, w.Column)
				}
			}
		}
		if ids > 1 {
			return fmt.Errorf("source %s: more than one id_number column", s.Code)
		}
	}
	return nil
}

// readConfig reads path from disk, or the embedded default when path is empty.
func readConfig(path, def string) ([]byte, error) {
	if path == "" {
		return fs.ReadFile(defaults, def)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), nil
}

// NormalizeHeader folds the ways one header is written: surrounding and inner spaces, full-width
// brackets and slashes, line breaks typed into a cell, and the "*" templates put on required ones.
func NormalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range h {
		switch r {
		case ' ', '\t', '\n', '\r', '\u3000', '\u00a0', '\ufeff', '*', '＊':
			continue
		case '（':
			r = '('
		case '）':
			r = ')'
		case '／':
			r = '/'
		}
		b.WriteRune(r)
	}
	return b.String()
}
