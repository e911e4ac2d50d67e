package ingest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/store"
)

// importer imports into a real store and counts its calls.
func importer(t *testing.T, calls *atomic.Int32) ingest.Importer {
	s := stores()["sqlite"](t)
	return func(ctx context.Context, kind credit.Kind, format ingest.Format, r io.Reader, strict bool, trigger string) (ingest.Summary, error) {
		calls.Add(1)
		if !strings.HasPrefix(trigger, "source:") {
			t.Errorf("trigger %q", trigger)
		}
		return ingest.Import(ctx, s, []ingest.Input{{Kind: kind, Format: format, R: r}},
			ingest.ImportOptions{Strict: strict, Validator: clock})
	}
}

func TestDirSource(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a-good.csv":   firmsCSV(2),
		"b-bad.ndjson": `{"uscc":"` + u(3) + `","name":"丙"}` + "\n" + `{"uscc":"BAD","name":"x"}` + "\n",
		"c-header.csv": "uscc,nmae\n" + u(4) + ",x\n",
		"notes.txt":    "not data",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var calls atomic.Int32
	src := ingest.NewSource(config.Source{Name: "drop", Kind: config.SourceDir, Data: credit.KindEnterprises, Dir: dir},
		importer(t, &calls), nil, 0)
	if err := src.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"done/a-good.csv", "failed/b-bad.ndjson", "failed/b-bad.ndjson.errors.txt",
		"failed/c-header.csv", "failed/c-header.csv.errors.txt", "notes.txt"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	rep, _ := os.ReadFile(filepath.Join(dir, "failed/b-bad.ndjson.errors.txt"))
	if want := "b-bad.ndjson: 1 accepted, 1 rejected; the accepted rows were committed\n2: uscc: invalid USCC"; !strings.HasPrefix(string(rep), want) {
		t.Errorf("report %q, want prefix %q", rep, want)
	}
	rep, _ = os.ReadFile(filepath.Join(dir, "failed/c-header.csv.errors.txt"))
	if !strings.Contains(string(rep), "nothing was committed") || !strings.Contains(string(rep), `unknown column "nmae"`) {
		t.Errorf("header report %q", rep)
	}
	// Run again: nothing left to import.
	calls.Store(0)
	if err := src.Run(context.Background()); err != nil || calls.Load() != 0 {
		t.Errorf("second run: %v, %d imports", err, calls.Load())
	}
}

func TestHTTPSource(t *testing.T) {
	const token = "tok-secret-123"
	var hits atomic.Int32
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		if code := int(status.Load()); code != http.StatusOK {
			http.Error(w, "down "+token, code)
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, _ = io.WriteString(w, firmsCSV(3))
	}))
	defer srv.Close()
	var calls atomic.Int32
	cfg := config.Source{Name: "feed", Kind: config.SourceHTTP, Data: credit.KindEnterprises, URL: srv.URL + "/firms?key=k123",
		Token: config.Secret(token), Timeout: time.Second}
	src := ingest.NewSource(cfg, importer(t, &calls), nil, 1<<20)
	ctx := context.Background()
	if err := src.Run(ctx); err != nil || calls.Load() != 1 {
		t.Fatalf("first fetch: %v, %d imports", err, calls.Load())
	}
	if err := src.Run(ctx); err != nil || calls.Load() != 1 || hits.Load() != 2 {
		t.Errorf("unchanged fetch: %v, %d imports, %d hits (want a 304 and no import)", err, calls.Load(), hits.Load())
	}
	status.Store(http.StatusServiceUnavailable)
	err := src.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "k123") {
		t.Errorf("error %v: want the status, no token, no query", err)
	}
	// A body larger than the limit is refused, not half-imported.
	status.Store(http.StatusOK)
	if err := ingest.NewSource(cfg, importer(t, &calls), nil, 10).Run(ctx); err == nil || !strings.Contains(err.Error(), "max_ingest_bytes") {
		t.Errorf("oversized body: %v", err)
	}
	// A hanging server times out.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer hang.Close()
	cfg.URL, cfg.Timeout = hang.URL, 100*time.Millisecond
	start := time.Now()
	if err := ingest.NewSource(cfg, importer(t, &calls), nil, 0).Run(ctx); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("hanging source: %v after %v", err, time.Since(start))
	}
}

// openWatch is a store that reports each ingest batch it opens.
type openWatch struct {
	store.Store
	began chan struct{}
}

func (s openWatch) BeginBatch(ctx context.Context) (store.Batch, error) {
	s.began <- struct{}{}
	return s.Store.BeginBatch(ctx)
}

// TestHTTPSourceReadsBeforeLocking: a source that sends its body slowly delays its
// own import, not the store: the batch, which holds the store's write lock, opens
// only once the whole body has arrived.
func TestHTTPSourceReadsBeforeLocking(t *testing.T) {
	st := openWatch{Store: stores()["sqlite"](t), began: make(chan struct{}, 1)}
	release := make(chan struct{})
	body := firmsCSV(3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		_, _ = io.WriteString(w, body[:20])
		w.(http.Flusher).Flush()
		<-release
		_, _ = io.WriteString(w, body[20:])
	}))
	defer srv.Close()
	imp := func(ctx context.Context, kind credit.Kind, format ingest.Format, r io.Reader, strict bool, _ string) (ingest.Summary, error) {
		return ingest.Import(ctx, st, []ingest.Input{{Kind: kind, Format: format, R: r}}, ingest.ImportOptions{Strict: strict, Validator: clock})
	}
	cfg := config.Source{Name: "slow", Kind: config.SourceHTTP, Data: credit.KindEnterprises, URL: srv.URL + "/firms.csv",
		Timeout: time.Minute}
	done := make(chan error, 1)
	go func() { done <- ingest.NewSource(cfg, imp, nil, 1<<20).Run(context.Background()) }()
	// Half a second to catch a batch opened early; a late one is never a false alarm.
	select {
	case <-st.began:
		t.Error("the batch opened while the source's body was still arriving")
	case <-time.After(500 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c, _ := st.Counts(context.Background()); c.Enterprises != 3 {
		t.Errorf("%d firms imported, want 3", c.Enterprises)
	}
}
