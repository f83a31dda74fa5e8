package dashboards

import (
	"encoding/json"
	"fmt"
	"math"

	"strings"
	"unicode"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/indicators"
)

// Chart is a chart's ECharts option, made with go-echarts and handed to the page as data: the
// page's one script (app.js) draws every .chart from its data-option attribute, so no inline
// script carries text from the data, and html/template escapes the option like any attribute.
type Chart struct {
	ID     string
	Title  string       // for screen readers and the print caption
	Option string       // JSON
	Height int          // px
	Legend []LegendItem // what the colours mean, shown under the chart (a bar's colour is not a series)
}

// LegendItem is one colour of a chart and what it means; Line: a dashed mark line, not a bar.
type LegendItem struct {
	Label, Color string
	Line         bool
}

// statusLegend lists the statuses the bars show, in the order a leader acts on them.
func statusLegend(statuses map[minsheng.Status]bool) []LegendItem {
	var out []LegendItem
	for _, s := range minsheng.Statuses {
		if statuses[s] {
			out = append(out, LegendItem{Label: string(s), Color: colorOf(s)})
		}
	}
	return out
}

// patch changes a chart's option where go-echarts has no word for it (ECharts' media queries,
// a mark area): decode, change, encode. The option is go-echarts' own JSON, so this cannot fail
// short of a bug, which shows as the page's chart error.
func patch(c Chart, change func(map[string]any)) Chart {
	var m map[string]any
	if err := json.Unmarshal([]byte(c.Option), &m); err != nil {
		return c
	}
	change(m)
	if b, err := json.Marshal(m); err == nil {
		c.Option = string(b)
	}
	return c
}

// status colours: green done or on track, amber behind, red far behind; grey when not judged
var statusColor = map[minsheng.Status]string{
	minsheng.StatusDone: "#1b7a3d", minsheng.StatusOnTrack: "#43a047", minsheng.StatusMet: "#1b7a3d",
	minsheng.StatusLagging: "#e0a000", minsheng.StatusNotMet: "#c62828", minsheng.StatusFarBehind: "#c62828",
	minsheng.StatusMonitored: "#607d8b", minsheng.StatusNoData: "#9e9e9e",
}

func colorOf(status minsheng.Status) string {
	if c, ok := statusColor[status]; ok {
		return c
	}
	return "#9e9e9e"
}

func snippet(id, title string, height int, r interface{ RenderSnippet() render.ChartSnippet }) Chart {
	return Chart{ID: id, Title: title, Option: r.RenderSnippet().Option, Height: height}
}

func pct(f float64) float64 { return math.Round(f*1000) / 10 }

func baseOpts(height int) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{Width: "100%", Height: fmt.Sprintf("%dpx", height)}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "56", Top: "40", Bottom: "3%", ContainLabel: opts.Bool(true)}),
	}
}

// completionChart: every count indicator's completion against the time progress, coloured by
// status, one bar each.
func completionChart(t *indicators.Targets) Chart {
	var names []string
	var data []opts.BarData
	shown := map[minsheng.Status]bool{}
	for i := len(t.Targets) - 1; i >= 0; i-- { // ECharts draws a category axis bottom-up
		tg := t.Targets[i]
		if tg.Kind != minsheng.KindCount || tg.Completion == nil {
			continue
		}
		shown[tg.Status] = true
		names = append(names, tg.Code+" "+tg.Title)
		data = append(data, opts.BarData{Name: tg.Code, Value: pct(*tg.Completion),
			ItemStyle: &opts.ItemStyle{Color: colorOf(tg.Status)},
			Label:     &opts.Label{Show: opts.Bool(true), Position: "right", Formatter: "{c}%"}})
	}
	height := 70 + 32*len(names) // 70 alone: no count indicator; 32: a name wrapped on two lines
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(height),
		// XYReversal puts the names on the y axis: the types are given already swapped
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "%", Max: maxPct(data)}),
		// a name wraps on a phone, and has the room of a line on a desk's screen (the media query)
		charts.WithYAxisOpts(opts.YAxis{Type: "category", AxisLabel: &opts.AxisLabel{Width: 130, Overflow: "break", Interval: "0"}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
	)...)
	bar.SetXAxis(names).AddSeries("完成率", data,
		charts.WithMarkLineNameXAxisItemOpts(opts.MarkLineNameXAxisItem{Name: "序时进度", XAxis: pct(t.TimeProgress)}),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
			LineStyle: &opts.LineStyle{Color: "#1565c0", Type: "dashed", Width: 2},
			Label:     &opts.Label{Show: opts.Bool(true), Formatter: "序时进度 {c}%"}}),
	)
	bar.XYReversal()
	c := snippet("chart-completion", "各项目完成率与序时进度", height, bar)
	c.Legend = append(statusLegend(shown), LegendItem{Label: "序时进度", Color: "#1565c0", Line: true})
	return patch(c, wideLabels)
}

