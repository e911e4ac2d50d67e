package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/tokens"
)

// secTokenish matches the names of values that are tokens, token hashes or secrets.
var secTokenish = regexp.MustCompile(`(?i)token|hash|plain|secret|passw`)

// secCompareFinding is a comparison of a token-like value outside constant time.
type secCompareFinding struct {
	pos  token.Position
	what string
}

// secIsTokenish reports whether an expression denotes a token, hash or secret value.
func secIsTokenish(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return secIsTokenish(x.X)
	case *ast.Ident:
		return secTokenish.MatchString(x.Name)
	case *ast.SelectorExpr:
		return secTokenish.MatchString(x.Sel.Name)
	case *ast.IndexExpr:
		return secIsTokenish(x.X)
	case *ast.SliceExpr:
		return secIsTokenish(x.X)
	case *ast.StarExpr:
		return secIsTokenish(x.X)
	case *ast.CallExpr:
		switch f := x.Fun.(type) {
		case *ast.ArrayType: // []byte(x)
			return len(x.Args) == 1 && secIsTokenish(x.Args[0])
		case *ast.Ident: // string(x), HashToken(x)
			return secTokenish.MatchString(f.Name) || f.Name == "string" && len(x.Args) == 1 && secIsTokenish(x.Args[0])
		case *ast.SelectorExpr:
			switch f.Sel.Name {
			case "Reveal", "String", "Bytes":
				return secIsTokenish(f.X)
			}
			return secTokenish.MatchString(f.Sel.Name) && !strings.HasPrefix(f.Sel.Name, "Check")
		}
	}
	return false
}

// secIsNothing reports whether an expression is nil or the empty string: comparing a
// token with them asks whether it is set, which tells nothing about its value.
func secIsNothing(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "nil"
	case *ast.BasicLit:
		return x.Value == `""` || x.Value == "``"
	}
	return false
}

// secComparisons finds, in one file, every comparison of a token-like value that does
// not go through crypto/subtle: ==, != (except against nil or ""), switch, and the
// equality functions of bytes, strings, reflect, slices and cmp.
func secComparisons(fset *token.FileSet, f *ast.File) []secCompareFinding {
	var out []secCompareFinding
	add := func(n ast.Node, what string) {
		out = append(out, secCompareFinding{fset.Position(n.Pos()), what})
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BinaryExpr:
			if x.Op != token.EQL && x.Op != token.NEQ {
				return true
			}
			if (secIsTokenish(x.X) && !secIsNothing(x.Y)) || (secIsTokenish(x.Y) && !secIsNothing(x.X)) {
				add(x, x.Op.String())
			}
		case *ast.SwitchStmt:
			if x.Tag != nil && secIsTokenish(x.Tag) {
				add(x, "switch")
			}
		case *ast.CallExpr:
			sel, ok := x.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			switch pkg.Name + "." + sel.Sel.Name {
			case "bytes.Equal", "bytes.EqualFold", "bytes.Compare", "strings.EqualFold", "strings.Compare",
				"reflect.DeepEqual", "slices.Equal", "slices.Compare", "cmp.Compare", "maps.Equal":
				if slices.ContainsFunc(x.Args, secIsTokenish) {
					add(x, pkg.Name+"."+sel.Sel.Name)
				}
			}
		}
		return true
	})
	return out
}

