package ingest

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

// TestRekeyRecovery: a rekey killed before READY leaves the folder as it was (the next OpenKey
// deletes the staging folder and the old key still works); one killed mid-swap (the lake swapped,
// the quarantine taken out but not yet in, and an empty quarantine made again by an ingest's
// start) is finished by the next OpenKey: the new lake and key are in, the old key is refused.
func TestRekeyRecovery(t *testing.T) {
	t.Setenv(EnvKey, "")
	t.Setenv(EnvKeyFile, "")
	dir := t.TempDir()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(Config{Dir: dir, Registry: reg, County: county,
		Now: func() time.Time { return time.Date(2024, 11, 1, 3, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "inbox", "worker_aid", "a.csv")
	csv := "姓名,身份证号,乡镇,帮扶类型,救助金额,救助日期\n李四,340826199001010013,孚玉镇,生活救助,200,2024-10-01\n王五,340826199001010013,孚玉镇,生活救助,x,2024-10-01\n"
	if err := os.WriteFile(p, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(lake.Layout{Dir: dir}.Manifest())
	oldHex, _ := os.ReadFile(filepath.Join(dir, "pii.key"))
	newKeyFile := filepath.Join(t.TempDir(), "new.key")
	cfg := RekeyConfig{Dir: dir, Registry: reg, County: county, NewKeyFile: newKeyFile}

	// killed while staging
	staging, _, _, err := prepareRekey(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKey(dir); err != nil {
		t.Fatalf("the old key after a rekey killed while staging: %v", err)
	}
	if exists(staging) {
		t.Fatal("the staging folder of a killed rekey is still there")
	}

	// killed mid-swap
	staging, plan, _, err := prepareRekey(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeReady(staging, plan); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, rekeyOldPrefix+strings.TrimPrefix(filepath.Base(staging), rekeyPrefix))
	os.Mkdir(old, 0o700)
	for _, step := range [][2]string{
		{filepath.Join(dir, "lake"), filepath.Join(old, "lake")},
		{filepath.Join(staging, "lake"), filepath.Join(dir, "lake")},
		{filepath.Join(dir, "quarantine"), filepath.Join(old, "quarantine")},
	} {
		if err := os.Rename(step[0], step[1]); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "quarantine"), 0o700) // as ingest.New makes it before it reads the key

	t.Setenv(EnvKey, strings.TrimSpace(string(oldHex)))
	if _, err := OpenKey(dir); err == nil || !strings.Contains(err.Error(), "this key is not the data folder's pseudonym key") {
		t.Fatalf("the old key after a rekey killed mid-swap: %v", err)
	}
	t.Setenv(EnvKey, "")
	if _, err := OpenKey(dir); minsheng.ErrorCode(err) != minsheng.ENOTFOUND {
		t.Fatalf("no key after the swap (the old pii.key was taken out): %v", err)
	}
	t.Setenv(EnvKeyFile, newKeyFile)
	k, err := OpenKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	newHex, _ := os.ReadFile(newKeyFile)
	if hex.EncodeToString(k.Key) != strings.TrimSpace(string(newHex)) {
		t.Fatal("OpenKey did not return the new key")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".rekey-*")); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}
	after, _ := os.ReadFile(lake.Layout{Dir: dir}.Manifest())
	if string(after) != string(before) {
		t.Errorf("manifest:\n%s\nwant\n%s", after, before)
	}
	es, _ := lake.ReadManifest(dir)
	if len(es) != 1 || es[0].LakeFile == "" || es[0].QuarantineFile == "" {
		t.Fatalf("manifest %+v", es)
	}
	for _, f := range []string{es[0].LakeFile, es[0].QuarantineFile} {
		if n, err := parquetRows(filepath.Join(dir, f)); err != nil || n != 1 {
			t.Errorf("%s: %d rows, %v", f, n, err)
		}
	}
}
