package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/idcard"
)

// rowPlan is a source compiled against one file's header: where each column's cell is, and where
// each lake column goes in a Parquet row. It is read-only and shared by the workers.
type rowPlan struct {
	src               *minsheng.Source
	county            *minsheng.County
	pos               []int // cell index of each registry column, -1 when the file lacks it
	leaf              map[string]int
	nLeaves           int
	dateCol           int   // registry index of the dating column
	townCol           int   // -1 when the source has no township
	idCol             int   // -1 when the source has no ID number
	cond              []int // registry index of each column's required_when column, -1 if none
	leaves            []leaves
	today             time.Time
	fileLeaf, rowLeaf int
	nulls             []parquet.Value // a row of nulls, each at its leaf: copied into every row first

	// The lake value of every valid cell of the columns with a closed list (townships, enums),
	// and of every village by township: looking a cell up is both the check and the value.
	dict     []map[string]parquet.Value
	villages []map[string]map[string]parquet.Value
	sexes    [][2]parquet.Value // per ID column: 女, 男
	enums    []minsheng.Reason  // per enum column: enum_invalid naming the allowed values
}

// leveled is a string's lake value at leaf i.
func leveled(s string, i int) parquet.Value { return parquet.ByteArrayValue([]byte(s)).Level(0, 1, i) }

// leaves are the Parquet leaf indices a registry column lands in (see lakeColumns).
type leaves struct{ main, idMasked, age, sex, category, grade int }

func newRowPlan(src *minsheng.Source, county *minsheng.County, pos []int, today time.Time) *rowPlan {
	_, leaf := lakeSchema(src)
	p := &rowPlan{src: src, county: county, pos: pos, leaf: leaf, nLeaves: len(leaf), townCol: -1, idCol: -1, today: today}
	p.fileLeaf, p.rowLeaf = leaf["_file_sha256"], leaf["_row"]
	p.nulls = make([]parquet.Value, p.nLeaves)
	for i := range p.nulls {
		p.nulls[i] = parquet.NullValue().Level(0, 0, i)
	}
	p.cond = make([]int, len(src.Columns))
	p.leaves = make([]leaves, len(src.Columns))
	p.dict = make([]map[string]parquet.Value, len(src.Columns))
	p.villages = make([]map[string]map[string]parquet.Value, len(src.Columns))
	p.sexes = make([][2]parquet.Value, len(src.Columns))
	p.enums = make([]minsheng.Reason, len(src.Columns))
	defer func() { // once the leaves are known
		for i, c := range src.Columns {
			main := p.leaves[i].main
			switch c.Type {
			case minsheng.TypeTownship:
				p.dict[i] = map[string]parquet.Value{}
				for _, t := range county.Townships {
					if county.HasTownship(t) {
						p.dict[i][t] = leveled(t, main)
					}
				}
			case minsheng.TypeVillage:
				p.villages[i] = map[string]map[string]parquet.Value{}
				for _, t := range county.Townships {
					if !county.HasTownship(t) {
						continue
					}
					vs := map[string]parquet.Value{}
					for _, v := range county.Villages[t] {
						if county.HasVillage(t, v) {
							vs[v] = leveled(v, main)
						}
					}
					p.villages[i][t] = vs
				}
			case minsheng.TypeEnum:
				p.dict[i] = map[string]parquet.Value{}
				for _, v := range c.Values {
					p.dict[i][v] = leveled(v, main)
				}
				r := minsheng.ReasonEnumInvalid
				r.Zh += ",应为:" + strings.Join(c.Values, "、")
				r.En += "; one of: " + strings.Join(c.Values, ", ")
				p.enums[i] = r
			case minsheng.TypeIDNumber:
				p.sexes[i] = [2]parquet.Value{leveled("女", p.leaves[i].sex), leveled("男", p.leaves[i].sex)}
			}
		}
	}()
	for i, c := range src.Columns {
		l := &p.leaves[i]
		switch c.Type {
		case minsheng.TypeName:
			l.main = leaf[c.Field+"_masked"]
		case minsheng.TypeIDNumber:
			l.main, l.idMasked, l.age, l.sex = leaf[c.Field+"_id"], leaf[c.Field+"_id_masked"], leaf[c.Field+"_age"], leaf[c.Field+"_sex"]
		case minsheng.TypeDisabilityCert:
			l.main, l.category, l.grade = leaf[c.Field+"_masked"], leaf[c.Field+"_category"], leaf[c.Field+"_grade"]
		default:
			l.main = leaf[c.Field]
		}
		p.cond[i] = -1
		if c.Header == src.DateColumn {
			p.dateCol = i
		}
		switch c.Type {
		case minsheng.TypeTownship:
			p.townCol = i
		case minsheng.TypeIDNumber:
			p.idCol = i
		}
		if c.RequiredWhen != nil {
			for j, d := range src.Columns {
				if d.Header == c.RequiredWhen.Column {
					p.cond[i] = j
				}
			}
		}
	}
	return p
}