// TestTokensComparedInConstantTime proves structurally that tokens and their hashes
// are compared in constant time: authenticate compares the stored hash with
// crypto/subtle, and no non-test file of the module compares a token, hash or secret
// with ==, !=, switch or an equality function.
func TestTokensComparedInConstantTime(t *testing.T) {
	fset := token.NewFileSet()
	auth, err := parser.ParseFile(fset, "auth.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var constantTime bool
	ast.Inspect(auth, func(n ast.Node) bool {
		fd, ok := n.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "authenticate" {
			return true
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ConstantTimeCompare" {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "subtle" && len(call.Args) == 2 &&
					secIsTokenish(call.Args[0]) && secIsTokenish(call.Args[1]) {
					constantTime = true
				}
			}
			return true
		})
		return false
	})
	if !constantTime {
		t.Error("authenticate does not compare the token's hash with subtle.ConstantTimeCompare")
	}
	// Tokens are kept as their SHA-256: tokens.Hash is the hex digest.
	if got, want := tokens.Hash("crk_x"), sha256.Sum256([]byte("crk_x")); got != hex.EncodeToString(want[:]) {
		t.Errorf("tokens.Hash = %s", got)
	}

	var files int
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != ".." && (n == "testdata" || n == "vendor" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		// Test support (storetest, pgtest) compares fixtures; it never sees a caller's token.
		if slices.ContainsFunc(f.Imports, func(im *ast.ImportSpec) bool { return im.Path.Value == `"testing"` }) {
			return nil
		}
		files++
		for _, c := range secComparisons(fset, f) {
			t.Errorf("%s: a token, hash or secret compared with %s; use crypto/subtle.ConstantTimeCompare", c.pos, c.what)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Errorf("only %d files scanned", files)
	}
}

