package ui_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

func setCookies(a answer) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: a.h}).Cookies() {
		out[c.Name] = c
	}
	return out
}

// TestSignInAndSignOut: the sign-in form's CSRF check, a wrong token, the session
// cookie's attributes and stored row, tampered cookies, and sign-out.
func TestSignInAndSignOut(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	if a := b.get("/ui/"); a.code != http.StatusSeeOther || a.h.Get("Location") != "/ui/signin?next=%2Fui%2F" {
		t.Errorf("GET /ui/ signed out = %d → %q, want 303 to the sign-in page", a.code, a.h.Get("Location"))
	}
	if a := b.get("/"); a.code != http.StatusFound || a.h.Get("Location") != "/ui/" {
		t.Errorf("GET / = %d → %q, want 302 to /ui/", a.code, a.h.Get("Location"))
	}
	form := b.get("/ui/signin")
	token := csrf(t, form.body, "/ui/signin")
	// No CSRF field, a wrong one, a cross-origin post: 403, and no session.
	for name, post := range map[string]func() answer{
		"missing": func() answer { return b.do("POST", "/ui/signin", url.Values{"token": {dm.tokens["admin"]}}) },
		"wrong": func() answer {
			return b.do("POST", "/ui/signin", url.Values{"token": {dm.tokens["admin"]}, "csrf": {token + "x"}})
		},
		"cross-origin": func() answer {
			return b.do("POST", "/ui/signin", url.Values{"token": {dm.tokens["admin"]}, "csrf": {token}},
				"Origin", "http://evil.example")
		},
	} {
		if a := post(); a.code != http.StatusForbidden || !strings.Contains(a.body, "CSRF") || b.cookie("chainrisk_session") != "" {
			t.Errorf("sign-in with %s CSRF token = %d, session %q", name, a.code, b.cookie("chainrisk_session"))
		}
	}
	if a := b.signIn("crk_" + strings.Repeat("A", 43)); a.code != http.StatusUnauthorized ||
		!strings.Contains(a.body, "令牌错误、已吊销或格式不对") || strings.Contains(a.body, "crk_AAAA") {
		t.Errorf("sign-in with a wrong token = %d\n%s", a.code, mainOf(a.body))
	}
	if a := b.signIn("not a token"); a.code != http.StatusUnauthorized {
		t.Errorf("sign-in with a malformed token = %d", a.code)
	}

	a := b.signIn(dm.tokens["admin"])
	if a.code != http.StatusSeeOther || a.h.Get("Location") != "/ui/" {
		t.Fatalf("admin sign-in = %d → %q\n%s", a.code, a.h.Get("Location"), mainOf(a.body))
	}
	ck := setCookies(a)["chainrisk_session"]
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/ui/" || ck.Secure || len(ck.Value) != 43 {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Strict, Path=/ui/, not Secure on plain HTTP", ck)
	}
	// The store holds the cookie's hash and the token's ID, never the token.
	sum := sha256.Sum256([]byte(ck.Value))
	row, tok, err := dm.d.Store().UISession(context.Background(), hex.EncodeToString(sum[:]))
	if err != nil || tok.Name != "console-admin" || row.CSRF == "" || !row.ExpiresAt.Equal(row.LastSeen.Add(8*time.Hour)) {
		t.Fatalf("stored session = %+v, %+v, %v", row, tok, err)
	}
	if strings.Contains(row.CSRF, dm.tokens["admin"]) || row.IDHash == ck.Value {
		t.Error("the stored session holds a secret in clear")
	}
	page := b.get("/ui/")
	if page.code != http.StatusOK || !strings.Contains(page.body, "龙头企业链风险排名") || !strings.Contains(page.body, soy) {
		t.Fatalf("leaders page = %d\n%s", page.code, mainOf(page.body))
	}
	if page.h.Get("Cache-Control") != "no-store" || !strings.Contains(page.h.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("page headers: %v", page.h)
	}

	// Signing in again replaces the session.
	again := b.signIn(dm.tokens["admin"])
	second := setCookies(again)["chainrisk_session"]
	if again.code != http.StatusSeeOther || second == nil || second.Value == ck.Value {
		t.Fatalf("second sign-in = %d, cookie %+v", again.code, second)
	}
	if _, _, err := dm.d.Store().UISession(context.Background(), row.IDHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the first session outlived a second sign-in: %v", err)
	}
	sum = sha256.Sum256([]byte(second.Value))
	if row, _, err = dm.d.Store().UISession(context.Background(), hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	ck = second

	// Sign-out needs the session's CSRF token.
	if a := b.do("POST", "/ui/signout", url.Values{}); a.code != http.StatusForbidden {
		t.Errorf("sign-out without CSRF = %d", a.code)
	}
	if a := b.do("POST", "/ui/signout", url.Values{"csrf": {token}}); a.code != http.StatusForbidden {
		t.Errorf("sign-out with the sign-in form's token = %d", a.code)
	}
	if got := csrf(t, b.get("/ui/").body, "/ui/signout"); got != row.CSRF {
		t.Errorf("the sign-out form carries %q, want the session's CSRF token", got)
	}
	if b.get("/ui/").code != http.StatusOK {
		t.Fatal("a refused sign-out ended the session")
	}
	out := b.do("POST", "/ui/signout", url.Values{"csrf": {row.CSRF}})
	if out.code != http.StatusSeeOther || out.h.Get("Location") != "/ui/signin?out=1" {
		t.Fatalf("sign-out = %d → %q", out.code, out.h.Get("Location"))
	}
	if _, _, err := dm.d.Store().UISession(context.Background(), row.IDHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after sign-out: %v", err)
	}
	// The old cookie no longer works.
	b.setCookie("chainrisk_session", ck.Value)
	if a := b.get("/ui/"); a.code != http.StatusUnauthorized || !strings.Contains(a.body, "会话无效或已失效") {
		t.Errorf("GET /ui/ with a signed-out cookie = %d", a.code)
	}
}

