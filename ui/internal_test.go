package ui

import (
	"crypto/tls"
	"io/fs"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/config"
)

// TestMessages: every message key the templates and handlers use exists, in both
// languages, and every entry is used.
func TestMessages(t *testing.T) {
	used := map[string]bool{}
	keyRE := regexp.MustCompile(`\b(?:t|tf)\s+"([a-z_.]+)"|\.t\("([a-z_.]+)"\)|(?:title|body|reason): "([a-z_.]+)"|` +
		`(?:signInForm\([^,]+, |text\(lang, |text\(c\.lang, )"([a-z_.]+)"|msg = "([a-z_.]+)"|"(error\.[a-z_.]+|signin\.[a-z_.]+)"`)
	scan := func(name string, b []byte) {
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			for _, k := range m[1:] {
				if k != "" {
					used[k] = true
					if _, ok := messages[k]; !ok {
						t.Errorf("%s uses message %q, which the table lacks", name, k)
					}
				}
			}
		}
	}
	_ = fs.WalkDir(templateFiles, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := templateFiles.ReadFile(p)
			scan(p, b)
		}
		return nil
	})
	goFiles, _ := fs.Glob(os.DirFS("."), "*.go")
	for _, f := range goFiles {
		if !strings.HasSuffix(f, "_test.go") {
			b, _ := os.ReadFile(f)
			scan(f, b)
		}
	}
	for k, m := range messages {
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("message %q lacks a language: %q", k, m)
		}
		if !used[k] && !strings.HasPrefix(k, "grade.") && !strings.HasPrefix(k, "relation.") && !enumKey(k) {
			t.Errorf("message %q is never used", k)
		}
	}
	if len(used) < 50 {
		t.Errorf("found only %d message keys in use: the scan is broken", len(used))
	}
}

// TestAssetBudget: everything the console embeds stays within 3 MB, and ECharts is
// the version the vendoring script pins.
func TestAssetBudget(t *testing.T) {
	var total int64
	var files int
	err := fs.WalkDir(assetFiles, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = fs.WalkDir(templateFiles, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			total += info.Size()
		}
		return nil
	})
	const budget = 3 << 20
	t.Logf("embedded console assets: %d files, %d bytes (budget %d)", files, total, budget)
	if total > budget || total < 500_000 {
		t.Errorf("embedded assets total %d bytes: want ≤ %d (and ECharts present)", total, budget)
	}
	version, err := assetFiles.ReadFile("assets/vendor/echarts/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("../scripts/vendor-echarts.sh")
	if err != nil {
		t.Fatal(err)
	}
	pin := regexp.MustCompile(`VERSION="\$\{1:-([0-9.]+)\}"`).FindSubmatch(script)
	if pin == nil || strings.TrimSpace(string(version)) != string(pin[1]) {
		t.Errorf("vendored ECharts %q, the script pins %q", strings.TrimSpace(string(version)), pin)
	}
	for _, f := range []string{"assets/vendor/echarts/echarts.min.js", "assets/vendor/echarts/LICENSE"} {
		if _, err := fs.Stat(assetFiles, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestSecureCookies: cookies are Secure over TLS, or when ui.secure_cookies says so.
func TestSecureCookies(t *testing.T) {
	cfg := config.Default()
	s := &Server{opts: Options{Config: func() *config.Config { return cfg }}}
	r := httptest.NewRequest("GET", "/ui/", nil)
	if s.secure(r) {
		t.Error("Secure on plain HTTP")
	}
	r.TLS = &tls.ConnectionState{}
	if !s.secure(r) {
		t.Error("not Secure over TLS")
	}
	r.TLS = nil
	cfg.UI.SecureCookies = true
	if !s.secure(r) {
		t.Error("not Secure with ui.secure_cookies")
	}
}

// TestSafeNext: the sign-in form's next stays inside the console.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/ui/chains/912301099436075960": "/ui/chains/912301099436075960",
		"//evil.example/ui/":            "",
		"https://evil.example/ui/":      "",
		"/ui/\\evil":                    "",
		"/api/v1/leaders":               "",
		"":                              "",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
