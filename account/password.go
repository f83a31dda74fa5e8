package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/minsheng/minsheng"
)

// Params are the argon2id costs of a password hash. They travel inside the hash (PHC string
// format), so raising them later leaves the old hashes verifiable; Login rehashes them.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8
}

// DefaultParams are the costs of new hashes: 64 MiB, 3 passes, 2 lanes (a tenth of a second or
// two on the county's 2-core server; the RFC 9106 second recommendation, with more passes).
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 2}

const (
	saltLen = 16
	hashLen = 32

	// MinPasswordLen is the fewest characters a password may have.
	MinPasswordLen = 10
	// maxPasswordLen bounds what is hashed, so nobody makes the server hash megabytes.
	maxPasswordLen = 256
)

// HashPassword hashes a password with argon2id and a random salt, in PHC string format:
// $argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>, both in unpadded standard base64.
func HashPassword(password string, p Params) (string, error) {
	if err := p.check(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	sum := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, hashLen)
	return encodePHC(p, salt, sum), nil
}

func encodePHC(p Params, salt, sum []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(sum))
}

// VerifyPassword reports whether password matches the PHC-encoded argon2id hash. The hashes are
// compared in constant time. The error is for a hash that cannot be parsed.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, want, err := ParsePHC(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// ParsePHC reads an argon2id hash in PHC string format. It refuses other algorithms, another
// argon2 version, parameters out of sane bounds (a tampered file must not make the server
// allocate gigabytes) and bad base64.
func ParsePHC(encoded string) (p Params, salt, sum []byte, err error) {
	bad := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("account: password hash: %s", why)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("not a PHC string")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm " + strconv.Quote(parts[1]) + " is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("version " + strconv.Quote(parts[2]) + " is not v=19")
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return bad("parameters must be m=,t=,p=")
	}
	var vals [3]uint64
	for i, key := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(kv[i], key)
		if !ok {
			return bad("parameters must be m=,t=,p= in that order")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return bad("parameter " + key + " is not a number")
		}
		vals[i] = n
	}
	if vals[2] > 255 {
		return bad("too many lanes")
	}
	p = Params{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}
	if err := p.check(); err != nil {
		return Params{}, nil, nil, err
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > 64 {
		return bad("bad salt")
	}
	if sum, err = b64.DecodeString(parts[5]); err != nil || len(sum) < 16 || len(sum) > 64 {
		return bad("bad hash")
	}
	return p, salt, sum, nil
}

func (p Params) check() error {
	switch {
	case p.Threads < 1:
		return errors.New("account: argon2id needs at least one lane")
	case p.Time < 1 || p.Time > 64:
		return errors.New("account: argon2id passes must be 1 to 64")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > 1<<21:
		return errors.New("account: argon2id memory must be 8 KiB per lane to 2 GiB")
	}
	return nil
}

// CheckPassword applies the password rule: at least MinPasswordLen characters, not the user name,
// no control characters.
func CheckPassword(name, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return minsheng.Errorf(minsheng.EINVALID, "密码含有无效字符", "the password has invalid characters")
	case n < MinPasswordLen:
		return minsheng.Errorf(minsheng.EINVALID, "密码至少需要 %d 个字符", "a password needs at least %d characters", MinPasswordLen)
	case n > maxPasswordLen:
		return minsheng.Errorf(minsheng.EINVALID, "密码最多 %d 个字符", "a password has at most %d characters", maxPasswordLen)
	case strings.EqualFold(strings.TrimSpace(password), name):
		return minsheng.Errorf(minsheng.EINVALID, "密码不能与用户名相同", "the password must not be the user name")
	case strings.IndexFunc(password, unicode.IsControl) >= 0:
		return minsheng.Errorf(minsheng.EINVALID, "密码不能含有控制字符", "the password must not contain control characters")
	}
	return nil
}
