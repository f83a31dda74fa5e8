package warehouse_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/idcard"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/warehouse"
)

// The hand lake: a few rows per source, written as CSV the way a unit would, ingested for real,
// with every answer worked out by hand below. Persons are named by letter; their ID numbers are
// valid and made up.
//
// worker_aid (09): file 1 has A 生活救助 1000 on 03-05 twice (an exact repeat), A 子女助学 500 on
// 03-05, B 医疗救助 800 (自付 1000) on 06-30, C 生活救助 on 2023-12-31 (last year); file 2 sends
// A's 生活救助 of 03-05 again, B 医疗救助 1200 (自付 1000) on 07-01, C 生活救助 on 10-31.
//
//	09 at 03-04: 0; at 03-05: 2 (A 生活, A 子女); at 06-30: 3 (+ B); at 10-31: 5 (+ B 07-01, C).
//	09_medical_cap: 1 (B's 1200 > 1000 on 07-01).
//
// child_rehab and assistive_device (10): Q rehab 02-01 and a device 03-01; R rehab 04-01 and
// 05-01 (two payments, one child).
//
//	10a at 03-31: 1 (Q); at 10-31: 2. 10b: 1. 10 = 10a + 10b + 10c = 3. overlap_10a_10b: 1 (Q).
//
// legal_aid (16): file 1 has L1 (A) accepted 02-01, open; L2 (B) accepted 03-01, closed 05-10
// with 1000.00. File 2 lists L1 closed 08-20 with 1201.01, and L2 again as before.
//
//	16a at 02-15: 1; at 06-30: 2; at 10-31: 2 (L1 listed twice is one case).
//	16b at 04-30: nothing closed (无数据); at 06-30: 1000.00; at 10-31: (1201.01 + 1000.00) / 2 =
//	1100.505, half up to the fen 1100.51, at or above 1100: 达标.
//
// orphan_support (20): K 分散养育 1300 each month 2024-01..10, January sent twice; M 集中养育 1710
// in January and 1700 in March.
//
//	20 at 02-29: 3 child-months (K Jan, Feb; M Jan), all at standard: 1. At 10-31: K 10 + M 2 =
//	12 child-months, M's March below 1710: 11/12.
//	20_missing_month: M lacks Feb and Apr..Oct: 8.
//
// low_income_roster (19): snapshot 01-15 lists P1 特困人员, P2 低保对象 (松兹街道), P3 低保对象, P4
// 脱贫人口 (孚玉镇); snapshot 07-01 lists P1, P2, P7 低保对象 (松兹街道), P3, P5 低保边缘家庭成员, P6
// 防止返贫监测对象 (孚玉镇); P4 is gone. insurance_enrollment for 2024: P1 已参保 定额资助; P2 已参保
// 全额资助; P3 未参保 死亡; P5 未参保 其他, then 已参保; P6 未参保 服刑; P4 has a row for 2023 only; P7
// has none.
//
//	19a at 01-10: no roster yet: 无数据. At 06-30 (first snapshot): enrolled P1, P2; P3 exempt; P4
//	not enrolled: 2 / (4 - 1) = 2/3. At 10-31 (second): enrolled P1, P2, P5; P3 and P6 exempt; P7
//	not: 3 / (6 - 2) = 0.75. By township at 10-31: 松兹街道 2/3 (flagged, P7 listed), 孚玉镇 1/1.
//	19a_tekun_full_subsidy: 1 (P1).
//
// medical_assistance (19b), each claim's ratio from the roster in force at the as-of date:
// P2 低保对象 03-01 100.02 -> 75.02 (0.75 × 100.02 = 75.015, half up: right); P5 低保边缘 03-01
// 1000 -> 600 (right); P3 低保对象 04-01 100.02 -> 75.01 (cut, not rounded: wrong); P4 claims
// 低保对象 05-01 200 -> 150: while the first snapshot lists P4 as 脱贫人口, which has no ratio, it
// is wrong; once P4 is off the roster the claim's own 低保对象 applies and it is right; P1 claims
// 低保对象 08-01 1000 -> 750, but the roster says 特困人员 (90%): wrong.
//
//	19b at 06-30: P2, P5 right of 4: 0.5. At 10-31: P2, P5, P4 right of 5: 0.6.
//	19b_category_mismatch at 10-31: 1 (P1; P4 is not on the roster then).
//
// elder_care_facility (13b): F1 施工 03-01 and 运营 09-01 with 600000; F2 竣工验收 05-01 with 400000.
//
//	13b at 06-30: 0; at 09-01: 1 (F1).
//
// The newest record is C's of 10-31: the daily marts run to 2024-10-31.

