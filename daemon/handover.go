package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chainrisk/chainrisk/store/backend"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/tokens"
)

// TokenFileName is the file in the data directory where the daemon keeps the plain
// admin token it mints for -demo (mode 0600).
const TokenFileName = "admin-token"

// handover is what the start-up banner tells the operator about API access. It is
// printed to Options.Stdout last of all, after the first scan's log lines, and
// never through the logger.
type handover struct {
	plain  string // a token minted by this start, shown once
	file   string // the token file, when it holds a live token
	kept   bool   // the file's token is the one of a previous start
	mint   string // how to mint a token, when no token is at hand
	reason string // why no token was printed
	// fileErr is why a minted token could not be saved (the error names the file).
	fileErr error
}

// tokenFile is the absolute path of the admin token file.
func (d *Daemon) tokenFile() string {
	p := filepath.Join(d.cfg.Load().DataDir, TokenFileName)
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// operatorTokens reports whether the store holds live tokens other than the
// demo's (operator), and live tokens at all (any).
func (d *Daemon) operatorTokens(ctx context.Context) (operator, any bool, err error) {
	all, err := d.store.Tokens(ctx)
	if err != nil {
		return false, false, fmt.Errorf("tokens: %w", err)
	}
	for _, t := range all {
		if t.Revoked() {
			continue
		}
		any = true
		if !strings.HasPrefix(t.Name, tokens.DemoName) {
			operator = true
		}
	}
	return operator, any, nil
}

// fileToken returns the token file's token when it is a live token of the store.
func (d *Daemon) fileToken(ctx context.Context) (string, bool) {
	b, err := os.ReadFile(d.tokenFile())
	if err != nil {
		return "", false
	}
	plain := strings.TrimSpace(string(b))
	if !tokens.WellFormed(plain) {
		return "", false
	}
	t, err := d.store.TokenByHash(ctx, tokens.Hash(plain))
	if err != nil || t.Revoked() {
		return "", false
	}
	return plain, true
}

// prepareHandover decides, once the listeners are bound, what the banner says about
// access. With -demo and no operator tokens the demo keeps its own admin token: the
// one in the token file when it is still live, else a fresh one (the demo's older
// tokens revoked), written to the file. Otherwise nothing is minted and the banner
// names the token file, or says how to mint a token.
func (d *Daemon) prepareHandover(ctx context.Context) error {
	h := &d.handover
	file := d.tokenFile()
	if _, live := d.fileToken(ctx); live {
		h.file = file
	}
	operator, any, err := d.operatorTokens(ctx)
	if err != nil {
		return err
	}
	switch {
	case d.opts.Demo && !operator && h.file != "":
		h.kept = true
		return nil
	case d.opts.Demo && !operator:
		return d.mintDemoToken(ctx, file)
	case h.file != "":
		return nil
	case d.opts.Demo:
		h.reason = "the store holds tokens made with chainriskctl, so the demo made none of its own"
	case !any:
		h.reason = "the store holds no API token yet"
	default:
		return nil // tokens were made with chainriskctl: their holders have them
	}
	h.mint = "chainriskctl token create --role admin --name NAME --store " + d.storeDSN()
	return nil
}

// mintDemoToken revokes the demo's earlier tokens, mints a fresh admin token and
// writes it to file.
func (d *Daemon) mintDemoToken(ctx context.Context, file string) error {
	all, err := d.store.Tokens(ctx)
	if err != nil {
		return fmt.Errorf("demo token: %w", err)
	}
	for _, t := range all {
		if !t.Revoked() {
			if err := d.store.RevokeToken(ctx, t.Name); err != nil {
				return fmt.Errorf("demo token: %w", err)
			}
		}
	}
	plain, _, err := tokens.EnsureDemo(ctx, d.store)
	if err != nil {
		return fmt.Errorf("demo token: %w", err)
	}
	d.handover.plain = plain
	if err := writeTokenFile(file, plain); err != nil {
		// The banner still shows the token; a read-only data directory does not stop the demo.
		d.handover.fileErr = err
		return nil
	}
	d.handover.file = file
	return nil
}

// writeTokenFile writes plain to path with mode 0600, replacing the file whole.
func writeTokenFile(path, plain string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+TokenFileName+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(plain + "\n"); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// storeDSN names the store for chainriskctl --store, without a password.
func (d *Daemon) storeDSN() string {
	cfg := d.cfg.Load()
	if backend.Kind(d.store) == "sqlite" {
		return filepath.Join(cfg.DataDir, sqlite.FileName)
	}
	raw := cfg.Store.DatabaseURL.Reveal()
	u, err := url.Parse(raw)
	if err != nil {
		return "$CHAINRISK_DATABASE_URL"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "PASSWORD")
	}
	return u.String()
}

// waitOutbox waits, up to within, until no notification is due: the first scan's
// alerts to the log are written before the banner that follows them.
func (d *Daemon) waitOutbox(ctx context.Context, within time.Duration) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		due, err := d.store.DueNotifications(ctx, d.opts.Now(), 1, 1)
		if err != nil || len(due) == 0 {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// printHandover writes the banner's access lines, the last of the start-up.
func (d *Daemon) printHandover() {
	w := d.opts.Stdout
	if w == nil {
		w = io.Discard
	}
	h := d.handover
	d.handover.plain = "" // shown once: the process keeps no copy
	base := "http://" + d.Addr()
	fmt.Fprintf(w, "\nchainrisk: API on %s, web console on %s/ui/\n", base, base)
	switch {
	case h.plain != "" && h.fileErr != nil:
		fmt.Fprintf(w, "chainrisk demo: admin token (shown once; not saved: %v):\n  export CHAINRISK_TOKEN=%s\n", h.fileErr, h.plain)
	case h.plain != "":
		fmt.Fprintf(w, "chainrisk demo: admin token (saved in %s, readable by you only):\n"+
			"  export CHAINRISK_TOKEN=%s\n", h.file, h.plain)
	case h.file != "" && h.kept:
		fmt.Fprintf(w, "chainrisk demo: the admin token of the previous start is still valid; it is in %s:\n"+
			"  export CHAINRISK_TOKEN=$(cat %s)\n", h.file, h.file)
	case h.file != "":
		fmt.Fprintf(w, "chainrisk: an admin token is in %s:\n  export CHAINRISK_TOKEN=$(cat %s)\n", h.file, h.file)
	case h.mint != "":
		fmt.Fprintf(w, "chainrisk: no admin token printed: %s. Mint one with\n  %s\n", h.reason, h.mint)
	}
}

// listenError explains a listen failure.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: the address is in use (another chainriskd?); stop it or choose another with -listen ADDR: %w", addr, err)
	}
	return fmt.Errorf("listen on %s: %w", addr, err)
}