// The detector of TestTokensComparedInConstantTime finds every way of comparing a
// token that is not constant-time, and leaves presence checks alone.
func TestTokenComparisonDetector(t *testing.T) {
	const src = `package sample

func bad(tok *Token, hash, plain string, token []byte, c Config) {
	_ = tok.Hash == hash                              // want ==
	_ = hash != tok.Hash                              // want !=
	_ = bytes.Equal([]byte(tok.Hash), []byte(hash))   // want bytes.Equal
	_ = strings.EqualFold(string(token), "x")         // want strings.EqualFold
	_ = HashToken(plain) == tok.Hash                  // want ==
	_ = c.Secret.Reveal() == "s3cret"                 // want ==
	switch plain {                                    // want switch
	}
	_ = reflect.DeepEqual(token, []byte("x"))         // want reflect.DeepEqual
}

func good(tok *Token, hash string, token []byte, tokens []Token, c Config) bool {
	if tok == nil || hash == "" || len(token) == 0 || tokens == nil || c.Secret.Reveal() != "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(tok.Hash), []byte(hash)) == 1
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "sample.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{}
	for i, line := range strings.Split(src, "\n") {
		if _, w, ok := strings.Cut(line, "// want "); ok {
			want[i+1] = w
		}
	}
	got := map[int]string{}
	for _, c := range secComparisons(fset, f) {
		got[c.pos.Line] = c.what
	}
	for line, w := range want {
		if got[line] != w {
			t.Errorf("line %d: found %q, want %q", line, got[line], w)
		}
	}
	for line, g := range got {
		if _, ok := want[line]; !ok {
			t.Errorf("line %d: unexpected finding %q", line, g)
		}
	}
}

// Every refused credential gets the same answer, byte for byte: a token differing in
// its last character, prefixes of a valid token, an empty token, a revoked token, an
// unknown one, and a valid token sent anywhere but the Authorization header. The store
// keeps the tokens' SHA-256 only.
func TestRefusedTokensLookAlike(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		valid := h.tokens["admin"]
		last := valid[len(valid)-1]
		flip := byte('A')
		if last == 'A' {
			flip = 'B'
		}
		type attempt struct {
			name   string
			header map[string]string
			query  string
		}
		bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
		attempts := []attempt{
			{"last character changed", bearer(valid[:len(valid)-1] + string(flip)), ""},
			{"one character short", bearer(valid[:len(valid)-1]), ""},
			{"prefix", bearer(valid[:len(tokens.Prefix)+8]), ""},
			{"the prefix alone", bearer(tokens.Prefix), ""},
			{"one character more", bearer(valid + "A"), ""},
			{"case changed", bearer(strings.ToUpper(valid[:8]) + valid[8:]), ""},
			{"empty token", bearer(""), ""},
			{"scheme alone", map[string]string{"Authorization": "Bearer"}, ""},
			{"no header", nil, ""},
			{"revoked", bearer(h.tokens["revoked"]), ""},
			{"unknown", bearer(h.tokens["bad"]), ""},
			{"hash instead of token", bearer(tokens.Hash(valid)), ""},
			{"token in the query", nil, "?access_token=" + valid},
			{"token in another header", map[string]string{"X-Api-Key": valid, "X-Auth-Token": valid}, ""},
			{"token as a cookie", map[string]string{"Cookie": "token=" + valid}, ""},
			{"another scheme", map[string]string{"Authorization": "Token " + valid}, ""},
			{"basic auth", map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+valid))}, ""},
		}
		send := func(a attempt) *httptest.ResponseRecorder {
			r := httptest.NewRequest("GET", "/api/v1/leaders"+a.query, nil)
			for k, v := range a.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.mux.ServeHTTP(w, r)
			return w
		}
		if w := send(attempt{header: bearer(valid)}); w.Code != 200 {
			t.Fatalf("the valid token: %d %s", w.Code, w.Body)
		}
		first := send(attempts[0])
		if first.Code != http.StatusUnauthorized || errorOf(t, first.Body.Bytes()).Code != codeUnauthorized {
			t.Fatalf("%s: %d %s", attempts[0].name, first.Code, first.Body)
		}
		for _, a := range attempts {
			w := send(a)
			if w.Code != http.StatusUnauthorized || w.Body.String() != first.Body.String() {
				t.Errorf("%s: %d %s, want 401 %s", a.name, w.Code, w.Body, first.Body)
			}
			for _, k := range []string{"WWW-Authenticate", "Content-Type", "Retry-After"} {
				if w.Header().Get(k) != first.Header().Get(k) {
					t.Errorf("%s: header %s %q, want %q", a.name, k, w.Header().Get(k), first.Header().Get(k))
				}
			}
			for _, secret := range []string{valid, valid[len(tokens.Prefix):], h.tokens["revoked"], tokens.Hash(valid)} {
				if strings.Contains(w.Body.String(), secret) || strings.Contains(fmt.Sprint(w.Header()), secret) {
					t.Errorf("%s: the answer echoes a token", a.name)
				}
			}
		}

		// The store holds hashes, never the plain tokens.
		toks, err := h.b.st.Tokens(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		hashes := map[string]bool{}
		for _, tok := range toks {
			hashes[tok.Hash] = true
		}
		for name, plain := range h.tokens {
			if plain == "" || name == "bad" {
				continue
			}
			if !hashes[tokens.Hash(plain)] {
				t.Errorf("token %s: its SHA-256 is not in the store", name)
			}
		}
		d := h.b.st.(interface{ Dialect() store.Dialect }).Dialect()
		rows, err := d.Query(context.Background(), `SELECT name, role, leader, hash FROM tokens`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var cols [4]string
			if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3]); err != nil {
				t.Fatal(err)
			}
			for _, plain := range h.tokens {
				if plain != "" && slices.ContainsFunc(cols[:], func(c string) bool { return strings.Contains(c, plain[len(tokens.Prefix):]) }) {
					t.Errorf("the tokens table holds a plain token in %v", cols[:2])
				}
			}
		}
	})
}

// secFill substitutes a route's path parameters.
func secFill(pattern string, values map[string]string) string {
	_, path, _ := strings.Cut(pattern, " ")
	for k, v := range values {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return path
}

// secEndless is a body that never ends, counting what was read of it.
type secEndless struct {
	prefix string
	read   int64
}

func (e *secEndless) Read(p []byte) (int, error) {
	for i := range p {
		if e.read < int64(len(e.prefix)) {
			p[i] = e.prefix[e.read]
		} else {
			p[i] = 'x'
		}
		e.read++
	}
	return len(p), nil
}

// Every route bounds its body: over the limit, announced (Content-Length) or streamed
// (chunked), a route that takes a body answers 413 in the error envelope, having read
// at most one byte past the limit; a route that takes none never reads past it. Ingest
// routes take the ingest limit, the matches route four times the general one, the
// others the general one.
func TestEveryBodyIsLimited(t *testing.T) {
	const general, ingestLimit = 1 << 10, 4 << 10
	h := newHarness(t, "sqlite", Options{HTTP: config.HTTPConfig{MaxBodyBytes: general, MaxIngestBytes: ingestLimit}})
	fx := h.alertFixtures()

	// The OpenAPI document says which operations take a body.
	doc, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			RequestBody *json.RawMessage `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &spec); err != nil {
		t.Fatal(err)
	}
	takesBody := func(rt *route) bool {
		method, path, _ := strings.Cut(rt.pattern, " ")
		op, ok := spec.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Fatalf("%s is not in the OpenAPI document", rt.pattern)
		}
		return op.RequestBody != nil
	}

	var withBody int
	for _, rt := range h.s.routes {
		method, _, _ := strings.Cut(rt.pattern, " ")
		values := map[string]string{"uscc": h.leaderA, "leader": h.leaderA, "name": fx.subA, "id": "1"}
		switch {
		case strings.Contains(rt.pattern, "/alerts/"):
			values["id"] = fx.alertA
		case strings.Contains(rt.pattern, "/silences/"):
			values["id"] = fx.silence
		}
		path := secFill(rt.pattern, values)
		if strings.HasSuffix(path, "/esri") {
			path += "?leader=" + h.leaderA
		}
		limit, ctype := int64(general), "application/json"
		switch {
		case rt.ingest:
			limit, ctype = ingestLimit, "text/csv"
		case rt.large:
			limit = matchBodyFactor * general
		}
		body := takesBody(rt)
		if body != (method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch) {
			t.Errorf("%s: the OpenAPI document and the method disagree on whether it takes a body", rt.pattern)
		}
		if body {
			withBody++
		}
		prefix := `{"pad":"`
		if rt.ingest {
			// A valid header and a row whose last field never ends.
			_, kind, _ := strings.Cut(rt.pattern, "/api/v1/")
			prefix = strings.TrimRight(demoRow(t, credit.Kind(kind)), "\n")
		}
		oversized := prefix + strings.Repeat("x", int(limit)+1-len(prefix))

		// Announced: refused before anything is read, whatever the route.
		r := httptest.NewRequest(method, path, strings.NewReader(oversized))
		r.Header.Set("Authorization", "Bearer "+h.tokens["admin"])
		r.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		h.mux.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge || errorOf(t, w.Body.Bytes()).Code != codeTooLarge {
			t.Errorf("%s with Content-Length %d: %d %s", rt.pattern, len(oversized), w.Code, w.Body)
		}

		// Streamed without a length: read up to the limit, then refused.
		endless := &secEndless{prefix: prefix}
		r = httptest.NewRequest(method, path, io.NopCloser(endless))
		r.ContentLength = -1
		r.TransferEncoding = []string{"chunked"}
		r.Header.Set("Authorization", "Bearer "+h.tokens["admin"])
		r.Header.Set("Content-Type", ctype)
		w = httptest.NewRecorder()
		h.mux.ServeHTTP(w, r)
		if endless.read > limit+1 {
			t.Errorf("%s streamed: %d bytes read, limit %d", rt.pattern, endless.read, limit)
		}
		switch {
		case body && (w.Code != http.StatusRequestEntityTooLarge || errorOf(t, w.Body.Bytes()).Code != codeTooLarge):
			t.Errorf("%s streamed: %d %s, want 413", rt.pattern, w.Code, w.Body)
		case !body && w.Code >= 500:
			t.Errorf("%s streamed: %d %s", rt.pattern, w.Code, w.Body)
		}
	}
	if withBody < 10 {
		t.Errorf("only %d routes take a body", withBody)
	}

	// An ingest body over the general limit but under the ingest limit is accepted.
	var rows strings.Builder
	rows.WriteString("event_id,uscc,type,occurred_at,description\n")
	for i := 0; rows.Len() < 3*general; i++ {
		fmt.Fprintf(&rows, "LIM-%d,%s,honor,2026-01-01,%s\n", i, h.leaderA, strings.Repeat("y", 40))
	}
	if w := h.do(req{method: "POST", path: "/api/v1/events", token: "ingest", ctype: "text/csv", body: rows.String()}); w.Code != 200 {
		t.Errorf("a %d-byte ingest under the ingest limit: %d %s", rows.Len(), w.Code, w.Body)
	}
}

