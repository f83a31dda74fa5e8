package minsheng

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// Kinds of indicator (targets.md).
const (
	KindCount    = "count"    // records counted against a target and the time progress
	KindRate     = "rate"     // a share, met when at or above the target
	KindStandard = "standard" // the share of payments meeting a policy standard; met at 100%
	KindMonitor  = "monitor"  // no number in the plan: shown, never late
)

// Target is one indicator of a year's list.
type Target struct {
	Code       string             `yaml:"code"`
	Item       string             `yaml:"item"`
	LeadUnit   string             `yaml:"lead_unit"`
	Title      string             `yaml:"title"`
	Kind       string             `yaml:"kind"`
	Target     float64            `yaml:"target"`
	Unit       string             `yaml:"unit"`
	Sources    []string           `yaml:"sources"`
	Parts      []string           `yaml:"parts"`
	Parent     string             `yaml:"parent"`
	Thresholds map[string]float64 `yaml:"thresholds"`
}

// Plan is a year's target registry with its settings.
type Plan struct {
	Year          int                `yaml:"year"`
	LagBandPoints float64            `yaml:"lag_band_points"`
	Settings      map[string]float64 `yaml:"settings"`
	Targets       []Target           `yaml:"targets"`
}

// Target returns the target with the given code.
func (p *Plan) Target(code string) (*Target, bool) {
	for i := range p.Targets {
		if p.Targets[i].Code == code {
			return &p.Targets[i], true
		}
	}
	return nil, false
}

// LoadPlans reads every year's registry from dir, or the shipped ones when dir is empty.
func LoadPlans(dir string, reg *Registry) (map[int]*Plan, error) {
	var fsys fs.FS = defaults
	root := "config/targets"
	if dir != "" {
		fsys, root = osDirFS(dir), "."
	}
	names, err := fs.Glob(fsys, filepath.ToSlash(filepath.Join(root, "*.yaml")))
	if err != nil {
		return nil, err
	}
	plans := map[int]*Plan{}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		p, err := ParsePlan(b, reg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if _, dup := plans[p.Year]; dup {
			return nil, fmt.Errorf("%s: a second plan for %d", n, p.Year)
		}
		plans[p.Year] = p
	}
	if len(plans) == 0 {
		return nil, fmt.Errorf("targets: no plan in %s", dir)
	}
	return plans, nil
}

// ParsePlan parses and checks one year's registry against the sources it names.
func ParsePlan(b []byte, reg *Registry) (*Plan, error) {
	var p Plan
	if err := yaml.UnmarshalWithOptions(b, &p, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	if p.Year < 2000 || p.Year > 2100 {
		return nil, fmt.Errorf("targets: year %d", p.Year)
	}
	if p.LagBandPoints <= 0 {
		return nil, fmt.Errorf("targets: lag_band_points must be positive")
	}
	seen := map[string]bool{}
	for _, t := range p.Targets {
		if t.Code == "" || seen[t.Code] {
			return nil, fmt.Errorf("targets: code %q empty or repeated", t.Code)
		}
		seen[t.Code] = true
		switch t.Kind {
		case KindCount, KindRate, KindStandard, KindMonitor:
		default:
			return nil, fmt.Errorf("targets: %s: unknown kind %q", t.Code, t.Kind)
		}
		if t.Kind != KindMonitor && t.Target <= 0 {
			return nil, fmt.Errorf("targets: %s: a %s needs a positive target", t.Code, t.Kind)
		}
		if strings.TrimSpace(t.LeadUnit) == "" || t.Title == "" {
			return nil, fmt.Errorf("targets: %s: lead_unit and title are required", t.Code)
		}
		for _, s := range t.Sources {
			if _, ok := reg.Source(s); !ok {
				return nil, fmt.Errorf("targets: %s: unknown source %q", t.Code, s)
			}
		}
	}
	for _, t := range p.Targets {
		for _, part := range t.Parts {
			if !seen[part] {
				return nil, fmt.Errorf("targets: %s: unknown part %q", t.Code, part)
			}
		}
		if t.Parent != "" && !seen[t.Parent] {
			return nil, fmt.Errorf("targets: %s: unknown parent %q", t.Code, t.Parent)
		}
		if len(t.Sources) == 0 && len(t.Parts) == 0 {
			return nil, fmt.Errorf("targets: %s: no sources and no parts", t.Code)
		}
	}
	return &p, nil
}
