package notes_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/notes"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// today in the tests: 2024-11-02 09:00 in the county.
var now = func() time.Time { return time.Date(2024, 11, 2, 9, 0, 0, 0, shanghai) }

var (
	minzheng = &account.Principal{Kind: account.KindUser, Name: "mz-clerk", Role: account.RoleUnit, Unit: "县民政局"}
	canlian  = &account.Principal{Kind: account.KindUser, Name: "cl-clerk", Role: account.RoleUnit, Unit: "县残联"}
	leader   = &account.Principal{Kind: account.KindUser, Name: "boss", Role: account.RoleLeader}
	admin    = &account.Principal{Kind: account.KindUser, Name: "root", Role: account.RoleAdmin}
	veterans = &account.Principal{Kind: account.KindToken, Name: "va-script", Role: account.RoleUnit, Unit: "县退役军人事务局", TokenID: "t1"}
)

// openStore opens the notes of dir with the shipped registry and plans and an audit log.
func openStore(t testing.TB, dir string) *notes.Store {
	t.Helper()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := minsheng.LoadPlans("", reg)
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.Open(dir, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	s, err := notes.Open(notes.Config{Dir: dir, Plans: plans, Registry: reg, Location: shanghai, Audit: log, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustAdd(t testing.TB, s *notes.Store, p *account.Principal, d notes.Draft) notes.Note {
	t.Helper()
	n, err := s.Add(context.Background(), p, "127.0.0.1", d)
	if err != nil {
		t.Fatalf("add %+v: %v", d, err)
	}
	return n
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	a := mustAdd(t, s, minzheng, notes.Draft{Year: 2024, Code: "14", Date: "2024-09-30", Kind: "note",
		Text: "  已完成第三季度资助对象审核,\r\n发放助医款 42 万元。  "})
	b := mustAdd(t, s, minzheng, notes.Draft{Year: 2024, Code: "13b", Date: "2024-10-15", Kind: "milestone", Stage: "竣工验收",
		Text: "新城花园四区综合体通过竣工验收"})
	c := mustAdd(t, s, veterans, notes.Draft{Year: 2024, Code: "17", Date: "2024-11-02", Kind: "note", Text: "走访慰问 36 户"})
	if a.Text != "已完成第三季度资助对象审核,\n发放助医款 42 万元。" || a.Author != "mz-clerk" || a.Unit != "县民政局" || a.ID == "" {
		t.Errorf("note a: %+v", a)
	}
	if a.CreatedAt.Location().String() != "Asia/Shanghai" {
		t.Errorf("created_at in %s", a.CreatedAt.Location())
	}
	// a second Store on the folder reads what the first wrote
	got, err := openStore(t, dir).List(ctx, 2024, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != c.ID || got[1].ID != b.ID || got[2].ID != a.ID {
		t.Fatalf("list, newest first: %+v", got)
	}
	if got[1].Stage != "竣工验收" || got[1].Kind != notes.KindMilestone {
		t.Errorf("milestone read back as %+v", got[1])
	}
	if one, _ := s.List(ctx, 2024, "13b"); len(one) != 1 || one[0].ID != b.ID {
		t.Errorf("13b: %+v", one)
	}
	if none, _ := s.List(ctx, 2025, ""); len(none) != 0 {
		t.Errorf("2025: %+v", none)
	}
	latest, _ := s.Latest(ctx, 2024)
	if latest["14"].ID != a.ID || latest["17"].ID != c.ID || len(latest) != 3 {
		t.Errorf("latest: %+v", latest)
	}
	st, err := os.Stat(lake.Layout{Dir: dir}.Notes())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v %v", st.Mode(), err)
	}
	entries, _ := audit.Read(dir, audit.Filter{Action: audit.ActionNote})
	if len(entries) != 3 || entries[2].ActorKind != audit.KindToken || entries[0].Target != "2024/14" ||
		entries[0].Outcome != audit.OutcomeOK || !strings.Contains(entries[0].Detail, a.ID) {
		t.Errorf("audit: %+v", entries)
	}
}

func TestStages(t *testing.T) {
	s := openStore(t, t.TempDir())
	if got := strings.Join(s.Stages(2024, "13b"), ","); got != "选址,设计,施工,竣工验收,运营" {
		t.Errorf("13b stages %q", got)
	}
	for _, code := range []string{"14", "17", "13a", "nope"} {
		if got := s.Stages(2024, code); got != nil {
			t.Errorf("%s stages %v", code, got)
		}
	}
}

func TestSupersede(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	old := mustAdd(t, s, minzheng, notes.Draft{Year: 2024, Code: "13b", Date: "2024-10-15", Kind: "milestone", Stage: "运营", Text: "投入运营"})
	other := mustAdd(t, s, minzheng, notes.Draft{Year: 2024, Code: "14", Date: "2024-10-01", Kind: "note", Text: "审核中"})
	fix := mustAdd(t, s, minzheng, notes.Draft{Year: 2024, Code: "13b", Date: "2024-10-15", Kind: "milestone", Stage: "竣工验收",
		Text: "通过竣工验收(上一条误记为运营)", Supersedes: old.ID})
	got, _ := s.List(ctx, 2024, "13b")
	if len(got) != 1 || got[0].ID != fix.ID || got[0].Supersedes != old.ID {
		t.Fatalf("after the correction: %+v", got)
	}
	all, _ := s.History(ctx)
	if len(all) != 3 || all[0].ID != old.ID || all[0].Stage != "运营" {
		t.Errorf("history lost the corrected note: %+v", all)
	}
	before, _ := os.ReadFile(lake.Layout{Dir: dir}.Notes())
	for _, tc := range []struct {
		name string
		sup  string
		code string
	}{
		{"a note already corrected", old.ID, minsheng.ECONFLICT},
		{"another item's note", other.ID, minsheng.EINVALID},
		{"no such note", "n0000000000000000", minsheng.EINVALID},
		{"a malformed id", "../../etc", minsheng.EINVALID},
	} {
		_, err := s.Add(ctx, minzheng, "", notes.Draft{Year: 2024, Code: "13b", Date: "2024-10-16", Kind: "note", Text: "更正", Supersedes: tc.sup})
		if minsheng.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	if after, _ := os.ReadFile(lake.Layout{Dir: dir}.Notes()); string(after) != string(before) {
		t.Error("a refused correction changed the file")
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	long := strings.Repeat("进", notes.MaxTextRunes+1)
	ok := notes.Draft{Year: 2024, Code: "14", Date: "2024-10-01", Kind: "note", Text: "正常"}
	with := func(f func(*notes.Draft)) notes.Draft { d := ok; f(&d); return d }
	cases := map[string]notes.Draft{
		"unknown year":               with(func(d *notes.Draft) { d.Year = 2023; d.Date = "2023-10-01" }),
		"unknown code":               with(func(d *notes.Draft) { d.Code = "99" }),
		"no date":                    with(func(d *notes.Draft) { d.Date = "" }),
		"a date that is not":         with(func(d *notes.Draft) { d.Date = "2024-02-30" }),
		"a date in another format":   with(func(d *notes.Draft) { d.Date = "2024/10/01" }),
		"another year's date":        with(func(d *notes.Draft) { d.Date = "2023-12-31" }),
		"a date in the future":       with(func(d *notes.Draft) { d.Date = "2024-11-03" }),
		"unknown kind":               with(func(d *notes.Draft) { d.Kind = "memo" }),
		"no kind":                    with(func(d *notes.Draft) { d.Kind = "" }),
		"a note with a stage":        with(func(d *notes.Draft) { d.Stage = "施工" }),
		"a milestone without stages": with(func(d *notes.Draft) { d.Kind = "milestone"; d.Stage = "施工" }),
		"a milestone without stage": with(func(d *notes.Draft) {
			d.Code = "13b"
			d.Kind = "milestone"
		}),
		"a stage not of the item": with(func(d *notes.Draft) {
			d.Code = "13b"
			d.Kind = "milestone"
			d.Stage = "主体完工"
		}),
		"empty text":             with(func(d *notes.Draft) { d.Text = "" }),
		"blank text":             with(func(d *notes.Draft) { d.Text = " \n\t\u3000 " }),
		"too long":               with(func(d *notes.Draft) { d.Text = long }),
		"a control character":    with(func(d *notes.Draft) { d.Text = "进展\x07说明" }),
		"a tab":                  with(func(d *notes.Draft) { d.Text = "进展\t说明" }),
		"a NUL":                  with(func(d *notes.Draft) { d.Text = "进展\x00" }),
		"a bidi override":        with(func(d *notes.Draft) { d.Text = "进展\u202e明说" }),
		"invalid UTF-8":          with(func(d *notes.Draft) { d.Text = "进展\xff" }),
		"an ID number":           with(func(d *notes.Draft) { d.Text = "已为 34082619900101123X 发放" }),
		"an ID number in digits": with(func(d *notes.Draft) { d.Text = "身份证340826199001011234已审核" }),
		"a legacy ID number":     with(func(d *notes.Draft) { d.Text = "老证号 340826900101123" }),
		"an ID number spaced":    with(func(d *notes.Draft) { d.Text = "号码 3408 2619 9001 0112 34" }),
		"an ID number full-width": with(func(d *notes.Draft) {
			d.Text = "号码３４０８２６１９９００１０１１２３Ｘ"
		}),
		"an ID number, bad check": with(func(d *notes.Draft) { d.Text = "340826199001011239" }),
	}
	dir := t.TempDir()
	s := openStore(t, dir)
	for name, d := range cases {
		_, err := s.Add(context.Background(), minzheng, "127.0.0.1", d)
		var me *minsheng.Error
		if minsheng.ErrorCode(err) != minsheng.EINVALID || !errors.As(err, &me) || me.Zh == "" || me.En == "" {
			t.Errorf("%s: %v, want a bilingual %s", name, err, minsheng.EINVALID)
		}
	}
	if _, err := os.Stat(lake.Layout{Dir: dir}.Notes()); !os.IsNotExist(err) {
		t.Errorf("bad input wrote the notes file: %v", err)
	}
	if failed, _ := audit.Read(dir, audit.Filter{Outcome: audit.OutcomeFailed}); len(failed) != len(cases) {
		t.Errorf("%d failed attempts audited, want %d", len(failed), len(cases))
	}
	// what is fine: amounts, dates, phone-length numbers, a 1000-character text
	for _, text := range []string{"发放 500000 元,2024-01-01 至 2024-10-31 共 213 家", "联系 13800138000",
		"2024-01-01-2024-03-01", strings.Repeat("进", notes.MaxTextRunes), "第一行\n第二行"} {
		if _, err := s.Add(context.Background(), minzheng, "", with(func(d *notes.Draft) { d.Text = text })); err != nil {
			t.Errorf("%.40q: %v", text, err)
		}
	}
}

func TestOnlyTheLeadUnitWrites(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	d := notes.Draft{Year: 2024, Code: "14", Date: "2024-10-01", Kind: "note", Text: "进展"}
	for _, tc := range []struct {
		name string
		p    *account.Principal
		code string
	}{
		{"anonymous", nil, minsheng.EUNAUTHORIZED},
		{"another unit", canlian, minsheng.EFORBIDDEN},
		{"another unit's token", veterans, minsheng.EFORBIDDEN},
		{"a leader", leader, minsheng.EFORBIDDEN},
		{"the admin", admin, minsheng.EFORBIDDEN},
		{"a unit account without a unit", &account.Principal{Kind: account.KindUser, Name: "x", Role: account.RoleUnit}, minsheng.EFORBIDDEN},
		{"another role bound to the unit", &account.Principal{Kind: account.KindUser, Name: "x", Role: account.RoleAssessor, Unit: "县民政局"}, minsheng.EFORBIDDEN},
	} {
		if _, err := s.Add(context.Background(), tc.p, "10.0.0.9", d); minsheng.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	if _, err := os.Stat(lake.Layout{Dir: dir}.Notes()); !os.IsNotExist(err) {
		t.Errorf("a refused write wrote the notes file: %v", err)
	}
	denied, _ := audit.Read(dir, audit.Filter{Outcome: audit.OutcomeDenied})
	if len(denied) != 7 || denied[1].Actor != "cl-clerk" || denied[1].Unit != "县残联" || denied[1].RemoteAddr != "10.0.0.9" {
		t.Errorf("denied attempts in the audit: %+v", denied)
	}
}

// TestConcurrentAppends: goroutines on two Stores of one folder, and another process, append at
// once; every line is whole and every note is there once.
func TestConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	const perWriter = 40
	stores := []*notes.Store{openStore(t, dir), openStore(t, dir)}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAppender$", "-test.count=1")
	cmd.Env = append(os.Environ(), "NOTES_HELPER_DIR="+dir, "NOTES_HELPER_N="+strconv.Itoa(perWriter))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			s := stores[w%2]
			for i := 0; i < perWriter; i++ {
				text := fmt.Sprintf("writer %d note %d %s", w, i, strings.Repeat("长", 300))
				if _, err := s.Add(context.Background(), minzheng, "", notes.Draft{Year: 2024, Code: "14", Date: "2024-10-01", Kind: "note", Text: text}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	f, err := os.Open(lake.Layout{Dir: dir}.Notes())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		var n notes.Note
		if err := json.Unmarshal(sc.Bytes(), &n); err != nil {
			t.Fatalf("line %d is not one note: %v: %.80s", lines, err, sc.Text())
		}
		key := strings.SplitN(n.Text, " ", 5)
		seen[strings.Join(key[:4], " ")] = true
	}
	if want := 5 * perWriter; lines != want || len(seen) != want {
		t.Errorf("%d lines, %d distinct notes, want %d", lines, len(seen), want)
	}
	if got, _ := stores[0].List(context.Background(), 2024, "14"); len(got) != 5*perWriter {
		t.Errorf("list: %d notes", len(got))
	}
}

// TestHelperAppender is the other process of TestConcurrentAppends.
func TestHelperAppender(t *testing.T) {
	dir := os.Getenv("NOTES_HELPER_DIR")
	if dir == "" {
		t.Skip("run by TestConcurrentAppends")
	}
	n, _ := strconv.Atoi(os.Getenv("NOTES_HELPER_N"))
	s := openStore(t, dir)
	for i := 0; i < n; i++ {
		text := fmt.Sprintf("writer p note %d %s", i, strings.Repeat("长", 300))
		mustAdd(t, s, minzheng, notes.Draft{Year: 2024, Code: "14", Date: "2024-10-01", Kind: "note", Text: text})
	}
}

func TestTornLastLine(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	a := mustAdd(t, s, minzheng, notes.Draft{Year: 2024, Code: "14", Date: "2024-10-01", Kind: "note", Text: "完整的一条"})
	// a crash mid-append: half a line, no newline
	f, err := os.OpenFile(lake.Layout{Dir: dir}.Notes(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"id":"n1111111111111111","year":2024,"code":"14","date":"2024-10-02","kind":"note","text":"半`)
	f.Close()
	for _, st := range []*notes.Store{s, openStore(t, dir)} {
		if got, err := st.List(ctx, 2024, "14"); err != nil || len(got) != 1 || got[0].ID != a.ID {
			t.Fatalf("with a torn last line: %+v %v", got, err)
		}
	}
	b := mustAdd(t, s, minzheng, notes.Draft{Year: 2024, Code: "14", Date: "2024-10-03", Kind: "note", Text: "之后的一条"})
	raw, _ := os.ReadFile(lake.Layout{Dir: dir}.Notes())
	if strings.Contains(string(raw), "半") || strings.Count(string(raw), "\n") != 2 {
		t.Errorf("the torn line was not cut off before the next append:\n%s", raw)
	}
	if got, _ := s.List(ctx, 2024, "14"); len(got) != 2 || got[0].ID != b.ID {
		t.Errorf("after the repair: %+v", got)
	}
}
