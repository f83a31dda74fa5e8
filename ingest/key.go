package ingest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

// Where the pseudonym key comes from, first set first:
//
//	MINSHENG_PII_KEY        the key itself: hex, or any text of at least 16 bytes
//	MINSHENG_PII_KEY_FILE   a file holding the key in hex, outside the data folder (a deployment)
//	DIR/pii.key             the demo default, created once with 32 random bytes and mode 0600
//
// Whoever holds the key and a copy of the lake can test every pseudonym against guessed ID
// numbers (an ID's structure is guessable: about 33 HMACs a person), so a county keeps the key
// out of the data folder and out of its backups: see the README's Deployment section.
const (
	EnvKey     = "MINSHENG_PII_KEY"
	EnvKeyFile = "MINSHENG_PII_KEY_FILE"
	EnvNewKey  = "MINSHENG_NEW_PII_KEY" // minsheng rekey's new key, when not in a file
)

// keyCheckText is what the check file's HMAC is taken of.
const keyCheckText = "minsheng key check v1"

// KeyCheckFile is DIR/pii.key.check: the HMAC of a fixed text under the folder's key, written at
// the key's first use and replaced by minsheng rekey. A key that does not give it is refused, so
// an old key cannot write pseudonyms that match no one into a rekeyed lake. It tells nothing of
// the key.
func KeyCheckFile(dir string) string { return lake.Layout{Dir: dir}.KeyCheck() }

// KeyInfo is the key and where it came from.
type KeyInfo struct {
	Key       []byte
	From      string // EnvKey, EnvKeyFile or "DIR/pii.key": where a person looks for it
	Path      string // the key file; "" for a key given in MINSHENG_PII_KEY
	InDataDir bool   // the key file is inside the data folder: a copy of the folder reverses every pseudonym
	Stray     string // DIR/pii.key, when it exists though the key comes from elsewhere
	Loose     bool   // the key file is readable by its group or by others
	Created   bool   // the key was created now (a new data folder)
}

// LoadKey returns the pseudonym key of the data folder whose default key file is keyFile
// (DIR/pii.key): see OpenKey.
func LoadKey(keyFile string) ([]byte, error) {
	k, err := OpenKey(filepath.Dir(keyFile))
	if err != nil {
		return nil, err
	}
	return k.Key, nil
}

// OpenKey returns the data folder's pseudonym key (MINSHENG_PII_KEY, MINSHENG_PII_KEY_FILE or
// DIR/pii.key) and checks it against DIR/pii.key.check, which it writes at the first use. It first
// finishes a key rotation a killed minsheng rekey left half done. DIR/pii.key is created only for
// a folder that has never had a key: once a check file exists, a missing key is an error, not a
// reason to make a new one.
// Errors: EINVALID for a malformed key or a key that is not the folder's (after a rekey, the old
// one); ECONFLICT while a rekey runs; ENOTFOUND for a key file that is not there.
func OpenKey(dir string) (*KeyInfo, error) {
	if err := recoverRekeyUnlocked(dir); err != nil {
		return nil, err
	}
	_, err := os.Stat(KeyCheckFile(dir))
	checked := err == nil
	k, err := resolveKey(dir, !checked)
	if err != nil {
		return nil, err
	}
	if err := VerifyKey(dir, k.Key); err != nil {
		var me *minsheng.Error
		if errors.As(err, &me) {
			me.Zh += fmt.Sprintf("(密钥来自 %s)", k.where())
			me.En += fmt.Sprintf(" (key from %s)", k.where())
		}
		return nil, err
	}
	return k, nil
}

func (k *KeyInfo) where() string {
	if k.Path == "" {
		return k.From
	}
	if k.From == EnvKeyFile {
		return k.From + "=" + k.Path
	}
	return k.Path
}

