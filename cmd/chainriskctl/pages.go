package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// pageSize is the page a list command asks for when it follows next_cursor: within
// every list endpoint's maximum.
var pageSize = 500

// allFlag adds --all to a list command: every item, page by page, whatever --limit says.
func allFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("all", false, "every item: follow the API's pages to the end (--limit is then ignored)")
}

// withAll sets a list path's limit to 0 (every item) when all is set.
func withAll(path string, all bool) string {
	if !all {
		return path
	}
	return setQuery(path, "limit", "0")
}

// setQuery sets one parameter of a path's query.
func setQuery(path, name, value string) string {
	base, raw, _ := strings.Cut(path, "?")
	q, _ := url.ParseQuery(raw)
	if value == "" {
		q.Del(name)
	} else {
		q.Set(name, value)
	}
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// fetchList gets the list under key at path. Its limit query parameter says how many
// items: one request when it is within a page, else page after page following
// next_cursor until that many have come or the list ends; 0 (or none) means every
// item.
func fetchList(ctx context.Context, c *client, path, key string) ([]json.RawMessage, error) {
	_, raw, _ := strings.Cut(path, "?")
	q, _ := url.ParseQuery(raw)
	want := -1 // the endpoint's default page
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("--limit must be a positive number, got %q", s)
		}
		want = n
	}
	if want > 0 && want <= pageSize || want < 0 {
		var env map[string]json.RawMessage
		if err := c.getJSON(ctx, path, &env); err != nil {
			return nil, err
		}
		var list []json.RawMessage
		if err := json.Unmarshal(env[key], &list); err != nil {
			return nil, fmt.Errorf("the answer's %s: %w", key, err)
		}
		return list, nil
	}
	var out []json.RawMessage
	cursor := ""
	for {
		n := pageSize
		if want > 0 {
			n = min(pageSize, want-len(out))
		}
		p := setQuery(setQuery(path, "limit", strconv.Itoa(n)), "cursor", cursor)
		var page struct {
			Next *string `json:"next_cursor"`
		}
		var env map[string]json.RawMessage
		if err := c.getJSON(ctx, p, &env); err != nil {
			return nil, err
		}
		var list []json.RawMessage
		if err := json.Unmarshal(env[key], &list); err != nil {
			return nil, fmt.Errorf("the answer's %s: %w", key, err)
		}
		out = append(out, list...)
		_ = json.Unmarshal(env["next_cursor"], &page.Next)
		if page.Next == nil || want > 0 && len(out) >= want || len(list) == 0 {
			return out, nil
		}
		cursor = *page.Next
	}
}