// TestTamperedCookies: a cookie not made by the console, or with one character
// changed, gets the sign-in page with 401 and is cleared.
func TestTamperedCookies(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	if a := b.signIn(dm.tokens["analyst"]); a.code != http.StatusSeeOther {
		t.Fatalf("sign-in = %d", a.code)
	}
	good := b.cookie("chainrisk_session")
	flipped := []byte(good)
	flipped[10] ^= 1
	if flipped[10] == '-' || flipped[10] == '_' {
		flipped[10] = 'A'
	}
	for _, v := range []string{string(flipped), "abc", strings.Repeat("!", 43), good + "A"} {
		b.setCookie("chainrisk_session", v)
		a := b.get("/ui/chains/" + soy)
		cleared := setCookies(a)["chainrisk_session"]
		if a.code != http.StatusUnauthorized || !strings.Contains(a.body, "会话无效或已失效") || cleared == nil || cleared.MaxAge >= 0 {
			t.Errorf("cookie %q: %d, cleared %+v", v, a.code, cleared)
		}
	}
	b.setCookie("chainrisk_session", good)
	if a := b.get("/ui/chains/" + soy); a.code != http.StatusOK {
		t.Errorf("the good cookie after tampered ones = %d", a.code)
	}
}

// TestSessionIdleExpiry: each request moves the expiry forward; 8 h without one ends
// the session with a clear page.
func TestSessionIdleExpiry(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	if a := b.signIn(dm.tokens["analyst"]); a.code != http.StatusSeeOther {
		t.Fatalf("sign-in = %d", a.code)
	}
	for i := range 3 {
		dm.clock.advance(8*time.Hour - time.Minute)
		if a := b.get("/ui/"); a.code != http.StatusOK {
			t.Fatalf("request %d, 7h59m after the previous one = %d", i, a.code)
		}
	}
	dm.clock.advance(8 * time.Hour)
	a := b.get("/ui/")
	if a.code != http.StatusUnauthorized || !strings.Contains(a.body, "会话已过期，请重新登录") ||
		!strings.Contains(a.body, `action="/ui/signin"`) {
		t.Fatalf("after 8 h idle = %d\n%s", a.code, mainOf(a.body))
	}
	if a := b.get("/ui/"); a.code != http.StatusSeeOther {
		t.Errorf("after the expired page cleared the cookie = %d, want 303 to sign in", a.code)
	}
}

// TestRevokedTokenEndsSessions: revoking the token ends its sessions at once.
func TestRevokedTokenEndsSessions(t *testing.T) {
	dm := startDemo(t)
	b, other := dm.client(), dm.client()
	for _, c := range []*browserless{b, other} {
		if a := c.signIn(dm.tokens["analyst"]); a.code != http.StatusSeeOther {
			t.Fatalf("sign-in = %d", a.code)
		}
	}
	if err := dm.d.Store().RevokeToken(context.Background(), "console-analyst"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*browserless{b, other} {
		if a := c.get("/ui/"); a.code != http.StatusUnauthorized {
			t.Errorf("a revoked token's session = %d", a.code)
		}
	}
	dm.clock.advance(time.Minute) // past the API's token cache
	if a := dm.client().signIn(dm.tokens["analyst"]); a.code != http.StatusUnauthorized {
		t.Errorf("sign-in with a revoked token = %d", a.code)
	}
}
