package credit

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestCatalogueDocumented: docs/models.md's event catalogue lists every default type
// with its meaning, points and severity, as users read them there.
func TestCatalogueDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/models.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, et := range DefaultEventTypes() {
		points := fmt.Sprintf("%+g", et.Points)
		points = strings.Replace(points, "-", "−", 1)
		row := fmt.Sprintf("| `%s` | %s | %s | %s |", et.Name, et.Meaning, points, et.Severity)
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/models.md lacks the catalogue row %q", row)
		}
	}
}
