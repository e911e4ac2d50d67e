package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// oaDoc is the OpenAPI document decoded for the tests.
type oaDoc map[string]any

var (
	docOnce sync.Once
	doc     oaDoc
	docErr  error
)

func openAPIDoc(t *testing.T) oaDoc {
	t.Helper()
	docOnce.Do(func() {
		dec := json.NewDecoder(bytes.NewReader(OpenAPI()))
		dec.UseNumber()
		docErr = dec.Decode(&doc)
	})
	if docErr != nil {
		t.Fatalf("openapi.json: %v", docErr)
	}
	return doc
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// resolve follows a local $ref.
func (d oaDoc) resolve(ref string) map[string]any {
	var cur any = map[string]any(d)
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		cur = obj(cur)[part]
	}
	return obj(cur)
}

func (d oaDoc) deref(m map[string]any) map[string]any {
	for m != nil {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m = d.resolve(ref)
	}
	return nil
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// Every registered route is documented, and every documented operation is served by
// the route of the same pattern.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	d := openAPIDoc(t)
	if v, _ := d["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi version %q", v)
	}
	s := NewServer(nil, Options{})
	documented := map[string]bool{}
	for path, item := range obj(d["paths"]) {
		for _, m := range httpMethods {
			if obj(item)[m] == nil {
				continue
			}
			pattern := strings.ToUpper(m) + " " + path
			documented[pattern] = true
			sample := pathParam.ReplaceAllStringFunc(path, func(p string) string {
				if p == "{id}" {
					return "7"
				}
				return storetest.USCC(1)
			})
			_, served := s.mux.Handler(httptest.NewRequest(strings.ToUpper(m), sample, nil))
			if served != pattern {
				t.Errorf("documented %s: a request to %s %s is served by %q", pattern, strings.ToUpper(m), sample, served)
			}
		}
	}
	for _, rt := range s.routes {
		if !documented[rt.pattern] {
			t.Errorf("route %s is missing from api/openapi.json", rt.pattern)
		}
	}
	if len(documented) != len(s.routes) {
		t.Errorf("%d documented operations, %d routes", len(documented), len(s.routes))
	}
}

// Every $ref resolves, every operation has an id, and every parameter a route reads
// is documented.
func TestOpenAPIIsConsistent(t *testing.T) {
	d := openAPIDoc(t)
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && d.resolve(ref) == nil {
				t.Errorf("%s: $ref %s does not resolve", at, ref)
			}
			for k, x := range v {
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(map[string]any(d), "#")
	s := NewServer(nil, Options{})
	ids := map[string]bool{}
	for _, rt := range s.routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		op := obj(obj(obj(d["paths"])[path])[strings.ToLower(method)])
		id, _ := op["operationId"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: operationId %q missing or repeated", rt.pattern, id)
		}
		ids[id] = true
		var names []string
		for _, p := range asSlice(op["parameters"]) {
			names = append(names, d.deref(obj(p))["name"].(string))
		}
		for _, q := range rt.query {
			if !slices.Contains(names, q) {
				t.Errorf("%s: query parameter %s is not documented", rt.pattern, q)
			}
		}
		for _, p := range pathParam.FindAllString(path, -1) {
			if !slices.Contains(names, strings.Trim(p, "{}")) {
				t.Errorf("%s: path parameter %s is not documented", rt.pattern, p)
			}
		}
		if !slices.ContainsFunc(slices.Collect(maps.Keys(obj(op["responses"]))), func(code string) bool { return code[0] == '2' }) {
			t.Errorf("%s: no success response", rt.pattern)
		}
	}
}

func TestOpenAPIServedOpen(t *testing.T) {
	s := NewServer(nil, Options{})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), OpenAPI()) || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Errorf("openapi.json: %d %s", w.Code, w.Header())
	}
}

// conforms checks a JSON answer against the document's schema for the route and
// status: the documented fields are exactly the fields sent.
func (h *harness) conforms(pattern string, status int, body []byte) {
	h.t.Helper()
	for _, err := range conformance(h.t, pattern, status, body) {
		h.t.Errorf("%s %d: %s", pattern, status, err)
	}
}

