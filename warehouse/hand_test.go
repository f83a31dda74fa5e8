package warehouse_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/idcard"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/warehouse"
)

// The hand lake (package handlake): a few rows per source, written as CSV the way a unit would,
// ingested for real, with every answer worked out by hand in that package's comment.

// handLake writes and ingests the hand lake into a fresh data folder. Every row must land.
func handLake(t *testing.T) (string, warehouse.Config) {
	t.Helper()
	dir := t.TempDir()
	return dir, handlake.Ingest(t, dir)
}

func buildHandIn(t *testing.T, dir string) (*warehouse.BuildResult, error) {
	cfg := handlake.Ingest(t, dir)
	return warehouse.Build(context.Background(), cfg)
}

func buildHand(t *testing.T) (string, warehouse.Config, *warehouse.BuildResult) {
	t.Helper()
	dir, cfg := handLake(t)
	res, err := warehouse.Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dir, cfg, res
}

// sharedHand is one hand lake built once for the tests that only read it.
var sharedHand struct {
	once sync.Once
	dir  string
	res  *warehouse.BuildResult
	err  error
}

func readHand(t *testing.T) (string, *warehouse.BuildResult) {
	t.Helper()
	sharedHand.once.Do(func() {
		dir, err := os.MkdirTemp("", "minsheng-warehouse-hand-")
		if err != nil {
			sharedHand.err = err
			return
		}
		sharedHand.dir = dir
		sharedHand.res, sharedHand.err = buildHandIn(t, dir)
	})
	if sharedHand.err != nil {
		t.Fatal(sharedHand.err)
	}
	return sharedHand.dir, sharedHand.res
}

