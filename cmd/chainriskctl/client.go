package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// client talks to chainriskd's API (README.md: --server, --token or CHAINRISK_SERVER,
// CHAINRISK_TOKEN).
type client struct {
	server string
	token  string
	http   *http.Client
}

// defaultServer is the daemon's default listen address.
const defaultServer = "http://127.0.0.1:8480"

// clientFlags adds the flags every API command shares; formats are the command's
// --output formats, the default first.
func clientFlags(fs *flag.FlagSet, formats []string) (server, token, output *string) {
	server = fs.String("server", envOr("CHAINRISK_SERVER", defaultServer), "chainriskd `URL` (env CHAINRISK_SERVER)")
	// The token's default stays out of the flag, so that usage messages never print it.
	token = fs.String("token", "", "API `token` (default: env CHAINRISK_TOKEN)")
	output = outputFlag(fs, formats...)
	return
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newClient(server, token string) *client {
	if token == "" {
		token = os.Getenv("CHAINRISK_TOKEN")
	}
	return &client{server: serverURL(server), token: token, http: &http.Client{Timeout: 5 * time.Minute}}
}

// serverURL is the daemon's base URL: a bare host:port (127.0.0.1:8480, as the
// daemon's own -listen flag takes it) is taken as http.
func serverURL(server string) string {
	server = strings.TrimRight(strings.TrimSpace(server), "/")
	if server != "" && !strings.Contains(server, "://") {
		server = "http://" + server
	}
	return server
}

// apiError is the API's error envelope.
type apiError struct {
	Status  int
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []string `json:"details"`
	// MaxBody is a 413's X-Max-Body-Bytes: the most bytes the route takes.
	MaxBody int64 `json:"-"`
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
	for _, d := range e.Details {
		s += "\n  " + d
	}
	return s
}

// do sends a request and decodes a JSON answer into out (when non-nil). Answers
// listed in accept besides 2xx are decoded too (ingest's 422).
func (c *client) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any, accept ...int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, body)
	if err != nil {
		return 0, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	// A writer takes the answer as it comes (CSV, DOT); errors are JSON either way.
	if _, raw := out.(io.Writer); raw {
		req.Header.Set("Accept", "*/*")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return 0, fmt.Errorf("cannot reach chainriskd at %s: %w\n(is the daemon running there? --server or "+
			"CHAINRISK_SERVER name another address)", c.server, err)
	}
	defer resp.Body.Close()
	ok := resp.StatusCode/100 == 2
	for _, s := range accept {
		ok = ok || resp.StatusCode == s
	}
	if !ok {
		var env struct {
			Error apiError `json:"error"`
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(raw, &env) != nil || env.Error.Code == "" {
			return resp.StatusCode, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(raw)))
		}
		env.Error.Status = resp.StatusCode
		env.Error.MaxBody, _ = strconv.ParseInt(resp.Header.Get("X-Max-Body-Bytes"), 10, 64)
		if resp.StatusCode == http.StatusUnauthorized && c.token == "" {
			env.Error.Details = append(env.Error.Details, "no token was sent: CHAINRISK_TOKEN is not set and --token was not "+
				"given (chainriskd -demo prints an admin token when it starts; chainriskctl token create makes one)")
		}
		return resp.StatusCode, &env.Error
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	if w, isWriter := out.(io.Writer); isWriter {
		_, err = io.Copy(w, resp.Body)
		return resp.StatusCode, err
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
}

func (c *client) getJSON(ctx context.Context, path string, out any) error {
	_, err := c.do(ctx, http.MethodGet, path, nil, "", out)
	return err
}

func (c *client) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodPost, path, bytes.NewReader(b), "application/json", out)
	return err
}

// showDoc gets the JSON document at path and prints it: as it came for --output json,
// else through table. cmd names the command in errors.
func showDoc(ctx context.Context, c *client, stdout, stderr io.Writer, cmd, path, output string,
	table func(w io.Writer, doc map[string]any)) int {
	var doc map[string]any
	if err := c.getJSON(ctx, path, &doc); err != nil {
		return fail(stderr, cmd, err)
	}
	if output == "json" {
		printJSON(stdout, doc)
		return exitOK
	}
	table(stdout, doc)
	return exitOK
}

// showList gets the list under key of the answer at path and prints it: the list as it
// came for --output json, else decoded into []T through table. A limit beyond one
// page, or 0 (--all), follows the API's next_cursor (fetchList).
func showList[T any](ctx context.Context, c *client, stdout, stderr io.Writer, cmd, path, key, output string,
	table func(list []T) int) int {
	items, err := fetchList(ctx, c, path, key)
	if err != nil {
		return fail(stderr, cmd, err)
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	if output == "json" {
		printJSON(stdout, items)
		return exitOK
	}
	raw, _ := json.Marshal(items)
	var list []T
	if err := json.Unmarshal(raw, &list); err != nil {
		return fail(stderr, cmd, err)
	}
	return table(list)
}

// printJSON writes v indented, for --output json.
func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail prints an error and returns the error exit code.
func fail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "chainriskctl %s: %v\n", cmd, err)
	return exitError
}
