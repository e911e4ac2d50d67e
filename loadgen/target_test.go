package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
)

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		server string
		ok     bool
	}{
		{"http://127.0.0.1:8480", true},
		{"http://127.1.2.3", true},
		{"https://127.255.255.254:1", true},
		{"http://[::1]:8480", true},
		{"http://[::ffff:127.0.0.1]:8480", true}, // IPv4-mapped loopback
		{"http://localhost:8480", true},
		{"http://LocalHost", true},
		{"http://10.0.0.1:8480", false},
		{"http://192.168.1.5", false},
		{"http://0.0.0.0:8480", false}, // every interface, not loopback
		{"http://[::]:8480", false},
		{"http://128.0.0.1", false},
		{"http://example.com", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.nip.io", false},
		{"http://user:pw@127.0.0.1", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:8480", false},
		{"", false},
	} {
		err := CheckLoopback(tc.server)
		if (err == nil) != tc.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok %v", tc.server, err, tc.ok)
		}
		if _, err := NewTarget(tc.server, TargetOptions{}); (err == nil) != tc.ok {
			t.Errorf("NewTarget(%q) = %v, want ok %v", tc.server, err, tc.ok)
		}
	}
	if err := CheckLoopback("http://192.0.2.1"); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("refusal %v does not wrap ErrNotLoopback", err)
	}
}

// Whatever a name resolves to, the dialer connects to loopback only.
func TestDialerRefusesOtherAddresses(t *testing.T) {
	tg, err := NewTarget("http://localhost:1", TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	dial := tg.client.Transport.(*http.Transport).DialContext
	for _, addr := range []string{"192.0.2.1:80", "[2001:db8::1]:80", "0.0.0.0:80"} {
		c, err := dial(context.Background(), "tcp", addr)
		if c != nil {
			c.Close()
		}
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("dial %s: %v, want a refusal", addr, err)
		}
	}
}

// recorded is one request the fake API received.
type recorded struct {
	method, path, auth, ctype string
	body                      string
}

func fakeAPI(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*Target, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var got []recorded
	tg := okServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, recorded{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)})
		mu.Unlock()
		if answer != nil {
			answer(w, r)
		}
	})
	tg.token = "crk_test"
	return tg, func() []recorded { mu.Lock(); defer mu.Unlock(); return slices.Clone(got) }
}

func TestGetEnterpriseAndRescan(t *testing.T) {
	tg, got := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusAccepted)
		}
	})
	usccs := []string{"912301099436075960", "91230200MA1YJ9AK5N"}
	get, rescan := tg.GetEnterprise(usccs), tg.Rescan("chain:912301099436075960")
	for i := range 3 {
		if s, _, err := get(context.Background(), i); s != 200 || err != nil {
			t.Fatalf("get %d: %d %v", i, s, err)
		}
	}
	if s, _, err := rescan(context.Background(), 0); s != http.StatusAccepted || err != nil {
		t.Fatalf("rescan: %d %v", s, err)
	}
	want := []recorded{
		{"GET", "/api/v1/enterprises/" + usccs[0], "Bearer crk_test", "", ""},
		{"GET", "/api/v1/enterprises/" + usccs[1], "Bearer crk_test", "", ""},
		{"GET", "/api/v1/enterprises/" + usccs[0], "Bearer crk_test", "", ""},
		{"POST", "/api/v1/rescans", "Bearer crk_test", "application/json", `{"scope":"chain:912301099436075960"}`},
	}
	if g := got(); !slices.Equal(g, want) {
		t.Errorf("requests\n%q\nwant\n%q", g, want)
	}
}

func ndjsonRows(t *testing.T, body string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		rows = append(rows, m)
	}
	return rows
}

// accepted checks that the daemon's own parser and validator take every row of body.
func accepted(t *testing.T, kind credit.Kind, body string, rows int) {
	t.Helper()
	rd, err := ingest.NewReader(strings.NewReader(body), ingest.Options{Kind: kind, Format: ingest.NDJSON})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		c, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n += c.Len()
	}
	if n != rows || rd.Rejected() != 0 || rd.Warned() != 0 {
		t.Errorf("%s body: %d good rows of %d, problems %v", kind, n, rows, rd.Problems())
	}
}

