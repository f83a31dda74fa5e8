package dashboards

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// A quarantine written before row_values was read as before: its rows, without the values.
func TestQuarantineWithoutRowValues(t *testing.T) {
	type old struct {
		Row    int32  `parquet:"row"`
		Column string `parquet:"column"`
		Code   string `parquet:"reason_code"`
		Zh     string `parquet:"reason_zh"`
		Value  string `parquet:"value_masked"`
	}
	p := filepath.Join(t.TempDir(), "q.parquet")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[old](f)
	if _, err := w.Write([]old{{Row: 3, Column: "乡镇", Code: "township_unknown", Zh: "乡镇不在本县乡镇名单中", Value: "火星镇"}}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	f.Close()
	rows, err := readQuarantine(p)
	if err != nil || len(rows) != 1 || rows[0].Row != 3 || rows[0].Value != "火星镇" || rows[0].Values != "" {
		t.Fatalf("%+v %v", rows, err)
	}
}