// Channel URLs of API-made subscriptions are checked like the config file's: http or
// https only, with a host alerts.webhook_allowlist accepts (exact names and *.suffix
// patterns, case-insensitive, a trailing dot ignored), on POST and PUT. The refusal
// names the field and the reason, and never quotes the URL's key.
func TestSubscriptionURLsRefused(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	h.b.cfg.Alerts.WebhookAllowlist = []string{"hooks.example.com", "*.example.org"}
	const key = "URLKEY-7c1d93"
	h.secrets = append(h.secrets, key)
	body := func(name, typ, u string) string {
		ch := map[string]any{"type": typ, "url": u, "secret": "s-" + key}
		switch typ {
		case notify.TypeWeCom:
			delete(ch, "secret")
		case notify.TypeAlertmanager:
			ch = map[string]any{"type": typ, "urls": []string{"https://hooks.example.com", u}}
		}
		b, _ := json.Marshal(map[string]any{"name": name, "subscriber": "x",
			"scope": map[string]any{"kind": "chain", "leader": h.leaderA}, "channels": []any{ch}})
		return string(b)
	}
	for _, tc := range []struct {
		url, why string // why: "" = accepted
	}{
		{"file:///etc/passwd?key=" + key, "scheme must be http or https"},
		{"gopher://hooks.example.com/x?key=" + key, "scheme must be http or https"},
		{"javascript:alert(1)//" + key, "scheme must be http or https"},
		{"ftp://hooks.example.com/x?key=" + key, "scheme must be http or https"},
		{"hooks.example.com/x?key=" + key, "scheme must be http or https"},
		{"//hooks.example.com/x?key=" + key, "scheme must be http or https"},
		{"https:hooks.example.com/" + key, "URL has no host"},
		{"https://evil.test/x?key=" + key, `host "evil.test" is not allowed`},
		{"https://evilexample.org/x?key=" + key, `host "evilexample.org" is not allowed`},
		{"https://example.org/x?key=" + key, `host "example.org" is not allowed`},
		{"https://hooks.example.com.evil.test/x?key=" + key, "is not allowed"},
		{"https://hooks.example.com@evil.test/x?key=" + key, `host "evil.test" is not allowed`},
		{"https://evil.test#@hooks.example.com/" + key, `host "evil.test" is not allowed`},
		{"https://127.0.0.1/x?key=" + key, `host "127.0.0.1" is not allowed`},
		{"http://[::1]:8080/x?key=" + key, `host "::1" is not allowed`},
		{"https://10.0.0.1:443/x?key=" + key, `host "10.0.0.1" is not allowed`},
		{"https://hooks.example.com/x?key=" + key, ""},
		{"HTTPS://HOOKS.EXAMPLE.COM/x?key=" + key, ""},
		{"https://hooks.example.com./x?key=" + key, ""},
		{"https://a.b.example.org:8443/x?key=" + key, ""},
	} {
		for i, typ := range []string{notify.TypeWebhook, notify.TypeWeCom, notify.TypeDingTalk, notify.TypeFeishu,
			notify.TypeAlertmanager} {
			name := fmt.Sprintf("u%d", i)
			field := "channels[0].url"
			if typ == notify.TypeAlertmanager {
				field = "channels[0].urls[1]"
			}
			w := h.do(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json", body: body(name, typ, tc.url)})
			if tc.why == "" {
				if w.Code != http.StatusCreated {
					t.Errorf("%s %s: %d %s, want 201", typ, tc.url, w.Code, w.Body)
				}
				h.do(req{method: "DELETE", path: "/api/v1/subscriptions/" + name, token: "tenantA"})
				continue
			}
			if w.Code != http.StatusBadRequest {
				t.Errorf("%s %s: %d %s, want 400", typ, tc.url, w.Code, w.Body)
				continue
			}
			e := errorOf(t, w.Body.Bytes())
			if e.Code != codeBadRequest || !slices.ContainsFunc(e.Details, func(d string) bool {
				return strings.HasPrefix(d, field+": ") && strings.Contains(d, tc.why)
			}) {
				t.Errorf("%s %s: %+v, want %s: …%s", typ, tc.url, e, field, tc.why)
			}
		}
	}
	// PUT checks the same way.
	h.call(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json",
		body: body("kept", notify.TypeWebhook, "https://hooks.example.com/x?key="+key)}, http.StatusCreated, nil)
	w := h.do(req{method: "PUT", path: "/api/v1/subscriptions/kept", token: "tenantA", ctype: "application/json",
		body: body("kept", notify.TypeWebhook, "gopher://hooks.example.com/x?key="+key)})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "channels[0].url: scheme must be http or https") {
		t.Errorf("PUT with a gopher URL: %d %s", w.Code, w.Body)
	}
}

