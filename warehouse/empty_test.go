package warehouse_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/minsheng/minsheng"
	msql "github.com/minsheng/minsheng/sql"
	"github.com/minsheng/minsheng/warehouse"
)

func testConfig(t testing.TB, dir string) warehouse.Config {
	t.Helper()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := minsheng.LoadPlans("", reg)
	if err != nil {
		t.Fatal(err)
	}
	return warehouse.Config{Dir: dir, Registry: reg, County: county, Plans: plans}
}

// An empty lake builds: every source is an empty table of its registry columns.
func TestBuildEmptyLake(t *testing.T) {
	dir := t.TempDir()
	res, err := warehouse.Build(context.Background(), testConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s in %s, rows %v", res.Path, res.Duration, res.Rows)
}

// TestEveryRegistrySourceHasStaging: a source added to the registry needs its staging model, or
// its rows reach no indicator.
func TestEveryRegistrySourceHasStaging(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	models, err := msql.Models()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, m := range models {
		have[m.Name] = true
	}
	for _, s := range cfg.Registry.Sources {
		if !have["stg_"+s.Code] {
			t.Errorf("source %s has no staging/stg_%s.sql", s.Code, s.Code)
		}
	}
}

// Every file of the warehouse folder is the service user's alone, whatever the umask: DuckDB
// created its file 0644 before.
func TestWarehouseFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	if _, err := warehouse.Build(context.Background(), testConfig(t, dir)); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "warehouse"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().IsRegular() && info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %v", e.Name(), info.Mode().Perm())
		}
	}
}
