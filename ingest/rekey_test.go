package ingest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/lake"
)

// noKeyEnv makes the test's key come only from what it sets itself.
func noKeyEnv(t *testing.T) {
	t.Setenv(ingest.EnvKey, "")
	t.Setenv(ingest.EnvKeyFile, "")
	t.Setenv(ingest.EnvNewKey, "")
}

// keyedIngester is an ingester whose key is found as the commands find it (OpenKey), at a fixed time.
func keyedIngester(t *testing.T, dir string, at time.Time) (*ingest.Ingester, error) {
	t.Helper()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	return ingest.New(ingest.Config{Dir: dir, Registry: reg, County: county, Workers: 2,
		Now: func() time.Time { return at }})
}

func pseudonymUnder(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	u, _ := uuid.FromBytes(m.Sum(nil)[:16])
	return u.String()
}

// lakePseudonyms reads every worker_aid person pseudonym of the lake, by file and row.
func lakePseudonyms(t *testing.T, dir string) map[string]string {
	t.Helper()
	rows, err := duck(t).Query(`select _file_sha256, _row, person_id::varchar from read_parquet(?) where person_id is not null`,
		filepath.Join(dir, "lake", "source=worker_aid", "*", "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var sha, id string
		var row int
		if err := rows.Scan(&sha, &row, &id); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%s#%d", sha[:8], row)] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func manifestJSON(t *testing.T, dir string) []string {
	t.Helper()
	es, err := lake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		b, _ := json.Marshal(e)
		out = append(out, string(b))
	}
	return out
}

// TestRekey: a lake ingested over two days (a file landed with rejections, one refused whole, a
// duplicate) is rekeyed into a new key file outside the folder. Every pseudonym changes, to the
// new key's HMAC; the manifest is the same line for line (paths, times, counts); the old key is
// refused with the message, a missing key is not silently made anew, the new key is accepted
// without a warning, the inbox files are not taken for new ones, and a further file lands with
// pseudonyms that match the rekeyed ones.
func TestRekey(t *testing.T) {
	noKeyEnv(t)
	dir := t.TempDir()
	day1 := time.Date(2024, 11, 1, 3, 0, 0, 0, time.UTC)
	day2 := time.Date(2024, 11, 2, 18, 30, 0, 0, time.UTC) // Nov 3 in the county
	in, err := keyedIngester(t, dir, day1)
	if err != nil {
		t.Fatal(err)
	}
	put(t, dir, "worker_aid", "2024年帮扶台账.csv", gbk(t, workerAidCSV))
	put(t, dir, "worker_aid", "noid.csv", []byte("姓名,乡镇,帮扶类型,救助金额,救助日期\n张三,松兹街道,生活救助,100,2024-03-05\n"))
	run(t, in)
	in, err = keyedIngester(t, dir, day2)
	if err != nil {
		t.Fatal(err)
	}
	put(t, dir, "worker_aid", "副本/2024年帮扶台账.csv", gbk(t, workerAidCSV))
	put(t, dir, "worker_aid", "补报.csv", []byte("姓名,身份证号,乡镇,帮扶类型,救助金额,救助日期\n李四,340826199001010013,孚玉镇,生活救助,200,2024-10-01\n"))
	run(t, in)

	oldHex, err := os.ReadFile(filepath.Join(dir, "pii.key"))
	if err != nil {
		t.Fatal(err)
	}
	oldKey, _ := hex.DecodeString(strings.TrimSpace(string(oldHex)))
	before := manifestJSON(t, dir)
	statuses := map[string]int{}
	for _, e := range mustManifest(t, dir) {
		statuses[e.Status]++
	}
	if statuses[lake.StatusLanded] != 2 || statuses[lake.StatusRejected] != 1 || statuses[lake.StatusDuplicate] != 1 {
		t.Fatalf("the lake to rekey: %v, want 2 landed, 1 rejected, 1 duplicate", statuses)
	}
	oldIDs := lakePseudonyms(t, dir)
	if len(oldIDs) != 5 {
		t.Fatalf("%d pseudonyms before the rekey, want 5: %v", len(oldIDs), oldIDs)
	}

	newKeyFile := filepath.Join(t.TempDir(), "etc", "pii.key")
	res, err := ingest.Rekey(context.Background(), ingest.RekeyConfig{Dir: dir, Registry: mustRegistry(t), County: mustCounty(t), NewKeyFile: newKeyFile})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 4 || !res.KeyGenerated || res.KeyInDataDir || len(res.Differences) != 0 {
		t.Fatalf("rekey: %+v", res)
	}
	st, err := os.Stat(newKeyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v, %v", st, err)
	}
	newHex, _ := os.ReadFile(newKeyFile)
	newKey, _ := hex.DecodeString(strings.TrimSpace(string(newHex)))

	// the manifest, line for line, and the reports with it
	after := manifestJSON(t, dir)
	if strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("manifest changed:\nbefore %s\nafter  %s", strings.Join(before, "\n       "), strings.Join(after, "\n       "))
	}
	reps, err := lake.ReadReports(dir)
	if err != nil || len(reps) != 4 {
		t.Fatalf("reports: %d, %v", len(reps), err)
	}
	for i, r := range reps {
		if b, _ := json.Marshal(r.Entry); string(b) != before[i] {
			t.Errorf("report %d: %s, want %s", i, b, before[i])
		}
	}
	// every pseudonym changed, to the new key's
	newIDs := lakePseudonyms(t, dir)
	if len(newIDs) != len(oldIDs) {
		t.Fatalf("%d pseudonyms after, %d before", len(newIDs), len(oldIDs))
	}
	for k, old := range oldIDs {
		if newIDs[k] == "" || newIDs[k] == old {
			t.Errorf("%s: pseudonym %s after, %s before", k, newIDs[k], old)
		}
	}
	li := "340826199001010013"
	found := 0
	for _, id := range newIDs {
		if id == pseudonymUnder(oldKey, li) {
			t.Errorf("the old key's pseudonym of %s is still in the lake", li)
		}
		if id == pseudonymUnder(newKey, li) {
			found++
		}
	}
	if found != 3 { // twice in the first file (李四, 王五), once in the late one
		t.Errorf("the new key's pseudonym of %s is in %d rows, want 3", li, found)
	}
	// nothing left of the rotation, nor the old key
	if m, _ := filepath.Glob(filepath.Join(dir, ".rekey-*")); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}
	if _, err := os.Stat(filepath.Join(dir, "pii.key")); err == nil {
		t.Error("the old key file is still in the data folder")
	}

	// the old key is refused
	t.Setenv(ingest.EnvKey, strings.TrimSpace(string(oldHex)))
	if _, err := keyedIngester(t, dir, day2); err == nil ||
		!strings.Contains(minsheng.ErrorMessage(err), "该密钥不是本数据目录的假名化密钥") ||
		!strings.Contains(minsheng.ErrorMessage(err), "this key is not the data folder's pseudonym key") ||
		!strings.Contains(minsheng.ErrorMessage(err), ingest.EnvKey) {
		t.Fatalf("old key: %v", err)
	}
	// no key at all is not a reason to make a new one
	t.Setenv(ingest.EnvKey, "")
	if _, err := ingest.OpenKey(dir); minsheng.ErrorCode(err) != minsheng.ENOTFOUND {
		t.Fatalf("no key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pii.key")); err == nil {
		t.Fatal("a missing key was made anew")
	}

	// the new key is accepted, kept outside the folder: no warning
	t.Setenv(ingest.EnvKeyFile, newKeyFile)
	k, err := ingest.OpenKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k.From != ingest.EnvKeyFile || k.InDataDir || k.Warning() != "" {
		t.Fatalf("new key: %+v, warning %q", k, k.Warning())
	}
	in, err = keyedIngester(t, dir, day2.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	put(t, dir, "worker_aid", "十一月.csv", []byte("姓名,身份证号,乡镇,帮扶类型,救助金额,救助日期\n李四,340826199001010013,孚玉镇,子女助学,300,2024-11-01\n"))
	s := run(t, in)
	if len(s.Reports) != 1 || s.Reports[0].Status != lake.StatusLanded || s.Skipped != 4 {
		t.Fatalf("ingest after the rekey: %d reports (%+v), %d skipped; want the new file only, 4 skipped", len(s.Reports), s.Reports, s.Skipped)
	}
	found = 0
	for _, id := range lakePseudonyms(t, dir) {
		if id == pseudonymUnder(newKey, li) {
			found++
		}
	}
	if found != 4 {
		t.Errorf("after a further file, %s is in %d rows under one pseudonym, want 4", li, found)
	}
}

