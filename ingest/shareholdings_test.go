package ingest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// TestOwnershipRecords checks the shareholdings kind and the enterprises' ownership
// columns field by field, in both formats; an enterprise file without those columns is
// the one TestRecords reads.
func TestOwnershipRecords(t *testing.T) {
	tests := []struct {
		name   string
		kind   credit.Kind
		format Format
		input  string
		want   store.Chunk
	}{
		{
			name: "enterprise csv with its legal representative", kind: credit.KindEnterprises, format: CSV,
			input: "legal_rep_name,uscc,name,legal_rep_id,registered_capital,established_at\n" +
				"欧阳娜娜," + firmA + ",松花江大豆," + "p-5f2c9a,50000000,2003-06-18\n" +
				"," + firmB + ",Minimal,,,\n",
			want: store.Chunk{Lines: []int{2, 3}, Enterprises: []credit.Enterprise{
				{USCC: firmA, Name: "松花江大豆", Region: "230100", Status: credit.StatusActive,
					LegalRepID: "p-5f2c9a", LegalRepName: "欧阳娜娜", RegisteredCapital: ptr(5e7),
					EstablishedAt: shanghaiDate(2003, 6, 18)},
				{USCC: firmB, Name: "Minimal", Region: "230102", Status: credit.StatusActive},
			}},
		},
		{
			name: "enterprise ndjson with its legal representative", kind: credit.KindEnterprises, format: NDJSON,
			input: `{"uscc":"` + firmA + `","name":"x","legal_rep_id":"p-1","legal_rep_name":"张三","registered_capital":"1e6","established_at":null}` + "\n",
			want: store.Chunk{Lines: []int{1}, Enterprises: []credit.Enterprise{
				{USCC: firmA, Name: "x", Region: "230100", Status: credit.StatusActive,
					LegalRepID: "p-1", LegalRepName: "张三", RegisteredCapital: ptr(1e6)},
			}},
		},
		{
			name: "shareholding csv", kind: credit.KindShareholdings, format: CSV,
			input: "investee,share,holder_kind,holder,holder_name,subscribed_capital,since,until\n" +
				firmA + ",0.6," + "firm," + firmB + ",,30000000,2015-03-01,\n" +
				firmA + ",0.25,person,p-5f2c9a,张三,,,2026-01-01T00:00:00+08:00\n" +
				firmA + ",0.15,person,p-77e0,,,,\n",
			want: store.Chunk{Lines: []int{2, 3, 4}, Shareholdings: []credit.Shareholding{
				{Holder: firmB, HolderKind: credit.HolderFirm, Investee: firmA, Share: 0.6,
					SubscribedCapital: ptr(3e7), Since: shanghaiDate(2015, 3, 1)},
				{Holder: "p-5f2c9a", HolderKind: credit.HolderPerson, HolderName: "张三", Investee: firmA, Share: 0.25,
					Until: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 8*3600))},
				{Holder: "p-77e0", HolderKind: credit.HolderPerson, Investee: firmA, Share: 0.15},
			}},
		},
		{
			name: "shareholding ndjson", kind: credit.KindShareholdings, format: NDJSON,
			input: `{"holder":"` + firmB + `","holder_kind":"firm","investee":"` + firmA + `","share":"0.51","subscribed_capital":2550000,"since":"2020-01-02","until":null,"holder_name":""}` + "\n",
			want: store.Chunk{Lines: []int{1}, Shareholdings: []credit.Shareholding{
				{Holder: firmB, HolderKind: credit.HolderFirm, Investee: firmA, Share: 0.51,
					SubscribedCapital: ptr(2550000), Since: shanghaiDate(2020, 1, 2)},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, tt.kind, tt.format, tt.input)
			equalProblems(t, d.problems, nil)
			tt.want.Kind = tt.kind
			if !reflect.DeepEqual(d.rows, tt.want) {
				t.Errorf("got  %+v\nwant %+v", d.rows, tt.want)
			}
		})
	}
}

