package ingest_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"

	"github.com/minsheng/minsheng/lake"
)

// Whole-file fuzz targets for the legacy workbook (.xls: BIFF8 and BIFF5 records in an OLE2
// container) and OpenDocument (.ods) readers, written as FuzzIngestXLSX is: the bytes are
// ingested as an upload through New and IngestFile, and checkOutcome holds (landed with every row
// counted once, landed or rejected with a reason; or refused whole with a message in Chinese and
// English and nothing in the lake; never a panic nor a bare error such as "EOF"). Seeds: the
// files LibreOffice saved under testdata/xls and testdata/ods, whole and cut short; a failing
// input the fuzzer finds is kept under testdata/fuzz/<Target>/.

func FuzzXLSTable(f *testing.F) {
	for _, seed := range officeSeeds(f, "xls") {
		f.Add(seed.source, seed.body)
	}
	f.Fuzz(func(t *testing.T, source uint8, body []byte) {
		rep, dir := ingestBytes(t, source, "台账.xls", body)
		checkOutcome(t, dir, rep, body)
		checkNoClearID(t, dir, rep, xlsText(body))
		if rep.Status != lake.StatusLanded {
			return
		}
		// A file named .xls is read as what its first bytes say: an OLE2 container is a legacy
		// workbook (anything else is a zip workbook or text saved under the wrong name).
		if bytes.HasPrefix(body, []byte{0xD0, 0xCF, 0x11, 0xE0}) && rep.Format != "xls" {
			t.Fatalf("an OLE2 file read as %q", rep.Format)
		}
	})
}

func FuzzODSTable(f *testing.F) {
	for _, seed := range officeSeeds(f, "ods") {
		f.Add(seed.source, seed.body)
	}
	f.Fuzz(func(t *testing.T, source uint8, body []byte) {
		rep, dir := ingestBytes(t, source, "台账.ods", body)
		checkOutcome(t, dir, rep, body)
		checkNoClearID(t, dir, rep, xlsxXML(body))
		if rep.Status != lake.StatusLanded {
			return
		}
		if bytes.HasPrefix(body, []byte("PK\x03\x04")) && rep.Format != "ods" {
			t.Fatalf("a zip named .ods read as %q", rep.Format)
		}
		if rep.Format != "ods" {
			return
		}
		// A spreadsheet landed only if it could be read to its end: content.xml unpacks whole
		// (size and CRC as declared) and is well-formed XML.
		if err := odsReadable(body); err != nil {
			t.Fatalf("a damaged spreadsheet landed (%d rows, %d landed): %v", rep.Rows, rep.Landed, err)
		}
	})
}

// officeSeeds are the committed files of a format (testdata/xls/*.xls or testdata/ods/*.ods),
// each sent to worker_aid (clerk.* is its ledger) whole, cut just short of its end, and damaged
// inside the container, where a cut does not reach the sheet's reader: in an .xls the first
// LABELSST record's length made 255 (the records after it no longer framed), in an .ods
// content.xml cut in half and packed again.
func officeSeeds(tb testing.TB, format string) []xlsxSeed {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", format, "*."+format))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no seeds in testdata/%s (%v)", format, err)
	}
	wa := sourceIndex(tb, "worker_aid")
	var out []xlsxSeed
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, xlsxSeed{wa, b}, xlsxSeed{wa, b[:len(b)-7]})
		if format == "xls" {
			if i := bytes.Index(b, []byte{0xFD, 0x00, 0x0A, 0x00}); i >= 0 {
				d := bytes.Clone(b)
				d[i+2] = 0xFF
				out = append(out, xlsxSeed{wa, d})
			}
		} else {
			out = append(out, xlsxSeed{wa, cutODSContent(tb, b)})
		}
	}
	return out
}

// cutODSContent packs a spreadsheet again with its content.xml cut in half.
func cutODSContent(tb testing.TB, body []byte) []byte {
	tb.Helper()
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		if f.Name == "content.xml" {
			content = content[:len(content)/2]
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: f.Method})
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(content)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// xlsText is the text a legacy workbook's bytes may hold: as they are (BIFF8's compressed
// strings, BIFF5's 8-bit ones) and read as UTF-16LE at either alignment (BIFF8's wide strings).
func xlsText(body []byte) string {
	dec := func(b []byte) string {
		s, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder().Bytes(b[:len(b)&^1])
		return string(s)
	}
	var b strings.Builder
	b.Write(body)
	b.WriteByte('\n')
	b.WriteString(dec(body))
	if len(body) > 1 {
		b.WriteByte('\n')
		b.WriteString(dec(body[1:]))
	}
	return b.String()
}

// odsReadable unpacks an OpenDocument spreadsheet's content.xml (the entry the reader picks: the
// name exactly, else in any case, the last of the same name) whole and parses its XML.
func odsReadable(body []byte) error {
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return err
	}
	var exact, folded *zip.File
	for _, f := range z.File {
		if f.Name == "content.xml" {
			exact = f
		}
		if strings.ToLower(f.Name) == "content.xml" {
			folded = f
		}
	}
	content := exact
	if content == nil {
		content = folded
	}
	if content == nil {
		return fmt.Errorf("no content.xml")
	}
	rc, err := content.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	d.Strict = true
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	_, err = io.Copy(io.Discard, rc)
	return err
}