// wideLabels gives a chart's category names up to 320 px when the chart is 700 px wide or more
// (ECharts' media query, on the chart's own width): on a desk's screen a name is not cut.
func wideLabels(m map[string]any) {
	base := map[string]any{}
	for k, v := range m {
		base[k] = v
		delete(m, k)
	}
	m["baseOption"] = base
	m["media"] = []any{map[string]any{
		"query":  map[string]any{"minWidth": 700},
		"option": map[string]any{"yAxis": []any{map[string]any{"axisLabel": map[string]any{"width": 320}}}},
	}}
}

func maxPct(data []opts.BarData) float64 {
	m := 100.0
	for _, d := range data {
		if v, ok := d.Value.(float64); ok && v > m {
			m = v
		}
	}
	return math.Ceil(m/10) * 10
}

// monthlyChart: the cumulative actual month by month against the even plan line (count), or the
// rate month by month against the target (rate, standard).
func monthlyChart(d *indicators.TargetDetail) Chart {
	var months []string
	var actual, plan []opts.LineData
	share := d.Measure == "share"
	for _, m := range d.Monthly {
		months = append(months, m.Month)
		v := opts.LineData{Value: nil}
		if m.Actual != nil {
			if share {
				v.Value = pct(*m.Actual)
			} else {
				v.Value = *m.Actual
			}
		}
		actual = append(actual, v)
		if m.Plan != nil {
			plan = append(plan, opts.LineData{Value: math.Round(*m.Plan*10) / 10})
		}
	}
	name := monthlyName(d)
	line := charts.NewLine()
	line.SetGlobalOptions(append(baseOpts(320),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0", Right: "0"}), // right: the axis name is at the left
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: name, Scale: opts.Bool(share)}),
	)...)
	line.SetXAxis(months).AddSeries(name, actual,
		charts.WithLineStyleOpts(opts.LineStyle{Width: 3, Color: "#1565c0"}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: "#1565c0"}),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true)}))
	if len(plan) > 0 {
		line.AddSeries("序时计划", plan, charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed", Color: "#9e9e9e"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: "#9e9e9e"}))
	}
	if d.Target.Target != nil && d.Kind != minsheng.KindCount {
		target := *d.Target.Target
		if share {
			target = pct(target)
		}
		suffix := ""
		if share {
			suffix = "%"
		}
		// the target's label sits above its line inside the chart, away from the axis' numbers
		line.SetSeriesOptions(charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: "目标", YAxis: target}),
			charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
				LineStyle: &opts.LineStyle{Color: "#c62828", Type: "dashed"},
				Label:     &opts.Label{Show: opts.Bool(true), Position: "insideEndTop", Formatter: "目标 {c}" + suffix}}))
	}
	c := snippet("chart-monthly", monthlyHeading(d), 320, line)
	// a month without data is a grey band named so, not a silent gap in the line
	var empty []any
	for _, m := range d.Monthly {
		if m.Actual == nil {
			empty = append(empty, []any{map[string]any{"name": "无数据", "xAxis": m.Month}, map[string]any{"xAxis": m.Month}})
		}
	}
	if len(empty) > 0 {
		c.Legend = []LegendItem{{Label: "无数据的月份", Color: "#e0e0e0"}}
		c = patch(c, func(m map[string]any) {
			if series, ok := m["series"].([]any); ok && len(series) > 0 {
				if s0, ok := series[0].(map[string]any); ok {
					s0["markArea"] = map[string]any{"silent": true, "data": empty,
						"itemStyle": map[string]any{"color": "rgba(158,158,158,0.22)"},
						"label":     map[string]any{"show": true, "position": "inside", "color": "#616161"}}
				}
			}
		})
	}
	return c
}

