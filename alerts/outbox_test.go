package alerts

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestOutboxGolden records the outbox rows' format — the notification as stored, and
// the channel's config, secrets in clear — which a daemon of a later version must
// still read: a change shows in the diff of -update.
func TestOutboxGolden(t *testing.T) {
	resolved := firingDowngrade("zh")
	resolved.ID, resolved.Status, resolved.EndedAt, resolved.URL = "ntf-0002", notify.StatusResolved, t0, ""
	resolved.Leader, resolved.Path, resolved.PathNames, resolved.PathShares = nil, nil, nil, nil
	var out bytes.Buffer
	for _, n := range []*notify.Notification{firingDowngrade("en"), resolved} {
		e, err := outboxEntry(n, &store.Alert{ID: AlertID(n.Fingerprint), Fingerprint: n.Fingerprint, Rule: n.Rule,
			USCC: n.Subject.USCC}, "", 1, hookChannel("https://hooks.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s %s key=%s\nchannel %s\npayload %s\n\n", e.ChannelType, e.Status, e.ChannelKey, e.Channel, e.Payload)
	}
	notifytest.Golden(t, *update, filepath.Join("testdata", "golden", "outbox.golden"), out.Bytes())
}

// oldPayload is firingDowngrade("en") as the outbox stored it before notifications
// carried their rule's title: no "title" key.
const oldPayload = `{"id":"old-000","fingerprint":"grade_downgrade:91330206MA2AHK5R3T:91330000MA27U8T41B",` +
	`"rule":"grade_downgrade","severity":"warning","status":"firing",` +
	`"subject":{"USCC":"91330206MA2AHK5R3T","Name":"宁波精工铸件有限公司","Grade":"C","PreviousGrade":"B"},` +
	`"leader":{"USCC":"91330000MA27U8T41B","Name":"浙江远航汽车集团有限公司"},"tier":2,` +
	`"path":["91330206MA2AHK5R3T","91330100MA28XY7L29","91330000MA27U8T41B"],` +
	`"path_names":["宁波精工铸件有限公司","杭州恒力变速箱有限公司","浙江远航汽车集团有限公司"],"path_shares":[0.35,0.6],` +
	`"reasons":["dishonest_judgment_debtor −350 (2026-11-20)","tax_arrears −120 (2026-10-08)"],` +
	`"values":{"previous_score":700,"score":540},"started_at":"2026-11-21T07:55:00Z","subscription":"yuanhang-chain",` +
	`"language":"en","url":"https://chainrisk.example.com/api/v1/enterprises/91330206MA2AHK5R3T"}`

// TestOutboxRowsOfEarlierVersions: a daemon upgraded with a full outbox delivers what
// was queued as it would have. A row of the old payload format decodes to the
// notification the new format stores, the rule's title included, and the receiver
// gets the same body for both, byte for byte but for the id.
func TestOutboxRowsOfEarlierVersions(t *testing.T) {
	n, err := decodeNotification([]byte(oldPayload))
	if err != nil {
		t.Fatal(err)
	}
	want := firingDowngrade("en")
	want.ID = "old-000"
	if n.Title != "Credit grade downgraded" {
		t.Errorf("old row's title %q", n.Title)
	}
	if got, _ := encodeNotification(n); !bytes.Equal(got, mustEncode(t, want)) {
		t.Errorf("old row decodes to\n%s\nwant\n%s", got, mustEncode(t, want))
	}

	st := openSQLite(t)
	rv := newHookReceiver(t, hookSecret, nil)
	ch := hookChannel(rv.URL)
	ids := enqueue(t, st, ch, 1, "new", time.Now()) // new-000, the new format
	old, err := outboxEntry(want, &store.Alert{ID: "alert-old", Fingerprint: want.Fingerprint, Rule: want.Rule,
		USCC: want.Subject.USCC}, "", 0, ch)
	if err != nil {
		t.Fatal(err)
	}
	old.Payload = []byte(oldPayload)
	if err := st.ApplyAlerts(context.Background(), &store.AlertChanges{At: time.Now(), Notifications: []store.OutboxEntry{old}}); err != nil {
		t.Fatal(err)
	}
	start(t, newTestWorker(t, st, workerSetup{}))
	eventually(t, 10*time.Second, "both delivered", func() bool { return len(rv.unique()) == 2 })
	newBody, oldBody := rv.body(ids[0]), rv.body("old-000")
	if !bytes.Equal(bytes.Replace(oldBody, []byte(`"old-000"`), []byte(`"new-000"`), 1), newBody) ||
		!bytes.Contains(oldBody, []byte(`"summary":"[WARNING] Credit grade downgraded: 宁波精工铸件有限公司`)) {
		t.Errorf("bodies differ:\nold %s\nnew %s", oldBody, newBody)
	}
}

func mustEncode(t *testing.T, n *notify.Notification) []byte {
	t.Helper()
	b, err := encodeNotification(n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