// problem is one rejected cell: its registry column, why, and its value masked.
type problem struct {
	col    int
	reason minsheng.Reason
	value  string
}

// validator turns raw rows into lake rows; one per worker, since an HMAC is not safe to share.
type validator struct {
	p     *rowPlan
	mac   hash.Hash
	sum   []byte
	file  parquet.Value   // the file's SHA-256, the same in every row
	cells []string        // this row's trimmed cell per registry column
	vals  []parquet.Value // this row's lake values, by leaf: valid until the next convert
	probs []problem
	flags []problem

	// Lead units' ledgers list a person's rows together (a month a row), so the last few
	// people's parsed numbers, pseudonyms and masks are kept: a hit skips the parse, the HMAC
	// and the masking. The cache is small and fixed: memory does not grow with the file.
	people            [peopleCache]personEntry
	lastName, lastMsk string
	memo              []memo // per registry column
}

// memo is a column's last few cells and what they parsed to: a ledger repeats a month, a date
// or an amount down many rows (a person's months come round in turn), and a parse depends on
// the cell alone.
type memo struct {
	cells [memoSize]cellMemo
	next  int
}

const memoSize = 8

// get returns the entry for s, and whether it was there; a new entry replaces the oldest.
func (m *memo) get(s string) (*cellMemo, bool) {
	for i := range m.cells {
		if c := &m.cells[i]; c.set && c.s == s {
			return c, true
		}
	}
	c := &m.cells[m.next]
	m.next = (m.next + 1) % memoSize
	*c = cellMemo{s: s, set: true}
	return c, false
}

// cellMemo is one cell and what it parsed to.
type cellMemo struct {
	s      string
	set    bool
	bad    bool
	reason minsheng.Reason // why, when bad
	day    time.Time
	fen    int64
}

const peopleCache = 256 // entries, direct-mapped by a hash of the cell

// personEntry is one ID cell as typed and what it yields.
type personEntry struct {
	used      bool
	cell      string
	id        idcard.ID
	err       error
	pseudonym []byte // 16 bytes; never written to after the entry is made
	masked    string
	by        int // birth year, month, day: ages are taken on every row
	bm, bd    int
}

func newValidator(p *rowPlan, key []byte, fileSHA string) *validator {
	return &validator{
		p: p, mac: hmac.New(sha256.New, key), sum: make([]byte, 0, 32),
		file:  parquet.ByteArrayValue([]byte(fileSHA)).Level(0, 0, p.fileLeaf),
		cells: make([]string, len(p.src.Columns)), vals: make([]parquet.Value, p.nLeaves),
		memo: make([]memo, len(p.src.Columns)),
	}
}

// person parses an ID cell, through the cache.
func (v *validator) person(cell string) *personEntry {
	h := uint32(2166136261) // FNV-1a over the cell's last 8 bytes: they differ between people
	for i := max(0, len(cell)-8); i < len(cell); i++ {
		h = (h ^ uint32(cell[i])) * 16777619
	}
	e := &v.people[h%peopleCache]
	if e.used && e.cell == cell {
		return e
	}
	*e = personEntry{used: true, cell: cell}
	e.id, e.err = idcard.Parse(cell, v.p.today)
	if e.err != nil {
		return e
	}
	v.mac.Reset()
	v.mac.Write(bytesOf(e.id.Number))
	sum := v.mac.Sum(v.sum[:0])
	e.pseudonym = append(make([]byte, 0, 16), sum[:16]...)
	e.masked = maskID(e.id.Number)
	y, m, d := e.id.Birth.Date()
	e.by, e.bm, e.bd = y, int(m), d
	return e
}

