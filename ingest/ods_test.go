package ingest

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/minsheng/minsheng"
)

// odsFile packs a content.xml body (the office:spreadsheet's tables) as an ODF package does:
// the mimetype first and stored, the manifest, the content.
func odsFile(t testing.TB, tables, manifest string) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	w.Write([]byte("application/vnd.oasis.opendocument.spreadsheet"))
	w, _ = zw.Create("META-INF/manifest.xml")
	if manifest == "" {
		manifest = `<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>`
	}
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">` + manifest + `</manifest:manifest>`))
	w, _ = zw.Create("content.xml")
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:body><office:spreadsheet>` + tables + `</office:spreadsheet></office:body></office:document-content>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "t.ods")
	os.WriteFile(p, b.Bytes(), 0o600)
	return p
}

// Cells as ODF writes them and as the xlsx reader would give them: repeated cells and rows given
// as often as they say, LibreOffice's trailing runs to column 16384 and row 1 048 576 not given,
// every value type, spaces, line breaks, comments left out, rows in groups.
func TestODSHandWritten(t *testing.T) {
	tables := `<table:table table:name="说明"><table:table-row><table:table-cell office:value-type="string"><text:p>看下一张</text:p></table:table-cell></table:table-row></table:table>
<table:table table:name="数据"><table:table-column table:number-columns-repeated="16384"/>
<table:table-header-rows><table:table-row><table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>金额</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16382"/></table:table-row></table:table-header-rows>
<table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="string"><text:p>同<text:span>名</text:span></text:p><office:annotation><dc:creator>审核</dc:creator><text:p>批注</text:p></office:annotation></table:table-cell><table:table-cell office:value-type="currency" office:currency="CNY" office:value="1500"><text:p>¥1,500.00</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
<table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
<table:table-row-group><table:table-row table:visibility="collapse"><table:table-cell table:number-columns-repeated="2" office:value-type="float" office:value="7"/><table:table-cell office:value-type="percentage" office:value="0.58125"/><table:table-cell office:value-type="boolean" office:boolean-value="true"/><table:table-cell office:value-type="date" office:date-value="2024-03-05T12:00:00"/><table:table-cell office:value-type="time" office:time-value="PT06H00M00S"/><table:table-cell office:value-type="string" calcext:value-type="error" office:string-value=""><text:p>#N/A</text:p></table:table-cell><table:table-cell><text:p>a<text:s text:c="2"/>b</text:p><text:p>c<text:tab/>d</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="1E-007"/></table:table-row></table:table-row-group>
<table:table-row table:number-rows-repeated="1048568"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
</table:table>`
	p := odsFile(t, tables, "")
	if sheets, err := odsSheets(p); err != nil || !reflect.DeepEqual(sheets, []string{"说明", "数据"}) {
		t.Fatalf("sheets %q, %v", sheets, err)
	}
	rows, tb, err := tableRows(t, p, "数据")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"姓名", "金额"},
		{"同名", "1500"},
		{"同名", "1500"},
		{}, {}, {},
		{"7", "7", "0.58125", "1", "45356.5", "0.25", "#N/A", "a  b\nc\td", "0.0000001"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n got %q\nwant %q", rows, want)
	}
	if hidden, _ := tb.Info(); hidden != 1 {
		t.Errorf("%d hidden rows, want 1", hidden)
	}
	if records, _, _, physical := tb.Account(); records != 7 || physical != 7 {
		t.Errorf("account: %d records of %d", records, physical)
	}
	if rows, _, err := tableRows(t, p, ""); err != nil || !reflect.DeepEqual(rows, [][]string{{"看下一张"}}) {
		t.Errorf("first sheet: %q, %v", rows, err)
	}
}

