package minsheng

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
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
	Measure    string             `yaml:"measure"` // the catalog's name of what computes it
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
	Checks        []Check            `yaml:"checks"`
}

// Check is one named check of a year's list: the rule of the catalog that finds its violations,
// and the target whose lead unit answers for it and whose thresholds are the rule's limits.
type Check struct {
	Name   string `yaml:"name"`
	Target string `yaml:"target"`
	Rule   string `yaml:"rule"`
}

// Description is what people read of a check: its rule's text with the plan's values.
func (p *Plan) Description(c Check) string {
	cat, err := ShippedCatalog()
	if err != nil {
		return c.Name
	}
	r, ok := cat.Rules[c.Rule]
	t, okT := p.Target(c.Target)
	if !ok || !okT {
		return c.Name
	}
	return r.Describe(t.Thresholds)
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
			var e *Error
			if errors.As(err, &e) {
				return nil, &Error{Code: e.Code, Zh: "年度计划 " + n + " " + e.Zh, En: "plan " + n + ", " + e.En}
			}
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if _, dup := plans[p.Year]; dup {
			return nil, Errorf(EINVALID, "年度计划 %s:%d 年已有一份计划", "plan %s: a second plan for %d", n, p.Year)
		}
		plans[p.Year] = p
	}
	if len(plans) == 0 {
		return nil, fmt.Errorf("targets: no plan in %s", dir)
	}
	return plans, nil
}

// planError is a plan the service does not understand, naming the line of the year file that
// says so (0: the whole file): the build and the server refuse it at start, so it never answers 0.
func planError(line int, zh, en string) *Error {
	if line > 0 {
		return &Error{Code: EINVALID, Zh: fmt.Sprintf("第 %d 行:%s", line, zh), En: fmt.Sprintf("line %d: %s", line, en)}
	}
	return &Error{Code: EINVALID, Zh: zh, En: en}
}

// ParsePlan parses and checks one year's registry against the sources it names and the catalog
// of measures and rules the SQL implements.
func ParsePlan(b []byte, reg *Registry) (*Plan, error) {
	cat, err := ShippedCatalog()
	if err != nil {
		return nil, err
	}
	return ParsePlanWith(b, reg, cat)
}

// ParsePlanWith is ParsePlan against a given catalog.
func ParsePlanWith(b []byte, reg *Registry, cat *Catalog) (*Plan, error) {
	var p Plan
	if err := yaml.UnmarshalWithOptions(b, &p, yaml.Strict()); err != nil {
		return nil, planError(0, "年度计划文件无法读取:"+err.Error(), "the year file cannot be read: "+err.Error())
	}
	lines := planLines(b)
	fail := func(path string, zh, en string, args ...any) error {
		return planError(lines(path), fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...))
	}
	if p.Year < 2000 || p.Year > 2100 {
		return nil, fail("$.year", "年份 %d 不在 2000–2100", "year %d is not in 2000–2100", p.Year)
	}
	if p.LagBandPoints <= 0 {
		return nil, fail("$.lag_band_points", "lag_band_points 须为正数", "lag_band_points must be positive")
	}
	seen := map[string]bool{}
	for i, t := range p.Targets {
		at := fmt.Sprintf("$.targets[%d]", i)
		if t.Code == "" || seen[t.Code] {
			return nil, fail(at, "指标编号 %q 为空或重复", "code %q empty or repeated", t.Code)
		}
		seen[t.Code] = true
		switch t.Kind {
		case KindCount, KindRate, KindStandard, KindMonitor:
		default:
			return nil, fail(at, "%s:未知的指标类型 %q(应为 count、rate、standard 或 monitor)", "%s: unknown kind %q (count, rate, standard or monitor)", t.Code, t.Kind)
		}
		if t.Kind != KindMonitor && t.Target <= 0 {
			return nil, fail(at, "%s:%s 类指标须有正的目标值", "%s: a %s needs a positive target", t.Code, t.Kind)
		}
		if strings.TrimSpace(t.LeadUnit) == "" || t.Title == "" {
			return nil, fail(at, "%s:须填写 lead_unit 和 title", "%s: lead_unit and title are required", t.Code)
		}
		for _, s := range t.Sources {
			if _, ok := reg.Source(s); !ok {
				return nil, fail(at, "%s:未知的数据源 %q", "%s: unknown source %q", t.Code, s)
			}
		}
		m, ok := cat.Measures[t.Measure]
		if !ok {
			return nil, fail(at, "%s:未知的计算口径 measure %q(可用:%s)", "%s: unknown measure %q (known: %s)",
				t.Code, t.Measure, strings.Join(cat.MeasureNames(), ", "))
		}
		if !slices.Contains(m.Kinds, t.Kind) {
			return nil, fail(at, "%s:计算口径 %s 不适用于 %s 类指标(适用:%s)", "%s: measure %s does not fit a %s (it fits: %s)",
				t.Code, t.Measure, t.Kind, strings.Join(m.Kinds, ", "))
		}
		for _, s := range m.Sources {
			if !slices.Contains(t.Sources, s) {
				return nil, fail(at, "%s:计算口径 %s 读取数据源 %s,sources 须列出", "%s: measure %s reads source %s; list it in sources", t.Code, t.Measure, s)
			}
		}
		if m.Parts != (len(t.Parts) > 0) {
			return nil, fail(at, "%s:只有 sum_of_parts 类计算口径有 parts", "%s: parts go with a measure that sums them (sum_of_parts), and only there", t.Code)
		}
		if zh, en := needSettings(&p, t, m.Settings, m.PlanSettings, "计算口径 "+t.Measure, "measure "+t.Measure); en != "" {
			return nil, planError(lines(at), zh, en)
		}
	}
	for i, t := range p.Targets {
		at := fmt.Sprintf("$.targets[%d]", i)
		for _, part := range t.Parts {
			if !seen[part] {
				return nil, fail(at, "%s:未知的分项 %q", "%s: unknown part %q", t.Code, part)
			}
		}
		if t.Parent != "" && !seen[t.Parent] {
			return nil, fail(at, "%s:未知的上级指标 %q", "%s: unknown parent %q", t.Code, t.Parent)
		}
		if len(t.Sources) == 0 && len(t.Parts) == 0 {
			return nil, fail(at, "%s:既无数据源也无分项", "%s: no sources and no parts", t.Code)
		}
	}
	checks := map[string]bool{}
	for i, c := range p.Checks {
		at := fmt.Sprintf("$.checks[%d]", i)
		if c.Name == "" || checks[c.Name] {
			return nil, fail(at, "核查名称 %q 为空或重复", "check name %q empty or repeated", c.Name)
		}
		checks[c.Name] = true
		r, ok := cat.Rules[c.Rule]
		if !ok {
			return nil, fail(at, "核查 %s:未知的规则 rule %q(可用:%s)", "check %s: unknown rule %q (known: %s)",
				c.Name, c.Rule, strings.Join(cat.RuleNames(), ", "))
		}
		t, ok := p.Target(c.Target)
		if !ok {
			return nil, fail(at, "核查 %s:未知的指标 %q", "check %s: unknown target %q", c.Name, c.Target)
		}
		if t.Measure != r.Measure {
			return nil, fail(at, "核查 %s:规则 %s 须挂在计算口径为 %s 的指标上,%s 的口径是 %s", "check %s: rule %s belongs to a target of measure %s; %s's is %s",
				c.Name, c.Rule, r.Measure, t.Code, t.Measure)
		}
		if r.WithMeasure != "" && !p.hasMeasure(r.WithMeasure) {
			return nil, fail(at, "核查 %s:规则 %s 需要本年计划中有计算口径为 %s 的指标", "check %s: rule %s needs a target of measure %s in the year's plan",
				c.Name, c.Rule, r.WithMeasure)
		}
		if zh, en := needSettings(&p, *t, r.Settings, r.PlanSettings, "核查规则 "+c.Rule, "rule "+c.Rule); en != "" {
			return nil, planError(lines(at), "核查 "+c.Name+":"+zh, "check "+c.Name+": "+en)
		}
	}
	for i, t := range p.Targets {
		if name := unknownSetting(&p, t, cat); name != "" {
			return nil, fail(fmt.Sprintf("$.targets[%d]", i), "%s:阈值 %s 没有任何计算口径或核查规则读取(拼写错误?)", "%s: no measure or check of it reads the threshold %s (a typo?)", t.Code, name)
		}
	}
	return &p, nil
}

