package ui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// stressAPI runs POST /api/v1/stress with a token.
func stressAPI(t *testing.T, dm *demo, token string, body string) (int, stressAnswer) {
	t.Helper()
	req, _ := http.NewRequest("POST", dm.base+"/api/v1/stress", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+dm.tokens[token])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out stressAnswer
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

type stressAnswer struct {
	R        float64 `json:"R"`
	Defaults int     `json:"defaults"`
	Top      []struct {
		USCC    string  `json:"uscc"`
		H       float64 `json:"h"`
		Shocked bool    `json:"shocked"`
	} `json:"top"`
}

type stressNodeData struct {
	ID       string  `json:"id"`
	H        float64 `json:"h"`
	Shocked  bool    `json:"shocked"`
	Category int     `json:"category"`
}

var stressDataRE = regexp.MustCompile(`(?s)<script type="application/json" id="stress-graph-data">(.*?)</script>`)

// stressNodes reads the graph's nodes from a stress page.
func stressNodes(t *testing.T, page string) []stressNodeData {
	t.Helper()
	m := stressDataRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no stress graph data in the page:\n%s", mainOf(page))
	}
	var g struct{ Nodes []stressNodeData }
	if err := json.Unmarshal([]byte(m[1]), &g); err != nil {
		t.Fatal(err)
	}
	return g.Nodes
}

// pctText is how the console shows a share (funcs.go's pct).
func pctText(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + "%" }

// TestStressPage: failing the soybean chain's top tier-2 contributor from its chain's
// stress page shows the API's R, defaults and impacts, and colours the chain graph by
// h; a tenant may fail firms of its own chain only.
func TestStressPage(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	b.signIn(dm.tokens["admin"])
	top, _ := tier2Top(t, dm)
	if c := b.get("/ui/chains/" + soy); !strings.Contains(c.body, `href="/ui/stress?leader=`+soy+`"`) {
		t.Error("the chain page does not link its stress test")
	}
	form := b.get("/ui/stress?leader=" + soy)
	if form.code != http.StatusOK || !strings.Contains(form.body, `<input type="checkbox" name="fail" value="`+top+`">`) {
		t.Fatalf("stress form = %d, without the member %s to check", form.code, top)
	}
	code, want := stressAPI(t, dm, "admin", fmt.Sprintf(`{"shocks":[{"uscc":%q,"psi":0.8}],"top":1000}`, top))
	if code != http.StatusOK || len(want.Top) < 2 {
		t.Fatalf("API stress = %d, %d impacts", code, len(want.Top))
	}
	page := b.get("/ui/stress?leader=" + soy + "&fail=" + top + "&psi=0.8")
	if page.code != http.StatusOK {
		t.Fatalf("stress run = %d\n%s", page.code, mainOf(page.body))
	}
	if !strings.Contains(page.body, `<dd id="stress-r">`+pctText(want.R)+`</dd>`) ||
		!strings.Contains(page.body, fmt.Sprintf(`<dd id="stress-defaults">%d</dd>`, want.Defaults)) {
		t.Errorf("the page's R and defaults are not the API's %s and %d", pctText(want.R), want.Defaults)
	}
	if n := strings.Count(page.body, `<tr data-uscc="`); n != 20 || !strings.Contains(page.body, `<tr data-uscc="`+want.Top[0].USCC+`">`) {
		t.Errorf("impact table: %d rows, want the first 20 of the API's, %s first", n, want.Top[0].USCC)
	}
	h := map[string]float64{}
	for _, im := range want.Top {
		h[im.USCC] = im.H
	}
	hit := 0
	for _, n := range stressNodes(t, page.body) {
		wantCat := 4
		switch v, ok := h[n.ID]; {
		case n.ID == top:
			wantCat = 0
		case ok && v >= 0.5:
			wantCat = 1
		case ok && v >= 0.1:
			wantCat = 2
		case ok && v > 0:
			wantCat = 3
		}
		if n.Category != wantCat || n.H != h[n.ID] || n.Shocked != (n.ID == top) {
			t.Errorf("graph node %s: category %d h %v shocked %v; want category %d h %v", n.ID, n.Category, n.H, n.Shocked, wantCat, h[n.ID])
		}
		if wantCat > 0 && wantCat < 4 {
			hit++
		}
	}
	if hit == 0 {
		t.Error("no chain member is hit by failing the top tier-2 contributor")
	}
	// Bad input: the page's own psi check, the API's range check.
	for _, q := range []string{"&fail=" + top + "&psi=much", "&fail=" + top + "&psi=2", "&firms=abc"} {
		if a := b.get("/ui/stress?leader=" + soy + q); a.code != http.StatusBadRequest {
			t.Errorf("stress %s = %d, want 400", q, a.code)
		}
	}
	// A tenant runs it on its own chain (the default), not on another's firms.
	ten := dm.client()
	ten.signIn(dm.tokens["tenant"])
	if a := ten.get("/ui/stress?firms=" + top); a.code != http.StatusOK || !strings.Contains(a.body, `id="stress-graph-data"`) {
		t.Errorf("tenant stress on its chain = %d", a.code)
	}
	for _, q := range []string{"?firms=" + dairy, "?leader=" + dairy} {
		if a := ten.get("/ui/stress" + q); a.code != http.StatusNotFound {
			t.Errorf("tenant stress %s = %d, want 404", q, a.code)
		}
	}
	// Found by name: the search lists firms to check.
	if a := b.get("/ui/stress?q=" + "松花江大豆"); !strings.Contains(a.body, `id="stress-found"`) || !bytes.Contains([]byte(a.body), []byte(soy)) {
		t.Errorf("the name search found nothing for 松花江大豆")
	}
}
