package warehouse_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/warehouse"
)

// BenchmarkBuildProvince builds a province-sized lake (MINSHENG_BENCH_SCALE copies of the demo
// year, 100 by default: about 11 million rows), made by copying the demo lake's Parquet with
// every person, case and facility renamed per copy, so the build sees the demo's distributions
// at scale without generating and ingesting 10 million rows first. `make bench` reports it.
func BenchmarkBuildProvince(b *testing.B) {
	scale := 100
	if s := os.Getenv("MINSHENG_BENCH_SCALE"); s != "" {
		scale, _ = strconv.Atoi(s)
	}
	dir := scaledLake(b, scale)
	cfg := testConfig(b, dir)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := warehouse.Build(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for k, v := range res.Rows {
			if len(k) > 4 && k[:4] == "stg_" {
				rows += v
			}
		}
		b.ReportMetric(float64(rows), "lake_rows")
		b.Logf("scale %d: %d lake rows built in %s", scale, rows, res.Duration)
		for _, k := range sortedByTime(res.Timings)[:12] {
			b.Logf("  %-40s %s", k, res.Timings[k])
		}
	}
}

// scaledLake writes `scale` renamed copies of every committed demo lake file, and a manifest
// committing them. MINSHENG_BENCH_LAKE names a folder to keep it in and reuse.
func scaledLake(b *testing.B, scale int) string {
	b.Helper()
	out := os.Getenv("MINSHENG_BENCH_LAKE")
	if out != "" {
		if _, err := os.Stat(lake.Layout{Dir: out}.Manifest()); err == nil {
			return out
		}
	} else {
		out = b.TempDir()
	}
	d := demoWarehouseB(b)
	entries, err := lake.ReadManifest(d.dir)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	for _, e := range lake.Committed(entries) {
		if e.LakeFile == "" {
			continue
		}
		src := filepath.Join(d.dir, filepath.FromSlash(e.LakeFile))
		rel := "lake/source=" + e.Source + "/ingest_date=2024-11-01/" + e.SHA256 + ".parquet"
		dst := filepath.Join(out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			b.Fatal(err)
		}
		cols, err := columnsOf(db, src)
		if err != nil {
			b.Fatal(err)
		}
		sel := ""
		for i, c := range cols {
			if i > 0 {
				sel += ", "
			}
			switch c {
			case "person_id":
				sel += "case when k = 0 then person_id else cast(md5(cast(person_id as varchar) || k) as uuid) end as person_id"
			case "_row":
				sel += "_row + k * 10000000 as _row" // a copy's rows are other rows of the file
			case "case_no", "facility_name":
				sel += fmt.Sprintf("case when k = 0 then %s else %s || '-' || k end as %s", c, c, c)
			default:
				sel += c
			}
		}
		q := fmt.Sprintf(`copy (select %s from read_parquet('%s'), range(%d) as r(k)) to '%s' (format parquet, compression zstd)`,
			sel, src, scale, dst)
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
		e.LakeFile = rel
		e.Landed *= scale
		if err := lake.AppendManifest(out, e); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("scaled lake x%d written in %s", scale, time.Since(start))
	return out
}

func columnsOf(db *sql.DB, path string) ([]string, error) {
	rs, err := db.Query(fmt.Sprintf("select column_name from (describe select * from read_parquet('%s'))", path))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var c string
		if err := rs.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rs.Err()
}
