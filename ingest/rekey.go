package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

// Key rotation (minsheng rekey) re-pseudonymises the whole lake under a new key, from the
// archived originals, and swaps it in for the old one.
//
// Crash safety. Rekey holds the ingest lock throughout, so no ingest runs beside it:
//
//  1. Staging: every manifest entry, in manifest order, is ingested again from DIR/archive into
//     DIR/.rekey-<stamp>/ with the new key and the entry's own time (so its ingest date, its
//     partition and its report's name are the same), its inbox path and modification time are
//     copied back, and the new lake's row counts are compared with the old manifest. The staging
//     folder's copy of the archive is deleted. Then DIR/.rekey-<stamp>/READY is written: the list
//     of what is swapped in (lake, quarantine, reports, manifest.jsonl, pii.key.check, and
//     pii.key when the new key is kept in the folder) and what is only taken out (the old
//     pii.key). Until READY exists the data folder itself has not been touched.
//  2. Swap: for each name, DIR/<name> is renamed into DIR/.rekey-old-<stamp>/ and the staged one
//     renamed in. Each step is a rename that can be redone: a name still in the staging folder is
//     not swapped in yet; one already in the old folder was taken out.
//  3. Cleanup: the staging folder is removed (READY with it), then the old folder.
//
// A rekey killed at any moment leaves the folder in one of two states, which the next rekey, or
// the next ingest or serve (OpenKey, under the same lock), tells apart and ends: a staging folder
// without READY is deleted (nothing happened: the old key still works), one with READY is swapped
// in to the end (the new key works, the old one is refused). An old folder without its staging
// folder is deleted. A staging folder without READY also arises from a cleanup cut short, after
// every rename: deleting it is right in both cases.
const (
	rekeyPrefix    = ".rekey-"
	rekeyOldPrefix = ".rekey-old-"
	rekeyReady     = "READY"
)

// RekeyConfig is what Rekey needs. Exactly one of NewKey and NewKeyFile is set.
type RekeyConfig struct {
	Dir      string
	Registry *minsheng.Registry
	County   *minsheng.County
	NewKey   []byte // the new key, kept by the caller (MINSHENG_NEW_PII_KEY)
	// NewKeyFile is the new key's file: read when it exists, else a new random key is written
	// there (mode 0600) before anything else. DIR/pii.key itself means a new key kept in the data
	// folder, as the demo does; it is swapped in with the lake.
	NewKeyFile string
	// AllowDifferences swaps the new lake in even when a file's status or counts differ from the
	// old manifest (the ingest code changed since: e.g. a file read better). Each is listed.
	AllowDifferences bool
	Location         *time.Location // Asia/Shanghai by default, as ingest
	Workers          int
	Log              io.Writer // one line per file; nil for none
}

// RekeyResult is what a rotation did.
type RekeyResult struct {
	Files        int      // manifest entries ingested again
	Landed       int      // rows landed, in all files
	Rejected     int      // rows rejected
	Differences  []string // files whose status or counts differ from the old manifest
	KeyFile      string   // where the new key is; "" when given in NewKey
	KeyGenerated bool     // the new key was made now
	KeyInDataDir bool
	Duration     time.Duration
}

// swapPlan is READY's content.
type swapPlan struct {
	In  []string `json:"in"`  // names under DIR replaced by the staged ones
	Out []string `json:"out"` // names under DIR only taken out
}

