// Package notes keeps the lead units' progress notes and milestones: dated texts about an item of
// the year's list, above all the ones without a number (14, 17) and the facility's stages (13b).
// They are written by people, not derived from the extracts, so they live in the data folder
// outside the rebuildable warehouse, append-only, the way package audit keeps its log:
//
//	DIR/notes/notes.jsonl    one JSON object per line, mode 0600
//	DIR/notes/.notes.lock    the advisory lock every appender takes
//
// A line is committed once it is synced with its newline. A crash mid-append leaves a last line
// without one: readers skip it, and the next append cuts it off first. A line is never rewritten:
// a correction is a new note that supersedes an earlier one, and both stay in the file.
//
// Notes are shown to the county's leaders, who must never see a record: a text that holds
// anything shaped like an ID number is refused (checkNoIDNumber).
package notes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/internal/jsonl"
	"github.com/minsheng/minsheng/lake"
)

// Kinds of note.
const (
	KindNote      = "note"      // a dated account of progress
	KindMilestone = "milestone" // the item reached a stage (13b: the facility's construction)
)

// MaxTextRunes bounds a note's text: a paragraph for a bulletin, not a report.
const MaxTextRunes = 1000

// Note is one line of the file.
type Note struct {
	ID         string    `json:"id"`
	Year       int       `json:"year"`
	Code       string    `json:"code"`
	Date       string    `json:"date"` // YYYY-MM-DD: the day the progress is of, in the county
	Kind       string    `json:"kind"`
	Stage      string    `json:"stage,omitempty"` // for a milestone
	Text       string    `json:"text"`
	Author     string    `json:"author"` // the account or token name
	Unit       string    `json:"unit"`   // the lead unit it was written for
	Supersedes string    `json:"supersedes,omitempty"`
	CreatedAt  time.Time `json:"created_at"` // RFC 3339 in the county's time zone
}

// Draft is what a unit submits.
type Draft struct {
	Year       int    `json:"year"`
	Code       string `json:"code"`
	Date       string `json:"date"`
	Kind       string `json:"kind"`
	Stage      string `json:"stage,omitempty"`
	Text       string `json:"text"`
	Supersedes string `json:"supersedes,omitempty"`
}

// Config is what a store needs.
type Config struct {
	Dir      string                 // the data folder
	Plans    map[int]*minsheng.Plan // the years' registries: which items exist and whose they are
	Registry *minsheng.Registry     // the sources: where an item's stages come from (Stages)
	Location *time.Location         // the county's time zone: "today" and created_at
	Audit    *audit.Log             // every write attempt is recorded here; nil only in tests
	Now      func() time.Time       // the clock; tests set it
	// NameIn finds the name of a person of the ledgers in a text (the current warehouse's masked
	// names: indicators.Snapshot.NameIn); nil checks nothing.
	NameIn func(text string) (masked string, found bool)
}

// Store reads and appends the notes of one data folder. It is safe for concurrent use, and
// several Stores, in one process or several, may append to one folder.
type Store struct {
	cfg Config
	mu  sync.Mutex // goroutines of this process queue here rather than on the file lock

	cacheMu sync.Mutex
	cache   cached
}

// cached is the file as last read, kept while its size and modification time stay the same:
// every page reads the notes, and they change a few times a day.
type cached struct {
	size  int64
	mod   time.Time
	notes []Note
}

// Open opens the notes of data folder cfg.Dir, creating DIR/notes.
func Open(cfg Config) (*Store, error) {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Plans == nil {
		return nil, errors.New("notes: no plans")
	}
	if err := os.MkdirAll(filepath.Dir(lake.Layout{Dir: cfg.Dir}.Notes()), 0o700); err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	return &Store{cfg: cfg}, nil
}