// resolveKey finds the key; create allows making DIR/pii.key, or the file MINSHENG_PII_KEY_FILE
// names, when it is missing.
func resolveKey(dir string, create bool) (*KeyInfo, error) {
	env := strings.TrimSpace(os.Getenv(EnvKey))
	file := strings.TrimSpace(os.Getenv(EnvKeyFile))
	if env != "" && file != "" {
		return nil, minsheng.Errorf(minsheng.EINVALID, "%s 与 %s 只能设置一个", "set one of %s and %s, not both", EnvKey, EnvKeyFile)
	}
	def := lake.Layout{Dir: dir}.KeyFile()
	k := &KeyInfo{}
	if env != "" {
		b, err := ParseKey(env)
		if err != nil {
			return nil, minsheng.Errorf(minsheng.EINVALID, "%s 应为十六进制密钥或不少于 16 字节的文本",
				"%s must be a hex key or text of 16 bytes or more", EnvKey)
		}
		k.Key, k.From = b, EnvKey
	} else {
		k.From, k.Path = "DIR/pii.key", def
		if file != "" {
			k.From, k.Path = EnvKeyFile, file
		}
		b, created, err := readOrCreateKeyFile(k.Path, create, dir)
		if err != nil {
			return nil, err
		}
		k.Key, k.Created = b, created
		k.InDataDir = inside(dir, k.Path)
		if st, err := os.Stat(k.Path); err == nil && st.Mode().Perm()&0o077 != 0 {
			k.Loose = true
		}
	}
	if k.Path == "" || !samePath(k.Path, def) {
		if _, err := os.Stat(def); err == nil {
			k.Stray = def
		}
	}
	return k, nil
}

// ParseKey reads a key given as text: hex of 16 bytes or more, or any text of 16 bytes or more.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) >= 16 {
		return b, nil
	}
	if len(s) < 16 {
		return nil, errors.New("ingest: a key is hex of 16 bytes or more, or text of 16 bytes or more")
	}
	return []byte(s), nil
}

// readKeyFile reads a key file: hex of 16 bytes or more.
func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) < 16 {
		return nil, minsheng.Errorf(minsheng.EINVALID, "密钥文件 %s 不是 16 字节以上的十六进制密钥",
			"key file %s is not a hex key of 16 bytes or more", path)
	}
	return k, nil
}

func readOrCreateKeyFile(path string, create bool, dir string) ([]byte, bool, error) {
	k, err := readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		if err != nil && minsheng.ErrorCode(err) == minsheng.EINTERNAL {
			err = fmt.Errorf("ingest: key file: %w", err)
		}
		return k, false, err
	}
	if !create {
		return nil, false, minsheng.Errorf(minsheng.ENOTFOUND,
			"找不到本数据目录的假名化密钥 %s(%s 已存在,说明此目录已用过密钥)。请设置 %s 指向密钥文件;若密钥确已丢失,用 minsheng rekey --new-key-file 新路径 从原件存档重新假名化",
			"the data folder's pseudonym key %s is not there (%s exists: this folder has had a key). Set %s to the key file; if the key is truly lost, re-pseudonymise from the archive with minsheng rekey --new-key-file NEWPATH",
			path, KeyCheckFile(dir), EnvKeyFile)
	}
	k = make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("ingest: key file: %w", err)
	}
	if err := writeKeyFile(path, k); errors.Is(err, fs.ErrExist) { // another process made it first
		k, err := readKeyFile(path)
		return k, false, err
	} else if err != nil {
		return nil, false, fmt.Errorf("ingest: key file: %w", err)
	}
	return k, true, nil
}