// maskName is idcard.MaskName, without its rune slices for the usual short valid name; a
// person's rows come together, so the last name's mask is kept.
func (v *validator) maskName(s string) string {
	if s == v.lastName && v.lastMsk != "" {
		return v.lastMsk
	}
	m := maskName(s)
	v.lastName, v.lastMsk = s, m
	return m
}

func maskName(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return idcard.MaskName(s)
	}
	n := utf8.RuneCountInString(s)
	switch n {
	case 0:
		return ""
	case 1:
		return "*"
	}
	_, first := utf8.DecodeRuneInString(s)
	if n == 2 {
		return s[:first] + "*"
	}
	_, last := utf8.DecodeLastRuneInString(s)
	return s[:first] + strings.Repeat("*", n-2) + s[len(s)-last:]
}

// maskID is idcard.Mask for a valid 18-character number, without its rune slices.
func maskID(number string) string {
	if len(number) != 18 {
		return idcard.Mask(number)
	}
	return number[:6] + "********" + number[14:]
}

// ageOn is idcard.ID.AgeOn from the birth date's parts.
func ageOn(by, bm, bd, y, m, d int) int {
	age := y - by
	if m < bm || m == bm && d < bd {
		age--
	}
	return age
}

// bytesOf lends a string's bytes to parquet-go, which copies values into its own pages.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func set(row []parquet.Value, i int, val parquet.Value) { row[i] = val.Level(0, 1, i) }

// blank reports whether the row holds nothing in any of the source's columns: an empty line, or a
// template row numbered by 序号 with nothing else.
func (p *rowPlan) blank(raw []string) bool {
	for _, j := range p.pos {
		if j >= 0 && j < len(raw) && trimCell(raw[j]) != "" {
			return false
		}
	}
	return true
}

// convert validates one raw row. It fills v.vals with the lake row and returns true, or returns
// false with v.probs set. Each column type has its own function below, which sets the column's
// leaves of v.vals or appends to v.probs.
func (v *validator) convert(raw []string, rowNum int) (ok bool) {
	p := v.p
	v.begin(raw, rowNum)
	// The record's date first: the ages the checks need are ages on that day.
	var recordDay time.Time
	haveDay := false
	for i, c := range p.src.Columns {
		s := v.cells[i]
		if s == "" {
			if v.required(i) {
				v.probs = append(v.probs, problem{i, minsheng.ReasonRequired, ""})
			}
			continue
		}
		if s[0] == '#' && isExcelError(s) {
			v.probs = append(v.probs, problem{i, minsheng.ReasonExcelError, s})
			continue
		}
		switch c.Type {
		case minsheng.TypeName:
			v.convertName(i, s)
		case minsheng.TypeTownship:
			v.convertTownship(i, s)
		case minsheng.TypeVillage:
			v.convertVillage(i, s)
		case minsheng.TypeEnum:
			v.convertEnum(i, s)
		case minsheng.TypeText:
			v.convertText(i, s)
		case minsheng.TypeDate:
			if d, ok := v.convertDay(i, s, parseDate, minsheng.ReasonDateInvalid); ok && i == p.dateCol {
				recordDay, haveDay = d, true
			}
		case minsheng.TypeMonth:
			if d, ok := v.convertDay(i, s, parseMonth, minsheng.ReasonMonthInvalid); ok && i == p.dateCol {
				recordDay, haveDay = d, true
			}
		case minsheng.TypeMoney:
			v.convertMoney(i, s)
		case minsheng.TypeYear:
			v.convertYear(i, s)
		}
	}
	// Then the person, whose age is taken on the record's day, and the disability certificates,
	// which must be the person's.
	person, havePerson := v.convertID(recordDay, haveDay)
	for i, c := range p.src.Columns {
		if c.Type == minsheng.TypeDisabilityCert && v.cells[i] != "" {
			v.convertCert(i, person, havePerson)
		}
	}
	return len(v.probs) == 0
}

// begin starts a row afresh: no problems yet, each registry column's cell trimmed, and a lake row
// of nulls but for the file and the row number.
func (v *validator) begin(raw []string, rowNum int) {
	p := v.p
	v.probs, v.flags = v.probs[:0], v.flags[:0]
	for i, j := range p.pos {
		if j >= 0 && j < len(raw) {
			v.cells[i] = trimCell(raw[j])
		} else {
			v.cells[i] = ""
		}
	}
	row := v.vals
	copy(row, p.nulls)
	row[p.fileLeaf] = v.file
	row[p.rowLeaf] = parquet.Int32Value(int32(rowNum)).Level(0, 0, p.rowLeaf)
}

