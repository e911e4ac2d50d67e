package daemon_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/internal/testlog"
	"github.com/chainrisk/chainrisk/tokens"
)

var tokenRE = regexp.MustCompile(tokens.Prefix + `[A-Za-z0-9_-]{43}`)

// startBanner starts a daemon whose logs and stdout go to one buffer, as on a
// terminal, and stops it once ready and the banner is out.
func startBanner(t *testing.T, cfg *config.Config, demo bool) string {
	t.Helper()
	var out testlog.Buffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	d, stop := startWith(t, daemon.Options{Config: cfg, Demo: demo, Logger: log, Stdout: &out})
	secWait(t, 20*time.Second, "the banner", func() bool { return out.Contains("chainrisk: API on http://" + d.Addr()) })
	if demo {
		// The banner's token works.
		if tok := tokenRE.FindString(out.String()); tok != "" {
			req, _ := http.NewRequest("GET", "http://"+d.Addr()+"/api/v1/leaders", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("GET /api/v1/leaders with the printed token: %v %v", resp, err)
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
	}
	stop()
	// What the operator saw before asking the daemon to stop.
	all := out.String()
	text := all
	if i := strings.Index(all, `level=INFO msg="shutting down"`); i >= 0 {
		text = all[:strings.LastIndex(all[:i], "time=")]
	}
	return text
}

// TestTokenHandOver: the demo's token lines come last, after the first scan's log
// lines and its alerts; the token is in a 0600 file of the data directory and in no
// log line; a restart says where the token is, and a store with an operator's
// tokens says how to mint one.
func TestTokenHandOver(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	file := filepath.Join(cfg.DataDir, daemon.TokenFileName)
	// A stale, world-readable file is replaced by one readable by its owner only.
	if err := os.WriteFile(file, []byte("stale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := startBanner(t, cfg, true)
	tok := tokenRE.FindString(out)
	if tok == "" {
		t.Fatalf("no token printed:\n%s", out)
	}
	at := strings.Index(out, "chainrisk demo: admin token")
	for _, line := range []string{`msg="scan done"`, `msg="chainriskd ready"`, `msg="alert notification"`, `msg="esri done"`} {
		if i := strings.LastIndex(out, line); i < 0 || i > at {
			t.Errorf("%s at %d, want before the token hand-over at %d:\n%s", line, i, at, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "time=") && strings.Contains(line, tok) {
			t.Errorf("the token is in a log line: %s", line)
		}
	}
	if !strings.Contains(out, "saved in "+file) || !strings.HasSuffix(out, "export CHAINRISK_TOKEN="+tok+"\n") {
		t.Errorf("the banner does not end with the token and name its file:\n%s", out)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", file, fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(file); string(b) != tok+"\n" {
		t.Errorf("%s holds %q, want the printed token", file, b)
	}

	// A restart keeps the token and says where it is, without printing it.
	out = startBanner(t, cfg, true)
	if tokenRE.MatchString(out) || !strings.Contains(out, "still valid; it is in "+file) ||
		!strings.HasSuffix(out, "export CHAINRISK_TOKEN=$(cat "+file+")\n") {
		t.Errorf("restart banner:\n%s", out)
	}
	if b, _ := os.ReadFile(file); string(b) != tok+"\n" {
		t.Errorf("the restart changed the token file: %q", b)
	}

	// An operator's token and no token file: nothing minted, and how to mint one.
	d, stop := start(t, cfg, false)
	if _, _, err := tokens.Create(context.Background(), d.Store(), "ops", tokens.RoleAdmin, ""); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	out = startBanner(t, cfg, true)
	mint := "chainriskctl token create --role admin --name NAME --store " + filepath.Join(cfg.DataDir, "chainrisk.db")
	if tokenRE.MatchString(out) || !strings.Contains(out, "the store holds tokens made with chainriskctl") ||
		!strings.HasSuffix(out, "  "+mint+"\n") {
		t.Errorf("banner with an operator's token:\n%s", out)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a token file was written without a token minted: %v", err)
	}
}

// TestNoTokensSaysHowToMint: a daemon without -demo on a store without tokens says
// how to make the first.
func TestNoTokensSaysHowToMint(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	out := startBanner(t, cfg, false)
	if !strings.Contains(out, "no admin token printed: the store holds no API token yet") ||
		!strings.Contains(out, "--store "+filepath.Join(cfg.DataDir, "chainrisk.db")) {
		t.Errorf("banner:\n%s", out)
	}
}

// TestPortTakenHandsNothingOver: with the API's port in use the start fails with a
// message naming the address, before any token is minted, printed or written.
func TestPortTakenHandsNothingOver(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	var out testlog.Buffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	d, err := daemon.New(context.Background(), daemon.Options{Config: cfg, Demo: true, Listen: ln.Addr().String(),
		Logger: log, Stdout: &out})
	if err == nil {
		t.Fatalf("daemon.New on a taken port succeeded (%s)", d.Addr())
	}
	if !strings.Contains(err.Error(), "listen on "+ln.Addr().String()+": the address is in use") {
		t.Errorf("err = %v", err)
	}
	if tokenRE.MatchString(out.String()) || strings.Contains(out.String(), "demo dataset loaded") {
		t.Errorf("a token was printed or the demo loaded before the bind failed:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, daemon.TokenFileName)); !os.IsNotExist(err) {
		t.Errorf("token file written: %v", err)
	}
}

// TestTokenFileUnwritable: a token file that cannot be written does not stop the demo;
// the banner shows the token and says why it was not saved.
func TestTokenFileUnwritable(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	file := filepath.Join(cfg.DataDir, daemon.TokenFileName)
	if err := os.Mkdir(file, 0o700); err != nil { // a directory where the file would go
		t.Fatal(err)
	}
	out := startBanner(t, cfg, true)
	if tok := tokenRE.FindString(out); tok == "" || !strings.Contains(out, "admin token (shown once; not saved: ") ||
		!strings.Contains(out, file) {
		t.Errorf("banner:\n%s", out)
	}
}
