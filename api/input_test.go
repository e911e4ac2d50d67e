package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/config"
)

// errorOf decodes an error envelope.
func errorOf(t *testing.T, body []byte) envelopeError {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Details == nil {
		t.Fatalf("not an error envelope: %s", body)
	}
	return e.Error
}

func TestBadInput(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		farm := h.firm(farmCompany)
		wrongCheck := farm[:17] + "0"
		if wrongCheck == farm {
			wrongCheck = farm[:17] + "1"
		}
		big := `{"uscc":"` + farm + `","shareholders":["` + strings.Repeat("x", 1<<20) + `"]}`
		for _, tc := range []struct {
			name   string
			r      req
			status int
			code   string
			text   string // in the message or details
		}{
			{"malformed JSON", req{method: "POST", path: "/api/v1/checks", ctype: "application/json", body: `{"uscc":`},
				400, codeInvalidJSON, ""},
			{"JSON syntax", req{method: "POST", path: "/api/v1/stress", ctype: "application/json", body: `{"shocks":[}`},
				400, codeInvalidJSON, "malformed JSON"},
			{"unknown JSON field", req{method: "POST", path: "/api/v1/checks", ctype: "application/json", body: `{"usc":"x"}`},
				400, codeInvalidJSON, "usc"},
			{"wrong JSON type", req{method: "POST", path: "/api/v1/stress", ctype: "application/json", body: `{"shocks":"x"}`},
				400, codeInvalidJSON, "shocks"},
			{"two JSON values", req{method: "POST", path: "/api/v1/rescans", ctype: "application/json", body: `{"scope":"all"}{}`},
				400, codeInvalidJSON, "more than one"},
			{"empty JSON body", req{method: "POST", path: "/api/v1/rescans", ctype: "application/json"},
				400, codeInvalidJSON, "empty"},
			{"JSON as text", req{method: "POST", path: "/api/v1/checks", ctype: "text/plain", body: `{}`},
				415, codeUnsupportedMedia, "application/json"},
			{"JSON without type", req{method: "POST", path: "/api/v1/stress", body: `{}`}, 415, codeUnsupportedMedia, ""},
			{"JSON in latin1", req{method: "POST", path: "/api/v1/stress", ctype: "application/json; charset=latin1", body: `{}`},
				415, codeUnsupportedMedia, "latin1"},
			{"ingest as JSON", req{method: "POST", path: "/api/v1/events", ctype: "application/json", body: `{}`},
				415, codeUnsupportedMedia, "text/csv"},
			{"ingest without type", req{method: "POST", path: "/api/v1/events", body: "a,b\n"}, 415, codeUnsupportedMedia, ""},
			{"ingest in GBK", req{method: "POST", path: "/api/v1/events", ctype: "text/csv; charset=gbk", body: "a\n"},
				415, codeUnsupportedMedia, "gbk"},
			{"HTML wanted", req{method: "GET", path: "/api/v1/enterprises/" + farm, header: map[string]string{"Accept": "text/html"}},
				406, codeNotAcceptable, ""},
			{"oversized body", req{method: "POST", path: "/api/v1/checks", ctype: "application/json", body: big},
				413, codeTooLarge, "1048576"},
			{"unknown parameter", req{method: "GET", path: "/api/v1/leaders?sortt=uscc"}, 400, codeUnknownParameter, "sortt"},
			{"parameter on a route without any", req{method: "GET", path: "/api/v1/enterprises/" + farm + "?verbose=1"},
				400, codeUnknownParameter, "verbose"},
			{"repeated parameter", req{method: "GET", path: "/api/v1/leaders?sort=uscc&sort=chain_risk"}, 400, codeBadRequest, "2 times"},
			{"malformed query", req{method: "GET", path: "/api/v1/leaders?sort=%zz"}, 400, codeBadRequest, "malformed"},
			{"ingest unknown parameter", req{method: "POST", path: "/api/v1/events?strict=true&dry=1", ctype: "text/csv", body: "x\n"},
				400, codeUnknownParameter, "dry"},
			{"strict not boolean", req{method: "POST", path: "/api/v1/events?strict=yes", ctype: "text/csv", body: "x\n"},
				400, codeBadRequest, "strict"},
			{"bad sort", req{method: "GET", path: "/api/v1/leaders?sort=name"}, 400, codeBadRequest, "chain_risk"},
			{"limit too big", req{method: "GET", path: "/api/v1/scans?limit=501"}, 400, codeBadRequest, "1 to 500"},
			{"limit zero", req{method: "GET", path: "/api/v1/scans?limit=0"}, 400, codeBadRequest, ""},
			{"depth too deep", req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "?depth_up=11"}, 400, codeBadRequest, "0 to 10"},
			{"depth negative", req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "?depth_down=-1"}, 400, codeBadRequest, ""},
			{"graph format", req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/graph?format=svg"}, 400, codeBadRequest, "dot"},
			{"short USCC", req{method: "GET", path: "/api/v1/enterprises/9123"}, 400, codeInvalidUSCC, "must be 18 characters"},
			{"USCC charset", req{method: "GET", path: "/api/v1/enterprises/91230100MA1ABCDEIO"}, 400, codeInvalidUSCC, "not in the USCC charset"},
			{"USCC check character", req{method: "GET", path: "/api/v1/chains/" + wrongCheck}, 400, codeInvalidUSCC, "bad check character"},
			{"USCC in events path", req{method: "GET", path: "/api/v1/enterprises/x/events"}, 400, codeInvalidUSCC, ""},
			{"USCC in esri", req{method: "GET", path: "/api/v1/esri?leader=abc"}, 400, codeInvalidUSCC, ""},
			{"esri without leader", req{method: "GET", path: "/api/v1/esri"}, 400, codeBadRequest, "leader"},
			{"unknown firm", req{method: "GET", path: "/api/v1/enterprises/" + validUnknown()}, 404, codeNotFound, ""},
			{"unknown chain", req{method: "GET", path: "/api/v1/chains/" + validUnknown()}, 404, codeNotFound, ""},
			{"scope unknown firm", req{method: "POST", path: "/api/v1/rescans", ctype: "application/json",
				body: `{"scope":"chain:` + validUnknown() + `"}`}, 404, codeNotFound, ""},
			{"scope unknown enterprise", req{method: "POST", path: "/api/v1/rescans", ctype: "application/json",
				body: `{"scope":"enterprise:` + validUnknown() + `"}`}, 404, codeNotFound, ""},
			{"scope malformed", req{method: "POST", path: "/api/v1/rescans", ctype: "application/json", body: `{"scope":"everything"}`},
				400, codeBadRequest, "chain:<uscc>"},
			{"scope empty", req{method: "POST", path: "/api/v1/rescans", ctype: "application/json", body: `{}`}, 400, codeBadRequest, ""},
			{"scope bad USCC", req{method: "POST", path: "/api/v1/rescans", ctype: "application/json", body: `{"scope":"chain:123"}`},
				400, codeInvalidUSCC, ""},
			{"scan id", req{method: "GET", path: "/api/v1/rescans/abc"}, 400, codeBadRequest, "positive integer"},
			{"scan missing", req{method: "GET", path: "/api/v1/rescans/999"}, 404, codeNotFound, "999"},
			{"no shocks", req{method: "POST", path: "/api/v1/stress", ctype: "application/json", body: `{"shocks":[]}`},
				400, codeBadRequest, "at least one"},
			{"psi out of range", req{method: "POST", path: "/api/v1/stress", ctype: "application/json",
				body: `{"shocks":[{"uscc":"` + farm + `","psi":2}]}`}, 400, codeBadRequest, "outside [0, 1]"},
			{"shocked twice", req{method: "POST", path: "/api/v1/stress", ctype: "application/json",
				body: `{"shocks":[{"uscc":"` + farm + `"},{"uscc":"` + farm + `"}]}`}, 400, codeBadRequest, "twice"},
			{"top too big", req{method: "POST", path: "/api/v1/stress", ctype: "application/json",
				body: `{"shocks":[{"uscc":"` + farm + `"}],"top":5000}`}, 400, codeBadRequest, "top"},
			{"shock unknown firm", req{method: "POST", path: "/api/v1/stress", ctype: "application/json",
				body: `{"shocks":[{"uscc":"` + validUnknown() + `"}]}`}, 404, codeNotFound, ""},
			{"check without target", req{method: "POST", path: "/api/v1/checks", ctype: "application/json", body: `{"investees":[]}`},
				400, codeBadRequest, "uscc"},
			{"check bad shareholder", req{method: "POST", path: "/api/v1/checks", ctype: "application/json",
				body: `{"uscc":"` + farm + `","shareholders":["` + farm + `","bad"],"investees":["x"]}`}, 400, codeInvalidUSCC, "shareholders[1]"},
			{"method", req{method: "DELETE", path: "/api/v1/leaders"}, 405, codeMethodNotAllowed, "GET"},
			{"method on ingest", req{method: "GET", path: "/api/v1/repairs"}, 405, codeMethodNotAllowed, "POST"},
			{"no endpoint", req{method: "GET", path: "/api/v1/enterprise/" + farm}, 404, codeNotFound, "no endpoint"},
		} {
			r := tc.r
			r.token = "admin"
			w := h.do(r)
			if w.Code != tc.status {
				t.Errorf("%s: status %d, want %d: %.300s", tc.name, w.Code, tc.status, w.Body.String())
				continue
			}
			e := errorOf(t, w.Body.Bytes())
			if e.Code != tc.code || !strings.Contains(e.Message+strings.Join(e.Details, "\n"), tc.text) {
				t.Errorf("%s: %+v, want code %s mentioning %q", tc.name, e, tc.code, tc.text)
			}
			if tc.status == 405 && w.Header().Get("Allow") == "" {
				t.Errorf("%s: no Allow header", tc.name)
			}
		}
	})
}

