package handlake

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/idcard"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/warehouse"
)

// Key is the pseudonym key the hand lake is ingested with.
var Key = []byte("0123456789abcdef-k")

// Person is one made-up person of the hand lake.
type Person struct{ ID, Name, Township, Village string }

// NewPerson makes a person born on birth (YYYYMMDD) with a valid ID number of the demo county.
func NewPerson(birth string, seq int, name, township, village string) Person {
	first := fmt.Sprintf("340826%s%03d", birth, seq)
	return Person{first + string(idcard.CheckChar(first)), name, township, village}
}

// The persons of the hand lake, named by letter as in the package comment.
var (
	A  = NewPerson("19700305", 11, "王建国", "松兹街道", "长集社区")
	B  = NewPerson("19720611", 22, "李秀英", "松兹街道", "长集社区")
	C  = NewPerson("19680102", 33, "张伟", "孚玉镇", "桃港社区")
	Q  = NewPerson("20160401", 41, "陈浩", "松兹街道", "长集社区")
	R  = NewPerson("20170808", 52, "刘婷", "孚玉镇", "桃港社区")
	K  = NewPerson("20150909", 61, "杨帆", "松兹街道", "林埠社区")
	M  = NewPerson("20140101", 72, "黄玲", "孚玉镇", "岭河社区")
	P1 = NewPerson("19500101", 81, "赵德胜", "松兹街道", "长集社区")
	P2 = NewPerson("19600202", 82, "周桂兰", "松兹街道", "林埠社区")
	P3 = NewPerson("19550303", 83, "吴永", "孚玉镇", "桃港社区")
	P4 = NewPerson("19650404", 84, "郑红梅", "孚玉镇", "岭河社区")
	P5 = NewPerson("19750505", 85, "孙志强", "孚玉镇", "桃港社区")
	P6 = NewPerson("19800606", 86, "马丽", "孚玉镇", "岭河社区")
	P7 = NewPerson("19850707", 87, "朱海", "松兹街道", "和山社区")
)

// Persons are every person of the hand lake.
var Persons = []Person{A, B, C, Q, R, K, M, P1, P2, P3, P4, P5, P6, P7}

// Row is one record by canonical header.
type Row map[string]string