// Rekey rotates the pseudonym key: see the comment above. It does not build the warehouse,
// which still holds the old pseudonyms until the next build.
// Errors: ECONFLICT while an ingest runs; EINVALID for a bad key or a new key equal to the old;
// ENOTFOUND when an original is missing from the archive; EINVALID when the new lake differs
// from the old manifest (unless AllowDifferences).
func Rekey(ctx context.Context, cfg RekeyConfig) (*RekeyResult, error) {
	start := time.Now()
	if cfg.Dir == "" || cfg.Registry == nil || cfg.County == nil {
		return nil, errors.New("ingest: rekey: Dir, Registry and County are required")
	}
	if (cfg.NewKey == nil) == (cfg.NewKeyFile == "") {
		return nil, minsheng.Errorf(minsheng.EINVALID, "请用 --new-key-file 或 %s 给出新密钥(只能给一个)",
			"give the new key with --new-key-file or %s (one of them)", EnvNewKey)
	}
	layout := lake.Layout{Dir: cfg.Dir}
	if _, err := os.Stat(cfg.Dir); err != nil {
		return nil, minsheng.Errorf(minsheng.ENOTFOUND, "数据目录 %s 不存在", "data folder %s does not exist", cfg.Dir)
	}
	lk, err := lockDir(layout.LockFile(), false)
	if err != nil {
		return nil, err
	}
	defer lk.unlock()
	if err := recoverRekey(cfg.Dir); err != nil {
		return nil, err
	}
	staging, plan, res, err := prepareRekey(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ready := false
	defer func() {
		if !ready {
			os.RemoveAll(staging) // nothing was swapped: the folder is as it was
		}
	}()
	// No build reads the lake while it is swapped: take the warehouse's build lock.
	if err := os.MkdirAll(layout.Warehouse(), 0o700); err != nil {
		return nil, fmt.Errorf("ingest: rekey: %w", err)
	}
	blk, err := lockDir(layout.BuildLock(), true)
	if err != nil {
		return nil, err
	}
	defer blk.unlock()
	if err := writeReady(staging, plan); err != nil {
		return nil, err
	}
	ready = true // from here on the rotation is finished, now or by the next run
	if err := finishRekey(cfg.Dir, strings.TrimPrefix(filepath.Base(staging), rekeyPrefix)); err != nil {
		return nil, err
	}
	res.Duration = time.Since(start)
	return res, nil
}

// prepareRekey makes the new key (reading or writing its file) and the staging folder with
// everything to swap in but READY, and says what READY is to say. On an error it leaves no
// staging folder. The caller holds the ingest lock.
func prepareRekey(ctx context.Context, cfg RekeyConfig) (staging string, plan swapPlan, res *RekeyResult, err error) {
	layout := lake.Layout{Dir: cfg.Dir}
	res = &RekeyResult{}
	fail := func(e error) (string, swapPlan, *RekeyResult, error) { return "", swapPlan{}, nil, e }

	// the new key
	key := cfg.NewKey
	if cfg.NewKeyFile != "" {
		res.KeyFile = cfg.NewKeyFile
		if samePath(cfg.NewKeyFile, layout.KeyFile()) {
			res.KeyInDataDir, res.KeyGenerated = true, true
			key = make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return fail(err)
			}
		} else {
			k, created, err := readOrCreateKeyFile(cfg.NewKeyFile, true, cfg.Dir)
			if err != nil {
				return fail(err)
			}
			key, res.KeyGenerated = k, created
			res.KeyInDataDir = inside(cfg.Dir, cfg.NewKeyFile)
		}
	}
	if len(key) < 16 {
		return fail(minsheng.Errorf(minsheng.EINVALID, "新密钥短于 16 字节", "the new key is shorter than 16 bytes"))
	}
	if b, err := os.ReadFile(KeyCheckFile(cfg.Dir)); err == nil && strings.TrimSpace(string(b)) == keyCheck(key) {
		return fail(minsheng.Errorf(minsheng.EINVALID, "新密钥就是正在使用的密钥,请给出一个新的密钥文件路径",
			"the new key is the key in use: name a new key file"))
	}

	stamp := time.Now().UTC().Format("20060102T150405.000000000")
	staging = filepath.Join(cfg.Dir, rekeyPrefix+stamp)
	if err := os.Mkdir(staging, 0o700); err != nil {
		return fail(fmt.Errorf("ingest: rekey: %w", err))
	}
	made := staging
	defer func() {
		if err != nil {
			os.RemoveAll(made) // nothing of it was swapped in
		}
	}()
	if err := stageRekey(ctx, cfg, staging, key, res); err != nil {
		return fail(err)
	}
	plan = swapPlan{In: []string{filepath.Base(layout.Lake()), filepath.Base(layout.Quarantine()), filepath.Base(layout.Reports()),
		filepath.Base(layout.Manifest()), filepath.Base(layout.KeyCheck())}}
	keyName := filepath.Base(layout.KeyFile())
	if res.KeyInDataDir && samePath(cfg.NewKeyFile, layout.KeyFile()) {
		if err := writeKeyFile(filepath.Join(staging, keyName), key); err != nil {
			return fail(fmt.Errorf("ingest: rekey: %w", err))
		}
		plan.In = append(plan.In, keyName)
	} else {
		plan.Out = append(plan.Out, keyName) // the old key must not stay beside the new lake
	}
	if err := lake.WriteFileAtomic(KeyCheckFile(staging), []byte(keyCheck(key)+"\n"), 0o600); err != nil {
		return fail(fmt.Errorf("ingest: rekey: %w", err))
	}
	return staging, plan, res, nil
}

