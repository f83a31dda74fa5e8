package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/minsheng/minsheng/api"
	"github.com/minsheng/minsheng/indicators"
	"github.com/minsheng/minsheng/lake"
	"github.com/minsheng/minsheng/notes"
)

type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
			AllOf      []struct {
				Ref        string                     `json:"$ref"`
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"allOf"`
		} `json:"schemas"`
	} `json:"components"`
}

func servedOpenAPI(t *testing.T, srv *testServer) openAPIDoc {
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	var doc openAPIDoc
	get(t, hs.URL+"/api/v1/openapi.json", http.StatusOK, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q, want 3.x", doc.OpenAPI)
	}
	return doc
}

// TestOpenAPIMatchesRoutes: the document served lists exactly the routes the server registers,
// method by method.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	srv := newAPI(testConfig{Dir: t.TempDir()})
	doc := servedOpenAPI(t, srv)
	param := regexp.MustCompile(`\{([^}]+)\}`)
	var documented, registered []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			// routes other packages add to the engine (uploads, the site's /me) are checked
			// against the whole site in package site
			if strings.Contains(string(op), `"x-registered-by"`) {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+param.ReplaceAllString(path, ":$1"))
		}
	}
	for _, r := range srv.Engine().Routes() {
		registered = append(registered, r.Method+" "+r.Path)
	}
	sort.Strings(documented)
	sort.Strings(registered)
	if !reflect.DeepEqual(documented, registered) {
		t.Errorf("documented:\n  %s\nregistered:\n  %s", strings.Join(documented, "\n  "), strings.Join(registered, "\n  "))
	}
}

// TestOpenAPISchemasMatchAnswers: each response schema names exactly the JSON fields of the Go
// type that answers it.
func TestOpenAPISchemasMatchAnswers(t *testing.T) {
	doc := servedOpenAPI(t, newAPI(testConfig{Dir: t.TempDir()}))
	types := map[string]any{
		"Targets": indicators.Targets{}, "Target": indicators.Target{}, "TargetDetail": indicators.TargetDetail{},
		"Month": indicators.Month{}, "TownshipValue": indicators.TownshipValue{}, "CategoryValue": indicators.CategoryValue{},
		"Check": indicators.Check{}, "Overlap": indicators.Overlap{}, "Enrollment": indicators.Enrollment{},
		"EnrollmentCounts": indicators.EnrollmentCounts{}, "EnrollmentTownship": indicators.EnrollmentTownship{},
		"ClaimsGroup": indicators.ClaimsGroup{}, "Checks": indicators.Checks{}, "LeadUnitChecks": indicators.LeadUnitChecks{}, "Run": lake.Run{}, "Runs": api.Runs{},
		"Violation": indicators.Violation{}, "Violations": indicators.Violations{}, "UnenrolledPerson": indicators.UnenrolledPerson{},
		"UnenrolledTownship": indicators.UnenrolledTownship{}, "RunDetail": api.RunDetail{},
		"Rejection": lake.Rejection{}, "Unenrolled": indicators.Unenrolled{},
		"Note": notes.Note{}, "NoteDraft": notes.Draft{}, "Notes": api.NotesAnswer{},
	}
	for name, v := range types {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		var props []string
		for p := range s.Properties {
			props = append(props, p)
		}
		for _, part := range s.AllOf {
			if part.Ref != "" {
				ref := doc.Components.Schemas[part.Ref[strings.LastIndex(part.Ref, "/")+1:]]
				for p := range ref.Properties {
					props = append(props, p)
				}
			}
			for p := range part.Properties {
				props = append(props, p)
			}
		}
		fields := jsonFields(reflect.TypeOf(v))
		sort.Strings(props)
		sort.Strings(fields)
		if !reflect.DeepEqual(props, fields) {
			t.Errorf("%s: schema has %v, the answer %v", name, props, fields)
		}
	}
}

// jsonFields lists the JSON names encoding/json gives a struct's fields, embedded ones included.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