// convertName lands a name masked: the lake holds no name in clear.
func (v *validator) convertName(i int, s string) {
	set(v.vals, v.p.leaves[i].main, parquet.ByteArrayValue(bytesOf(v.maskName(cleanText(s)))))
}

// convertTownship looks the cell up among the county's townships: the lookup is both the check
// and the lake value. An unknown one is refused with the nearest name, when one is near.
func (v *validator) convertTownship(i int, s string) {
	p := v.p
	val, ok := p.dict[i][s] // county.HasTownship
	if !ok {
		v.probs = append(v.probs, problem{i, suggest(minsheng.ReasonTownshipUnknown, s, p.county.Townships), scrub(s)})
		return
	}
	v.vals[p.leaves[i].main] = val
}

// convertVillage checks a village against the villages of the row's township, when the row names
// a known one; otherwise (no township column, or a township refused on its own) it lands as text.
func (v *validator) convertVillage(i int, s string) {
	p := v.p
	if p.townCol >= 0 {
		if vs, ok := p.villages[i][v.cells[p.townCol]]; ok { // a known township
			val, ok := vs[s] // county.HasVillage
			if !ok {
				v.probs = append(v.probs, problem{i, suggest(minsheng.ReasonVillageUnknown, s, p.county.Villages[v.cells[p.townCol]]), scrub(s)})
				return
			}
			v.vals[p.leaves[i].main] = val
			return
		}
	}
	set(v.vals, p.leaves[i].main, parquet.ByteArrayValue(bytesOf(v.text(i, s))))
}

// convertEnum looks the cell up among the column's values; the refusal names them.
func (v *validator) convertEnum(i int, s string) {
	p := v.p
	val, ok := p.dict[i][s] // one of c.Values
	if !ok {
		v.probs = append(v.probs, problem{i, p.enums[i], scrub(s)})
		return
	}
	v.vals[p.leaves[i].main] = val
}

// convertText lands free text (see text), flagging what Excel would take for a formula.
func (v *validator) convertText(i int, s string) {
	s = v.text(i, s)
	if isFormulaText(s) {
		v.flags = append(v.flags, problem{i, minsheng.ReasonFormulaText, scrub(s)})
	}
	set(v.vals, v.p.leaves[i].main, parquet.ByteArrayValue(bytesOf(s)))
}

// convertDay lands a date or a month cell, parsed by parse (parseDate or parseMonth) and refused
// as invalid or in the future; it returns the day and true when the cell landed. A ledger repeats
// its dates down many rows, so the parse goes through the column's memo.
func (v *validator) convertDay(i int, s string, parse func(string) (time.Time, error), invalid minsheng.Reason) (time.Time, bool) {
	p := v.p
	m, hit := v.memo[i].get(s)
	if !hit {
		d, err := parse(s)
		m.reason = invalid
		switch {
		case err != nil:
			m.bad = true
		case d.After(p.today):
			m.bad, m.reason = true, minsheng.ReasonDateFuture
		default:
			m.day = d
		}
	}
	if m.bad {
		v.probs = append(v.probs, problem{i, m.reason, scrub(s)})
		return time.Time{}, false
	}
	set(v.vals, p.leaves[i].main, parquet.Int32Value(int32(m.day.Unix()/86400)))
	return m.day, true
}

// convertMoney lands an amount in fen, through the column's memo; a negative amount has a reason
// of its own.
func (v *validator) convertMoney(i int, s string) {
	m, hit := v.memo[i].get(s)
	if !hit {
		fen, err := parseMoney(s)
		switch {
		case errors.Is(err, errNegative):
			m.bad, m.reason = true, minsheng.ReasonMoneyNegative
		case err != nil:
			m.bad, m.reason = true, minsheng.ReasonMoneyInvalid
		default:
			m.fen = fen
		}
	}
	if m.bad {
		v.probs = append(v.probs, problem{i, m.reason, scrub(s)})
		return
	}
	set(v.vals, v.p.leaves[i].main, parquet.Int64Value(m.fen))
}