// monthlyName is what the monthly chart's line is: the cumulative count, or the month's rate
// named as the indicator names it (19a's 参保率), or the share of records meeting the standard.
func monthlyName(d *indicators.TargetDetail) string {
	switch {
	case d.Measure == "share" && d.Kind == minsheng.KindRate && strings.HasSuffix(d.Title, "率"):
		return rateName(d.Title) + " %"
	case d.Measure == "share":
		return "达标比例 %"
	case d.Measure == "mean_yuan":
		return "平均金额 (" + d.Unit + ")"
	}
	return "累计完成 (" + d.Unit + ")"
}

// rateName is the rate a title ends in: 低收入人口和脱贫人口参保率 is a 参保率.
func rateName(title string) string {
	r := []rune(title)
	for i := len(r) - 2; i >= 0; i-- {
		if !unicode.Is(unicode.Han, r[i]) || strings.ContainsRune("的和与及口人", r[i]) {
			return string(r[i+1:])
		}
	}
	return title
}

// monthlyHeading names the monthly chart for what it shows.
func monthlyHeading(d *indicators.TargetDetail) string {
	switch {
	case d.Measure == "share" && d.Kind == minsheng.KindRate && strings.HasSuffix(d.Title, "率"):
		return "各月" + rateName(d.Title) + "(截至各月末)"
	case d.Measure == "share":
		return "各月达标比例(截至各月末,按标准发放的比例)"
	case d.Measure == "mean_yuan":
		return "各月平均金额(截至各月末)"
	}
	return "月度累计完成与序时计划"
}

// townshipChart: the indicator by township of the profile.
func townshipChart(d *indicators.TargetDetail) Chart {
	var names []string
	var data []opts.BarData
	share := d.Measure == "share"
	short := false
	for _, tw := range d.ByTownship {
		names = append(names, tw.Township)
		v := opts.BarData{}
		if tw.Actual != nil {
			if share {
				v.Value = pct(*tw.Actual)
			} else {
				v.Value = *tw.Actual
			}
		}
		if tw.Meets != nil && !*tw.Meets {
			v.ItemStyle = &opts.ItemStyle{Color: "#c62828"}
			short = true
		}
		data = append(data, v)
	}
	unit := d.Unit
	if share {
		unit = "%"
	}
	// one bar per township, names down the side: readable on a phone whatever their number
	height := 60 + 22*len(names)
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(height),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: unit, Scale: opts.Bool(share)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), AxisLabel: &opts.AxisLabel{Interval: "0"}}),
	)...)
	bar.SetXAxis(names).AddSeries(d.Title, data, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#1565c0"}),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right"}))
	bar.XYReversal()
	c := snippet("chart-township", d.Title+" 分乡镇", height, bar)
	if short {
		c.Legend = []LegendItem{{Label: "达到目标", Color: "#1565c0"}, {Label: "未达到目标", Color: "#c62828"}}
	}
	return c
}

