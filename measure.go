package minsheng

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
)

// How a measure makes a target's actual from its sums (config/measures.yaml: value).
const (
	ValueCount    = "count"     // keys counted
	ValueShare    = "share"     // compliant over judged
	ValueMeanYuan = "mean_yuan" // yuan over cases, rounded to the fen
)

// Measure is one way of computing a target that the SQL implements (config/measures.yaml). A
// target names its measure; the SQL finds its work by that name, never by the target's code.
type Measure struct {
	Name         string            `yaml:"-"`
	Value        string            `yaml:"value"`
	Kinds        []string          `yaml:"kinds"`
	Sources      []string          `yaml:"sources"`
	Settings     map[string]string `yaml:"settings"`      // threshold name → what it means
	PlanSettings []string          `yaml:"plan_settings"` // plan-wide settings it reads
	Parts        bool              `yaml:"parts"`         // the sum of the target's parts
	Categories   bool              `yaml:"categories"`    // persons and amounts by category
	About        string            `yaml:"about"`
}

// Rule is one check the SQL implements; a check of a plan names its rule and its target.
type Rule struct {
	Name          string            `yaml:"-"`
	Measure       string            `yaml:"measure"` // the measure of the check's target
	Subject       string            `yaml:"subject"`
	Settings      map[string]string `yaml:"settings"`
	PlanSettings  []string          `yaml:"plan_settings"`
	WithMeasure   string            `yaml:"with_measure"` // a second measure of the year it compares with
	DescriptionZh string            `yaml:"description_zh"`
}

// Catalog is every measure and rule the SQL implements.
type Catalog struct {
	Measures map[string]*Measure `yaml:"measures"`
	Rules    map[string]*Rule    `yaml:"rules"`
}

var (
	catalogOnce sync.Once
	catalog     *Catalog
	catalogErr  error
)

// ShippedCatalog is the catalog of the SQL this binary carries (config/measures.yaml). It is
// not the county's to replace: it changes with the SQL.
func ShippedCatalog() (*Catalog, error) {
	catalogOnce.Do(func() {
		b, err := defaults.ReadFile("config/measures.yaml")
		if err != nil {
			catalogErr = err
			return
		}
		catalog, catalogErr = ParseCatalog(b)
	})
	return catalog, catalogErr
}

// ParseCatalog parses and checks a catalog of measures and rules.
func ParseCatalog(b []byte) (*Catalog, error) {
	var c Catalog
	if err := yaml.UnmarshalWithOptions(b, &c, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("measures: %w", err)
	}
	for name, m := range c.Measures {
		m.Name = name
		switch m.Value {
		case ValueCount, ValueShare, ValueMeanYuan:
		default:
			return nil, fmt.Errorf("measures: %s: unknown value %q", name, m.Value)
		}
		if len(m.Kinds) == 0 {
			return nil, fmt.Errorf("measures: %s: no kinds", name)
		}
	}
	for name, r := range c.Rules {
		r.Name = name
		if _, ok := c.Measures[r.Measure]; !ok {
			return nil, fmt.Errorf("measures: rule %s: unknown measure %q", name, r.Measure)
		}
		if r.WithMeasure != "" {
			if _, ok := c.Measures[r.WithMeasure]; !ok {
				return nil, fmt.Errorf("measures: rule %s: unknown measure %q", name, r.WithMeasure)
			}
		}
		if r.Subject == "" || r.DescriptionZh == "" {
			return nil, fmt.Errorf("measures: rule %s: subject and description_zh are required", name)
		}
		for _, s := range placeholders(r.DescriptionZh) {
			if _, ok := r.Settings[s]; !ok {
				return nil, fmt.Errorf("measures: rule %s: the description names {%s}, not one of its settings", name, s)
			}
		}
	}
	return &c, nil
}

// MeasureNames and RuleNames list the catalog's names, sorted.
func (c *Catalog) MeasureNames() []string { return sortedNames(c.Measures) }

// RuleNames lists the catalog's rule names, sorted.
func (c *Catalog) RuleNames() []string { return sortedNames(c.Rules) }

func sortedNames[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Describe fills a rule's description with the values of its settings: a county whose plan
// caps 生活救助 at 15 months reads 15, not the policy text's 12.
func (r *Rule) Describe(settings map[string]float64) string {
	s := r.DescriptionZh
	for _, name := range placeholders(s) {
		s = strings.ReplaceAll(s, "{"+name+"}", strconv.FormatFloat(settings[name], 'f', -1, 64))
	}
	return s
}

// placeholders are the {name}s of a description, in order.
func placeholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, s[i+1:i+j])
		s = s[i+j+1:]
	}
}