type person struct{ id, name, township, village string }

func mkPerson(birth string, seq int, name, township, village string) person {
	first := fmt.Sprintf("340826%s%03d", birth, seq)
	return person{first + string(idcard.CheckChar(first)), name, township, village}
}

var (
	pA  = mkPerson("19700305", 11, "王建国", "松兹街道", "长集社区")
	pB  = mkPerson("19720611", 22, "李秀英", "松兹街道", "长集社区")
	pC  = mkPerson("19680102", 33, "张伟", "孚玉镇", "桃港社区")
	pQ  = mkPerson("20160401", 41, "陈浩", "松兹街道", "长集社区")
	pR  = mkPerson("20170808", 52, "刘婷", "孚玉镇", "桃港社区")
	pK  = mkPerson("20150909", 61, "杨帆", "松兹街道", "林埠社区")
	pM  = mkPerson("20140101", 72, "黄玲", "孚玉镇", "岭河社区")
	pP1 = mkPerson("19500101", 81, "赵德胜", "松兹街道", "长集社区")
	pP2 = mkPerson("19600202", 82, "周桂兰", "松兹街道", "林埠社区")
	pP3 = mkPerson("19550303", 83, "吴永", "孚玉镇", "桃港社区")
	pP4 = mkPerson("19650404", 84, "郑红梅", "孚玉镇", "岭河社区")
	pP5 = mkPerson("19750505", 85, "孙志强", "孚玉镇", "桃港社区")
	pP6 = mkPerson("19800606", 86, "马丽", "孚玉镇", "岭河社区")
	pP7 = mkPerson("19850707", 87, "朱海", "松兹街道", "和山社区")
)

type row map[string]string