// writeReady writes READY: from then on the staging folder is swapped in, by this run or the next.
func writeReady(staging string, plan swapPlan) error {
	if err := syncDir(staging); err != nil {
		return err
	}
	b, _ := json.Marshal(plan)
	if err := lake.WriteFileAtomic(filepath.Join(staging, rekeyReady), b, 0o600); err != nil {
		return fmt.Errorf("ingest: rekey: %w", err)
	}
	return syncDir(staging)
}

// stageRekey ingests every manifest entry again into staging with key, and compares.
func stageRekey(ctx context.Context, cfg RekeyConfig, staging string, key []byte, res *RekeyResult) error {
	old, err := lake.ReadManifest(cfg.Dir)
	if err != nil {
		return err
	}
	var at time.Time
	in, err := New(Config{Dir: staging, Registry: cfg.Registry, County: cfg.County, Key: key, Location: cfg.Location,
		Workers: cfg.Workers, Files: 1, Now: func() time.Time { return at }})
	if err != nil {
		return err
	}
	layout := lake.Layout{Dir: cfg.Dir}
	for i, e := range old {
		if err := ctx.Err(); err != nil {
			return err
		}
		orig, err := archived(layout, e.SHA256)
		if err != nil {
			return err
		}
		at = e.IngestedAt // the same ingest date, partition and report name as before
		rep, err := in.IngestFile(ctx, e.Source, orig, e.FileName)
		if err != nil {
			return fmt.Errorf("ingest: rekey: %s: %w", e.FileName, err)
		}
		if rep.SHA256 != e.SHA256 {
			return minsheng.Errorf(minsheng.EINVALID, "存档原件 %s 已损坏(SHA-256 不符),无法重新假名化",
				"the archived original %s is damaged (its SHA-256 differs): cannot re-pseudonymise", orig)
		}
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "  [%d/%d] %s/%s: %s, %d 行入湖 landed, %d 行拒收 rejected\n",
				i+1, len(old), e.Source, e.FileName, rep.Status, rep.Landed, rep.Rejected)
		}
	}
	staged, err := lake.ReadManifest(staging)
	if err != nil {
		return err
	}
	if len(staged) != len(old) {
		return fmt.Errorf("ingest: rekey: %d entries staged for %d in the manifest", len(staged), len(old))
	}
	var lines []byte
	for i := range staged {
		n, o := &staged[i], old[i]
		// what only the first ingest knew: where the file lay in the inbox, and its time there
		// (the next ingest recognises it by them and does not take it for a new file)
		n.InboxPath, n.ModTime, n.FileName = o.InboxPath, o.ModTime, o.FileName
		if d := differs(staging, o, *n); d != "" {
			res.Differences = append(res.Differences, d)
		}
		res.Files++
		res.Landed += n.Landed
		res.Rejected += n.Rejected
		r, err := lake.ReadReport(staging, n.SHA256, n.IngestedAt)
		if err != nil {
			return err
		}
		r.Entry = *n
		b, err := jsonIndent(r)
		if err != nil {
			return err
		}
		if err := lake.WriteFileAtomic(lake.ReportPath(staging, n.SHA256, n.IngestedAt), b, 0o600); err != nil {
			return fmt.Errorf("ingest: rekey: %w", err)
		}
		line, err := json.Marshal(n)
		if err != nil {
			return err
		}
		lines = append(append(lines, line...), '\n')
	}
	if len(res.Differences) > 0 && !cfg.AllowDifferences {
		show := res.Differences
		if len(show) > 10 {
			show = show[:10]
		}
		return minsheng.Errorf(minsheng.EINVALID,
			"重新导入的结果与原清单有 %d 处不同,新数据湖未启用,原数据湖与原密钥不变:%s(确认无误后可加 --allow-differences)",
			"%d files came out differently from the old manifest: the new lake was not swapped in and the old lake and key are unchanged: %s (after checking, --allow-differences accepts them)",
			len(res.Differences), strings.Join(show, "; "))
	}
	if err := lake.WriteFileAtomic(lake.Layout{Dir: staging}.Manifest(), lines, 0o600); err != nil {
		return fmt.Errorf("ingest: rekey: %w", err)
	}
	// The staging folder's copy of the originals and its empty inbox are not swapped in.
	for _, d := range []string{lake.Layout{Dir: staging}.Archive(), lake.Layout{Dir: staging}.Inbox()} {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("ingest: rekey: %w", err)
		}
	}
	return nil
}