// A tenant's subscription may not target the daemon's own machine or network: literal
// loopback, private, link-local and unspecified addresses and localhost are refused
// on POST and PUT with 400 naming the field, the host and the way out
// (alerts.allow_private_targets), which lets them through; an admin's may target them.
// User info is refused for everyone.
func TestSubscriptionPrivateTargets(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	const key = "PRIVKEY-41c9"
	h.secrets = append(h.secrets, key)
	body := func(name, u string) string {
		b, _ := json.Marshal(map[string]any{"name": name, "subscriber": "x",
			"scope":    map[string]any{"kind": "chain", "leader": h.leaderA},
			"channels": []any{map[string]any{"type": "webhook", "url": u + "/x?key=" + key, "secret": "s-" + key}}})
		return string(b)
	}
	for i, tc := range []struct{ host, class string }{
		{"127.0.0.1:8480", "a loopback"}, {"[::1]", "a loopback"}, {"[::ffff:127.0.0.1]:5432", "a loopback"},
		{"localhost", "a loopback"}, {"169.254.169.254", "a link-local"}, {"10.0.0.8:9093", "a private"},
		{"192.168.1.20", "a private"}, {"0.0.0.0", "an unspecified"}, {"[fe80::1]", "a link-local"},
	} {
		u := "http://" + tc.host
		w := h.do(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json", body: body(fmt.Sprintf("p%d", i), u)})
		e := errorOf(t, w.Body.Bytes())
		if w.Code != http.StatusBadRequest || e.Code != codeBadRequest || !slices.ContainsFunc(e.Details, func(d string) bool {
			return strings.HasPrefix(d, "channels[0].url: host ") && strings.Contains(d, "is "+tc.class+" address") &&
				strings.Contains(d, "alerts.allow_private_targets")
		}) {
			t.Errorf("tenant, %s: %d %s", u, w.Code, w.Body)
		}
		h.call(req{method: "POST", path: "/api/v1/subscriptions", token: "admin", ctype: "application/json",
			body: body(fmt.Sprintf("admin-p%d", i), u)}, http.StatusCreated, nil)
	}
	// PUT checks the same way, and the allow-list lets a target through.
	h.call(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json",
		body: body("kept", "https://hooks.example.com")}, http.StatusCreated, nil)
	if w := h.do(req{method: "PUT", path: "/api/v1/subscriptions/kept", token: "tenantA", ctype: "application/json",
		body: body("kept", "http://10.0.0.8:9093")}); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "is a private address") {
		t.Errorf("PUT to a private address: %d %s", w.Code, w.Body)
	}
	h.b.cfg.Alerts.AllowPrivateTargets = []string{"10.0.0.0/24"}
	h.call(req{method: "PUT", path: "/api/v1/subscriptions/kept", token: "tenantA", ctype: "application/json",
		body: body("kept", "http://10.0.0.8:9093")}, http.StatusOK, nil)
	for _, token := range []string{"tenantA", "admin"} {
		w := h.do(req{method: "POST", path: "/api/v1/subscriptions", token: token, ctype: "application/json",
			body: body("ui-"+token, "https://chainrisk:"+key+"@hooks.example.com")})
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "channels[0].url: user info (name:password@) is not allowed") {
			t.Errorf("%s, user info: %d %s", token, w.Code, w.Body)
		}
	}
}
