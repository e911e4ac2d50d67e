package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/store/storetest"
	"github.com/chainrisk/chainrisk/tokens"
)

func TestTokenCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	ctl := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"token"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, plain, note := ctl("create", "--role", "admin", "--name", "ops", "--store", db, "--create")
	plain = strings.TrimSpace(plain)
	if code != 0 || !strings.HasPrefix(plain, tokens.Prefix) || strings.Contains(plain, "\n") ||
		!strings.Contains(note, "shown only now") {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, plain, note)
	}
	code, out, _ := ctl("create", "--role", "tenant", "--leader", storetest.USCC(7), "--name", "acme", "--store", db,
		"--output", "json")
	var created struct{ Name, Role, Leader, Token string }
	if err := json.Unmarshal([]byte(out), &created); code != 0 || err != nil || created.Leader != storetest.USCC(7) ||
		created.Role != "tenant" || !strings.HasPrefix(created.Token, tokens.Prefix) {
		t.Fatalf("create tenant: exit %d, %q", code, out)
	}

	// The store keeps the hash of what was printed, and nothing that reveals it.
	st, err := sqlite.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.TokenByHash(context.Background(), tokens.Hash(plain))
	_ = st.Close()
	if err != nil || tok.Name != "ops" || tok.Role != "admin" {
		t.Fatalf("stored token: %+v, %v", tok, err)
	}

	for _, format := range []string{"table", "json"} {
		code, out, _ := ctl("list", "--store", db, "--output", format)
		if code != 0 || !strings.Contains(out, "ops") || !strings.Contains(out, "acme") ||
			strings.Contains(out, plain) || strings.Contains(out, created.Token) || strings.Contains(out, tok.Hash) {
			t.Errorf("list %s: exit %d: %s", format, code, out)
		}
	}
	if code, out, _ := ctl("revoke", "acme", "--store", db); code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("revoke: exit %d, %q", code, out)
	}
	if _, out, _ := ctl("list", "--store", db); !strings.Contains(out, "revoked 20") {
		t.Errorf("list after revoke: %s", out)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"create", "--role", "admin", "--name", "ops", "--store", db}, 1}, // name taken
		{[]string{"revoke", "--store", db, "nobody"}, 1},
		{[]string{}, 2},
		{[]string{"rotate", "--store", db}, 2},
		{[]string{"create", "--role", "root", "--name", "x", "--store", db}, 2},
		{[]string{"create", "--role", "admin", "--store", db}, 2},
		{[]string{"create", "--role", "admin", "--name", "x"}, 2},
		{[]string{"create", "--role", "tenant", "--name", "x", "--store", db}, 2},
		{[]string{"create", "--role", "tenant", "--leader", "91230100MA1ABCDE00", "--name", "x", "--store", db}, 2},
		{[]string{"create", "--role", "analyst", "--leader", storetest.USCC(7), "--name", "x", "--store", db}, 2},
		{[]string{"create", "--role", "admin", "--name", "bad name", "--store", db}, 2},
		{[]string{"list", "--store", db, "--output", "xml"}, 2},
		{[]string{"list", "--store", db, "extra"}, 2},
		{[]string{"revoke", "--store", db}, 2},
	} {
		if code, _, errOut := ctl(tc.args...); code != tc.code {
			t.Errorf("token %v: exit %d, want %d (%s)", tc.args, code, tc.code, errOut)
		}
	}
}