func conformance(t *testing.T, pattern string, status int, body []byte) []string {
	t.Helper()
	d := openAPIDoc(t)
	method, path, _ := strings.Cut(pattern, " ")
	op := obj(obj(obj(d["paths"])[path])[strings.ToLower(method)])
	resp := d.deref(obj(obj(op["responses"])[strconv.Itoa(status)]))
	if resp == nil {
		return []string{"status not documented"}
	}
	schema := obj(obj(obj(resp["content"])["application/json"])["schema"])
	if schema == nil {
		return []string{"no JSON schema documented"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{err.Error()}
	}
	return d.validate(schema, v, "$")
}

// validate is the subset of JSON Schema the document uses.
func (d oaDoc) validate(s map[string]any, v any, at string) []string {
	s = d.deref(s)
	if one, ok := s["oneOf"].([]any); ok {
		n := 0
		for _, alt := range one {
			if len(d.validate(obj(alt), v, at)) == 0 {
				n++
			}
		}
		if n != 1 {
			return []string{fmt.Sprintf("%s: matches %d of the oneOf alternatives", at, n)}
		}
		return nil
	}
	if typ, ok := s["type"]; ok {
		var types []string
		switch typ := typ.(type) {
		case string:
			types = []string{typ}
		case []any:
			for _, x := range typ {
				types = append(types, x.(string))
			}
		}
		if !slices.ContainsFunc(types, func(t string) bool { return isType(t, v) }) {
			return []string{fmt.Sprintf("%s: %v is not of type %v", at, v, types)}
		}
	}
	if enum, ok := s["enum"].([]any); ok && v != nil && !slices.Contains(enum, v) {
		return []string{fmt.Sprintf("%s: %v is not one of %v", at, v, enum)}
	}
	var errs []string
	switch v := v.(type) {
	case map[string]any:
		props := obj(s["properties"])
		for _, r := range asSlice(s["required"]) {
			if _, ok := v[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required field %q missing", at, r))
			}
		}
		for k, x := range v {
			p, ok := props[k]
			if !ok {
				if s["additionalProperties"] == false {
					errs = append(errs, fmt.Sprintf("%s: field %q is not documented", at, k))
				}
				continue
			}
			errs = append(errs, d.validate(obj(p), x, at+"."+k)...)
		}
	case []any:
		if items := obj(s["items"]); items != nil {
			for i, x := range v {
				errs = append(errs, d.validate(items, x, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return errs
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func isType(t string, v any) bool {
	switch v := v.(type) {
	case nil:
		return t == "null"
	case bool:
		return t == "boolean"
	case string:
		return t == "string"
	case json.Number:
		if t == "integer" {
			_, err := v.Int64()
			return err == nil
		}
		return t == "number"
	case map[string]any:
		return t == "object"
	case []any:
		return t == "array"
	}
	return false
}

// Error answers of every kind carry the envelope the document describes.
func TestErrorEnvelopeConforms(t *testing.T) {
	s := NewServer(nil, Options{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v1/leaders", http.StatusUnauthorized},
		{"DELETE", "/api/v1/leaders", http.StatusMethodNotAllowed},
		{"GET", "/api/v1/nope", http.StatusNotFound},
	} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, w.Code, tc.status)
		}
		for _, err := range conformance(t, "GET /api/v1/leaders", tc.status, w.Body.Bytes()) {
			t.Errorf("%s %s: %s", tc.method, tc.path, err)
		}
	}
	// The check itself catches drift: a missing field, an undocumented one, a wrong type.
	for _, body := range []string{
		`{"total":1,"leaders":[],"scan_id":1,"extra":true}`,
		`{"total":1,"leaders":[]}`,
		`{"total":"1","leaders":[],"scan_id":1}`,
		`{"total":1,"leaders":[{"uscc":"x"}],"scan_id":1}`,
	} {
		if len(conformance(t, "GET /api/v1/leaders", 200, []byte(body))) == 0 {
			t.Errorf("%s passes the schema", body)
		}
	}
}

// TestOpenAPINamesTheRegistries: the document's lists of channel types and of rule
// names are the registries' (package notify's channels, package alerts' rules), so a
// channel or rule added there is documented here too.
func TestOpenAPINamesTheRegistries(t *testing.T) {
	want := map[string][]string{"wecom": notify.Types(), "grade_downgrade": alerts.RuleNames()}
	found := map[string]int{}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(c, at+"/"+k)
			}
		case []any:
			var names []string
			for _, e := range x {
				if s, ok := e.(string); ok {
					names = append(names, s)
				}
				walk(e, at)
			}
			for key, list := range want {
				if strings.HasSuffix(at, "/enum") && slices.Contains(names, key) {
					found[key]++
					if !slices.Equal(slices.Sorted(slices.Values(names)), slices.Sorted(slices.Values(list))) {
						t.Errorf("%s lists %v; the registry has %v", at, names, list)
					}
				}
			}
		}
	}
	walk(map[string]any(openAPIDoc(t)), "")
	if found["wecom"] == 0 || found["grade_downgrade"] == 0 {
		t.Errorf("enums found: %v", found)
	}
}
