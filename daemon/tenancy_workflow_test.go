package daemon_test

import (
	"net/http"
	"strings"
	"testing"
)

// writeOwnRecords has the writer tenant record its status, assignee, note and verdict
// on alert id, and checks they are shown to it alone: neither the other tenant nor
// staff reads them. It returns what the writer wrote, which TestTenancyCrawler's crawl
// then never finds in another tenant's answers.
func writeOwnRecords(t *testing.T, c *crawlClient, id, writer, other string) []string {
	t.Helper()
	wrote := []string{"dairy-assignee-5e1f", "dairy-note-5e1f", "dairy-comment-5e1f"}
	for _, r := range [][2]string{
		{"PATCH", `{"status":"confirmed","assignee":"` + wrote[0] + `","note":"` + wrote[1] + `"}`},
		{"POST", `{"verdict":"irrelevant","comment":"` + wrote[2] + `"}`},
	} {
		path := "/alerts/" + id
		if r[0] == "POST" {
			path += "/feedback"
		}
		if code, b := c.do(r[0], path, writer, r[1]); code != http.StatusOK {
			t.Fatalf("%s %s as the writer: %d %s", r[0], path, code, b)
		}
	}
	for _, who := range []string{writer, other, "admin"} {
		_, b := c.do("GET", "/alerts/"+id, who, "")
		for _, w := range append(wrote, `"status":"confirmed"`) {
			if strings.Contains(b, w) != (who == writer) {
				t.Errorf("%s reads alert %s with %q: %v, want %v", who, id, w, strings.Contains(b, w), who == writer)
			}
		}
	}
	return wrote
}