// TestRekeyRefusals: the key in use as the new one, and a missing original, are refused, and
// the folder stays as it was: the old key still works and no staging folder is left.
func TestRekeyRefusals(t *testing.T) {
	noKeyEnv(t)
	dir := t.TempDir()
	in, err := keyedIngester(t, dir, time.Date(2024, 11, 1, 3, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	put(t, dir, "worker_aid", "a.csv", gbk(t, workerAidCSV))
	run(t, in)
	cfg := ingest.RekeyConfig{Dir: dir, Registry: mustRegistry(t), County: mustCounty(t)}

	same := filepath.Join(t.TempDir(), "same.key")
	b, _ := os.ReadFile(filepath.Join(dir, "pii.key"))
	os.WriteFile(same, b, 0o600)
	cfg.NewKeyFile = same
	if _, err := ingest.Rekey(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "the new key is the key in use") {
		t.Errorf("the same key: %v", err)
	}

	es := mustManifest(t, dir)
	orig := filepath.Join(dir, "archive", es[0].SHA256[:2], es[0].SHA256+".csv")
	if err := os.Rename(orig, filepath.Join(t.TempDir(), "away")); err != nil {
		t.Fatal(err)
	}
	cfg.NewKeyFile = filepath.Join(t.TempDir(), "new.key")
	if _, err := ingest.Rekey(context.Background(), cfg); minsheng.ErrorCode(err) != minsheng.ENOTFOUND {
		t.Errorf("a missing original: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".rekey-*")); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}
	if _, err := ingest.OpenKey(dir); err != nil {
		t.Errorf("the old key after refused rekeys: %v", err)
	}
}

// TestKeyWarning: the key in DIR/pii.key, or named by MINSHENG_PII_KEY_FILE inside the folder,
// gets the loud warning; a key file outside it does not; a pii.key left in the folder while the
// key comes from elsewhere is warned about too.
func TestKeyWarning(t *testing.T) {
	noKeyEnv(t)
	dir := t.TempDir()
	k, err := ingest.OpenKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := k.Warning()
	if !k.Created || !k.InDataDir || !strings.Contains(w, "WARNING: the pseudonym key") || !strings.Contains(w, "警告:假名化密钥") {
		t.Errorf("default key: %+v\n%s", k, w)
	}
	// the same key, moved out of the folder
	out := filepath.Join(t.TempDir(), "pii.key")
	b, _ := os.ReadFile(filepath.Join(dir, "pii.key"))
	os.WriteFile(out, b, 0o600)
	t.Setenv(ingest.EnvKeyFile, out)
	if k, err = ingest.OpenKey(dir); err != nil || k.InDataDir || k.Stray == "" || !strings.Contains(k.Warning(), "still in the data folder") {
		t.Errorf("moved out, copy left: %+v %v\n%s", k, err, k.Warning())
	}
	os.Remove(filepath.Join(dir, "pii.key"))
	if k, err = ingest.OpenKey(dir); err != nil || k.Warning() != "" {
		t.Errorf("moved out: %+v %v\n%s", k, err, k.Warning())
	}
	os.Chmod(out, 0o644)
	if k, err = ingest.OpenKey(dir); err != nil || !strings.Contains(k.Warning(), "chmod 600") {
		t.Errorf("readable by others: %v\n%s", err, k.Warning())
	}
	// named, but inside the folder
	in := filepath.Join(dir, "keys", "pii.key")
	os.MkdirAll(filepath.Dir(in), 0o700)
	os.WriteFile(in, b, 0o600)
	t.Setenv(ingest.EnvKeyFile, in)
	if k, err = ingest.OpenKey(dir); err != nil || !k.InDataDir || !strings.Contains(k.Warning(), "inside the data folder") {
		t.Errorf("named inside: %+v %v", k, err)
	}
}

func mustManifest(t *testing.T, dir string) []lake.Entry {
	t.Helper()
	es, err := lake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func mustRegistry(t *testing.T) *minsheng.Registry {
	t.Helper()
	r, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustCounty(t *testing.T) *minsheng.County {
	t.Helper()
	c, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRekeyKeyInFolder: the demo's rotation, the new key kept in DIR/pii.key, swapped in with the
// lake; then a second rotation to a key given directly (MINSHENG_NEW_PII_KEY), which takes the
// folder's pii.key out. Each time the previous key is refused and the new one accepted.
func TestRekeyKeyInFolder(t *testing.T) {
	noKeyEnv(t)
	dir := t.TempDir()
	at := time.Date(2024, 11, 1, 3, 0, 0, 0, time.UTC)
	in, err := keyedIngester(t, dir, at)
	if err != nil {
		t.Fatal(err)
	}
	put(t, dir, "worker_aid", "a.csv", gbk(t, workerAidCSV))
	run(t, in)
	first, _ := os.ReadFile(filepath.Join(dir, "pii.key"))
	before := lakePseudonyms(t, dir)

	cfg := ingest.RekeyConfig{Dir: dir, Registry: mustRegistry(t), County: mustCounty(t), NewKeyFile: filepath.Join(dir, "pii.key")}
	res, err := ingest.Rekey(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(filepath.Join(dir, "pii.key"))
	if !res.KeyInDataDir || !res.KeyGenerated || string(second) == string(first) || len(second) == 0 {
		t.Fatalf("rekey into DIR/pii.key: %+v", res)
	}
	k, err := ingest.OpenKey(dir)
	if err != nil || !k.InDataDir || k.Warning() == "" {
		t.Fatalf("the new key in the folder: %+v %v", k, err)
	}
	t.Setenv(ingest.EnvKey, strings.TrimSpace(string(first)))
	if _, err := ingest.OpenKey(dir); err == nil || !strings.Contains(err.Error(), "this key is not the data folder's pseudonym key") {
		t.Fatalf("the first key after the rotation: %v", err)
	}
	middle := lakePseudonyms(t, dir)

	third := []byte("a county passphrase of 32 bytes!")
	t.Setenv(ingest.EnvKey, "")
	cfg.NewKeyFile, cfg.NewKey = "", third
	if _, err := ingest.Rekey(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pii.key")); err == nil {
		t.Error("the second key stayed in the folder after a rotation to a key kept elsewhere")
	}
	t.Setenv(ingest.EnvKey, strings.TrimSpace(string(second)))
	if _, err := ingest.OpenKey(dir); err == nil {
		t.Fatal("the second key is accepted after the second rotation")
	}
	t.Setenv(ingest.EnvKey, string(third))
	if k, err := ingest.OpenKey(dir); err != nil || k.Warning() != "" {
		t.Fatalf("the third key: %v", err)
	}
	after := lakePseudonyms(t, dir)
	for r, id := range before {
		if middle[r] == id || after[r] == id || after[r] == middle[r] || after[r] != pseudonymUnder(third, "340826199001010013") && after[r] != pseudonymUnder(third, "11010519491231002X") {
			t.Errorf("%s: %s, then %s, then %s", r, id, middle[r], after[r])
		}
	}
}
