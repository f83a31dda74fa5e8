package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/minsheng/minsheng"
)

const planUsage = `minsheng plan: the yearly target lists (年度民生实事计划)

  minsheng plan check [--targets DIR] [FILE.yaml ...]
      check year files without building: every target's measure and every check's rule known,
      each one's thresholds and settings present, codes unique. With no FILE, every <year>.yaml
      of --targets (default: the shipped ones). Exit 1 on the first file it cannot accept, naming
      its line.
  minsheng plan measures
      the measures and check rules a year file may name, with the thresholds each needs
`

func runPlan(_ context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, planUsage)
		return nil
	}
	switch args[0] {
	case "check":
		return runPlanCheck(args[1:], stdout)
	case "measures":
		return runPlanMeasures(stdout)
	}
	return minsheng.Errorf(minsheng.EINVALID, "未知的 plan 子命令 %q(check 或 measures)", "unknown plan command %q (check or measures)", args[0])
}

func runPlanCheck(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("plan check", flag.ContinueOnError)
	targets := fs.String("targets", "", "a folder of yearly target files <year>.yaml (default: the shipped ones)")
	registry := fs.String("registry", "", "a source registry file (default: the shipped one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	reg, err := minsheng.LoadRegistry(*registry)
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		plans, err := minsheng.LoadPlans(*targets, reg)
		if err != nil {
			return err
		}
		years := make([]int, 0, len(plans))
		for y := range plans {
			years = append(years, y)
		}
		sort.Ints(years)
		for _, y := range years {
			printPlan(stdout, fmt.Sprintf("%d", y), plans[y])
		}
		return nil
	}
	for _, f := range fs.Args() {
		b, err := os.ReadFile(f)
		if err != nil {
			return minsheng.Errorf(minsheng.EINVALID, "无法读取 %s", "cannot read %s", f)
		}
		p, err := minsheng.ParsePlan(b, reg)
		if err != nil {
			if e, ok := err.(*minsheng.Error); ok {
				return &minsheng.Error{Code: e.Code, Zh: "年度计划 " + filepath.Base(f) + " " + e.Zh, En: "plan " + filepath.Base(f) + ", " + e.En}
			}
			return err
		}
		printPlan(stdout, filepath.Base(f), p)
	}
	return nil
}

func printPlan(w io.Writer, name string, p *minsheng.Plan) {
	fmt.Fprintf(w, "%s: %d 年,%d 项指标,%d 项核查,可以使用 / year %d, %d targets, %d checks: OK\n",
		name, p.Year, len(p.Targets), len(p.Checks), p.Year, len(p.Targets), len(p.Checks))
}

func runPlanMeasures(stdout io.Writer) error {
	cat, err := minsheng.ShippedCatalog()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "计算口径 / measures (targets: measure):")
	for _, n := range cat.MeasureNames() {
		m := cat.Measures[n]
		fmt.Fprintf(stdout, "  %-38s %-9s kinds: %s  %s\n", n, m.Value, strings.Join(m.Kinds, ","), m.About)
		for _, s := range sortedKeys(m.Settings) {
			fmt.Fprintf(stdout, "      threshold %s: %s\n", s, m.Settings[s])
		}
		for _, s := range m.PlanSettings {
			fmt.Fprintf(stdout, "      setting %s\n", s)
		}
	}
	fmt.Fprintln(stdout, "核查规则 / check rules (checks: rule), on a target of the measure named:")
	for _, n := range cat.RuleNames() {
		r := cat.Rules[n]
		fmt.Fprintf(stdout, "  %-38s on %s: %s\n", n, r.Measure, r.DescriptionZh)
		for _, s := range sortedKeys(r.Settings) {
			fmt.Fprintf(stdout, "      threshold %s: %s\n", s, r.Settings[s])
		}
		for _, s := range r.PlanSettings {
			fmt.Fprintf(stdout, "      setting %s\n", s)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
