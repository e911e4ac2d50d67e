package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// tableDump is every row of a table, every column as text, in key order: two dumps
// are equal when the table is byte for byte unchanged (updated_at included).
func tableDump(t *testing.T, st store.Store, q string) string {
	t.Helper()
	d := st.(interface{ Dialect() store.Dialect }).Dialect()
	rows, err := d.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var s, c, p, sa, sub, amt, prod, from, to, upd any
		if err := rows.Scan(&s, &c, &p, &sa, &sub, &amt, &prod, &from, &to, &upd); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, s, c, p, sa, sub, amt, prod, from, to, upd)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

const (
	registryDump = `SELECT supplier, customer, purchase_share, sales_share, substitutability, amount, product,
		valid_from, valid_to, updated_at FROM relations ORDER BY supplier, customer`
	suppliedDump = `SELECT source || '>' || supplier, customer, purchase_share, sales_share, substitutability, amount,
		product, sales_share_estimated, valid_from, updated_at FROM supplied_relations ORDER BY source, supplier`
)

// crawlSupply checks the tenants' writes of relations (docs/onboarding.md): writer's
// row for another customer changes nothing; its row for a pair the registry holds
// leaves the registry's row byte for byte as it was and is stored beside it, the
// sales share estimated and labelled; reader, another tenant, never sees it in any
// listing and can withdraw neither it nor a registry row; an incremental scan follows
// the write. writerToken is the name of writer's token.
func crawlSupply(t *testing.T, c *crawlClient, st store.Store, writer, writerToken, reader string) {
	t.Helper()
	var ofWriter []credit.Relation
	_ = st.Relations(context.Background(), func(r *credit.Relation) error {
		if r.Customer == writer {
			ofWriter = append(ofWriter, *r)
		}
		return nil
	})
	if len(ofWriter) < 2 {
		t.Fatalf("the demo gives %s fewer than two suppliers", writer)
	}
	slices.SortFunc(ofWriter, func(a, b credit.Relation) int { return strings.Compare(a.Supplier, b.Supplier) })
	pair, registryOnly := ofWriter[0], ofWriter[1]
	registry, supplied := tableDump(t, st, registryDump), tableDump(t, st, suppliedDump)
	unchanged := func(what string) {
		t.Helper()
		if tableDump(t, st, registryDump) != registry {
			t.Errorf("%s: the registry's relations changed", what)
		}
		if tableDump(t, st, suppliedDump) != supplied {
			t.Errorf("%s: the supplied relations changed", what)
		}
	}

	// Another customer: a row error naming the rule, strict or not, and nothing written.
	for _, q := range []string{"?strict=true", ""} {
		code, b := c.send("POST", "/relations"+q, writer, "text/csv",
			fmt.Sprintf("supplier,customer,purchase_share\n%s,%s,0.01\n", pair.Supplier, reader))
		if code != http.StatusUnprocessableEntity || !strings.Contains(b, "a tenant supplies only its own leader's purchases") {
			t.Errorf("a row for another customer%s: %d %s", q, code, b)
		}
		unchanged("a row for another customer")
	}
	// A tenant may not write the registry's other kinds either.
	if code, _ := c.send("POST", "/events", writer, "text/csv", "event_id,uscc,type,occurred_at\n"); code != http.StatusForbidden {
		t.Errorf("a tenant's POST /events: %d, want 403", code)
	}

	// The registry's pair, without sales_share: stored beside the registry's row.
	share := pair.PurchaseShare / 2
	code, b := c.send("POST", "/relations?strict=true", writer, "text/csv",
		fmt.Sprintf("supplier,purchase_share\n%s,%g\n", pair.Supplier, share))
	if code != http.StatusOK {
		t.Fatalf("the tenant's own row: %d %s", code, b)
	}
	if tableDump(t, st, registryDump) != registry {
		t.Error("the tenant's row changed the registry's relations")
	}
	waitTrigger(t, c, "api:"+writerToken)
	var own struct {
		Relations []struct {
			Source, Supplier string
			PurchaseShare    float64 `json:"purchase_share"`
			SalesShare       float64 `json:"sales_share"`
			Estimated        []string
		}
	}
	c.get("/relations?source="+writer, writer, &own)
	if len(own.Relations) != 1 || own.Relations[0].Supplier != pair.Supplier || own.Relations[0].PurchaseShare != share ||
		own.Relations[0].SalesShare != pair.SalesShare || !slices.Equal(own.Relations[0].Estimated, []string{"sales_share"}) {
		t.Errorf("the tenant's own rows: %+v; want %s at %g with the registry's sales share %g, estimated",
			own, pair.Supplier, share, pair.SalesShare)
	}

	// Reader never sees it, whatever it asks.
	mark := `"source":"` + writer + `"`
	for _, q := range []string{"", "?source=" + writer, "?supplier=" + pair.Supplier, "?customer=" + writer, "?limit=10000"} {
		code, b := c.do("GET", "/relations"+q, reader, "")
		if code != http.StatusOK || strings.Contains(b, mark) {
			t.Errorf("GET /relations%s as the other tenant: %d, shows the writer's rows: %t", q, code, strings.Contains(b, mark))
		}
	}
	// Nobody withdraws what is not theirs: reader the writer's row, writer a registry
	// row, staff anything.
	withWriter := tableDump(t, st, suppliedDump)
	for _, w := range []struct{ who, supplier string }{{reader, pair.Supplier}, {writer, registryOnly.Supplier}} {
		if code, b := c.do("DELETE", "/relations?supplier="+w.supplier, w.who, ""); code != http.StatusNotFound {
			t.Errorf("DELETE of %s as %s: %d %s, want 404", w.supplier, w.who, code, b)
		}
	}
	if code, _ := c.do("DELETE", "/relations?supplier="+pair.Supplier, "admin", ""); code != http.StatusForbidden {
		t.Errorf("DELETE as admin: %d, want 403", code)
	}
	if tableDump(t, st, registryDump) != registry || tableDump(t, st, suppliedDump) != withWriter {
		t.Error("a refused withdrawal changed the relations")
	}
	// The writer withdraws its own: back to where it started.
	if code, b := c.do("DELETE", "/relations?supplier="+pair.Supplier, writer, ""); code != http.StatusNoContent {
		t.Errorf("the writer's withdrawal: %d %s", code, b)
	}
	unchanged("after the withdrawal")
}

// waitTrigger waits until a scan with trigger has been recorded.
func waitTrigger(t *testing.T, c *crawlClient, trigger string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var scans struct{ Scans []struct{ Trigger string } }
		code, b := c.do("GET", "/scans?limit=50", "admin", "")
		if code == http.StatusOK && json.Unmarshal([]byte(b), &scans) == nil &&
			slices.ContainsFunc(scans.Scans, func(s struct{ Trigger string }) bool { return s.Trigger == trigger }) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("no scan triggered by %s", trigger)
}
