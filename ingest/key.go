package ingest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// LoadKey returns the county's pseudonym key: MINSHENG_PII_KEY when set (hex, or any text of at
// least 16 bytes), else the key file, created once with 32 random bytes and mode 0600.
//
// The key decides every pseudonym. Lose it and the lake must be rebuilt from the archive with a
// new key; leak it and pseudonyms can be tested against guessed ID numbers. Keep it with backups
// of the archive, apart from the lake.
func LoadKey(keyFile string) ([]byte, error) {
	if env := strings.TrimSpace(os.Getenv("MINSHENG_PII_KEY")); env != "" {
		if b, err := hex.DecodeString(env); err == nil && len(b) >= 16 {
			return b, nil
		}
		if len(env) < 16 {
			return nil, fmt.Errorf("ingest: MINSHENG_PII_KEY is shorter than 16 bytes")
		}
		return []byte(env), nil
	}
	b, err := os.ReadFile(keyFile)
	if err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) < 16 {
			return nil, fmt.Errorf("ingest: key file %s is not a hex key of 16 bytes or more", keyFile)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ingest: key file: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process made it first
		return LoadKey(keyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: key file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return k, f.Close()
}
