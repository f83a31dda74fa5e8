// Package account keeps who may use minsheng: people's accounts with their roles, API tokens for
// scripts, and the failed-login throttle. They live in the data folder, outside the rebuildable
// warehouse:
//
//	DIR/accounts.json    users, tokens and throttle state; mode 0600, replaced atomically
//	DIR/.accounts.lock   the advisory lock every change takes
//
// The CLI and a running server may use the same folder at once. Every change takes the lock,
// reads the file afresh, changes it and replaces it, so neither loses the other's writes; every
// read checks whether the file changed (inode, mtime and size) and reads it again if so, so a
// server sees a disabled account or a new token without a restart.
//
// The file holds argon2id hashes of passwords and SHA-256 hashes of tokens, never either in clear.
package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

// Roles. What each may do is decided where the routes are; here a role is only a name.
const (
	RoleLeader   = "leader"   // county leadership: aggregates only, never a record
	RoleUnit     = "unit"     // a lead unit (牵头单位): its own sources, uploads and notes
	RoleAssessor = "assessor" // the medical insurance bureau as assessor (绩效考核)
	RoleAdmin    = "admin"    // accounts, settings, ingest runs, the audit log
)

// Roles returns every role, in the order people are shown them.
func Roles() []string { return []string{RoleLeader, RoleUnit, RoleAssessor, RoleAdmin} }

// ValidRole reports whether r is a role.
func ValidRole(r string) bool { return slices.Contains(Roles(), r) }

// Kinds of principal.
const (
	KindUser  = "user"
	KindToken = "token"
)

// Principal is who a request acts as: a person logged in, or a script with a token.
type Principal struct {
	Kind    string `json:"kind"` // KindUser or KindToken
	Name    string `json:"name"` // the user's login name, or the token's name
	Role    string `json:"role"`
	Unit    string `json:"unit,omitempty"`     // the lead unit, for RoleUnit
	TokenID string `json:"token_id,omitempty"` // for KindToken
}

// Owns reports whether p acts for lead unit unit: a unit account or token bound to it. A nil
// principal (no one logged in) owns nothing.
func (p *Principal) Owns(unit string) bool {
	return p != nil && p.Role == RoleUnit && p.Unit != "" && p.Unit == unit
}

// ErrLogin is the answer to a request without a principal (no login, no valid token): what the
// access guard answers, and what a handler or store behind it returns if it is reached without
// one, so that it fails closed.
var ErrLogin = minsheng.Errorf(minsheng.EUNAUTHORIZED, "请先登录,或在请求中附上有效的 API 令牌",
	"log in first, or send a valid API token (Authorization: Bearer ...)")

