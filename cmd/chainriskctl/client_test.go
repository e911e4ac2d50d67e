package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:18410":            "http://127.0.0.1:18410",
		"http://127.0.0.1:8480/":     "http://127.0.0.1:8480",
		"https://risk.example.com":   "https://risk.example.com",
		" localhost:8480 ":           "http://localhost:8480",
		"https://risk.example.com//": "https://risk.example.com",
	} {
		if got := serverURL(in); got != want {
			t.Errorf("serverURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestClientSaysWhatIsMissing: a 401 to a request without a token says that no token
// was set and how to get one; an unreachable daemon names the flag and variable that
// point elsewhere; a bare host:port reaches the daemon.
func TestClientSaysWhatIsMissing(t *testing.T) {
	t.Setenv("CHAINRISK_TOKEN", "")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":"unauthorized","message":"a bearer token is required"}}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	ctx := context.Background()

	bare := strings.TrimPrefix(srv.URL, "http://")
	err := newClient(bare, "").getJSON(ctx, "/api/v1/enterprises/x", &struct{}{})
	if err == nil || !strings.Contains(err.Error(), "CHAINRISK_TOKEN is not set") || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("no token: %v", err)
	}
	if err := newClient(bare, "t0ken").getJSON(ctx, "/api/v1/enterprises/x", &struct{}{}); err != nil {
		t.Errorf("with a token, through a bare host:port: %v", err)
	}

	err = newClient("http://127.0.0.1:1", "t0ken").getJSON(ctx, "/api/v1/enterprises/x", &struct{}{})
	if err == nil || !strings.Contains(err.Error(), "cannot reach chainriskd at http://127.0.0.1:1") ||
		!strings.Contains(err.Error(), "--server or CHAINRISK_SERVER") {
		t.Errorf("unreachable: %v", err)
	}
}