// Stages are the milestones an item can reach, in order; none for an item without milestones.
//
// Our reading of the policy for 13b (targets.md, seed 000 item (十三), sources.md): the county
// supports one 社区嵌入式养老服务机构(综合体), sited in 松兹街道玉龙社区新城花园四区 by upgrading
// (提升改造) the community elderly-care centre already built there, with a construction subsidy of
// at least 500,000 yuan. The item counts once the facility is at 竣工验收 or 运营 with that
// subsidy. The civil affairs bureau's own extract (elder_care_facility) reports the facility's
// 当前阶段 as one of 选址, 设计, 施工, 竣工验收, 运营, and those are the milestones here, so a
// milestone in a note and the stage in the ledger use the same words and the leaders read one
// story. Stages such as 立项 or 主体完工 fit new construction, not the upgrade of an existing
// centre, and are not in the ledger, so they are not offered.
//
// The rule is data, not code: an item has milestones when one of its sources has an enum column
// whose field is "stage"; its values are the stages. Next year's list brings its own.
func (s *Store) Stages(year int, code string) []string {
	p, ok := s.cfg.Plans[year]
	if !ok || s.cfg.Registry == nil {
		return nil
	}
	t, ok := p.Target(code)
	if !ok {
		return nil
	}
	for _, src := range t.Sources {
		if so, ok := s.cfg.Registry.Source(src); ok {
			for _, c := range so.Columns {
				if c.Field == "stage" && c.Type == minsheng.TypeEnum && len(c.Values) > 0 {
					return c.Values
				}
			}
		}
	}
	return nil
}

// Target is the item of a year's list with the given code, for callers that need its lead unit.
// Errors: ENOTFOUND for a year without a plan or a code not in it.
func (s *Store) Target(year int, code string) (*minsheng.Target, error) {
	p, ok := s.cfg.Plans[year]
	if !ok {
		return nil, minsheng.Errorf(minsheng.ENOTFOUND, "没有 %d 年的民生实事清单", "no list of livelihood projects for %d", year)
	}
	t, ok := p.Target(code)
	if !ok {
		return nil, minsheng.Errorf(minsheng.ENOTFOUND, "%d 年清单中没有编号为“%s”的项目", "the %d list has no item %q", year, code)
	}
	return t, nil
}

// Check says whether a year has a list and (unless code is "") the item is in it.
// Errors: ENOTFOUND.
func (s *Store) Check(year int, code string) error {
	if code == "" {
		if _, ok := s.cfg.Plans[year]; !ok {
			return minsheng.Errorf(minsheng.ENOTFOUND, "没有 %d 年的民生实事清单", "no list of livelihood projects for %d", year)
		}
		return nil
	}
	_, err := s.Target(year, code)
	return err
}

// CanWrite reports whether p may write notes for the item: a unit principal of its lead unit.
func CanWrite(p *account.Principal, t *minsheng.Target) bool {
	return t != nil && p.Owns(t.LeadUnit)
}

// Add validates a draft and appends it as a note written by p, from remoteAddr. Every attempt,
// refused or not, is in the audit log. Once it returns a note, the note is on disk.
//
// Errors: EUNAUTHORIZED without a principal; EINVALID for a malformed draft (the message says
// what to fix); EFORBIDDEN when p is not a unit account of the item's lead unit; ECONFLICT when
// the note to supersede has already been superseded.
func (s *Store) Add(ctx context.Context, p *account.Principal, remoteAddr string, d Draft) (Note, error) {
	if err := ctx.Err(); err != nil {
		return Note{}, err
	}
	n, err := s.add(ctx, p, remoteAddr, d)
	if err != nil {
		outcome := audit.OutcomeFailed
		switch minsheng.ErrorCode(err) {
		case minsheng.EUNAUTHORIZED, minsheng.EFORBIDDEN:
			outcome = audit.OutcomeDenied
		}
		if aerr := s.record(ctx, p, remoteAddr, d, outcome, reasonOf(err)); aerr != nil {
			return Note{}, errors.Join(err, aerr)
		}
	}
	return n, err
}

