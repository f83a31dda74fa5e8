package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/fixtures"
	"github.com/minsheng/minsheng/lake"
)

// demo writes the demo extracts for seed 1 into a fresh data folder.
func demo(t testing.TB, seed int64) (string, *fixtures.Expected) {
	t.Helper()
	dir := t.TempDir()
	runCLI(t, "fixtures", "--year", "2024", "--out", dir, "--seed", fmt.Sprint(seed), "--as-of", "2024-10-31")
	exp, err := fixtures.ReadExpected(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, exp
}

// checkLake compares what landed with what the generator says must land, file by file, reading
// the Parquet back with DuckDB.
func checkLake(t *testing.T, dir string, exp *fixtures.Expected) {
	t.Helper()
	entries, err := lake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string][]lake.Entry{}
	for _, e := range entries {
		byPath[e.InboxPath] = append(byPath[e.InboxPath], e)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	wantTotal := 0
	for _, f := range exp.Files {
		es := byPath[f.Path]
		if len(es) != 1 {
			t.Errorf("%s: %d manifest entries, want exactly 1", f.Path, len(es))
			continue
		}
		e := es[0]
		if e.Status != lake.StatusLanded || e.Landed != f.Landed || e.Rejected != f.Rejected || e.Rows != f.Rows {
			t.Errorf("%s: %s rows %d landed %d rejected %d; want rows %d landed %d rejected %d",
				f.Path, e.Status, e.Rows, e.Landed, e.Rejected, f.Rows, f.Landed, f.Rejected)
		}
		r, err := lake.ReadReport(dir, e.SHA256, e.IngestedAt)
		if err != nil {
			t.Fatal(err)
		}
		for code, n := range f.Reasons {
			if r.Reasons[code] != n {
				t.Errorf("%s: %d rows rejected for %s, want %d (all: %v)", f.Path, r.Reasons[code], code, n, r.Reasons)
			}
		}
		if r.Flagged != f.Flagged {
			t.Errorf("%s: %d rows flagged, want %d", f.Path, r.Flagged, f.Flagged)
		}
		wantTotal += f.Landed
	}
	// Every Parquet file on disk, not only the ones the manifest names: an orphan would show here.
	var got int
	glob := filepath.Join(dir, "lake", "*", "*", "*.parquet")
	if err := db.QueryRow(`select count(*) from read_parquet(?, union_by_name = true)`, glob).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != wantTotal {
		t.Errorf("the lake holds %d rows, the generator expects %d", got, wantTotal)
	}
	partial, _ := filepath.Glob(filepath.Join(dir, "lake", "*", "*", "*.partial"))
	if len(partial) > 0 {
		t.Errorf("temporary files left: %v", partial)
	}
}

func TestEndToEndIngest(t *testing.T) {
	dir, exp := demo(t, 1)
	out := runCLI(t, "ingest", "--data", dir)
	if !strings.Contains(out, "landed") || !strings.Contains(out, "入库") {
		t.Errorf("summary:\n%s", out)
	}
	checkLake(t, dir, exp)
	// Ingesting again adds nothing.
	out = runCLI(t, "ingest", "--data", dir)
	if !strings.Contains(out, fmt.Sprintf("%d skipped as already ingested); 0 rows", len(exp.Files))) {
		t.Errorf("second ingest:\n%s", out)
	}
	checkLake(t, dir, exp)
}

// No clear name or ID number leaves the archive and the inbox: searched in the decoded contents of
// every Parquet file and in every other file under the data folder.
func TestPrivacy(t *testing.T) {
	dir := t.TempDir()
	exp, err := generate(dir, 7)
	if err != nil {
		t.Fatal(err)
	}
	runCLI(t, "ingest", "--data", dir)
	secrets := append(append([]string{}, exp.Secrets.Names...), exp.Secrets.IDNumbers...)
	if len(exp.Secrets.Names) < 100 || len(exp.Secrets.IDNumbers) < 100 {
		t.Fatalf("only %d names and %d ID numbers to look for", len(exp.Secrets.Names), len(exp.Secrets.IDNumbers))
	}
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	found := searchSecrets(t, db, dir, secrets, false)
	if len(found) > 0 {
		for _, f := range found {
			t.Error(f)
		}
	}
	// The search must be able to fail: run over the inbox, where the originals are, it finds them.
	if control := searchSecrets(t, db, filepath.Join(dir, "inbox"), secrets, true); len(control) < 100 {
		t.Errorf("the search found only %d secrets in the inbox itself", len(control))
	}
}

// searchSecrets lists the secrets found in the files under root (outside archive/ and inbox/,
// unless all): Parquet decoded column by column, other files as text.
func searchSecrets(t *testing.T, db *sql.DB, root string, secrets []string, all bool) []string {
	var texts []string
	files := 0
	dir := root
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		top := strings.Split(filepath.ToSlash(rel), "/")[0]
		if info.IsDir() && !all && (top == "archive" || top == "inbox") {
			return filepath.SkipDir
		}
		if info.IsDir() {
			return nil
		}
		files++
		if strings.HasSuffix(p, ".parquet") {
			// Every column, decoded, as text.
			rows, err := db.Query(`select columns(*)::varchar from read_parquet(?)`, p)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			var b strings.Builder
			for rows.Next() {
				rows.Scan(ptrs...)
				for _, v := range vals {
					b.WriteString(v.String)
					b.WriteByte('\t')
				}
				b.WriteByte('\n')
			}
			rows.Close()
			texts = append(texts, rel+"\n"+b.String())
			return nil
		}
		b, _ := os.ReadFile(p)
		if strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, ".txt") {
			if d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil && !utf8.Valid(b) {
				b = d
			}
		}
		if strings.HasSuffix(p, ".xlsx") {
			b = xlsxText(t, p)
		}
		// JSON and CSV delimit a value with quotes or commas; make them cell borders like tabs.
		texts = append(texts, rel+"\n"+strings.NewReplacer(`"`, "\t", ",", "\t", "\n", "\t").Replace(string(b)))
		return nil
	})
	if files < 20 {
		t.Fatalf("only %d files searched under %s", files, root)
	}
	var found []string
	// Every cell of every file, and every run of ID-like characters inside a cell, is looked up
	// among the secrets; names longer than three characters are also searched as substrings.
	secretSet := map[string]bool{}
	var longNames []string
	for _, s := range secrets {
		secretSet[s] = true
		if len([]rune(s)) > 3 && !idRun.MatchString(s) {
			longNames = append(longNames, s)
		}
	}
	for _, text := range texts {
		name, body, _ := strings.Cut(text, "\n")
		for _, cell := range strings.FieldsFunc(body, func(r rune) bool { return r == '\t' || r == '\n' }) {
			cell = strings.TrimSpace(cell)
			if secretSet[cell] {
				found = append(found, fmt.Sprintf("%q found in %s", cell, name))
			}
			for _, run := range idRun.FindAllString(cell, -1) {
				if secretSet[run] || secretSet[strings.ToLower(run)] {
					found = append(found, fmt.Sprintf("ID number %q found in %s", run, name))
				}
			}
		}
		for _, n := range longNames {
			if strings.Contains(body, n) {
				found = append(found, fmt.Sprintf("%q found in %s", n, name))
			}
		}
	}
	return found
}

// xlsxText is every cell of every sheet of a workbook, tab-separated.
func xlsxText(t *testing.T, path string) []byte {
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\t"))
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}

// idRun is a run of characters that could be an ID number, 15 or 18 long.
var idRun = regexp.MustCompile(`[0-9]{14}[0-9Xx]([0-9]{2}[0-9Xx])?`)

// generate writes the demo extracts in-process.
func generate(dir string, seed int64) (*fixtures.Expected, error) {
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		return nil, err
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		return nil, err
	}
	return fixtures.Generate(context.Background(), fixtures.Options{
		Year: 2024, Seed: seed, AsOf: time.Date(2024, 10, 31, 0, 0, 0, 0, time.UTC), Out: dir, Registry: reg, County: county,
	})
}
