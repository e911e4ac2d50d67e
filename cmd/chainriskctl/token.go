package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chainrisk/chainrisk/api"
	"github.com/chainrisk/chainrisk/internal/table"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/backend"
	"github.com/chainrisk/chainrisk/tokens"
)

const tokenUsage = `usage:
  chainriskctl token create --role admin|ingest|analyst|tenant [--leader USCC] --name NAME --store DSN [--create] [-o table|json]
  chainriskctl token list --store DSN [-o table|json]
  chainriskctl token revoke --store DSN NAME

Tokens live in the store (hashed); these commands write to it directly. The plain
token is printed once, by create. A revoked token stops working within 5 seconds.
--store must name an existing database (the daemon's data directory or SQLite file, or
a postgres:// URL); --create makes a new SQLite one.
`

// runToken manages API tokens (api/openapi.json, README.md).
func runToken(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return exitUsage
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage); fs.PrintDefaults() }
	dsn := fs.String("store", os.Getenv("CHAINRISK_STORE"), "store `DSN`: a postgres:// URL or a SQLite database file (env CHAINRISK_STORE)")
	output := outputFlag(fs, "table", "json")
	var role, leader, name *string
	switch sub {
	case "create":
		role = fs.String("role", "", "admin, ingest, analyst or tenant")
		leader = fs.String("leader", "", "the `USCC` a tenant token is bound to (tenant only)")
		name = fs.String("name", "", "a unique `name` for the token; logs and scan triggers show it")
	case "list", "revoke":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, tokenUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "chainriskctl token: unknown subcommand %q\n\n%s", sub, tokenUsage)
		return exitUsage
	}
	// Flags may come before or after revoke's NAME.
	if err := fs.Parse(interleave(fs, rest)); err != nil {
		return parseExit(err)
	}
	positional := fs.Args()
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "chainriskctl token %s: %s\n", sub, fmt.Sprintf(format, a...))
		return exitUsage
	}
	switch {
	case *dsn == "":
		return usage("--store is required (a postgres:// URL or a SQLite database file)")
	case *output != "table" && *output != "json":
		return usage("--output must be table or json, not %q", *output)
	case sub == "revoke" && len(positional) != 1:
		return usage("give the name of the token to revoke")
	case sub != "revoke" && len(positional) > 0:
		return usage("unexpected argument %q", positional[0])
	}
	var r tokens.Role
	if sub == "create" {
		var err error
		if r, err = tokens.ParseRole(*role); err != nil {
			return usage("--role: %v", err)
		}
		if *name == "" {
			return usage("--name is required")
		}
		if err := tokens.CheckName(*name); err != nil {
			return usage("--name: %v", err)
		}
		if err := tokens.CheckLeader(r, *leader); err != nil {
			return usage("--leader: %v", err)
		}
	}

	if !storeOK(fs) {
		return exitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	db, err := backend.Open(ctx, *dsn, backend.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "chainriskctl token: %v\n", err)
		return exitError
	}
	defer db.Close()
	switch sub {
	case "create":
		return tokenCreate(ctx, db, *name, r, *leader, *output, stdout, stderr)
	case "list":
		return tokenList(ctx, db, *output, stdout, stderr)
	}
	return tokenRevoke(ctx, db, positional[0], stdout, stderr)
}

// tokenStore is what token create uses: the tokens, and the firms a tenant's token is
// bound to.
type tokenStore interface {
	store.TokenStore
	store.DataStore
}

func tokenCreate(ctx context.Context, db tokenStore, name string, role tokens.Role, leader, output string, stdout, stderr io.Writer) int {
	if leader != "" {
		if _, err := db.Enterprise(ctx, leader); errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(stderr, "chainriskctl token create: warning: the store holds no firm %s yet; the token sees nothing until it does\n", leader)
		}
	}
	plain, tok, err := tokens.Create(ctx, db, name, role, leader)
	if errors.Is(err, store.ErrTokenExists) {
		fmt.Fprintf(stderr, "chainriskctl token create: a token named %q exists already (revoked names stay taken)\n", name)
		return exitError
	}
	if err != nil {
		fmt.Fprintf(stderr, "chainriskctl token create: %v\n", err)
		return exitError
	}
	if output == "json" {
		_ = json.NewEncoder(stdout).Encode(struct {
			Name   string `json:"name"`
			Role   string `json:"role"`
			Leader string `json:"leader,omitempty"`
			Token  string `json:"token"`
		}{tok.Name, tok.Role, tok.Leader, plain})
		return exitOK
	}
	// The token alone on stdout, for scripts; the note on stderr.
	fmt.Fprintln(stdout, plain)
	fmt.Fprintf(stderr, "token %q (%s) created; it is shown only now — store it safely\n", tok.Name, tok.Role)
	return exitOK
}

// tokenJSON is a token as token list --output json prints it: never its hash.
type tokenJSON struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Leader     string    `json:"leader,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

func tokenList(ctx context.Context, db store.TokenStore, output string, stdout, stderr io.Writer) int {
	all, err := db.Tokens(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "chainriskctl token list: %v\n", err)
		return exitError
	}
	if output == "json" {
		out := make([]tokenJSON, len(all))
		for i, t := range all {
			out[i] = tokenJSON{ID: t.ID, Name: t.Name, Role: t.Role, Leader: t.Leader, CreatedAt: t.CreatedAt,
				RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt}
		}
		_ = json.NewEncoder(stdout).Encode(out)
		return exitOK
	}
	tw := table.NewWriter(stdout)
	fmt.Fprintln(tw, "NAME\tROLE\tLEADER\tCREATED\tLAST USED\tSTATE")
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return showTime(t)
	}
	for _, t := range all {
		state := "active"
		if t.Revoked() {
			state = "revoked " + stamp(t.RevokedAt)
		}
		lead := t.Leader
		if lead == "" {
			lead = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, lead, stamp(t.CreatedAt), stamp(t.LastUsedAt), state)
	}
	_ = tw.Flush()
	return exitOK
}

func tokenRevoke(ctx context.Context, db store.TokenStore, name string, stdout, stderr io.Writer) int {
	err := db.RevokeToken(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "chainriskctl token revoke: no token named %q\n", name)
		return exitError
	}
	if err != nil {
		fmt.Fprintf(stderr, "chainriskctl token revoke: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "token %q revoked; it stops working within %s\n", name, api.DefaultTokenCacheTTL)
	return exitOK
}