func TestIngestBodies(t *testing.T) {
	tg, got := fakeAPI(t, nil)
	usccs := []string{"912301099436075960", "91230200MA1YJ9AK5N", "91231100843841844D"}
	events := tg.IngestEvents(usccs, Batch{Rows: 4, Distinct: 6})
	for i := range 3 {
		if s, _, err := events(context.Background(), i); s != 200 || err != nil {
			t.Fatalf("events %d: %d %v", i, s, err)
		}
	}
	firmOf := map[string]any{}
	ids := map[string]bool{}
	yesterday := time.Now().In(credit.Shanghai).AddDate(0, 0, -1).Format(time.DateOnly)
	for i, r := range got() {
		if r.method != "POST" || r.path != "/api/v1/events" || r.ctype != "application/x-ndjson" {
			t.Errorf("request %d: %s %s %s", i, r.method, r.path, r.ctype)
		}
		accepted(t, credit.KindEvents, r.body, 4)
		rows := ndjsonRows(t, r.body)
		if len(rows) != 4 {
			t.Fatalf("request %d: %d rows, want 4", i, len(rows))
		}
		batch := map[string]bool{}
		for _, row := range rows {
			id := row["event_id"].(string)
			if batch[id] {
				t.Errorf("request %d repeats %s within the batch", i, id)
			}
			batch[id], ids[id] = true, true
			if f, ok := firmOf[id]; ok && f != row["uscc"] {
				t.Errorf("%s is about %v, earlier about %v", id, row["uscc"], f)
			}
			firmOf[id] = row["uscc"]
			if !slices.Contains(usccs, row["uscc"].(string)) || row["occurred_at"] != yesterday {
				t.Errorf("row %v", row)
			}
		}
	}
	// Twelve rows over a key space of six: each key written twice.
	if len(ids) != 6 {
		t.Errorf("%d distinct event ids, want 6", len(ids))
	}

	tg2, got2 := fakeAPI(t, nil)
	firms := tg2.IngestEnterprises(Batch{Rows: 3})
	if s, _, err := firms(context.Background(), 5); s != 200 || err != nil {
		t.Fatalf("enterprises: %d %v", s, err)
	}
	r := got2()[0]
	if r.path != "/api/v1/enterprises" {
		t.Errorf("path %s", r.path)
	}
	accepted(t, credit.KindEnterprises, r.body, 3)
	for k, row := range ndjsonRows(t, r.body) {
		u := row["uscc"].(string)
		if err := credit.CheckUSCC(u); err != nil {
			t.Errorf("row %d: USCC %s: %v", k, u, err)
		}
		if want, _ := LoadUSCC(15 + k); u != want {
			t.Errorf("row %d of request 5: %s, want firm %d (%s)", k, u, 15+k, want)
		}
	}
}

func TestDiscover(t *testing.T) {
	tg, _ := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/leaders":
			_, _ = io.WriteString(w, `{"total":2,"leaders":[{"uscc":"L2"},{"uscc":"L1"}]}`)
		case "/api/v1/chains/L1/members":
			if r.URL.Query().Get("cursor") == "" {
				_, _ = io.WriteString(w, `{"members":[{"uscc":"L1"},{"uscc":"A"}],"next_cursor":"c1"}`)
			} else {
				_, _ = io.WriteString(w, `{"members":[{"uscc":"B"}],"next_cursor":null}`)
			}
		case "/api/v1/chains/L2/members":
			_, _ = io.WriteString(w, `{"members":[{"uscc":"L2"},{"uscc":"B"},{"uscc":"C"}],"next_cursor":null}`)
		default:
			w.WriteHeader(404)
		}
	})
	got, err := tg.Discover(context.Background())
	if want := []string{"A", "B", "C", "L1", "L2"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Discover = %v %v, want %v", got, err, want)
	}

	none, _ := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	if _, err := none.Discover(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Discover with a refused token: %v", err)
	}
}

func TestTransportErrorIsAFailedCall(t *testing.T) {
	tg, err := NewTarget("http://127.0.0.1:1", TargetOptions{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	r := Closed(context.Background(), 1, 2, tg.GetEnterprise([]string{"912301099436075960"}))
	if r.Errors != 2 || len(r.ByStatus) != 0 || len(r.ErrorSamples) != 1 {
		t.Errorf("errors %d, statuses %v, samples %q", r.Errors, r.ByStatus, r.ErrorSamples)
	}
}