// writeKeyFile writes a new key file, mode 0600, whole or not at all (a temporary file linked
// in): it fails with fs.ErrExist if there is one.
func writeKeyFile(path string, k []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pii.key-*.partial")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(k) + "\n")
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

// keyCheck is the content of the check file for key.
func keyCheck(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(keyCheckText))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyKey checks key against the folder's check file, writing the file when there is none yet
// (the key's first use). Ingest calls it through OpenKey; a caller that passes Config.Key itself
// may call it too.
// Errors: EINVALID when the key is not the folder's.
func VerifyKey(dir string, key []byte) error {
	want := keyCheck(key)
	path := KeyCheckFile(dir)
	for range 2 {
		b, err := os.ReadFile(path)
		if err == nil {
			if hmac.Equal([]byte(strings.TrimSpace(string(b))), []byte(want)) {
				return nil
			}
			return minsheng.Errorf(minsheng.EINVALID,
				"该密钥不是本数据目录的假名化密钥:与 %s 不符。密钥轮换(minsheng rekey)之后旧密钥不再可用,请使用新密钥",
				"this key is not the data folder's pseudonym key: it does not match %s. After a key rotation (minsheng rekey) the old key is refused: use the new one",
				path)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("ingest: key check: %w", err)
		}
		// First use: write a temporary file and link it in, so two first uses with different
		// keys cannot both win, and no reader sees half a file.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("ingest: key check: %w", err)
		}
		tmp, err := os.CreateTemp(dir, ".pii.key.check-*.partial")
		if err != nil {
			return fmt.Errorf("ingest: key check: %w", err)
		}
		_, err = tmp.WriteString(want + "\n")
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Link(tmp.Name(), path)
		}
		os.Remove(tmp.Name())
		if err == nil {
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("ingest: key check: %w", err)
		}
	}
	return fmt.Errorf("ingest: key check: %s keeps changing", path)
}

// inside reports whether path is within dir, links resolved.
func inside(dir, path string) bool {
	d, err := realPath(dir)
	if err != nil {
		return false
	}
	p, err := realPath(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func samePath(a, b string) bool {
	pa, err1 := realPath(a)
	pb, err2 := realPath(b)
	return err1 == nil && err2 == nil && pa == pb
}

// realPath is path made absolute with its links resolved, as far as it exists.
func realPath(path string) (string, error) {
	p, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r, nil
	}
	// not there (yet): resolve the folder it would be in
	if r, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		return filepath.Join(r, filepath.Base(p)), nil
	}
	return p, nil
}

// Warning is what ingest and serve print when the key is kept where a copy of the data folder
// takes it along, or where others can read it; "" when it is kept well. Bilingual, several lines.
func (k *KeyInfo) Warning() string {
	var b strings.Builder
	bar := strings.Repeat("!", 78) + "\n"
	if k.InDataDir {
		fmt.Fprintf(&b, "警告:假名化密钥 %s 位于数据目录之内。拿到该目录副本(包括备份)的人可以还原每一个假名。\n"+
			"  演示可以这样用;正式部署请把密钥移出数据目录,例如 %s=/etc/minsheng/pii.key(仅服务用户可读,0600),见 README「Deployment」。\n"+
			"WARNING: the pseudonym key %s is inside the data folder. Anyone with a copy of the folder, a backup\n"+
			"  included, can reverse every pseudonym. Fine for the demo; in a deployment keep the key outside the\n"+
			"  folder, e.g. %s=/etc/minsheng/pii.key readable by the service user only (0600): see the README, Deployment.\n",
			k.Path, EnvKeyFile, k.Path, EnvKeyFile)
	}
	if k.Stray != "" {
		fmt.Fprintf(&b, "警告:数据目录中仍有密钥文件 %s,而本次使用的密钥来自 %s。确认已妥善保存后请删除它:目录副本会带走它。\n"+
			"WARNING: a key file %s is still in the data folder, though the key in use comes from %s.\n"+
			"  Once the key is kept safely elsewhere, delete it: a copy of the folder takes it along.\n",
			k.Stray, k.From, k.Stray, k.From)
	}
	if k.Loose && !k.InDataDir {
		fmt.Fprintf(&b, "警告:密钥文件 %s 可被其他用户读取,请执行 chmod 600 %s。\n"+
			"WARNING: the key file %s is readable by other users: chmod 600 %s.\n", k.Path, k.Path, k.Path, k.Path)
	}
	if b.Len() == 0 {
		return ""
	}
	return bar + b.String() + bar
}
