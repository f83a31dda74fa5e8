package minsheng

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
)

// County is a county's profile: its region code, townships and their villages (村/社区).
type County struct {
	RegionCode string
	Townships  []string            // in the profile's order
	Villages   map[string][]string // township -> villages, in the profile's order
	village    map[string]map[string]bool
}

// LoadCounty reads a profile CSV (region_code,乡镇,村(社区)) from path, or the demo county's.
func LoadCounty(path string) (*County, error) {
	b, err := readConfig(path, "config/county.csv")
	if err != nil {
		return nil, err
	}
	return ParseCounty(b)
}

// ParseCounty parses a county profile.
func ParseCounty(b []byte) (*County, error) {
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("county: %w", err)
	}
	if len(recs) < 2 || len(recs[0]) < 3 {
		return nil, fmt.Errorf("county: want a header and rows of region_code,乡镇,村(社区)")
	}
	c := &County{Villages: map[string][]string{}, village: map[string]map[string]bool{}}
	for i, r := range recs[1:] {
		code, t, v := strings.TrimSpace(r[0]), strings.TrimSpace(r[1]), strings.TrimSpace(r[2])
		if code == "" || t == "" || v == "" {
			return nil, fmt.Errorf("county: line %d: empty field", i+2)
		}
		if c.RegionCode == "" {
			c.RegionCode = code
		}
		if _, ok := c.village[t]; !ok {
			c.Townships = append(c.Townships, t)
			c.village[t] = map[string]bool{}
		}
		if c.village[t][v] {
			return nil, fmt.Errorf("county: line %d: %s %s repeated", i+2, t, v)
		}
		c.village[t][v] = true
		c.Villages[t] = append(c.Villages[t], v)
	}
	return c, nil
}

// HasTownship reports whether t is one of the county's townships.
func (c *County) HasTownship(t string) bool { _, ok := c.village[t]; return ok }

// HasVillage reports whether v is a village or community of township t.
func (c *County) HasVillage(t, v string) bool { return c.village[t][v] }

// VillageCount is the number of villages and communities in the county.
func (c *County) VillageCount() int {
	n := 0
	for _, vs := range c.Villages {
		n += len(vs)
	}
	return n
}