func (p *Plan) hasMeasure(m string) bool {
	for _, t := range p.Targets {
		if t.Measure == m {
			return true
		}
	}
	return false
}

// needSettings: every threshold and plan-wide setting a measure or rule reads is in the plan. A
// missing one would make the SQL count nothing, silently. It says which is missing, or "".
func needSettings(p *Plan, t Target, settings map[string]string, planSettings []string, whoZh, whoEn string) (zh, en string) {
	for _, name := range sortedNames(settings) {
		if _, ok := t.Thresholds[name]; !ok {
			return fmt.Sprintf("%s:%s 需要阈值 %s(%s),请在 thresholds 中填写", t.Code, whoZh, name, settings[name]),
				fmt.Sprintf("%s: %s needs the threshold %s (%s) in thresholds", t.Code, whoEn, name, settings[name])
		}
	}
	for _, name := range planSettings {
		if _, ok := p.Settings[name]; !ok {
			return fmt.Sprintf("%s:%s 需要全年设置 %s,请在 settings 中填写", t.Code, whoZh, name),
				fmt.Sprintf("%s: %s needs the plan setting %s in settings", t.Code, whoEn, name)
		}
	}
	return "", ""
}

// unknownSetting: a threshold that neither the target's measure nor any of its checks' rules
// reads is a typo or a rule the SQL does not have, never silently ignored.
func unknownSetting(p *Plan, t Target, cat *Catalog) string {
	known := map[string]bool{}
	if m, ok := cat.Measures[t.Measure]; ok {
		for k := range m.Settings {
			known[k] = true
		}
	}
	for _, c := range p.Checks {
		if r, ok := cat.Rules[c.Rule]; ok && c.Target == t.Code {
			for k := range r.Settings {
				known[k] = true
			}
		}
	}
	for _, name := range sortedNames(t.Thresholds) {
		if !known[name] {
			return name
		}
	}
	return ""
}

// planLines finds the line of a YAML path in the year file, for messages a county's
// administrator can act on; 0 when it cannot tell.
func planLines(b []byte) func(path string) int {
	file, err := parser.ParseBytes(b, 0)
	return func(path string) int {
		if err != nil {
			return 0
		}
		pt, perr := yaml.PathString(path)
		if perr != nil {
			return 0
		}
		n, ferr := pt.FilterFile(file)
		if ferr != nil || n == nil || n.GetToken() == nil {
			return 0
		}
		return n.GetToken().Position.Line
	}
}