func (s *Store) add(ctx context.Context, p *account.Principal, remoteAddr string, d Draft) (Note, error) {
	if p == nil {
		return Note{}, account.ErrLogin
	}
	d.Code = strings.TrimSpace(d.Code)
	t, err := s.Target(d.Year, d.Code)
	if err != nil {
		// an unknown year or item is bad input here, not a missing page
		var me *minsheng.Error
		errors.As(err, &me)
		return Note{}, &minsheng.Error{Code: minsheng.EINVALID, Zh: me.Zh, En: me.En}
	}
	if !CanWrite(p, t) {
		return Note{}, minsheng.Errorf(minsheng.EFORBIDDEN, "只有牵头单位%s的账户可以为本项目填写进展",
			"only accounts of the lead unit %s may write notes for this item", t.LeadUnit)
	}
	n, err := s.validate(d)
	if err != nil {
		return Note{}, err
	}
	if s.cfg.NameIn != nil {
		// Notes print on the leaders' 通报: a name there is a person's name outside the archive.
		if m, found := s.cfg.NameIn(n.Text); found {
			return Note{}, minsheng.Errorf(minsheng.EINVALID,
				"说明中似乎写了台账中一个人的姓名(%s),进展说明会显示给县领导并印入通报,请删去姓名,只写户数、人数等;如这不是人名,请换一种写法",
				"the text seems to hold the name of a person of the ledgers (%s); notes are shown to the county's leaders and printed, so remove the name and give counts instead, or word it otherwise if it is not a name",
				m)
		}
	}
	n.Author, n.Unit = p.Name, t.LeadUnit

	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := jsonl.Lock(lake.Layout{Dir: s.cfg.Dir}.NotesLock())
	if err != nil {
		return Note{}, fmt.Errorf("notes: lock: %w", err)
	}
	defer unlock()
	if n.Supersedes != "" {
		// checked under the lock: two corrections of one note cannot both land
		all, err := s.readAll()
		if err != nil {
			return Note{}, err
		}
		if err := checkSupersedes(all, n); err != nil {
			return Note{}, err
		}
	}
	id, err := newID()
	if err != nil {
		return Note{}, fmt.Errorf("notes: %w", err)
	}
	n.ID = id
	n.CreatedAt = s.cfg.Now().In(s.cfg.Location).Truncate(time.Millisecond)
	line, err := json.Marshal(n)
	if err != nil {
		return Note{}, fmt.Errorf("notes: %w", err)
	}
	// the audit entry first: a note on disk always has one; a failed append gets a second entry
	if err := s.record(ctx, p, remoteAddr, d, audit.OutcomeOK, detailOf(n)); err != nil {
		return Note{}, fmt.Errorf("notes: audit: %w", err)
	}
	if err := jsonl.Append(lake.Layout{Dir: s.cfg.Dir}.Notes(), append(line, '\n')); err != nil {
		return Note{}, fmt.Errorf("notes: %w", err)
	}
	return n, nil
}

// validate checks a draft against the rules of a note and returns it as one.
func (s *Store) validate(d Draft) (Note, error) {
	n := Note{Year: d.Year, Code: d.Code, Kind: strings.TrimSpace(d.Kind), Stage: strings.TrimSpace(d.Stage),
		Supersedes: strings.TrimSpace(d.Supersedes)}
	date, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(d.Date), s.cfg.Location)
	if err != nil {
		return n, minsheng.Errorf(minsheng.EINVALID, "日期应为 YYYY-MM-DD 格式(如 %d-06-30),而不是“%s”",
			"the date must be YYYY-MM-DD (such as %d-06-30), not %q", d.Year, d.Date)
	}
	if date.Year() != d.Year {
		return n, minsheng.Errorf(minsheng.EINVALID, "日期 %s 不在 %d 年内", "the date %s is not in %d",
			date.Format(time.DateOnly), d.Year)
	}
	today := s.cfg.Now().In(s.cfg.Location).Format(time.DateOnly)
	if date.Format(time.DateOnly) > today {
		return n, minsheng.Errorf(minsheng.EINVALID, "日期 %s 晚于今天(%s):进展只能记录已经发生的事",
			"the date %s is after today (%s): a note records what has happened", date.Format(time.DateOnly), today)
	}
	n.Date = date.Format(time.DateOnly)

	stages := s.Stages(d.Year, d.Code)
	switch n.Kind {
	case KindNote:
		if n.Stage != "" {
			return n, minsheng.Errorf(minsheng.EINVALID, "进展说明不带阶段;要记录阶段请选择“里程碑”",
				"a note has no stage; choose kind milestone to record one")
		}
	case KindMilestone:
		if len(stages) == 0 {
			return n, minsheng.Errorf(minsheng.EINVALID, "项目 %s 没有里程碑阶段,请填写进展说明(kind = note)",
				"item %s has no milestones; write a note (kind note)", d.Code)
		}
		ok := false
		for _, st := range stages {
			ok = ok || st == n.Stage
		}
		if !ok {
			return n, minsheng.Errorf(minsheng.EINVALID, "阶段应为 %s 之一,而不是“%s”", "the stage must be one of %s, not %q",
				strings.Join(stages, "、"), n.Stage)
		}
	default:
		return n, minsheng.Errorf(minsheng.EINVALID, "类型应为 note(进展说明)或 milestone(里程碑),而不是“%s”",
			"kind must be note or milestone, not %q", d.Kind)
	}

	text, err := cleanText(d.Text)
	if err != nil {
		return n, err
	}
	n.Text = text
	if n.Supersedes != "" && !validID(n.Supersedes) {
		return n, minsheng.Errorf(minsheng.EINVALID, "要更正的记录编号“%s”格式不对", "the id to supersede, %q, is malformed", n.Supersedes)
	}
	return n, nil
}