// categoryChart: persons and money of a monitored item by category (14 by 病种, 17 by 对象类别).
func categoryChart(d *indicators.TargetDetail) Chart {
	var names []string
	var persons, money []opts.BarData
	for _, c := range d.ByCategory {
		names = append(names, c.Category)
		persons = append(persons, opts.BarData{Value: c.Persons})
		money = append(money, opts.BarData{Value: math.Round(c.AmountYuan/100) / 100})
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(300),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30}}),
	)...)
	bar.ExtendYAxis(opts.YAxis{Type: "value", Name: "万元", Position: "right"})
	bar.SetXAxis(names).
		AddSeries("人数", persons, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#1565c0"})).
		AddSeries("金额(万元)", money, charts.WithBarChartOpts(opts.BarChart{YAxisIndex: 1}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: "#e0a000"}))
	return snippet("chart-category", d.Title+" 分类别", 300, bar)
}

// enrollmentChart: the enrollment rate by township against the target's mark line; townships
// under it in red.
func enrollmentChart(e *indicators.Enrollment) Chart {
	var names []string
	var data []opts.BarData
	low := 100.0
	for _, tw := range e.Townships {
		names = append(names, tw.Township)
		v := opts.BarData{}
		if tw.Rate != nil {
			v.Value = math.Round(*tw.Rate*10000) / 100
			low = math.Min(low, v.Value.(float64))
		}
		color := "#1b7a3d"
		if tw.Supervise {
			color = "#c62828"
		}
		v.ItemStyle = &opts.ItemStyle{Color: color}
		data = append(data, v)
	}
	c := rateBars("chart-enrollment", "分乡镇参保率", "参保率", names, data, low, e.Target, 22)
	c.Legend = []LegendItem{{Label: "达到目标", Color: "#1b7a3d"}, {Label: "低于目标(点对点督导)", Color: "#c62828"},
		{Label: "目标 " + pctText(e.Target), Color: "#c62828", Line: true}}
	return c
}

// claimsGroupChart: 医疗救助 ratio compliance (19b) by 人员类别, one bar per group with claims,
// against the target's mark line; a group under it in red. Nil when no group has a claim yet:
// a chart without a bar says nothing the table does not.
func claimsGroupChart(e *indicators.Enrollment) *Chart {
	var names []string
	var data []opts.BarData
	low := 100.0
	for _, g := range e.ClaimsByGroup {
		if g.Rate == nil {
			continue
		}
		names = append(names, g.PersonGroup)
		v := math.Round(*g.Rate*10000) / 100
		low = math.Min(low, v)
		color := "#1b7a3d"
		if !g.Meets {
			color = "#c62828"
		}
		data = append(data, opts.BarData{Value: v, ItemStyle: &opts.ItemStyle{Color: color}})
	}
	if len(data) == 0 {
		return nil
	}
	ch := rateBars("chart-claims-group", "医疗救助报销比例达标率(按人员类别)", "达标率", names, data, low, e.ClaimsTarget, 30)
	ch.Legend = []LegendItem{{Label: "达标", Color: "#1b7a3d"}, {Label: "未达标", Color: "#c62828"},
		{Label: "目标 " + pctText(e.ClaimsTarget), Color: "#c62828", Line: true}}
	return &ch
}

// rateBars draws rates in percent as horizontal bars, one row of rowHeight px per name, against
// the target's dashed mark line; the axis starts just under the lowest bar or the target.
func rateBars(id, title, series string, names []string, data []opts.BarData, low, target float64, rowHeight int) Chart {
	height := 60 + rowHeight*len(names)
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(height),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "%",
			Min: math.Max(0, math.Floor(math.Min(low, target*100)-1)), Max: 100}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), AxisLabel: &opts.AxisLabel{Interval: "0"}}),
	)...)
	bar.XYReversal()
	bar.SetXAxis(names).AddSeries(series, data,
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right", Formatter: "{c}%"}),
		charts.WithMarkLineNameXAxisItemOpts(opts.MarkLineNameXAxisItem{Name: "目标", XAxis: target * 100}),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
			LineStyle: &opts.LineStyle{Color: "#c62828", Type: "dashed", Width: 2},
			// at the top of the line (the axis runs top-down), not on the value axis' numbers
			Label: &opts.Label{Show: opts.Bool(true), Position: "start", Formatter: "目标 {c}%"}}))
	return snippet(id, title, height, bar)
}