// Row is the person's name, ID number, township and village with the extra fields.
func (p Person) Row(extra Row) Row {
	r := Row{"姓名": p.Name, "身份证号": p.ID, "乡镇": p.Township, "村(社区)": p.Village}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

// Files are the inbox files: source -> file name -> rows, by canonical header.
func Files() map[string]map[string][]Row {
	kMonths := []Row{K.Row(Row{"类别": "孤儿", "养育方式": "分散养育", "发放月份": "2024-01", "发放金额": "1300"})}
	for m := 1; m <= 10; m++ {
		kMonths = append(kMonths, K.Row(Row{"类别": "孤儿", "养育方式": "分散养育", "发放月份": fmt.Sprintf("2024-%02d", m), "发放金额": "1300"}))
	}
	enrolled := func(p Person, year, status, class, reason, on string) Row {
		return p.Row(Row{"参保年度": year, "参保状态": status, "险种": map[bool]string{true: "城乡居民医保"}[status == "已参保"],
			"资助类别": class, "未参保原因": reason, "数据日期": on})
	}
	return map[string]map[string][]Row{
		"worker_aid": {
			"2024年1-6月帮扶台账.csv": {
				A.Row(Row{"帮扶类型": "生活救助", "救助金额": "1000", "救助日期": "2024-03-05"}),
				A.Row(Row{"帮扶类型": "生活救助", "救助金额": "1000", "救助日期": "2024-03-05"}),
				A.Row(Row{"帮扶类型": "子女助学", "救助金额": "500", "救助日期": "2024-03-05"}),
				B.Row(Row{"帮扶类型": "医疗救助", "救助金额": "800", "个人自付医疗费用": "1000", "救助日期": "2024-06-30"}),
				C.Row(Row{"帮扶类型": "生活救助", "救助金额": "300", "救助日期": "2023-12-31"}),
			},
			"2024年7-10月帮扶台账.csv": {
				A.Row(Row{"帮扶类型": "生活救助", "救助金额": "1000", "救助日期": "2024-03-05"}),
				B.Row(Row{"帮扶类型": "医疗救助", "救助金额": "1200", "个人自付医疗费用": "1000", "救助日期": "2024-07-01"}),
				C.Row(Row{"帮扶类型": "生活救助", "救助金额": "300", "救助日期": "2024-10-31"}),
			},
		},
		"child_rehab": {"康复救助.csv": {
			Q.Row(Row{"残疾类别": "视力", "是否脑瘫": "否", "救助金额": "3000", "救助日期": "2024-02-01"}),
			R.Row(Row{"残疾类别": "肢体", "是否脑瘫": "否", "救助金额": "2000", "救助日期": "2024-04-01"}),
			R.Row(Row{"残疾类别": "肢体", "是否脑瘫": "否", "救助金额": "2000", "救助日期": "2024-05-01"}),
		}},
		"assistive_device": {"辅具适配.csv": {
			Q.Row(Row{"辅具名称": "助视器", "适配金额": "1500", "适配日期": "2024-03-01"}),
		}},
		"legal_aid": {
			"法援台账1.csv": {
				A.Row(Row{"案件编号": "FY2024-001", "案件类别": "民事", "受援人类别": "进城务工人员", "受理日期": "2024-02-01"}),
				B.Row(Row{"案件编号": "FY2024-002", "案件类别": "民事", "受援人类别": "残疾人", "受理日期": "2024-03-01", "结案日期": "2024-05-10", "办案补贴": "1000.00"}),
			},
			"法援台账2.csv": {
				A.Row(Row{"案件编号": "FY2024-001", "案件类别": "民事", "受援人类别": "进城务工人员", "受理日期": "2024-02-01", "结案日期": "2024-08-20", "办案补贴": "1201.01"}),
				B.Row(Row{"案件编号": "FY2024-002", "案件类别": "民事", "受援人类别": "残疾人", "受理日期": "2024-03-01", "结案日期": "2024-05-10", "办案补贴": "1000.00"}),
			},
		},
		"orphan_support": {"基本生活费.csv": append(kMonths,
			M.Row(Row{"类别": "事实无人抚养儿童", "养育方式": "集中养育", "发放月份": "2024-01", "发放金额": "1710"}),
			M.Row(Row{"类别": "事实无人抚养儿童", "养育方式": "集中养育", "发放月份": "2024-03", "发放金额": "1700"}),
		)},
		"low_income_roster": {
			"名单2024-01.csv": {
				P1.Row(Row{"人员类别": "特困人员", "名单日期": "2024-01-15"}),
				P2.Row(Row{"人员类别": "低保对象", "名单日期": "2024-01-15"}),
				P3.Row(Row{"人员类别": "低保对象", "名单日期": "2024-01-15"}),
				P4.Row(Row{"人员类别": "脱贫人口", "名单日期": "2024-01-15"}),
			},
			"名单2024-07.csv": {
				P1.Row(Row{"人员类别": "特困人员", "名单日期": "2024-07-01"}),
				P2.Row(Row{"人员类别": "低保对象", "名单日期": "2024-07-01"}),
				P3.Row(Row{"人员类别": "低保对象", "名单日期": "2024-07-01"}),
				P5.Row(Row{"人员类别": "低保边缘家庭成员", "名单日期": "2024-07-01"}),
				P6.Row(Row{"人员类别": "防止返贫监测对象", "名单日期": "2024-07-01"}),
				P7.Row(Row{"人员类别": "低保对象", "名单日期": "2024-07-01"}),
			},
		},
		"insurance_enrollment": {"参保信息.csv": {
			enrolled(P1, "2024", "已参保", "定额资助", "", "2024-01-10"),
			enrolled(P2, "2024", "已参保", "全额资助", "", "2024-01-10"),
			enrolled(P3, "2024", "未参保", "", "死亡", "2024-01-10"),
			enrolled(P5, "2024", "未参保", "", "其他", "2024-01-10"),
			enrolled(P5, "2024", "已参保", "全额资助", "", "2024-03-01"),
			enrolled(P6, "2024", "未参保", "", "服刑", "2024-01-10"),
			enrolled(P4, "2023", "已参保", "全额资助", "", "2023-01-10"),
		}},
		"medical_assistance": {"结算明细.csv": {
			P2.Row(Row{"人员类别": "低保对象", "结算日期": "2024-03-01", "政策范围内个人自付": "100.02", "救助金额": "75.02"}),
			P5.Row(Row{"人员类别": "低保边缘家庭成员", "结算日期": "2024-03-01", "政策范围内个人自付": "1000", "救助金额": "600"}),
			P3.Row(Row{"人员类别": "低保对象", "结算日期": "2024-04-01", "政策范围内个人自付": "100.02", "救助金额": "75.01"}),
			P4.Row(Row{"人员类别": "低保对象", "结算日期": "2024-05-01", "政策范围内个人自付": "200", "救助金额": "150"}),
			P1.Row(Row{"人员类别": "低保对象", "结算日期": "2024-08-01", "政策范围内个人自付": "1000", "救助金额": "750"}),
		}},
		"elder_care_facility": {"养老机构建设进度.csv": {
			{"机构名称": "松兹社区养老服务综合体", "乡镇": "松兹街道", "当前阶段": "施工", "阶段日期": "2024-03-01", "建设补助金额": "600000"},
			{"机构名称": "松兹社区养老服务综合体", "乡镇": "松兹街道", "当前阶段": "运营", "阶段日期": "2024-09-01", "建设补助金额": "600000"},
			{"机构名称": "孚玉镇嵌入式养老服务站", "乡镇": "孚玉镇", "当前阶段": "竣工验收", "阶段日期": "2024-05-01", "建设补助金额": "400000"},
		}},
	}
}

// FilesIn are the files of Files moved to another plan year: every date, month, year and file
// name one year on per year after 2024 (2024-03-05 becomes 2025-03-05, last year's 2023-12-31
// becomes 2024-12-31), the persons and their ID numbers unchanged, so the children are a year
// older. No record falls on a 29 February, so every date exists in any year.
func FilesIn(year int) map[string]map[string][]Row {
	files := Files()
	if year == Year {
		return files
	}
	shift := strings.NewReplacer(
		fmt.Sprint(Year), fmt.Sprint(year),
		fmt.Sprint(Year-1), fmt.Sprint(year-1),
	)
	out := map[string]map[string][]Row{}
	for source, byName := range files {
		out[source] = map[string][]Row{}
		for name, rows := range byName {
			moved := make([]Row, len(rows))
			for i, r := range rows {
				moved[i] = Row{}
				for k, v := range r {
					if k != "身份证号" && k != "姓名" {
						v = shift.Replace(v)
					}
					moved[i][k] = v
				}
			}
			out[source][shift.Replace(name)] = moved
		}
	}
	return out
}

// FileCount is the number of files Files holds, all sources together.
func FileCount() int {
	n := 0
	for _, files := range Files() {
		n += len(files)
	}
	return n
}

// WriteCSV writes rows under the source's canonical headers, in registry order.
func WriteCSV(t testing.TB, path string, src *minsheng.Source, rows []Row) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	var head []string
	for _, c := range src.Columns {
		head = append(head, c.Header)
	}
	if err := w.Write(head); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		rec := make([]string, len(head))
		for i, h := range head {
			rec[i] = r[h]
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Write writes every file of Files into dir/inbox/<source>/.
func Write(t testing.TB, dir string, reg *minsheng.Registry) { WriteIn(t, dir, reg, Year) }

// WriteIn writes every file of FilesIn(year) into dir/inbox/<source>/.
func WriteIn(t testing.TB, dir string, reg *minsheng.Registry, year int) {
	t.Helper()
	for source, files := range FilesIn(year) {
		src, ok := reg.Source(source)
		if !ok {
			t.Fatalf("handlake: no source %s in the registry", source)
		}
		for name, rows := range files {
			WriteCSV(t, filepath.Join(lake.Layout{Dir: dir}.Inbox(), source, name), src, rows)
		}
	}
}

// Config is the warehouse configuration of the data folder dir: the shipped registry, the demo
// county and the shipped plans.
func Config(t testing.TB, dir string) warehouse.Config {
	t.Helper()
	reg, err := minsheng.LoadRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	county, err := minsheng.LoadCounty("")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := minsheng.LoadPlans("", reg)
	if err != nil {
		t.Fatal(err)
	}
	return warehouse.Config{Dir: dir, Registry: reg, County: county, Plans: plans}
}

// Ingest writes the hand lake into the data folder dir and ingests it for real (with Key); every
// row of every file must land. It returns the folder's warehouse configuration.
func Ingest(t testing.TB, dir string) warehouse.Config { return IngestIn(t, dir, Year) }

// IngestIn is Ingest with the hand lake moved to another year (FilesIn).
func IngestIn(t testing.TB, dir string, year int) warehouse.Config {
	t.Helper()
	cfg := Config(t, dir)
	WriteIn(t, dir, cfg.Registry, year)
	in, err := ingest.New(ingest.Config{Dir: dir, Registry: cfg.Registry, County: cfg.County, Key: Key, Workers: 1})
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
	if len(sum.Reports) != FileCount() {
		t.Fatalf("handlake: %d files ingested, want %d", len(sum.Reports), FileCount())
	}
	return cfg
}

// Build ingests the hand lake into dir and builds its warehouse.
func Build(t testing.TB, dir string) (warehouse.Config, *warehouse.BuildResult) {
	t.Helper()
	cfg := Ingest(t, dir)
	res, err := warehouse.Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, res
}