// cleanText trims the text, folds line breaks to \n and checks it: 1 to MaxTextRunes characters,
// valid UTF-8, no control characters other than the line break (a textarea sends them), no
// bidirectional overrides that would make the page show other text than was written, and no ID
// number.
func cleanText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", minsheng.Errorf(minsheng.EINVALID, "说明不是有效的 UTF-8 文本", "the text is not valid UTF-8")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return "", minsheng.Errorf(minsheng.EINVALID, "请填写说明", "the text is empty")
	}
	if n > MaxTextRunes {
		return "", minsheng.Errorf(minsheng.EINVALID, "说明最多 %d 个字,现有 %d 个", "the text may be at most %d characters, not %d",
			MaxTextRunes, n)
	}
	for i, r := range s {
		if r != '\n' && unicode.IsControl(r) || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 {
			return "", minsheng.Errorf(minsheng.EINVALID, "说明第 %d 个字符是控制字符(U+%04X),请删除",
				"the text has a control character (U+%04X) at character %d; remove it",
				utf8.RuneCountInString(s[:i])+1, r)
		}
	}
	if err := checkNoIDNumber(s); err != nil {
		return "", err
	}
	return s, nil
}

// checkNoIDNumber refuses a text with anything shaped like an ID number: a run of 15 or more
// digits (an 18-digit number with its check character X, a legacy 15-digit one, or a longer run
// that holds one), with full-width digits folded and spaces between digits ignored, so
// "3408 2619 9001 0112 34" is caught too. Whether the check character is right does not matter:
// a mistyped ID number still names a person. Dates and amounts are far shorter.
func checkNoIDNumber(s string) error {
	digits, pending := 0, 0 // digits in the current run; spaces seen since its last digit
	for _, r := range s + "\x00" {
		switch {
		case r >= '0' && r <= '9' || r >= '０' && r <= '９':
			digits++
			pending = 0
			continue
		case (r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ') && digits == 17 && pending == 0:
			digits++
			continue
		case (r == ' ' || r == '\u3000' || r == '\u00a0') && digits > 0:
			pending++
			continue
		}
		if digits >= 15 {
			return minsheng.Errorf(minsheng.EINVALID,
				"说明中有一串 %d 位数字,像是身份证号码。进展会给县领导看,不能出现任何个人的证件号码,请删除",
				"the text holds a run of %d digits that looks like an ID number; notes are shown to the county's leaders and must not name a person, so remove it",
				digits)
		}
		digits, pending = 0, 0
	}
	return nil
}

func checkSupersedes(all []Note, n Note) error {
	var old *Note
	for i := range all {
		if all[i].ID == n.Supersedes {
			old = &all[i]
		}
	}
	if old == nil || old.Year != n.Year || old.Code != n.Code {
		return minsheng.Errorf(minsheng.EINVALID, "%d 年项目 %s 没有编号为 %s 的记录可更正",
			"no note %[3]s of item %[2]s of %[1]d to supersede", n.Year, n.Code, n.Supersedes)
	}
	for _, o := range all {
		if o.Supersedes == n.Supersedes {
			return minsheng.Errorf(minsheng.ECONFLICT, "记录 %s 已被 %s 更正,请在最新的记录上更正",
				"note %s was already superseded by %s; correct the newest one", n.Supersedes, o.ID)
		}
	}
	return nil
}

func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "n" + hex.EncodeToString(b[:]), nil
}

func validID(s string) bool {
	if len(s) != 17 || s[0] != 'n' {
		return false
	}
	_, err := hex.DecodeString(s[1:])
	return err == nil
}