func (p person) row(extra row) row {
	r := row{"姓名": p.name, "身份证号": p.id, "乡镇": p.township, "村(社区)": p.village}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

// handFiles are the inbox files: source -> file name -> rows, by canonical header.
func handFiles() map[string]map[string][]row {
	kMonths := []row{pK.row(row{"类别": "孤儿", "养育方式": "分散养育", "发放月份": "2024-01", "发放金额": "1300"})}
	for m := 1; m <= 10; m++ {
		kMonths = append(kMonths, pK.row(row{"类别": "孤儿", "养育方式": "分散养育", "发放月份": fmt.Sprintf("2024-%02d", m), "发放金额": "1300"}))
	}
	enrolled := func(p person, year, status, class, reason, on string) row {
		return p.row(row{"参保年度": year, "参保状态": status, "险种": map[bool]string{true: "城乡居民医保"}[status == "已参保"],
			"资助类别": class, "未参保原因": reason, "数据日期": on})
	}
	return map[string]map[string][]row{
		"worker_aid": {
			"2024年1-6月帮扶台账.csv": {
				pA.row(row{"帮扶类型": "生活救助", "救助金额": "1000", "救助日期": "2024-03-05"}),
				pA.row(row{"帮扶类型": "生活救助", "救助金额": "1000", "救助日期": "2024-03-05"}),
				pA.row(row{"帮扶类型": "子女助学", "救助金额": "500", "救助日期": "2024-03-05"}),
				pB.row(row{"帮扶类型": "医疗救助", "救助金额": "800", "个人自付医疗费用": "1000", "救助日期": "2024-06-30"}),
				pC.row(row{"帮扶类型": "生活救助", "救助金额": "300", "救助日期": "2023-12-31"}),
			},
			"2024年7-10月帮扶台账.csv": {
				pA.row(row{"帮扶类型": "生活救助", "救助金额": "1000", "救助日期": "2024-03-05"}),
				pB.row(row{"帮扶类型": "医疗救助", "救助金额": "1200", "个人自付医疗费用": "1000", "救助日期": "2024-07-01"}),
				pC.row(row{"帮扶类型": "生活救助", "救助金额": "300", "救助日期": "2024-10-31"}),
			},
		},
		"child_rehab": {"康复救助.csv": {
			pQ.row(row{"残疾类别": "视力", "是否脑瘫": "否", "救助金额": "3000", "救助日期": "2024-02-01"}),
			pR.row(row{"残疾类别": "肢体", "是否脑瘫": "否", "救助金额": "2000", "救助日期": "2024-04-01"}),
			pR.row(row{"残疾类别": "肢体", "是否脑瘫": "否", "救助金额": "2000", "救助日期": "2024-05-01"}),
		}},
		"assistive_device": {"辅具适配.csv": {
			pQ.row(row{"辅具名称": "助视器", "适配金额": "1500", "适配日期": "2024-03-01"}),
		}},
		"legal_aid": {
			"法援台账1.csv": {
				pA.row(row{"案件编号": "FY2024-001", "案件类别": "民事", "受援人类别": "进城务工人员", "受理日期": "2024-02-01"}),
				pB.row(row{"案件编号": "FY2024-002", "案件类别": "民事", "受援人类别": "残疾人", "受理日期": "2024-03-01", "结案日期": "2024-05-10", "办案补贴": "1000.00"}),
			},
			"法援台账2.csv": {
				pA.row(row{"案件编号": "FY2024-001", "案件类别": "民事", "受援人类别": "进城务工人员", "受理日期": "2024-02-01", "结案日期": "2024-08-20", "办案补贴": "1201.01"}),
				pB.row(row{"案件编号": "FY2024-002", "案件类别": "民事", "受援人类别": "残疾人", "受理日期": "2024-03-01", "结案日期": "2024-05-10", "办案补贴": "1000.00"}),
			},
		},
		"orphan_support": {"基本生活费.csv": append(kMonths,
			pM.row(row{"类别": "事实无人抚养儿童", "养育方式": "集中养育", "发放月份": "2024-01", "发放金额": "1710"}),
			pM.row(row{"类别": "事实无人抚养儿童", "养育方式": "集中养育", "发放月份": "2024-03", "发放金额": "1700"}),
		)},
		"low_income_roster": {
			"名单2024-01.csv": {
				pP1.row(row{"人员类别": "特困人员", "名单日期": "2024-01-15"}),
				pP2.row(row{"人员类别": "低保对象", "名单日期": "2024-01-15"}),
				pP3.row(row{"人员类别": "低保对象", "名单日期": "2024-01-15"}),
				pP4.row(row{"人员类别": "脱贫人口", "名单日期": "2024-01-15"}),
			},
			"名单2024-07.csv": {
				pP1.row(row{"人员类别": "特困人员", "名单日期": "2024-07-01"}),
				pP2.row(row{"人员类别": "低保对象", "名单日期": "2024-07-01"}),
				pP3.row(row{"人员类别": "低保对象", "名单日期": "2024-07-01"}),
				pP5.row(row{"人员类别": "低保边缘家庭成员", "名单日期": "2024-07-01"}),
				pP6.row(row{"人员类别": "防止返贫监测对象", "名单日期": "2024-07-01"}),
				pP7.row(row{"人员类别": "低保对象", "名单日期": "2024-07-01"}),
			},
		},
		"insurance_enrollment": {"参保信息.csv": {
			enrolled(pP1, "2024", "已参保", "定额资助", "", "2024-01-10"),
			enrolled(pP2, "2024", "已参保", "全额资助", "", "2024-01-10"),
			enrolled(pP3, "2024", "未参保", "", "死亡", "2024-01-10"),
			enrolled(pP5, "2024", "未参保", "", "其他", "2024-01-10"),
			enrolled(pP5, "2024", "已参保", "全额资助", "", "2024-03-01"),
			enrolled(pP6, "2024", "未参保", "", "服刑", "2024-01-10"),
			enrolled(pP4, "2023", "已参保", "全额资助", "", "2023-01-10"),
		}},
		"medical_assistance": {"结算明细.csv": {
			pP2.row(row{"人员类别": "低保对象", "结算日期": "2024-03-01", "政策范围内个人自付": "100.02", "救助金额": "75.02"}),
			pP5.row(row{"人员类别": "低保边缘家庭成员", "结算日期": "2024-03-01", "政策范围内个人自付": "1000", "救助金额": "600"}),
			pP3.row(row{"人员类别": "低保对象", "结算日期": "2024-04-01", "政策范围内个人自付": "100.02", "救助金额": "75.01"}),
			pP4.row(row{"人员类别": "低保对象", "结算日期": "2024-05-01", "政策范围内个人自付": "200", "救助金额": "150"}),
			pP1.row(row{"人员类别": "低保对象", "结算日期": "2024-08-01", "政策范围内个人自付": "1000", "救助金额": "750"}),
		}},
		"elder_care_facility": {"养老机构建设进度.csv": {
			{"机构名称": "松兹社区养老服务综合体", "乡镇": "松兹街道", "当前阶段": "施工", "阶段日期": "2024-03-01", "建设补助金额": "600000"},
			{"机构名称": "松兹社区养老服务综合体", "乡镇": "松兹街道", "当前阶段": "运营", "阶段日期": "2024-09-01", "建设补助金额": "600000"},
			{"机构名称": "孚玉镇嵌入式养老服务站", "乡镇": "孚玉镇", "当前阶段": "竣工验收", "阶段日期": "2024-05-01", "建设补助金额": "400000"},
		}},
	}
}

// writeCSV writes rows under the source's canonical headers, in registry order.
func writeCSV(t testing.TB, path string, src *minsheng.Source, rows []row) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	var head []string
	for _, c := range src.Columns {
		head = append(head, c.Header)
	}
	w.Write(head)
	for _, r := range rows {
		rec := make([]string, len(head))
		for i, h := range head {
			rec[i] = r[h]
		}
		w.Write(rec)
	}
	w.Flush()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// handLake writes and ingests the hand lake into a fresh data folder. Every row must land.
func handLake(t *testing.T) (string, warehouse.Config) {
	t.Helper()
	dir := t.TempDir()
	return dir, ingestHand(t, dir)
}

func buildHandIn(t *testing.T, dir string) (*warehouse.BuildResult, error) {
	cfg := ingestHand(t, dir)
	return warehouse.Build(context.Background(), cfg)
}

func ingestHand(t *testing.T, dir string) warehouse.Config {
	t.Helper()
	cfg := testConfig(t, dir)
	for source, files := range handFiles() {
		src, ok := cfg.Registry.Source(source)
		if !ok {
			t.Fatalf("no source %s", source)
		}
		for name, rows := range files {
			writeCSV(t, filepath.Join(dir, "inbox", source, name), src, rows)
		}
	}
	in, err := ingest.New(ingest.Config{Dir: dir, Registry: cfg.Registry, County: cfg.County, Key: testKey, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := in.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sum.Reports {
		if r.Status != lake.StatusLanded || r.Rejected != 0 {
			t.Fatalf("%s: %s, %d rejected: %v %s", r.FileName, r.Status, r.Rejected, r.First, r.MessageEn)
		}
	}
	return cfg
}

func buildHand(t *testing.T) (string, warehouse.Config, *warehouse.BuildResult) {
	t.Helper()
	dir, cfg := handLake(t)
	res, err := warehouse.Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dir, cfg, res
}

// sharedHand is one hand lake built once for the tests that only read it.
var sharedHand struct {
	once sync.Once
	dir  string
	res  *warehouse.BuildResult
	err  error
}

func readHand(t *testing.T) (string, *warehouse.BuildResult) {
	t.Helper()
	sharedHand.once.Do(func() {
		dir, err := os.MkdirTemp("", "minsheng-warehouse-hand-")
		if err != nil {
			sharedHand.err = err
			return
		}
		sharedHand.dir = dir
		sharedHand.res, sharedHand.err = buildHandIn(t, dir)
	})
	if sharedHand.err != nil {
		t.Fatal(sharedHand.err)
	}
	return sharedHand.dir, sharedHand.res
}

func openDir(t *testing.T, dir string) *warehouse.DB {
	t.Helper()
	db, err := warehouse.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestHandIndicators checks the hand-worked values (see the comment at the top of the file).
func TestHandIndicators(t *testing.T) {
	dir, _ := readHand(t)
	db := openDir(t, dir)
	ctx := context.Background()
	end, err := db.DataEnd(ctx, 2024)
	if err != nil || !end.Equal(day("2024-10-31")) {
		t.Fatalf("data end %v (%v), want 2024-10-31", end, err)
	}
	nan := math.NaN()
	cases := []struct {
		asOf   string
		code   string
		actual float64 // NaN: nothing to judge yet
		status string  // "" when not checked
	}{
		{"2024-03-04", "09", 0, ""},
		{"2024-03-05", "09", 2, ""},
		{"2024-06-30", "09", 3, ""},
		{"2024-10-31", "09", 5, ""},
		{"2024-03-31", "10a", 1, ""},
		{"2024-10-31", "10a", 2, ""},
		{"2024-10-31", "10b", 1, ""},
		{"2024-10-31", "10c", 0, ""},
		{"2024-10-31", "10", 3, ""},
		{"2024-02-15", "16a", 1, ""},
		{"2024-06-30", "16a", 2, ""},
		{"2024-10-31", "16a", 2, ""},
		{"2024-04-30", "16b", nan, "无数据"},
		{"2024-06-30", "16b", 1000.00, "未达标"},
		{"2024-10-31", "16b", 1100.51, "达标"},
		{"2024-02-29", "20", 1, "达标"},
		{"2024-10-31", "20", 11.0 / 12, "未达标"},
		{"2024-01-10", "19a", nan, "无数据"},
		{"2024-06-30", "19a", 2.0 / 3, "未达标"},
		{"2024-10-31", "19a", 0.75, "未达标"},
		{"2024-06-30", "19b", 0.5, "未达标"},
		{"2024-10-31", "19b", 0.6, "未达标"},
		{"2024-06-30", "13b", 0, ""},
		{"2024-08-31", "13b", 0, ""},
		{"2024-09-01", "13b", 1, "已完成"},
		{"2024-10-31", "14", 0, "监测"},
		// an as-of date after the newest record keeps its values and takes its own time progress
		{"2024-12-31", "09", 5, "严重滞后"},
	}
	for _, c := range cases {
		got, err := db.Indicators(ctx, 2024, day(c.asOf))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, in := range got {
			if in.Code != c.code {
				continue
			}
			found = true
			a := val(in.Actual)
			if math.IsNaN(c.actual) != math.IsNaN(a) || !math.IsNaN(a) && math.Abs(a-c.actual) > 1e-9 {
				t.Errorf("%s at %s: actual %v, want %v", c.code, c.asOf, a, c.actual)
			}
			if c.status != "" && in.Status != c.status {
				t.Errorf("%s at %s: status %s, want %s", c.code, c.asOf, in.Status, c.status)
			}
		}
		if !found {
			t.Errorf("%s at %s: not in the mart", c.code, c.asOf)
		}
	}
}

// TestHandChecks: the violations worked out by hand, and the records they list, masked.
func TestHandChecks(t *testing.T) {
	dir, _ := readHand(t)
	db := openDir(t, dir)
	want := map[string]int{
		"09_living_cap": 0, "09_study_cap": 0, "09_medical_cap": 1, "10a_amount_cap": 0, "10a_living_cap": 0,
		"10a_age": 0, "20_missing_month": 8, "19a_tekun_full_subsidy": 1, "19b_category_mismatch": 1,
		"overlap_10a_10b": 1, "18_village_without_society": 213,
	}
	rs, err := db.SQL().Query(`select check_name, violations from mart_checks where year = 2024`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for rs.Next() {
		var n string
		var v int
		rs.Scan(&n, &v)
		got[n] = v
	}
	rs.Close()
	for n, w := range want {
		if got[n] != w {
			t.Errorf("%s: %d violations, want %d", n, got[n], w)
		}
	}
	// The listed records are masked and found again by file and row.
	var masked, name, sha string
	var fileRow int
	err = db.SQL().QueryRow(`select person_id_masked, name_masked, _file_sha256, _row from mart_check_violations
		where check_name = '09_medical_cap'`).Scan(&masked, &name, &sha, &fileRow)
	if err != nil {
		t.Fatal(err)
	}
	// B's 07-01 row is the second data row of file 2: line 3, under the header on line 1.
	if masked != idcard.Mask(pB.id) || name != idcard.MaskName(pB.name) || len(sha) != 64 || fileRow != 3 {
		t.Errorf("09_medical_cap lists %s %s %s row %d", masked, name, sha, fileRow)
	}
	var months string
	err = db.SQL().QueryRow(`select string_agg(strftime(record_on, '%m'), ',' order by record_on) from mart_check_violations
		where check_name = '20_missing_month'`).Scan(&months)
	if err != nil || months != "02,04,05,06,07,08,09,10" {
		t.Errorf("20_missing_month: %q (%v)", months, err)
	}
}

// TestHandEnrollment: a roster person without an enrollment row is not enrolled; 死亡, 服刑 and
// 参军 leave the denominator; a township under 99% is flagged and its unenrolled listed.
func TestHandEnrollment(t *testing.T) {
	dir, _ := readHand(t)
	db := openDir(t, dir)
	type tw struct {
		roster, exempt, enrolled int
		meets, flagged           bool
	}
	got := map[string]tw{}
	rs, err := db.SQL().Query(`select township, roster_persons, exempt_persons, enrolled_persons, meets, is_flagged
		from mart_enrollment_by_township where year = 2024 and as_of_on = date '2024-10-31' and roster_persons > 0`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var name string
		var r tw
		if err := rs.Scan(&name, &r.roster, &r.exempt, &r.enrolled, &r.meets, &r.flagged); err != nil {
			t.Fatal(err)
		}
		got[name] = r
	}
	rs.Close()
	want := map[string]tw{"松兹街道": {3, 0, 2, false, true}, "孚玉镇": {3, 2, 1, true, false}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("by township %v, want %v", got, want)
	}
	var masked, township string
	var noRow, flagged bool
	var n int
	err = db.SQL().QueryRow(`select count(*) over (), person_id_masked, township, has_no_enrollment_row, is_township_flagged
		from mart_enrollment_unenrolled where year = 2024`).Scan(&n, &masked, &township, &noRow, &flagged)
	if err != nil || n != 1 || masked != idcard.Mask(pP7.id) || township != "松兹街道" || !noRow || !flagged {
		t.Errorf("unenrolled: %d %s %s %v %v (%v); want P7 alone", n, masked, township, noRow, flagged, err)
	}
}

// TestHandNoClearPII: no clear name or ID number reaches the warehouse file.
func TestHandNoClearPII(t *testing.T) {
	_, res := readHand(t)
	b, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []person{pA, pB, pC, pQ, pR, pK, pM, pP1, pP2, pP3, pP4, pP5, pP6, pP7} {
		if bytes.Contains(b, []byte(p.id)) || bytes.Contains(b, []byte(p.name)) {
			t.Errorf("the warehouse holds %s in clear", idcard.MaskName(p.name))
		}
	}
}

// TestFailedBuildKeepsServing: a build whose data test fails is refused with the test's name
// and rows; CURRENT and the file it names are untouched and still serve, and the failed file is
// gone. Here the county profile loses 孚玉镇, so its records name an unknown township.
func TestFailedBuildKeepsServing(t *testing.T) {
	dir, cfg, first := buildHand(t)
	cur, _ := os.ReadFile(filepath.Join(dir, "warehouse", "CURRENT"))

	shrunk := &minsheng.County{RegionCode: cfg.County.RegionCode, Villages: map[string][]string{}}
	for _, tw := range cfg.County.Townships {
		if tw != "孚玉镇" {
			shrunk.Townships = append(shrunk.Townships, tw)
			shrunk.Villages[tw] = cfg.County.Villages[tw]
		}
	}
	bad := cfg
	bad.County = shrunk
	_, err := warehouse.Build(context.Background(), bad)
	var tf *warehouse.TestFailure
	if !errors.As(err, &tf) || tf.Test != "relationships_township" || !strings.Contains(err.Error(), "孚玉镇") {
		t.Fatalf("build: %v; want relationships_township failing on 孚玉镇", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "warehouse", "CURRENT"))
	if !bytes.Equal(cur, after) {
		t.Errorf("CURRENT changed from %q to %q", cur, after)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "warehouse", "minsheng-*"))
	if len(files) != 1 || files[0] != first.Path {
		t.Errorf("warehouse files %v, want only %s", files, first.Path)
	}
	db := openDir(t, dir)
	if db.Path() != first.Path {
		t.Errorf("serving %s, want %s", db.Path(), first.Path)
	}
	if got, err := db.Indicators(context.Background(), 2024, day("2024-10-31")); err != nil || len(got) != 19 {
		t.Errorf("old warehouse: %d indicators (%v)", len(got), err)
	}
}

// TestBuildSwapsAndPrunes: each build becomes CURRENT; the one before stays for readers that
// still have it open; older ones go. A reader keeps the file it opened.
func TestBuildSwapsAndPrunes(t *testing.T) {
	if testing.Short() {
		t.Skip("three builds")
	}
	dir, cfg, first := buildHand(t)
	reader := openDir(t, dir)
	var paths []string
	for i := 0; i < 2; i++ {
		res, err := warehouse.Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, res.Path)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "warehouse", "minsheng-*"))
	if fmt.Sprint(files) != fmt.Sprint(paths) {
		t.Errorf("files %v, want %v", files, paths)
	}
	if db := openDir(t, dir); db.Path() != paths[1] {
		t.Errorf("CURRENT serves %s, want %s", db.Path(), paths[1])
	}
	// The first reader's file is gone from the folder but still open and readable.
	var n int
	if err := reader.SQL().QueryRow("select count(*) from mart_indicator_daily").Scan(&n); err != nil || n == 0 || reader.Path() != first.Path {
		t.Errorf("old reader: %d rows (%v)", n, err)
	}
}

func TestOpenWithoutBuild(t *testing.T) {
	_, err := warehouse.Open(t.TempDir())
	if minsheng.ErrorCode(err) != minsheng.EUNAVAILABLE {
		t.Errorf("Open before any build: %v, want %s", err, minsheng.EUNAVAILABLE)
	}
}