// convertYear lands a year.
func (v *validator) convertYear(i int, s string) {
	y, err := parseYear(s)
	if err != nil {
		v.probs = append(v.probs, problem{i, minsheng.ReasonYearInvalid, scrub(s)})
		return
	}
	set(v.vals, v.p.leaves[i].main, parquet.Int32Value(int32(y)))
}

// convertID lands the source's ID number, if it has one and the row fills it: as a pseudonym, a
// mask, the sex, and the age on the record's day when the row has one. A birth after that day is
// refused. It returns the person, and whether the number landed.
func (v *validator) convertID(recordDay time.Time, haveDay bool) (idcard.ID, bool) {
	p := v.p
	i := p.idCol
	if i < 0 || v.cells[i] == "" {
		return idcard.ID{}, false
	}
	e := v.person(v.cells[i])
	switch {
	case e.err != nil:
		v.probs = append(v.probs, problem{i, idReason(e.err), idcard.Mask(idcard.Clean(v.cells[i]))})
		return idcard.ID{}, false
	case haveDay && e.id.Birth.After(recordDay):
		v.probs = append(v.probs, problem{i, minsheng.ReasonBirthAfterDate, e.masked})
		return idcard.ID{}, false
	}
	row := v.vals
	set(row, p.leaves[i].main, parquet.FixedLenByteArrayValue(e.pseudonym))
	set(row, p.leaves[i].idMasked, parquet.ByteArrayValue(bytesOf(e.masked)))
	if e.id.Male {
		row[p.leaves[i].sex] = p.sexes[i][1]
	} else {
		row[p.leaves[i].sex] = p.sexes[i][0]
	}
	if haveDay {
		y, m, d := recordDay.Date()
		set(row, p.leaves[i].age, parquet.Int32Value(int32(ageOn(e.by, e.bm, e.bd, y, int(m), d))))
	}
	return e.id, true
}

// convertCert lands a disability certificate number (the holder's ID number, then the category
// 1–7 and the grade 1–4) masked, with its category and grade; it is refused when malformed, or
// when it is not the person's of the row.
func (v *validator) convertCert(i int, person idcard.ID, havePerson bool) {
	p := v.p
	cert := idcard.Clean(v.cells[i])
	if utf8.RuneCountInString(cert) != 20 || !allDigits(cert[18:]) || cert[18] < '1' || cert[18] > '7' || cert[19] < '1' || cert[19] > '4' {
		v.probs = append(v.probs, problem{i, minsheng.ReasonCertInvalid, idcard.Mask(cert)})
		return
	}
	id, err := idcard.Parse(cert[:18], p.today)
	if err != nil {
		v.probs = append(v.probs, problem{i, minsheng.ReasonCertInvalid, idcard.Mask(cert)})
		return
	}
	if havePerson && id.Number != person.Number {
		v.probs = append(v.probs, problem{i, minsheng.ReasonCertMismatch, idcard.Mask(cert)})
		return
	}
	row := v.vals
	set(row, p.leaves[i].main, parquet.ByteArrayValue(bytesOf(idcard.Mask(id.Number+cert[18:]))))
	set(row, p.leaves[i].category, parquet.Int32Value(int32(cert[18]-'0')))
	set(row, p.leaves[i].grade, parquet.Int32Value(int32(cert[19]-'0')))
}

// text is a free-text cell as it lands: without control characters, and with any ID number
// typed into it masked (and flagged).
func (v *validator) text(col int, s string) string {
	s = cleanText(s)
	if m, n := maskIDRuns(s, v.p.today); n > 0 {
		s = m
		v.flags = append(v.flags, problem{col, minsheng.ReasonIDInText, scrub(m)})
	}
	return s
}

// idReasons say why an ID number was refused, under the one code id_invalid.
var idReasons = map[error]minsheng.Reason{
	idcard.ErrLength:      {Code: "id_invalid", Zh: "身份证号无效:位数不是18位(或15位)", En: "the ID number is not valid: not 18 (or 15) characters"},
	idcard.ErrCharacters:  {Code: "id_invalid", Zh: "身份证号无效:含有数字和末位X以外的字符", En: "the ID number is not valid: characters other than digits and a final X"},
	idcard.ErrScientific:  {Code: "id_invalid", Zh: "身份证号被 Excel 存成了数字(科学计数法),后几位已丢失;请把该列设为文本格式后重新录入", En: "Excel stored the ID number as a number in scientific notation and lost its last digits; format the column as text and type it again"},
	idcard.ErrBirthDate:   {Code: "id_invalid", Zh: "身份证号无效:出生日期不存在", En: "the ID number is not valid: its birth date does not exist"},
	idcard.ErrFutureBirth: {Code: "id_invalid", Zh: "身份证号无效:出生日期晚于今天", En: "the ID number is not valid: its birth date is in the future"},
	idcard.ErrChecksum:    {Code: "id_invalid", Zh: "身份证号无效:校验位不符", En: "the ID number is not valid: the check character does not match"},
	idcard.ErrRegion:      {Code: "id_invalid", Zh: "身份证号无效:地区码不存在", En: "the ID number is not valid: the region code does not exist"},
}

