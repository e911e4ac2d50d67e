package ui

import (
	"strings"
	"testing"
)

// TestEnumMessages: every value a template looks a message up by (alert states,
// workflow statuses, verdicts, onboarding outcomes) has one in both languages, and
// every such message is a value's.
func TestEnumMessages(t *testing.T) {
	want := map[string]bool{}
	for prefix, values := range enumValues {
		if !enumKey(prefix + "x") {
			t.Errorf("%q is not an enum prefix", prefix)
		}
		for _, v := range values {
			want[prefix+v] = true
			m, ok := messages[prefix+v]
			if !ok || strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
				t.Errorf("message %q missing or lacking a language: %q", prefix+v, m)
			}
		}
	}
	for k := range messages {
		if enumKey(k) && !want[k] {
			t.Errorf("message %q is no value's", k)
		}
	}
	if len(want) != 2+5+3+7 {
		t.Errorf("%d enum messages, want 17", len(want))
	}
}

// TestPickedFirms: checked firms and typed ones, upper-cased, each once, in order.
func TestPickedFirms(t *testing.T) {
	got := pickedFirms([]string{"91231100MA23PB595W", "912301099436075960"},
		" 91231100ma23pb595w，91230104MA1PMKX49H;\n912301099436075960　9123020063751405XX ")
	want := "91231100MA23PB595W 912301099436075960 91230104MA1PMKX49H 9123020063751405XX"
	if strings.Join(got, " ") != want {
		t.Errorf("pickedFirms = %v, want %s", got, want)
	}
}

// TestDecodeList: UTF-8 is checked and the first bad byte's line named.
func TestDecodeList(t *testing.T) {
	if _, err := decodeList([]byte("name\n甲公司\n\xb1\xb1\n"), "l.csv", "utf-8"); err == nil ||
		!strings.HasPrefix(err.Error(), "l.csv:3: not valid UTF-8 (byte 0xb1)") {
		t.Errorf("bad UTF-8: %v", err)
	}
	if b, err := decodeList([]byte("name\n\xb1\xb1\n"), "l.csv", "gbk"); err != nil || string(b) != "name\n北\n" {
		t.Errorf("GBK: %q %v", b, err)
	}
	if _, err := decodeList(nil, "l.csv", "latin1"); err == nil {
		t.Error("an unknown encoding was taken")
	}
}

// TestFormError: the API's 409 becomes a page with its reason; other answers stay
// the API's.
func TestFormError(t *testing.T) {
	err := formError(&apiError{status: 409, code: "alert_resolved", message: "the alert is resolved"})
	pe, ok := err.(*pageError)
	if !ok || pe.status != 409 || pe.title != "error.conflict" || pe.detail != "the alert is resolved" {
		t.Errorf("409 → %#v", err)
	}
	nf := &apiError{status: 404, code: "not_found"}
	if formError(nf) != error(nf) {
		t.Error("a 404 was not passed on as the API's")
	}
}