func openDir(t *testing.T, dir string) *warehouse.DB {
	t.Helper()
	db, err := warehouse.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestHandIndicators checks the hand-worked values (see the comment at the top of the file).
func TestHandIndicators(t *testing.T) {
	dir, _ := readHand(t)
	db := openDir(t, dir)
	var end time.Time
	var days int
	err := db.SQL().QueryRow(`select max(data_as_of_on), count(distinct as_of_on) from mart_indicator_daily
		where year = 2024`).Scan(&end, &days)
	if err != nil || !end.Equal(day("2024-10-31")) {
		t.Fatalf("data end %v (%v), want 2024-10-31", end, err)
	}
	if days != 366 {
		t.Errorf("the daily mart holds %d days of 2024, want every day (366)", days)
	}
	for _, c := range handlake.IndicatorCases {
		got := dailyAt(t, db, 2024, day(c.AsOf))
		found := false
		for _, in := range got {
			if in.Code != c.Code {
				continue
			}
			found = true
			a := val(in.Actual)
			if math.IsNaN(c.Actual) != math.IsNaN(a) || !math.IsNaN(a) && math.Abs(a-c.Actual) > 1e-9 {
				t.Errorf("%s at %s: actual %v, want %v", c.Code, c.AsOf, a, c.Actual)
			}
			if c.Status != "" && in.Status != c.Status {
				t.Errorf("%s at %s: status %s, want %s", c.Code, c.AsOf, in.Status, c.Status)
			}
		}
		if !found {
			t.Errorf("%s at %s: not in the mart", c.Code, c.AsOf)
		}
	}
}

// TestHandChecks: the violations worked out by hand, and the records they list, masked.
func TestHandChecks(t *testing.T) {
	dir, _ := readHand(t)
	db := openDir(t, dir)
	rs, err := db.SQL().Query(`select check_name, violations from mart_checks where year = 2024`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for rs.Next() {
		var n string
		var v int64
		rs.Scan(&n, &v)
		got[n] = v
	}
	rs.Close()
	for n, w := range handlake.CheckViolations {
		if got[n] != w {
			t.Errorf("%s: %d violations, want %d", n, got[n], w)
		}
	}
	// The listed records are masked and found again by file and row.
	var masked, name, sha string
	var fileRow int
	err = db.SQL().QueryRow(`select person_id_masked, name_masked, _file_sha256, _row from mart_check_violations
		where check_name = '09_medical_cap'`).Scan(&masked, &name, &sha, &fileRow)
	if err != nil {
		t.Fatal(err)
	}
	// B's 07-01 row is the second data row of file 2: line 3, under the header on line 1.
	if masked != idcard.Mask(handlake.B.ID) || name != idcard.MaskName(handlake.B.Name) || len(sha) != 64 || fileRow != 3 {
		t.Errorf("09_medical_cap lists %s %s %s row %d", masked, name, sha, fileRow)
	}
	var months string
	err = db.SQL().QueryRow(`select string_agg(strftime(record_on, '%m'), ',' order by record_on) from mart_check_violations
		where check_name = '20_missing_month'`).Scan(&months)
	if err != nil || months != "02,04,05,06,07,08,09,10" {
		t.Errorf("20_missing_month: %q (%v)", months, err)
	}
}

// TestHandEnrollment: a roster person without an enrollment row is not enrolled; 死亡, 服刑 and
// 参军 leave the denominator; a township under 99% is flagged and its unenrolled listed.
func TestHandEnrollment(t *testing.T) {
	dir, _ := readHand(t)
	db := openDir(t, dir)
	type tw struct {
		roster, exempt, enrolled int64
		meets, flagged           bool
	}
	for _, c := range handlake.EnrollmentCases {
		got := map[string]tw{}
		rs, err := db.SQL().Query(`select township, roster_persons, exempt_persons, enrolled_persons, meets, is_flagged
			from mart_enrollment_by_township where year = 2024 and as_of_on = cast($1 as date) and roster_persons > 0`, c.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var name string
			var r tw
			if err := rs.Scan(&name, &r.roster, &r.exempt, &r.enrolled, &r.meets, &r.flagged); err != nil {
				t.Fatal(err)
			}
			got[name] = r
		}
		rs.Close()
		want := map[string]tw{}
		for name, e := range c.Townships {
			want[name] = tw{e.Roster, e.Exempt, e.Enrolled, e.Meets, e.Supervise}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("by township at %s: %v, want %v", c.AsOf, got, want)
		}
	}
	var masked, township string
	var noRow, flagged bool
	var n int
	err := db.SQL().QueryRow(`select count(*) over (), person_id_masked, township, has_no_enrollment_row, is_township_flagged
		from mart_enrollment_unenrolled where year = 2024`).Scan(&n, &masked, &township, &noRow, &flagged)
	if err != nil || n != 1 || masked != idcard.Mask(handlake.P7.ID) || township != "松兹街道" || !noRow || !flagged {
		t.Errorf("unenrolled: %d %s %s %v %v (%v); want P7 alone", n, masked, township, noRow, flagged, err)
	}
}

// TestHandNoClearPII: no clear name or ID number reaches the warehouse file.
func TestHandNoClearPII(t *testing.T) {
	_, res := readHand(t)
	b, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range handlake.Persons {
		if bytes.Contains(b, []byte(p.ID)) || bytes.Contains(b, []byte(p.Name)) {
			t.Errorf("the warehouse holds %s in clear", idcard.MaskName(p.Name))
		}
	}
}

// TestFailedBuildKeepsServing: a build whose data test fails is refused with the test's name
// and rows; CURRENT and the file it names are untouched and still serve, and the failed file is
// gone. Here the county profile loses 孚玉镇, so its records name an unknown township.
func TestFailedBuildKeepsServing(t *testing.T) {
	dir, cfg, first := buildHand(t)
	cur, _ := os.ReadFile(filepath.Join(dir, "warehouse", "CURRENT"))

	shrunk := &minsheng.County{RegionCode: cfg.County.RegionCode, Villages: map[string][]string{}}
	for _, tw := range cfg.County.Townships {
		if tw != "孚玉镇" {
			shrunk.Townships = append(shrunk.Townships, tw)
			shrunk.Villages[tw] = cfg.County.Villages[tw]
		}
	}
	bad := cfg
	bad.County = shrunk
	_, err := warehouse.Build(context.Background(), bad)
	var tf *warehouse.TestFailure
	if !errors.As(err, &tf) || tf.Test != "relationships_township" || !strings.Contains(err.Error(), "孚玉镇") {
		t.Fatalf("build: %v; want relationships_township failing on 孚玉镇", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "warehouse", "CURRENT"))
	if !bytes.Equal(cur, after) {
		t.Errorf("CURRENT changed from %q to %q", cur, after)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "warehouse", "minsheng-*"))
	if len(files) != 1 || files[0] != first.Path {
		t.Errorf("warehouse files %v, want only %s", files, first.Path)
	}
	db := openDir(t, dir)
	if db.Path() != first.Path {
		t.Errorf("serving %s, want %s", db.Path(), first.Path)
	}
	if got := dailyAt(t, db, 2024, day("2024-10-31")); len(got) != 19 {
		t.Errorf("old warehouse: %d indicators", len(got))
	}
}

// TestBuildSwapsAndPrunes: each build becomes CURRENT; the one before stays for readers that
// still have it open; older ones go. A reader keeps the file it opened.
func TestBuildSwapsAndPrunes(t *testing.T) {
	if testing.Short() {
		t.Skip("three builds")
	}
	dir, cfg, first := buildHand(t)
	reader := openDir(t, dir)
	var paths []string
	for i := 0; i < 2; i++ {
		res, err := warehouse.Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, res.Path)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "warehouse", "minsheng-*"))
	if fmt.Sprint(files) != fmt.Sprint(paths) {
		t.Errorf("files %v, want %v", files, paths)
	}
	if db := openDir(t, dir); db.Path() != paths[1] {
		t.Errorf("CURRENT serves %s, want %s", db.Path(), paths[1])
	}
	// The first reader's file is gone from the folder but still open and readable.
	var n int
	if err := reader.SQL().QueryRow("select count(*) from mart_indicator_daily").Scan(&n); err != nil || n == 0 || reader.Path() != first.Path {
		t.Errorf("old reader: %d rows (%v)", n, err)
	}
}

func TestOpenWithoutBuild(t *testing.T) {
	_, err := warehouse.Open(t.TempDir())
	if minsheng.ErrorCode(err) != minsheng.EUNAVAILABLE {
		t.Errorf("Open before any build: %v, want %s", err, minsheng.EUNAVAILABLE)
	}
}