// A 乡镇 merged down (number-rows-spanned) gives its value to every row of the range, as in xlsx,
// the empty rows under it too.
func TestODSMergedDown(t *testing.T) {
	p := odsFile(t, `<table:table table:name="S">
<table:table-row><table:table-cell office:value-type="string"><text:p>甲</text:p></table:table-cell><table:table-cell office:value-type="string" table:number-rows-spanned="3" table:number-columns-spanned="1"><text:p>松兹镇</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>乙</text:p></table:table-cell><table:covered-table-cell/></table:table-row>
<table:table-row><table:table-cell/><table:covered-table-cell/></table:table-row>
</table:table>`, "")
	rows, tb, err := tableRows(t, p, "")
	want := [][]string{{"甲", "松兹镇"}, {"乙", "松兹镇"}, {"", "松兹镇"}}
	if err != nil || !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %q, %v; want %q", rows, err, want)
	}
	if _, merged := tb.Info(); merged != 2 {
		t.Errorf("%d merged rows, want 2", merged)
	}
}

// Runs that expand past what any ledger holds are refused, not materialised: a value repeated
// over every column of a million rows, a row repeated past the last row.
func TestODSRunsOverTheCap(t *testing.T) {
	for name, tables := range map[string]string{
		"cells": `<table:table table:name="S"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row></table:table>`,
		"rows":  `<table:table table:name="S"><table:table-row table:number-rows-repeated="1048577"><table:table-cell office:value-type="float" office:value="1"/></table:table-row></table:table>`,
		"cols":  `<table:table table:name="S"><table:table-row><table:table-cell table:number-columns-repeated="16385" office:value-type="float" office:value="1"/></table:table-row></table:table>`,
	} {
		_, _, err := tableRows(t, odsFile(t, tables, ""), "")
		if err == nil {
			t.Errorf("%s: read", name)
			continue
		}
		if name == "cells" && minsheng.ErrorCode(err) != minsheng.ETOOLARGE {
			t.Errorf("%s: %v, want the size refusal", name, err)
		}
		if name != "cells" {
			bilingual(t, name, err, "损坏", "damaged")
		}
	}
}

// A password-protected .ods (its manifest names the encryption) is refused with the fix; so are
// a package without content.xml and content.xml cut off mid-sheet.
func TestODSRefusals(t *testing.T) {
	enc := `<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry>`
	_, _, err := tableRows(t, odsFile(t, `<table:table table:name="S"/>`, enc), "")
	bilingual(t, "encrypted", err, "加密", "encrypted")
	_, _, err = tableRows(t, odsFile(t, `<table:table table:name="S"><table:table-row><table:table-cell office:value-type="string"><text:p>甲</text:p></table:table-cell></table:table-row>`, ""), "")
	bilingual(t, "cut off", err, "损坏或被截断", "damaged or truncated")
	if strings.Contains(err.Error(), "甲") {
		t.Errorf("message holds a cell: %v", err)
	}
	// a byte of a stored content.xml changed after the sheet: the CRC at the entry's end refuses it
	p := odsFile(t, `<table:table table:name="S"><table:table-row><table:table-cell office:value-type="string"><text:p>甲</text:p></table:table-cell></table:table-row></table:table><table:table table:name="T"><table:table-row><table:table-cell office:value-type="string"><text:p>乙乙</text:p></table:table-cell></table:table-row></table:table>`, "")
	b, _ := os.ReadFile(p)
	stored := rezip(t, b, zip.Store)
	i := bytes.Index(stored, []byte("乙乙"))
	copy(stored[i:], "丙丙")
	os.WriteFile(p, stored, 0o600)
	_, _, err = tableRows(t, p, "S")
	bilingual(t, "a changed byte", err, "损坏或被截断", "damaged or truncated")
	_, _, err = tableRows(t, odsFile(t, ``, ""), "")
	bilingual(t, "no sheet", err, "没有工作表", "no sheet")
	_, _, err = tableRows(t, odsFile(t, `<table:table table:name="S"/>`, ""), "别的")
	bilingual(t, "no such sheet", err, "没有名为“别的”", "no sheet named")
}

// rezip writes a zip's entries again with the given method.
func rezip(t testing.TB, b []byte, method uint16) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method})
		io.Copy(w, rc)
		rc.Close()
	}
	zw.Close()
	return out.Bytes()
}