// differs says how a staged entry differs from the old one, "" when it does not; it counts the
// rows of the new Parquet file too.
func differs(staging string, o, n lake.Entry) string {
	var d []string
	if o.SHA256 != n.SHA256 || o.Source != n.Source {
		d = append(d, "file")
	}
	if o.Status != n.Status {
		d = append(d, fmt.Sprintf("status %s→%s", o.Status, n.Status))
	}
	if o.Rows != n.Rows || o.Landed != n.Landed || o.Rejected != n.Rejected {
		d = append(d, fmt.Sprintf("rows %d/%d/%d→%d/%d/%d", o.Rows, o.Landed, o.Rejected, n.Rows, n.Landed, n.Rejected))
	}
	if o.IngestDate != n.IngestDate || !o.IngestedAt.Equal(n.IngestedAt) {
		d = append(d, fmt.Sprintf("ingest date %s→%s", o.IngestDate, n.IngestDate))
	}
	if n.LakeFile != "" {
		if rows, err := parquetRows(filepath.Join(staging, filepath.FromSlash(n.LakeFile))); err != nil {
			d = append(d, "lake file unreadable: "+err.Error())
		} else if rows != int64(o.Landed) {
			d = append(d, fmt.Sprintf("lake file %d rows, manifest %d", rows, o.Landed))
		}
	}
	if len(d) == 0 {
		return ""
	}
	return fmt.Sprintf("%s/%s (%s): %s", o.Source, o.FileName, o.IngestedAt.Format(time.RFC3339), strings.Join(d, ", "))
}

func parquetRows(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return 0, err
	}
	return pf.NumRows(), nil
}

// archived finds the archived original of a SHA-256, whatever its extension.
func archived(l lake.Layout, sha string) (string, error) {
	if len(sha) != 64 {
		return "", fmt.Errorf("ingest: rekey: manifest entry with SHA-256 %q", sha)
	}
	if _, err := hex.DecodeString(sha); err != nil {
		return "", fmt.Errorf("ingest: rekey: manifest entry with SHA-256 %q", sha)
	}
	des, err := os.ReadDir(filepath.Join(l.Archive(), sha[:2]))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("ingest: rekey: %w", err)
	}
	for _, d := range des {
		ext, ok := strings.CutPrefix(d.Name(), sha)
		if ok && d.Type().IsRegular() && (ext == "" || ext[0] == '.' && !strings.Contains(ext[1:], ".")) {
			name := d.Name()
			return filepath.Join(l.Archive(), sha[:2], name), nil
		}
	}
	return "", minsheng.Errorf(minsheng.ENOTFOUND, "存档中没有 SHA-256 为 %s 的原件,无法重新假名化",
		"the archive holds no original with SHA-256 %s: cannot re-pseudonymise", sha)
}