// TestShareholdingMistakes: one row per mistake among good rows, each bad row giving
// exactly one problem, in both formats.
func TestShareholdingMistakes(t *testing.T) {
	tests := []struct {
		name     string
		format   Format
		input    string
		lines    []int // of the good rows
		problems []string
	}{
		{
			name: "shareholdings.csv", format: CSV,
			input: "holder,holder_kind,holder_name,investee,share,subscribed_capital,since,until\n" + // 1
				firmB + ",firm,," + firmA + ",0.5,,2020-01-01,\n" + // 2 good
				"11010519491231002X,person,张三," + firmA + ",0.1,,,\n" + // 3 identity number
				"p-1,people,," + firmA + ",0.1,,,\n" + // 4 unknown kind
				firmA + ",firm,," + firmA + ",0.1,,,\n" + // 5 self-holding
				"p-1,person,," + firmA + ",0,,,\n" + // 6 explicit 0
				"p-1,person,," + firmA + ",,,,\n" + // 7 share missing
				"p-1,person,," + firmA + ",1.01,,,\n" + // 8 share above 1
				"p-1,," + "," + firmA + ",0.1,,,\n" + // 9 kind missing
				"p-2,person,李四," + firmA + ",0.1,-5,,\n" + // 10 negative capital
				"p-2,person,," + firmA + ",0.1,,2027-01-01,\n" + // 11 since in the future
				"p-2,person,," + firmA + ",0.1,,2020-01-01,2019-12-31\n" + // 12 until before since
				"p-2,firm,," + firmA + ",0.1,,,\n" + // 13 a person_id as a firm holder
				"p-3,person,," + firmB + ",1,,,\n", // 14 good
			lines: []int{2, 14},
			problems: []string{
				"shareholdings.csv:3: holder: is a resident identity number; send an opaque person_id (e.g. a salted hash) instead",
				`shareholdings.csv:4: holder_kind: "people" is neither firm nor person`,
				"shareholdings.csv:5: investee: self-holding: holder and investee are both " + firmA,
				"shareholdings.csv:6: share: 0 is outside (0,1]",
				"shareholdings.csv:7: share: required",
				"shareholdings.csv:8: share: 1.01 is outside (0,1]",
				"shareholdings.csv:9: holder_kind: required",
				"shareholdings.csv:10: subscribed_capital: -5 is not a non-negative amount",
				"shareholdings.csv:11: since: 2027-01-01 lies in the future",
				"shareholdings.csv:12: until: 2019-12-31 is before since 2020-01-01",
				`shareholdings.csv:13: holder: invalid USCC "p-2": must be 18 characters, got 3`,
			},
		},
		{
			name: "shareholdings.ndjson", format: NDJSON,
			input: `{"holder":"p-1","holder_kind":"person","investee":"` + firmA + `","share":0.3}` + "\n" + // 1 good
				`{"holder":"320102198001010016","holder_kind":"person","investee":"` + firmA + `","share":0.3}` + "\n" + // 2 identity number
				`{"holder":"p-1","holder_kind":"person","investee":"` + firmA + `","shares":0.3}` + "\n" + // 3 unknown key
				`{"holder":"p-1","holder_kind":"person","investee":"` + firmA + `","share":"30%"}` + "\n" + // 4 percentage
				`{"holder":"p-1","holder_kind":"person","investee":"` + firmA + `","share":null}` + "\n" + // 5 share not given
				`{"holder":"p-1","holder_kind":"firm","holder_kind":"person","investee":"` + firmA + `","share":0.3}` + "\n" + // 6 duplicate key
				`{"holder":"p-4","holder_kind":"person","investee":"` + firmC + `","share":1,"until":"2026-01-01"}` + "\n", // 7 good
			lines: []int{1, 7},
			problems: []string{
				"shareholdings.ndjson:2: holder: is a resident identity number; send an opaque person_id (e.g. a salted hash) instead",
				`shareholdings.ndjson:3: shares: unknown field (did you mean "share"?); share: required`,
				`shareholdings.ndjson:4: share: "30%" is a percentage (write a fraction, e.g. 0.5 for 50%)`,
				"shareholdings.ndjson:5: share: required",
				`shareholdings.ndjson:6: holder_kind: duplicate key; holder: invalid USCC "p-1": must be 18 characters, got 3`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, credit.KindShareholdings, tt.format, tt.input, func(o *Options) { o.File = tt.name })
			equalProblems(t, d.problems, tt.problems)
			if !reflect.DeepEqual(d.rows.Lines, tt.lines) {
				t.Errorf("good rows at lines %v, want %v", d.rows.Lines, tt.lines)
			}
		})
	}
}

func TestShareholdingHeader(t *testing.T) {
	for input, want := range map[string]string{
		"holder,holder_kind,investee,share\n":         "",
		"investee,share,holder\n":                     `shareholdings.csv:1: header: missing required column "holder_kind"`,
		"holder,holder_kind,investee,share,percent\n": `shareholdings.csv:1: header: unknown column "percent"`,
		"holder,holder_kind,investee\n":               `shareholdings.csv:1: header: missing required column "share"`,
	} {
		_, err := NewReader(strings.NewReader(input), Options{File: "shareholdings.csv", Kind: credit.KindShareholdings, Format: CSV})
		if got := errText(err); got != want {
			t.Errorf("%q: got %q, want %q", input, got, want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