// Ingest bodies over the ingest limit are refused whole, also when their length is
// not announced; the 1 MiB limit of other routes does not apply to them.
func TestIngestBodyLimit(t *testing.T) {
	eachStore(t, Options{HTTP: config.HTTPConfig{MaxIngestBytes: 2 << 20}}, func(t *testing.T, h *harness) {
		ctx := context.Background()
		before, _ := h.b.st.Counts(ctx)
		var rows strings.Builder
		rows.WriteString("event_id,uscc,type,occurred_at,source,description\n")
		for i := 0; rows.Len() < 3<<20; i++ {
			rows.WriteString("BIG-" + strings.Repeat("0", 8) + strconv.Itoa(i) + "," + h.leaderA + ",honor,2026-11-01,测试," + strings.Repeat("长", 40) + "\n")
		}
		// Announced length: refused before reading.
		w := h.do(req{method: "POST", path: "/api/v1/events", token: "ingest", ctype: "text/csv", body: rows.String()})
		if w.Code != 413 || errorOf(t, w.Body.Bytes()).Code != codeTooLarge {
			t.Errorf("announced: %d %s", w.Code, w.Body)
		}
		// Streamed: refused when the limit is crossed, the batch rolled back.
		hr := httptest.NewRequest("POST", "/api/v1/events", io.MultiReader(strings.NewReader(rows.String())))
		hr.ContentLength = -1
		hr.Header.Set("Authorization", "Bearer "+h.tokens["ingest"])
		hr.Header.Set("Content-Type", "text/csv")
		rec := httptest.NewRecorder()
		h.mux.ServeHTTP(rec, hr)
		if rec.Code != 413 {
			t.Errorf("streamed: %d %s", rec.Code, rec.Body)
		}
		if after, _ := h.b.st.Counts(ctx); after != before {
			t.Errorf("a refused body changed the store: %+v → %+v", before, after)
		}
		// Between 1 MiB and the ingest limit: accepted.
		half := rows.String()[:strings.LastIndex(rows.String()[:3<<19], "\n")+1]
		var sum struct{ Accepted, Rejected int }
		h.call(req{method: "POST", path: "/api/v1/events", token: "ingest", ctype: "text/csv", body: half}, 200, &sum)
		if sum.Accepted < 1000 || sum.Rejected != 0 {
			t.Errorf("1.5 MiB ingest: %+v", sum)
		}
	})
}

// Bearer parsing: wrong schemes and shapes are refused without a store lookup.
func TestBearerParsing(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	for _, header := range []string{"", "Bearer", "Basic abc", "Bearer crk_short", "Bearer " + strings.Repeat("a", 47),
		"Token " + h.tokens["admin"], "Bearer " + h.tokens["admin"] + "x"} {
		hr := httptest.NewRequest("GET", "/api/v1/leaders", nil)
		if header != "" {
			hr.Header.Set("Authorization", header)
		}
		w := httptest.NewRecorder()
		h.mux.ServeHTTP(w, hr)
		if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d", header, w.Code)
		}
		if strings.Contains(w.Body.String(), h.tokens["admin"]) {
			t.Errorf("Authorization %q: the answer echoes the token", header)
		}
	}
	hr := httptest.NewRequest("GET", "/api/v1/leaders", nil)
	hr.Header.Set("Authorization", "bearer "+h.tokens["analyst"]) // the scheme is case-insensitive
	w := httptest.NewRecorder()
	h.mux.ServeHTTP(w, hr)
	if w.Code != 200 {
		t.Errorf("lower-case scheme: %d", w.Code)
	}
}