// record writes the audit entry of a write attempt.
func (s *Store) record(ctx context.Context, p *account.Principal, remoteAddr string, d Draft, outcome, detail string) error {
	if s.cfg.Audit == nil {
		return nil
	}
	e := audit.Entry{Actor: "(anonymous)", ActorKind: audit.KindUser, RemoteAddr: remoteAddr, Action: audit.ActionNote,
		Target: strconv.Itoa(d.Year) + "/" + strings.TrimSpace(d.Code), Outcome: outcome, Detail: detail}
	if d.Year == 0 && d.Code == "" {
		e.Target = "notes" // a body that did not parse: no item to name
	}
	if p != nil {
		e.Actor, e.Role, e.Unit = p.Name, p.Role, p.Unit
		if p.Kind == account.KindToken {
			e.ActorKind = audit.KindToken
		}
	}
	return s.cfg.Audit.Append(context.WithoutCancel(ctx), e)
}

// Refused records a write attempt refused before it became a draft (a body that does not parse,
// one too big), so the audit has every attempt, not only the ones that reached Add.
func (s *Store) Refused(ctx context.Context, p *account.Principal, remoteAddr string, err error) error {
	outcome := audit.OutcomeFailed
	switch minsheng.ErrorCode(err) {
	case minsheng.EUNAUTHORIZED, minsheng.EFORBIDDEN:
		outcome = audit.OutcomeDenied
	}
	return s.record(ctx, p, remoteAddr, Draft{}, outcome, reasonOf(err))
}

// detailOf is what the audit keeps of a note: its id and kind and the start of its text.
func detailOf(n Note) string {
	var b strings.Builder
	b.WriteString(n.ID + " " + n.Date + " " + n.Kind)
	if n.Stage != "" {
		b.WriteString(" " + n.Stage)
	}
	if n.Supersedes != "" {
		b.WriteString(" supersedes " + n.Supersedes)
	}
	r := []rune(n.Text)
	if len(r) > 20 {
		r = append(r[:20], '…')
	}
	b.WriteString(": " + strings.ReplaceAll(string(r), "\n", " "))
	return b.String()
}

// reasonOf is the English half of a refusal, for the audit.
func reasonOf(err error) string {
	var me *minsheng.Error
	if errors.As(err, &me) {
		return me.En
	}
	return err.Error()
}

// List returns the current notes of a year, of one item or (code "") of all, newest first (by
// date, then by when they were written). A note superseded by a correction is not current.
func (s *Store) List(ctx context.Context, year int, code string) ([]Note, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all, err := s.read()
	if err != nil {
		return nil, err
	}
	superseded := map[string]bool{}
	for _, n := range all {
		if n.Supersedes != "" {
			superseded[n.Supersedes] = true
		}
	}
	var out []Note
	for _, n := range all {
		if n.Year == year && (code == "" || n.Code == code) && !superseded[n.ID] {
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date > out[j].Date
		}
		return out[i].CreatedAt.After(out[j].CreatedAt)
	})
	return out, nil
}

// History returns every note ever written, corrections and what they corrected, in file order.
func (s *Store) History(ctx context.Context) ([]Note, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all, err := s.read()
	return append([]Note(nil), all...), err
}

// Latest returns, for each item of the year that has notes, its newest current note.
func (s *Store) Latest(ctx context.Context, year int) (map[string]Note, error) {
	list, err := s.List(ctx, year, "")
	if err != nil {
		return nil, err
	}
	out := map[string]Note{}
	for _, n := range list { // newest first
		if _, ok := out[n.Code]; !ok {
			out[n.Code] = n
		}
	}
	return out, nil
}

// read returns every note in the file, from the cache while the file has not changed.
func (s *Store) read() ([]Note, error) {
	st, err := os.Stat(lake.Layout{Dir: s.cfg.Dir}.Notes())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.cache.notes != nil && s.cache.size == st.Size() && s.cache.mod.Equal(st.ModTime()) {
		return s.cache.notes, nil
	}
	all, err := s.readAll()
	if err != nil {
		return nil, err
	}
	// the stat before the read: a note appended in between makes the next read look again
	s.cache = cached{size: st.Size(), mod: st.ModTime(), notes: all}
	return all, nil
}

// readAll reads the file. A last line cut short by a crash is not a note; nor is a line that does
// not parse (it cannot be written by Add, and one bad line must not hide the others).
func (s *Store) readAll() ([]Note, error) {
	out := []Note{}
	err := jsonl.Read(lake.Layout{Dir: s.cfg.Dir}.Notes(), func(line []byte) {
		var n Note
		if json.Unmarshal(line, &n) == nil && n.ID != "" {
			out = append(out, n)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	return out, nil
}
