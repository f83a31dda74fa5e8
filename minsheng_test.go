package minsheng

import (
	"strings"
	"testing"
)

func TestShippedData(t *testing.T) {
	reg, err := LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Sources) != 18 {
		t.Errorf("%d sources, want the 18 of sources.md", len(reg.Sources))
	}
	c, err := LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	if c.VillageCount() != 213 || c.RegionCode != "340826" {
		t.Errorf("county: %d villages, region %s", c.VillageCount(), c.RegionCode)
	}
	plans, err := LoadPlans("", reg)
	if err != nil {
		t.Fatal(err)
	}
	p := plans[2024]
	if p == nil || len(p.Targets) != 19 {
		t.Fatalf("2024 plan: %+v", p)
	}
	if t10, _ := p.Target("10"); t10.Target != 1265 || len(t10.Parts) != 3 {
		t.Errorf("10: %+v", t10)
	}
}

func TestRegistryRejects(t *testing.T) {
	for name, y := range map[string]string{
		"unknown type":  "sources: [{code: a, lead_unit: u, date_column: d, columns: [{header: d, field: d, type: datetime}]}]",
		"no date":       "sources: [{code: a, lead_unit: u, date_column: x, columns: [{header: d, field: d, type: date}]}]",
		"unknown field": "sources: [{code: a, lead_unit: u, date_column: d, colums: []}]",
		"bad when":      "sources: [{code: a, lead_unit: u, date_column: d, columns: [{header: d, field: d, type: date, required_when: {column: zz}}]}]",
	} {
		if _, err := ParseRegistry([]byte(y)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	reg, _ := LoadRegistry("")
	if _, err := ParsePlan([]byte("year: 2025\nlag_band_points: 15\ntargets: [{code: x, lead_unit: u, title: t, kind: count, target: 5, sources: [nope]}]"), reg); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown source accepted: %v", err)
	}
}

func TestNormalizeHeader(t *testing.T) {
	for in, want := range map[string]string{" 乡镇（街道） ": "乡镇(街道)", "*身份证号": "身份证号", "救助\n日期": "救助日期", "村／社区": "村/社区"} {
		if got := NormalizeHeader(in); got != want {
			t.Errorf("NormalizeHeader(%q) = %q", in, got)
		}
	}
}
