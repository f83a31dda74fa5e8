package site_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/minsheng/minsheng/account"
	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/uploads"
)

// TestOpenAPICoversTheSite: the document served lists exactly the JSON routes of the whole site
// (the API's own, the uploads, /me, the audit), and the schemas of the ones added outside package
// api name exactly the fields of the Go types that answer them.
func TestOpenAPICoversTheSite(t *testing.T) {
	f := newFixture(t)
	res, body := f.login(t, "leader").do("GET", "/api/v1/openapi.json", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("openapi.json: %d", res.StatusCode)
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	var documented, registered []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+param.ReplaceAllString(path, ":$1"))
		}
	}
	for _, r := range f.site.Engine().Routes() {
		if strings.HasPrefix(r.Path, "/api/") || r.Path == "/healthz" {
			registered = append(registered, r.Method+" "+r.Path)
		}
	}
	sort.Strings(documented)
	sort.Strings(registered)
	if !reflect.DeepEqual(documented, registered) {
		t.Errorf("documented:\n  %s\nregistered:\n  %s", strings.Join(documented, "\n  "), strings.Join(registered, "\n  "))
	}
	for schema, v := range map[string]any{"UploadReport": uploads.Response{}, "Principal": account.Principal{}, "AuditEntry": audit.Entry{}} {
		var want, got []string
		ty := reflect.TypeOf(v)
		for i := range ty.NumField() {
			if name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
				want = append(want, name)
			}
		}
		for k := range doc.Components.Schemas[schema].Properties {
			got = append(got, k)
		}
		sort.Strings(want)
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("schema %s: %v, the Go type has %v", schema, got, want)
		}
	}
}
