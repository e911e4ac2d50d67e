package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Every list endpoint pages the same way (api/openapi.json, "Paging"): limit items a
// page, in a stable order; next_cursor names where the next page starts, null on the
// last one; the caller passes it back as cursor, unchanged. A cursor is the sort key
// of the last item given, so that items added or removed meanwhile never make a
// page repeat or skip the others.

// pageCursor is what a cursor carries: the endpoint that gave it (a cursor of another
// endpoint is refused) and the sort key of the last item given.
type pageCursor struct {
	E string   `json:"e"`
	K []string `json:"k"`
}

// nextCursor is the cursor of the page after the item whose sort key is key.
func nextCursor(endpoint string, key ...string) *string {
	b, _ := json.Marshal(pageCursor{E: endpoint, K: key})
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// cursorParam reads the cursor query parameter of endpoint: nil when absent, the
// sort key (n values) otherwise; 400 for a value this endpoint did not give.
func (rq *request) cursorParam(endpoint string, n int) ([]string, error) {
	c := rq.r.URL.Query().Get("cursor")
	if c == "" {
		return nil, nil
	}
	var pc pageCursor
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || json.Unmarshal(b, &pc) != nil || pc.E != endpoint || len(pc.K) != n {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "cursor %q is not one this endpoint gave (pass next_cursor as it came)", c)
	}
	return pc.K, nil
}

// cursorInt reads a cursor whose key is one positive integer (an ID, a sequence
// number); 0 when absent.
func (rq *request) cursorInt(endpoint string) (int64, error) {
	k, err := rq.cursorParam(endpoint, 1)
	if err != nil || k == nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(k[0], 10, 64)
	if perr != nil || n <= 0 {
		return 0, errorf(http.StatusBadRequest, codeBadRequest, "cursor is not one this endpoint gave (pass next_cursor as it came)")
	}
	return n, nil
}

// cursorTime reads the cursor of a list ordered by a time (milliseconds) then by
// strings: the time and the strings; ok false when absent.
func (rq *request) cursorTime(endpoint string, n int) (t time.Time, rest []string, ok bool, err error) {
	k, err := rq.cursorParam(endpoint, n+1)
	if err != nil || k == nil {
		return t, nil, false, err
	}
	ms, perr := strconv.ParseInt(k[0], 10, 64)
	if perr != nil {
		return t, nil, false, errorf(http.StatusBadRequest, codeBadRequest, "cursor is not one this endpoint gave (pass next_cursor as it came)")
	}
	return time.UnixMilli(ms).UTC(), k[1:], true, nil
}

// msKey writes a time as a cursor's key.
func msKey(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// pageAfter cuts a sorted list to the page after the cursor and at most limit long:
// upTo says whether an item sorts at or before the cursor (nil: the first page);
// more says whether items follow the page.
func pageAfter[T any](list []T, upTo func(*T) bool, limit int) (page []T, more bool) {
	if upTo != nil {
		i := 0
		for i < len(list) && upTo(&list[i]) {
			i++
		}
		list = list[i:]
	}
	if len(list) > limit {
		return list[:limit], true
	}
	return list, false
}