// User is an account as anyone outside this package sees it: without its password hash.
type User struct {
	Name              string    `json:"name"`
	Role              string    `json:"role"`
	Unit              string    `json:"unit,omitempty"`
	Display           string    `json:"display,omitempty"`
	Disabled          bool      `json:"disabled,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	PasswordChangedAt time.Time `json:"password_changed_at"` // sessions issued before it are void
	LastLoginAt       time.Time `json:"last_login_at,omitzero"`
}

// Principal is the user as a principal.
func (u User) Principal() *Principal {
	return &Principal{Kind: KindUser, Name: u.Name, Role: u.Role, Unit: u.Unit}
}

// Token is an API token as anyone outside this package sees it: without its hash.
type Token struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Unit       string    `json:"unit,omitempty"`
	Owner      string    `json:"owner,omitempty"`      // the account it acts for: disabling it stops the token
	CreatedBy  string    `json:"created_by,omitempty"` // who made it, e.g. "cli:root" or an admin's name
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"` // to within tokenTouchEvery
	Revoked    bool      `json:"revoked,omitempty"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// Principal is the token as a principal.
func (t Token) Principal() *Principal {
	return &Principal{Kind: KindToken, Name: t.Name, Role: t.Role, Unit: t.Unit, TokenID: t.ID}
}

// fileVersion is the format of accounts.json; a newer one is refused rather than overwritten.
const fileVersion = 1

// state is accounts.json.
type state struct {
	Version  int           `json:"version"`
	Users    []userRecord  `json:"users"`
	Tokens   []tokenRecord `json:"tokens"`
	Throttle throttleState `json:"throttle"`
}

type userRecord struct {
	User
	Password string `json:"password"` // argon2id, PHC string format
}

type tokenRecord struct {
	Token
	SHA256 string `json:"sha256"` // hex SHA-256 of the whole token text
}

func (st *state) user(name string) *userRecord {
	for i := range st.Users {
		if st.Users[i].Name == name {
			return &st.Users[i]
		}
	}
	return nil
}

// Store is the accounts of one data folder. It is safe for concurrent use, and several Stores
// (in one process or several) may share a folder.
type Store struct {
	// Now is the clock; tests set it. Defaults to time.Now.
	Now func() time.Time
	// Throttle says how failed logins lock a name at an address and slow a name down. Defaults
	// to DefaultThrottle.
	Throttle Throttle
	// Hash are the argon2id costs of new password hashes. Defaults to DefaultParams.
	Hash Params
	// Location is the time zone of the times in messages (when to try again). Defaults to Local.
	Location *time.Location

	dir   string
	units []string // the lead units of the registry: the units a RoleUnit account may have

	mu      sync.Mutex
	cached  *state // never changed once cached: an update parses the file afresh
	info    fs.FileInfo
	checked time.Time // when the file was last looked at (monotonic), for loadRecent

	gate  *hashGate     // bounds the argon2id hashes running at once (64 MiB each), per address too
	dummy func() string // a hash to verify against for unknown names, so they take as long
}

// Open opens the accounts of data folder dir; the file need not exist yet. reg names the lead
// units a unit account may be bound to.
func Open(dir string, reg *minsheng.Registry) (*Store, error) {
	if reg == nil {
		return nil, errors.New("account: no source registry")
	}
	s := &Store{
		Now: time.Now, Throttle: DefaultThrottle, Hash: DefaultParams, Location: time.Local,
		dir: dir, gate: newHashGate(2),
	}
	for _, src := range reg.Sources {
		if !slices.Contains(s.units, src.LeadUnit) {
			s.units = append(s.units, src.LeadUnit)
		}
	}
	s.dummy = sync.OnceValue(func() string {
		h, err := HashPassword("minsheng-no-such-user", s.Hash)
		if err != nil {
			h, _ = HashPassword("minsheng-no-such-user", DefaultParams)
		}
		return h
	})
	if _, err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir is the data folder.
func (s *Store) Dir() string { return s.dir }

// Units returns the lead units a unit account may be bound to, in registry order.
func (s *Store) Units() []string { return slices.Clone(s.units) }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) location() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return time.Local
}

// load returns the accounts as the file now holds them: the cached state if the file has not
// changed since it was read, else the file read again. The caller must not change the result.
func (s *Store) load() (*state, error) {
	path := lake.Layout{Dir: s.dir}.Accounts()
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &state{Version: fileVersion}, nil
	}
	if err != nil {
		return nil, fileError(err)
	}
	s.mu.Lock()
	if s.cached != nil && sameFile(s.info, fi) {
		st := s.cached
		s.checked = time.Now()
		s.mu.Unlock()
		return st, nil
	}
	s.mu.Unlock()
	st, fi, err := readState(path)
	if err != nil {
		return nil, err
	}
	s.remember(st, fi)
	return st, nil
}

func (s *Store) remember(st *state, fi fs.FileInfo) {
	if fi == nil {
		return
	}
	s.mu.Lock()
	s.cached, s.info, s.checked = st, fi, time.Now()
	s.mu.Unlock()
}

// recentEnough is how stale loadRecent may be. A stat costs more than the rest of a token's
// check together (2.4 µs of 3.4 on the county's kind of VM), and Authenticate runs on every
// scripted request; a token revoked or an account disabled by another process (the shell's
// `minsheng token revoke`) is refused within this long, and at once when done in this one.
const recentEnough = time.Second

// loadRecent is load, trusting the cached state without a look at the file for recentEnough.
func (s *Store) loadRecent() (*state, error) {
	s.mu.Lock()
	if s.cached != nil && time.Since(s.checked) < recentEnough {
		st := s.cached
		s.mu.Unlock()
		return st, nil
	}
	s.mu.Unlock()
	return s.load()
}

// sameFile reports whether two looks at the file saw the same version of it. Every write renames
// a new file into place, so a new version has a new inode as well as a new mtime.
func sameFile(a, b fs.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// readState reads the file and the FileInfo of the very version read.
func readState(path string) (*state, fs.FileInfo, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &state{Version: fileVersion}, nil, nil
	}
	if err != nil {
		return nil, nil, fileError(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fileError(err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, fileError(err)
	}
	st := &state{}
	if len(bytes.TrimSpace(b)) == 0 {
		st.Version = fileVersion
		return st, fi, nil
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, nil, fileError(err)
	}
	if st.Version > fileVersion {
		return nil, nil, &minsheng.Error{Code: minsheng.EINTERNAL,
			Zh:  fmt.Sprintf("账户文件 %s 由更新版本的 minsheng 写入,请升级", path),
			En:  fmt.Sprintf("the accounts file %s was written by a newer minsheng; upgrade this one", path),
			Err: fmt.Errorf("version %d", st.Version)}
	}
	st.Version = fileVersion
	return st, fi, nil
}

func fileError(err error) error {
	return &minsheng.Error{Code: minsheng.EINTERNAL,
		Zh:  "账户文件无法读取或已损坏,请联系管理员",
		En:  "the accounts file cannot be read or is damaged; please contact the administrator",
		Err: fmt.Errorf("account: %w", err)}
}

// update changes the accounts: under the lock it reads the file afresh, lets change alter it and,
// if change returns nil, replaces the file. If change returns errNoChange, nothing is written.
func (s *Store) update(ctx context.Context, change func(st *state) error) error {
	unlock, err := lockFile(ctx, lake.Layout{Dir: s.dir}.AccountsLock())
	if err != nil {
		return err
	}
	defer unlock()
	st, _, err := readState(lake.Layout{Dir: s.dir}.Accounts())
	if err != nil {
		return err
	}
	if err := change(st); err != nil {
		if errors.Is(err, errNoChange) {
			return nil
		}
		return err
	}
	st.Throttle.prune(s.now(), s.throttle())
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := lake.WriteFileAtomic(lake.Layout{Dir: s.dir}.Accounts(), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("account: write: %w", err)
	}
	if fi, err := os.Stat(lake.Layout{Dir: s.dir}.Accounts()); err == nil {
		s.remember(st, fi)
	}
	return nil
}

// errNoChange ends an update without writing.
var errNoChange = errors.New("no change")

// lockWait is how long a change waits for another process's change before giving up.
const lockWait = 30 * time.Second

// lockFile takes the advisory lock, waiting while another holder (a goroutine with its own open
// file, or another process) has it. The kernel drops it if the process dies.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("account: lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("account: lock: %w", err)
	}
	deadline := time.Now().Add(lockWait)
	delay := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("account: lock: %w", err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, minsheng.Errorf(minsheng.ECONFLICT, "账户文件被另一个进程长时间占用,请稍后再试",
				"another process has held the accounts file for too long; try again later")
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 20*time.Millisecond)
	}
}

// NewUser is what AddUser needs.
type NewUser struct {
	Name     string
	Role     string
	Unit     string // the lead unit, for RoleUnit only
	Display  string // the name people know the account holder by
	Password string
}

// AddUser creates an account. Errors: EINVALID for a bad name, role, unit, display name or
// password; ECONFLICT if the name is taken (in any letter case).
func (s *Store) AddUser(ctx context.Context, nu NewUser) (User, error) {
	if err := CheckName(nu.Name); err != nil {
		return User{}, err
	}
	if err := s.checkRole(nu.Role, nu.Unit); err != nil {
		return User{}, err
	}
	display, err := checkDisplay(nu.Display)
	if err != nil {
		return User{}, err
	}
	if err := CheckPassword(nu.Name, nu.Password); err != nil {
		return User{}, err
	}
	hash, err := s.hash(ctx, nu.Password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.update(ctx, func(st *state) error {
		for _, o := range st.Users {
			if strings.EqualFold(o.Name, nu.Name) {
				return minsheng.Errorf(minsheng.ECONFLICT, "用户名 %s 已被使用", "the user name %s is taken", o.Name)
			}
		}
		now := s.now()
		u = User{Name: nu.Name, Role: nu.Role, Unit: nu.Unit, Display: display,
			CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now}
		st.Users = append(st.Users, userRecord{User: u, Password: hash})
		return nil
	})
	return u, err
}

// SetPassword replaces a user's password and lifts a lockout of the name. Errors: ENOTFOUND,
// EINVALID for a password that breaks the rule.
func (s *Store) SetPassword(ctx context.Context, name, password string) error {
	if err := CheckPassword(name, password); err != nil {
		return err
	}
	if _, err := s.User(ctx, name); err != nil {
		return err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	return s.update(ctx, func(st *state) error {
		u := st.user(name)
		if u == nil {
			return noUser(name)
		}
		now := s.now()
		u.Password, u.PasswordChangedAt, u.UpdatedAt = hash, now, now
		delete(st.Throttle.Names, nameKey(name))
		return nil
	})
}

// SetDisabled disables or enables an account. A disabled account cannot log in, its sessions and
// the tokens it owns stop working at their next request. Errors: ENOTFOUND.
func (s *Store) SetDisabled(ctx context.Context, name string, disabled bool) (User, error) {
	var out User
	err := s.update(ctx, func(st *state) error {
		u := st.user(name)
		if u == nil {
			return noUser(name)
		}
		if u.Disabled != disabled {
			u.Disabled, u.UpdatedAt = disabled, s.now()
		}
		out = u.User
		return nil
	})
	return out, err
}

// User returns one account. Errors: ENOTFOUND.
func (s *Store) User(ctx context.Context, name string) (User, error) {
	st, err := s.load()
	if err != nil {
		return User{}, err
	}
	if u := st.user(name); u != nil {
		return u.User, nil
	}
	return User{}, noUser(name)
}

// Users returns every account, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	st, err := s.load()
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(st.Users))
	for _, u := range st.Users {
		out = append(out, u.User)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Principal returns the principal of an enabled account, for a session to check on every request
// that its user still may act. Errors: EUNAUTHORIZED if the account is gone or disabled.
func (s *Store) Principal(ctx context.Context, name string) (*Principal, error) {
	st, err := s.load()
	if err != nil {
		return nil, err
	}
	u := st.user(name)
	if u == nil || u.Disabled {
		return nil, minsheng.Errorf(minsheng.EUNAUTHORIZED, "账户不存在或已停用,请重新登录",
			"the account no longer exists or is disabled; log in again")
	}
	return u.Principal(), nil
}

func noUser(name string) error {
	return minsheng.Errorf(minsheng.ENOTFOUND, "没有用户 %s", "no user %s", name)
}

// hash hashes a password, waiting for a free slot: each hash holds Hash.Memory for its duration.
func (s *Store) hash(ctx context.Context, password string) (string, error) {
	select {
	case s.gate.slots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.gate.slots }()
	return HashPassword(password, s.Hash)
}

// CheckName applies the rule for login names: 2 to 32 characters, no spaces, no control or
// invisible characters. Chinese names are welcome.
func CheckName(name string) error {
	n := utf8.RuneCountInString(name)
	if !utf8.ValidString(name) || n < 2 || n > 32 || strings.IndexFunc(name, badNameRune) >= 0 {
		return minsheng.Errorf(minsheng.EINVALID,
			"用户名 %q 无效:需 2 到 32 个字符,不能含空格或控制字符",
			"invalid user name %q: 2 to 32 characters, no spaces or control characters", name)
	}
	return nil
}

func badNameRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) || r == utf8.RuneError
}

func checkDisplay(d string) (string, error) {
	d = strings.TrimSpace(d)
	if !utf8.ValidString(d) || utf8.RuneCountInString(d) > 64 || strings.IndexFunc(d, unicode.IsControl) >= 0 {
		return "", minsheng.Errorf(minsheng.EINVALID, "显示名称无效:最多 64 个字符,不能含控制字符",
			"invalid display name: at most 64 characters, no control characters")
	}
	return d, nil
}

// checkRole checks a role and its unit: a unit account is bound to exactly one lead unit of the
// registry, and the other roles to none.
func (s *Store) checkRole(role, unit string) error {
	if !ValidRole(role) {
		return minsheng.Errorf(minsheng.EINVALID, "未知角色 %q,可选:%s", "unknown role %q; the roles are: %s",
			role, strings.Join(Roles(), ", "))
	}
	if role != RoleUnit {
		if unit != "" {
			return minsheng.Errorf(minsheng.EINVALID, "只有角色 unit 绑定牵头单位,角色 %s 不能指定单位",
				"only role unit is bound to a lead unit; role %s takes no unit", role)
		}
		return nil
	}
	zh, en := strings.Join(s.units, "、"), strings.Join(s.units, ", ")
	if unit == "" {
		return &minsheng.Error{Code: minsheng.EINVALID,
			Zh: "角色 unit 必须指定一个牵头单位,可选:" + zh,
			En: "role unit must name its lead unit, one of: " + en}
	}
	if !slices.Contains(s.units, unit) {
		return &minsheng.Error{Code: minsheng.EINVALID,
			Zh: fmt.Sprintf("未知的牵头单位 %q,数据源登记中的牵头单位有:%s", unit, zh),
			En: fmt.Sprintf("unknown lead unit %q; the lead units in the source registry are: %s", unit, en)}
	}
	return nil
}