// finishRekey swaps the staged folder named by stamp in, as its READY says, then removes the
// staging and old folders. Every step can be redone after a crash.
func finishRekey(dir, stamp string) error {
	staging := filepath.Join(dir, rekeyPrefix+stamp)
	old := filepath.Join(dir, rekeyOldPrefix+stamp)
	b, err := os.ReadFile(filepath.Join(staging, rekeyReady))
	if err != nil {
		return fmt.Errorf("ingest: rekey: %w", err)
	}
	var plan swapPlan
	if err := json.Unmarshal(b, &plan); err != nil {
		return fmt.Errorf("ingest: rekey: %s: %w", filepath.Join(staging, rekeyReady), err)
	}
	if err := os.MkdirAll(old, 0o700); err != nil {
		return fmt.Errorf("ingest: rekey: %w", err)
	}
	takeOut := func(name string) error {
		cur, gone := filepath.Join(dir, name), filepath.Join(old, name)
		if !exists(cur) {
			return nil
		}
		if exists(gone) {
			// taken out before a crash, then made again (ingest makes its empty folders at
			// start): an empty folder goes, anything else is for a person to look at
			if err := os.Remove(cur); err != nil {
				return minsheng.Errorf(minsheng.EINTERNAL, "密钥轮换未能完成:%s 与 %s 同时存在,请人工检查",
					"the key rotation cannot finish: both %s and %s exist; look at them by hand", cur, gone)
			}
			return nil
		}
		return os.Rename(cur, gone)
	}
	for _, name := range plan.In {
		if !exists(filepath.Join(staging, name)) {
			continue // swapped in already
		}
		if err := takeOut(name); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("ingest: rekey: %w", err)
		}
	}
	for _, name := range plan.Out {
		if err := takeOut(name); err != nil {
			return err
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := os.RemoveAll(staging); err != nil { // READY goes with it: the rotation is done
		return fmt.Errorf("ingest: rekey: %w", err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("ingest: rekey: %w", err)
	}
	return syncDir(dir)
}

// recoverRekey ends what a killed rekey left: see the comment at the top. The caller holds the
// ingest lock.
func recoverRekey(dir string) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("ingest: rekey: %w", err)
	}
	var olds []string
	for _, d := range des {
		name := d.Name()
		switch {
		case strings.HasPrefix(name, rekeyOldPrefix):
			olds = append(olds, name)
		case strings.HasPrefix(name, rekeyPrefix):
			staging := filepath.Join(dir, name)
			if exists(filepath.Join(staging, rekeyReady)) {
				if err := finishRekey(dir, strings.TrimPrefix(name, rekeyPrefix)); err != nil {
					return err
				}
			} else if err := os.RemoveAll(staging); err != nil {
				return fmt.Errorf("ingest: rekey: %w", err)
			}
		}
	}
	for _, name := range olds {
		if exists(filepath.Join(dir, rekeyPrefix+strings.TrimPrefix(name, rekeyOldPrefix))) {
			continue // its staging folder failed to finish above; keep both for a person
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("ingest: rekey: %w", err)
		}
	}
	return nil
}

// recoverRekeyUnlocked is recoverRekey for a caller without the lock (OpenKey): it takes the
// lock only when a rekey left something, and fails if a rekey (or an ingest) holds it now.
func recoverRekeyUnlocked(dir string) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil // no folder yet: nothing to recover
	}
	found := false
	for _, d := range des {
		found = found || strings.HasPrefix(d.Name(), rekeyPrefix)
	}
	if !found {
		return nil
	}
	lk, err := lockDir(lake.Layout{Dir: dir}.LockFile(), false)
	if err != nil {
		if minsheng.ErrorCode(err) == minsheng.ECONFLICT {
			return minsheng.Errorf(minsheng.ECONFLICT, "此数据目录正在进行密钥轮换(minsheng rekey),请待其结束后再试",
				"a key rotation (minsheng rekey) is running on this data folder; try again when it ends")
		}
		return err
	}
	defer lk.unlock()
	return recoverRekey(dir)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// syncDir makes the renames in a folder durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("ingest: rekey: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("ingest: rekey: %w", err)
	}
	return nil
}
