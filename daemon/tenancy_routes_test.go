package daemon_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The routes the tenancy crawler calls, read from the served OpenAPI document.

// apiRoute is one operation of the OpenAPI document, with its parameters.
type apiRoute struct {
	method, path string
	query        map[string][]string // parameter → values worth trying ("" leaves it out)
}

// routes reads the served OpenAPI document.
func (c *crawlClient) routes() []apiRoute {
	c.t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string
				In     string
				Schema struct{ Enum []string }
			}
		}
	}
	code, b := c.do("GET", "/openapi.json", "admin", "")
	if code != http.StatusOK || json.Unmarshal([]byte(b), &doc) != nil {
		c.t.Fatalf("openapi.json: %d", code)
	}
	var out []apiRoute
	for p, ops := range doc.Paths {
		for m, op := range ops {
			rt := apiRoute{method: strings.ToUpper(m), path: strings.TrimPrefix(p, "/api/v1"), query: map[string][]string{}}
			for _, prm := range op.Parameters {
				if prm.In == "query" {
					rt.query[prm.Name] = append([]string{""}, prm.Schema.Enum...)
				}
			}
			out = append(out, rt)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].method+out[i].path < out[j].method+out[j].path })
	return out
}

// expand lists the calls of a route: every value of each path parameter; the query
// parameters naming a firm with every firm, the others with each enum value.
func expand(t *testing.T, rt apiRoute, values map[string][]string) []string {
	t.Helper()
	paths := []string{rt.path}
	for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(rt.path, -1) {
		vs, ok := values[m[1]]
		if !ok {
			t.Fatalf("the crawl has no values for {%s} of %s", m[1], rt.path)
		}
		var next []string
		for _, p := range paths {
			for _, v := range vs {
				next = append(next, strings.Replace(p, m[0], url.PathEscape(v), 1))
			}
		}
		paths = next
	}
	var out []string
	for _, p := range paths {
		out = append(out, p)
		for name, enum := range rt.query {
			vs := enum
			if firm, ok := values[name]; ok && (name == "uscc" || name == "leader") {
				vs = firm
			}
			for _, v := range vs {
				if v != "" {
					out = append(out, p+"?"+name+"="+url.QueryEscape(v))
				}
			}
		}
	}
	return out
}