func idReason(err error) minsheng.Reason {
	if r, ok := idReasons[err]; ok {
		return r
	}
	return minsheng.ReasonIDInvalid
}

// required reports whether column i must hold a value in the current row.
func (v *validator) required(i int) bool {
	c := &v.p.src.Columns[i]
	if c.Required {
		return true
	}
	j := v.p.cond[i]
	if j < 0 {
		return false
	}
	other := v.cells[j]
	if c.RequiredWhen.Present {
		return other != ""
	}
	return contains(c.RequiredWhen.Values, other)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// idLike finds what may be an ID number typed into the wrong column.
var idLike = regexp.MustCompile(`[0-9０-９]{14,17}[0-9Xx０-９]`)

// scrub masks anything in a rejected value that looks like an ID number and caps its length, so
// the quarantine and the reports never hold one in clear.
func scrub(s string) string {
	if len(s) >= 15 {
		s = idLike.ReplaceAllStringFunc(s, func(m string) string { return idcard.Mask(m) })
	}
	if utf8.RuneCountInString(s) > 60 {
		s = string([]rune(s)[:60]) + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// excelErrors are the values Excel shows (and saves in a workbook or a CSV) for a formula that
// failed: never data.
var excelErrors = map[string]bool{"#NULL!": true, "#DIV/0!": true, "#VALUE!": true, "#REF!": true, "#NAME?": true,
	"#NUM!": true, "#N/A": true, "#GETTING_DATA": true, "#SPILL!": true, "#CALC!": true, "#FIELD!": true, "#BLOCKED!": true}

func isExcelError(s string) bool { return excelErrors[strings.ToUpper(s)] }

// suggest adds to a township's or village's reason the nearest name of the profile, when one is
// near enough to be what was meant ("松兹镇" for "松兹街道").
func suggest(r minsheng.Reason, s string, names []string) minsheng.Reason {
	best, bestD := "", 1<<30
	for _, n := range names {
		if d := nameDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" || bestD > max(2, utf8.RuneCountInString(best)/2) {
		return r
	}
	r.Zh += ":是否为“" + best + "”?"
	r.En += fmt.Sprintf(": did you mean %q?", best)
	return r
}

// nameDistance is the edit distance between two names, where the suffixes a township or village
// takes (镇, 乡, 街道, 村, 社区, 居委会) count for little: "松兹镇" and "松兹街道" are one apart.
func nameDistance(a, b string) int {
	strip := func(s string) []rune {
		for _, suf := range []string{"街道办事处", "街道", "居委会", "社区", "镇", "乡", "村"} {
			s = strings.TrimSuffix(s, suf)
		}
		return []rune(s)
	}
	x, y := strip(a), strip(b)
	if len(x) == 0 || len(y) == 0 {
		return 1 << 30
	}
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			c := 1
			if x[i-1] == y[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	d := prev[len(y)]
	if string(x) != a || string(y) != b {
		d++ // a suffix differed or was dropped
	}
	return d
}

// rowValues is the current row's cells that name no one, as a JSON object by registry header.
func (v *validator) rowValues() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range v.p.src.Columns {
		switch c.Type {
		case minsheng.TypeTownship, minsheng.TypeVillage, minsheng.TypeEnum, minsheng.TypeDate, minsheng.TypeMonth,
			minsheng.TypeMoney, minsheng.TypeYear:
		default:
			continue
		}
		if v.cells[i] == "" {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c.Header)
		val, _ := json.Marshal(scrub(v.cells[i]))
		b.Write(k)
		b.WriteByte(':')
		b.Write(val)
	}
	b.WriteByte('}')
	return b.String()
}
