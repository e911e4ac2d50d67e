package ingest

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// Valid codes (check characters computed with credit.MakeUSCC) and one with a wrong
// check character.
const (
	firmA   = "91230100MA1B2C3D49"
	firmB   = "91230102MA1B2C3D59"
	firmC   = "91230103MA1B2C3D6T"
	firmD   = "91230104MA1B2C3D7C"
	badSumA = "91230100MA1B2C3D40"
)

var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func testValidator() *credit.Validator {
	return &credit.Validator{Catalogue: credit.NewCatalogue(), Now: func() time.Time { return testNow }}
}

// decoded is everything a Reader produced from one input.
type decoded struct {
	rows     store.Chunk // all chunks run together
	chunks   int
	problems []string
	reader   *Reader
}

func decode(t testing.TB, kind credit.Kind, format Format, input string, tweak ...func(*Options)) decoded {
	t.Helper()
	d, err := tryDecode(kind, format, strings.NewReader(input), tweak...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func tryDecode(kind credit.Kind, format Format, in io.Reader, tweak ...func(*Options)) (decoded, error) {
	opts := Options{File: "in", Kind: kind, Format: format, Validator: testValidator()}
	for _, f := range tweak {
		f(&opts)
	}
	r, err := NewReader(in, opts)
	if err != nil {
		return decoded{}, err
	}
	d := decoded{rows: store.Chunk{Kind: kind}, reader: r}
	for {
		c, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return d, err
		}
		if c.Kind != kind || c.Len() == 0 {
			return d, fmt.Errorf("chunk of kind %q with %d rows", c.Kind, c.Len())
		}
		d.chunks++
		d.rows.Lines = append(d.rows.Lines, c.Lines...)
		d.rows.Enterprises = append(d.rows.Enterprises, c.Enterprises...)
		d.rows.Relations = append(d.rows.Relations, c.Relations...)
		d.rows.Events = append(d.rows.Events, c.Events...)
		d.rows.Repairs = append(d.rows.Repairs, c.Repairs...)
		d.rows.Shareholdings = append(d.rows.Shareholdings, c.Shareholdings...)
	}
	for _, p := range r.Problems() {
		s := p.String()
		if p.Warning {
			s = "warning: " + s
		}
		d.problems = append(d.problems, s)
	}
	return d, nil
}

func shanghaiDate(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, credit.Shanghai)
}

func ptr(x float64) *float64 { return &x }

func equalProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n  got:  %s\n  want: %s", len(got), len(want),
			strings.Join(got, "\n        "), strings.Join(want, "\n        "))
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("problem %d:\n  got:  %s\n  want: %s", i, got[i], want[i])
		}
	}
}

func TestFormatFor(t *testing.T) {
	tests := []struct {
		name, file, contentType string
		want                    Format
		err                     string
	}{
		{name: "csv extension", file: "data/events.csv", want: CSV},
		{name: "upper case extension", file: "EVENTS.CSV", want: CSV},
		{name: "ndjson extension", file: "events.ndjson", want: NDJSON},
		{name: "jsonl extension", file: "events.jsonl", want: NDJSON},
		{name: "text/csv", contentType: "text/csv", want: CSV},
		{name: "text/csv with charset", contentType: "text/csv; charset=utf-8", want: CSV},
		{name: "x-ndjson with charset", contentType: "application/x-ndjson; charset=UTF-8", want: NDJSON},
		{name: "content type wins", file: "events.csv", contentType: "application/x-ndjson", want: NDJSON},
		{name: "generic content type falls back to the name", file: "e.ndjson", contentType: "application/octet-stream", want: NDJSON},
		{name: "other charset", contentType: "text/csv; charset=gbk",
			err: `content type "text/csv; charset=gbk": charset "gbk" is not supported, send UTF-8`},
		{name: "json is not ndjson", contentType: "application/json",
			err: `content type "application/json" is not supported (want text/csv or application/x-ndjson)`},
		{name: "unknown extension", file: "events.xlsx",
			err: `cannot tell the format of "events.xlsx" (want a .csv, .ndjson or .jsonl file, or Content-Type text/csv or application/x-ndjson)`},
		{name: "malformed content type", contentType: "text/csv; charset", err: `content type "text/csv; charset": mime: invalid media parameter`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatFor(tt.file, tt.contentType)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestNewReaderOptions(t *testing.T) {
	if _, err := NewReader(strings.NewReader(""), Options{Kind: "firms", Format: NDJSON}); err == nil ||
		err.Error() != `ingest: unknown kind "firms" (want enterprises, relations, events, repairs or shareholdings)` {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := NewReader(strings.NewReader(""), Options{Kind: credit.KindEvents}); err == nil ||
		err.Error() != "ingest: Format(0) is neither CSV nor NDJSON" {
		t.Errorf("no format: %v", err)
	}
}

func TestCSVHeader(t *testing.T) {
	tests := []struct {
		name  string
		kind  credit.Kind
		input string
		err   string // empty: the header is good
	}{
		{"empty file", credit.KindEvents, "", "events.csv:1: header: missing"},
		{"only blank lines", credit.KindEvents, "\n\r\n", "events.csv:1: header: missing"},
		{"header only", credit.KindEvents, "event_id,uscc,type,occurred_at\n", ""},
		{"header only without newline", credit.KindRepairs, "event_id,repaired_at", ""},
		{"any column order, optional columns", credit.KindEvents,
			"description,occurred_at,type,uscc,amount,event_id,source,publish_until\n", ""},
		{"BOM, blank lines and spaces around names", credit.KindEnterprises, "\xEF\xBB\xBF\n uscc , name\r\n", ""},
		{"quoted names", credit.KindEnterprises, `"uscc","name"` + "\n", ""},
		{"unknown column with a suggestion", credit.KindEvents, "evnt_id,uscc,type,occurred_at\n",
			`events.csv:1: header: unknown column "evnt_id" (did you mean "event_id"?)`},
		{"unknown column", credit.KindEvents, "event_id,uscc,type,occurred_at,severity\n",
			`events.csv:1: header: unknown column "severity"`},
		{"wrong case", credit.KindEnterprises, "USCC,name\n",
			`events.csv:1: header: unknown column "USCC" (did you mean "uscc"?)`},
		{"missing required column", credit.KindEvents, "event_id,uscc,occurred_at\n",
			`events.csv:1: header: missing required column "type"`},
		{"missing required columns", credit.KindRelations, "purchase_share\n",
			`events.csv:1: header: missing required columns "supplier", "customer", "sales_share"`},
		{"duplicate column", credit.KindRepairs, "event_id,repaired_at,event_id\n",
			`events.csv:1: header: duplicate column "event_id"`},
		{"empty column name", credit.KindRepairs, "event_id,,repaired_at\n",
			`events.csv:1: header: column 2 has no name`},
		{"header after blank lines", credit.KindRepairs, "\n\nevent_id,repaired_at,reason,\n",
			`events.csv:3: header: column 4 has no name`},
		{"bad quote in the header", credit.KindRepairs, "event_id,\"repaired_at\"x\n",
			`events.csv:1: header: extraneous " in a quoted field (write "" for a quote inside it)`},
		{"not UTF-8", credit.KindRepairs, "event_id,repaired_at,r\xe9ason\n",
			`events.csv:1: header: unknown column "r\xe9ason"`},
		{"JSON instead of CSV", credit.KindRepairs, `{"event_id":"E1","repaired_at":"2026-01-02"}` + "\n",
			`events.csv:1: header: bare " in a field that is not quoted (quote the field and write "" for a quote inside it)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.input), Options{File: "events.csv", Kind: tt.kind, Format: CSV})
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var p RowProblem
			if !errors.As(err, &p) || err.Error() != tt.err {
				t.Fatalf("error %v, want the RowProblem %s", err, tt.err)
			}
		})
	}
}

func TestEmptyInput(t *testing.T) {
	for _, input := range []string{"", "\n", "\xEF\xBB\xBF", "  \n\t\r\n"} {
		d := decode(t, credit.KindEvents, NDJSON, input)
		if d.rows.Len() != 0 || len(d.problems) != 0 || d.reader.Rows() != 0 {
			t.Errorf("%q: %d rows, problems %q", input, d.rows.Len(), d.problems)
		}
	}
	d := decode(t, credit.KindEvents, CSV, "event_id,uscc,type,occurred_at\r\n\r\n")
	if d.rows.Len() != 0 || len(d.problems) != 0 || d.chunks != 0 {
		t.Errorf("header only: %d rows, problems %q", d.rows.Len(), d.problems)
	}
}

// TestRecords checks that every field lands where it belongs, with its defaults, in
// both formats.
func TestRecords(t *testing.T) {
	revenue := 1.5e9
	tests := []struct {
		name   string
		kind   credit.Kind
		format Format
		input  string
		want   store.Chunk
	}{
		{
			name: "enterprise csv", kind: credit.KindEnterprises, format: CSV,
			input: "uscc,name,region,industry,tags,status,revenue\n" +
				firmA + ",北大荒大豆加工有限公司,230100,C1331,leading; Specialized;;leading,abnormal,1.5e9\n" +
				firmB + ",Minimal,,,,,\n",
			want: store.Chunk{Lines: []int{2, 3}, Enterprises: []credit.Enterprise{
				{USCC: firmA, Name: "北大荒大豆加工有限公司", Region: "230100", Industry: "C1331",
					Tags: []string{"leading", "specialized"}, Status: credit.StatusAbnormal, Revenue: &revenue},
				{USCC: firmB, Name: "Minimal", Region: "230102", Status: credit.StatusActive},
			}},
		},
		{
			name: "enterprise ndjson", kind: credit.KindEnterprises, format: NDJSON,
			input: `{"uscc":"` + firmA + `","name":"北大荒\u5927豆","tags":["leading","little_giant"],"revenue":"1500000000"}` + "\n" +
				`{"uscc":"` + firmB + `","name":"Minimal","tags":"listed;leading","revenue":null,"region":"","status":null}` + "\n",
			want: store.Chunk{Lines: []int{1, 2}, Enterprises: []credit.Enterprise{
				{USCC: firmA, Name: "北大荒大豆", Region: "230100", Tags: []string{"leading", "little_giant"},
					Status: credit.StatusActive, Revenue: &revenue},
				{USCC: firmB, Name: "Minimal", Region: "230102", Tags: []string{"listed", "leading"}, Status: credit.StatusActive},
			}},
		},
		{
			name: "relation csv", kind: credit.KindRelations, format: CSV,
			input: "customer,supplier,purchase_share,sales_share,substitutability,amount,product,valid_from,valid_to\n" +
				firmA + "," + firmB + ",0.4,1,0,2500000,\"soybeans, non-GMO\",2025-01-01,2026-12-31T23:59:59+08:00\n" +
				firmA + "," + firmC + ",0.5,0.125,,,,,\n",
			want: store.Chunk{Lines: []int{2, 3}, Relations: []credit.Relation{
				{Supplier: firmB, Customer: firmA, PurchaseShare: 0.4, SalesShare: 1, Substitutability: 0,
					Amount: ptr(2500000), Product: "soybeans, non-GMO", ValidFrom: shanghaiDate(2025, 1, 1),
					ValidTo: time.Date(2026, 12, 31, 23, 59, 59, 0, time.FixedZone("", 8*3600))},
				{Supplier: firmC, Customer: firmA, PurchaseShare: 0.5, SalesShare: 0.125, Substitutability: credit.DefaultSubstitutability},
			}},
		},
		{
			name: "relation ndjson", kind: credit.KindRelations, format: NDJSON,
			input: `{"supplier":"` + firmB + `","customer":"` + firmA + `","purchase_share":0.25,"sales_share":"0.5","substitutability":1,"amount":1e6}` + "\n",
			want: store.Chunk{Lines: []int{1}, Relations: []credit.Relation{
				{Supplier: firmB, Customer: firmA, PurchaseShare: 0.25, SalesShare: 0.5, Substitutability: 1, Amount: ptr(1e6)},
			}},
		},
		{
			name: "event csv with a multi-line description", kind: credit.KindEvents, format: CSV,
			input: "event_id,uscc,type,occurred_at,publish_until,source,amount,description\n" +
				"E1," + firmA + ",tax_arrears,2026-03-15,,税务局,12000.50,\"欠税\r\n\"\"公告\"\"\"\n" +
				"E2," + firmB + ",abnormal_operation,2026-03-15T10:00:00Z,2027-01-01,,,\n",
			want: store.Chunk{Lines: []int{2, 4}, Events: []credit.Event{
				{ID: "E1", USCC: firmA, Type: "tax_arrears", OccurredAt: shanghaiDate(2026, 3, 15),
					PublishUntil: shanghaiDate(2027, 3, 15), Source: "税务局", Amount: ptr(12000.5),
					Description: "欠税\n\"公告\"", State: credit.EventActive},
				{ID: "E2", USCC: firmB, Type: "abnormal_operation", OccurredAt: time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC),
					PublishUntil: shanghaiDate(2027, 1, 1), State: credit.EventActive},
			}},
		},
		{
			name: "event ndjson", kind: credit.KindEvents, format: NDJSON,
			input: "\n" + `  {"event_id":"E\"1\"","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-02 08:30:00","amount":0,"description":"tab\there"}  ` + "\r\n",
			want: store.Chunk{Lines: []int{2}, Events: []credit.Event{
				{ID: `E"1"`, USCC: firmA, Type: "honor", OccurredAt: time.Date(2026, 1, 2, 8, 30, 0, 0, credit.Shanghai),
					PublishUntil: time.Date(2029, 1, 2, 8, 30, 0, 0, credit.Shanghai), Amount: ptr(0),
					Description: "tab\there", State: credit.EventActive},
			}},
		},
		{
			name: "repair csv", kind: credit.KindRepairs, format: CSV,
			input: "repaired_at,event_id,reason,decided_by\n2026-04-01,E1,,\n",
			want: store.Chunk{Lines: []int{2}, Repairs: []credit.Repair{
				{EventID: "E1", RepairedAt: shanghaiDate(2026, 4, 1)},
			}},
		},
		{
			name: "repair ndjson", kind: credit.KindRepairs, format: NDJSON,
			input: `{"event_id":"E1","repaired_at":"2026-04-01T12:00:00.5-05:30","decided_by":"信用中心","reason":"整改完成"}`,
			want: store.Chunk{Lines: []int{1}, Repairs: []credit.Repair{
				{EventID: "E1", RepairedAt: time.Date(2026, 4, 1, 12, 0, 0, 5e8, time.FixedZone("", -(5*3600+30*60))),
					DecidedBy: "信用中心", Reason: "整改完成"},
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

// TestMistakes feeds one file per kind and format that holds one row of each mistake
// among good rows: each bad row must give exactly one problem, with its exact text,
// and every good row must come through.
func TestMistakes(t *testing.T) {
	// shares ends an NDJSON relation with both shares, so that a row shows its one fault.
	const shares = `"purchase_share":0.5,"sales_share":0.5}`
	tests := []struct {
		name     string
		kind     credit.Kind
		format   Format
		input    string
		lines    []int // of the good rows
		problems []string
	}{
		{
			name: "relations.csv", kind: credit.KindRelations, format: CSV,
			input: "supplier,customer,purchase_share,sales_share,substitutability,amount,product,valid_from,valid_to\n" + // 1
				firmB + "," + firmA + ",0.5,0.2,0.1,1000,soybeans,2025-01-01,\n" + // 2 good
				firmC + "," + firmA + ",1.5,0.1,,,,,\n" + // 3 share 1.5
				firmD + "," + firmD + ",0.3,0.1,,,,,\n" + // 4 self-loop
				"91230100MA1B2C3D4," + firmA + ",0.1,0.1,,,,,\n" + // 5 bad USCC
				firmC + "," + firmB + ",0,0.1,,,,,\n" + // 6 explicit 0
				firmC + "," + firmB + ",0.1,0.1,,\"1,000\"x,,,\n" + // 7 bad quote
				firmD + "," + firmB + ",0.1,0.1,,,\"a \"\"quoted\"\"\nproduct\",,\n" + // 8-9 good, two lines
				firmC + "," + firmD + ",0.1,0.1,,,caf\xe9,,\n" + // 10 not UTF-8
				firmB + "," + firmC + ",0.1,0.1,,,,2026-02-30,\n" + // 11 impossible date
				firmB + "," + firmD + ",0.1,0.1,,1.2.3,,,\n" + // 12 bad number
				firmC + "," + firmA + ",0.1,0.1,,12 000,dairy \"raw\" milk,,\n" + // 13 bare quote
				firmA + "," + firmB + ",0.1,0.2,0.3,,,2026-01-01,2025-01-01\n" + // 14 valid_to before valid_from
				"\n" + // 15 blank
				firmD + "," + firmA + ",0.1,0.1,NaN,0x10,,,\n" + // 16 two faults in one row
				firmB + "," + firmA + ",,,,,,,\n" + // 17 shares missing
				firmA + "," + firmC + ",0.2,,", // 18 truncated last line
			lines: []int{2, 8},
			problems: []string{
				"relations.csv:3: purchase_share: 1.5 is outside (0,1]",
				"relations.csv:4: customer: self-loop: supplier and customer are both " + firmD,
				`relations.csv:5: supplier: invalid USCC "91230100MA1B2C3D4": must be 18 characters, got 17`,
				"relations.csv:6: purchase_share: 0 is outside (0,1]",
				`relations.csv:7: amount: extraneous " in a quoted field (write "" for a quote inside it)`,
				"relations.csv:10: product: not valid UTF-8",
				`relations.csv:11: valid_from: "2026-02-30" is not a valid date: February 2026 has 28 days`,
				`relations.csv:12: amount: "1.2.3" is not a number`,
				`relations.csv:13: product: bare " in a field that is not quoted (quote the field and write "" for a quote inside it)`,
				"relations.csv:14: valid_to: 2025-01-01 is not after valid_from 2026-01-01",
				`relations.csv:16: substitutability: "NaN" is not a finite number; amount: "0x10" is hexadecimal (write the number in decimal)`,
				"relations.csv:17: purchase_share: required; sales_share: required",
				"relations.csv:18: record: has 5 fields, the header has 9",
			},
		},
		{
			name: "events.csv", kind: credit.KindEvents, format: CSV,
			input: "\xEF\xBB\xBFevent_id,uscc,type,occurred_at,publish_until,amount\r\n" + // 1
				"E1," + firmA + ",tax_arrears,2026-01-10,,100\r\n" + // 2 good
				"E2," + firmA + ",late_delivery,2026-01-10,,\r\n" + // 3 unknown type
				"E3," + firmA + ",tax_arrears,2026-01-10,2025-12-31,\r\n" + // 4 publish_until before occurred_at
				"E4," + badSumA + ",honor,2026-01-10,,\r\n" + // 5 bad check character
				"E5," + firmB + ",honor,2026-13-01,,\r\n" + // 6 impossible month
				"E6," + firmB + ",honor,2027-01-01,,\r\n" + // 7 in the future
				"E7," + firmB + ",honor,10/01/2026,,1,5\r\n" + // 8 too many fields
				"E8," + firmB + ",honor,2026-01-10,,\"1 234,5\"\r\n" + // 9 decimal comma
				",,,,,\r\n" + // 10 everything missing
				"E9," + firmC + ",honor,2026-01-10T08:00:00+08:00,,-5\r\n" + // 11 negative amount
				"E10," + firmC + ",honor,2026-01-10,,\r\n", // 12 good
			lines: []int{2, 12},
			problems: []string{
				`events.csv:3: type: unknown event type "late_delivery" (declare it in model.event_types)`,
				"events.csv:4: publish_until: 2025-12-31T00:00:00+08:00 is not after occurred_at 2026-01-10T00:00:00+08:00",
				`events.csv:5: uscc: invalid USCC "` + badSumA + `": bad check character '0' (expected '9')`,
				`events.csv:6: occurred_at: "2026-13-01" is not a valid date: there is no month 13`,
				"events.csv:7: occurred_at: 2027-01-01T00:00:00+08:00 lies in the future",
				"events.csv:8: record: has 7 fields, the header has 6",
				`events.csv:9: amount: "1 234,5" is not a number`,
				"events.csv:10: event_id: required; uscc: required; type: required; occurred_at: required",
				"events.csv:11: amount: -5 is not a non-negative amount",
			},
		},
		{
			name: "relations.ndjson", kind: credit.KindRelations, format: NDJSON,
			input: `{"supplier":"` + firmB + `","customer":"` + firmA + `","purchase_share":0.5,"sales_share":0.5}` + "\n" + // 1 good
				`{"supplier":"` + firmC + `","customer":"` + firmA + `","purchase_share":1.5,"sales_share":0.5}` + "\n" + // 2 share 1.5
				`{"supplier":"` + firmD + `","customer":"` + firmD + `",` + shares + "\n" + // 3 self-loop
				`{"supplier":"` + firmC + `","customer":"` + firmA + `","purchase_shares":0.5,"purchase_share":0.5,"sales_share":0.5}` + "\n" + // 4 unknown key
				`{"supplier":"` + firmC + `","customer":"` + firmA + `","supplier":"` + firmB + `",` + shares + "\n" + // 5 duplicate key
				`{"supplier":"` + firmC + `","customer":"` + firmB + `","product":"caf` + "\xe9" + `",` + shares + "\n" + // 6 not UTF-8
				`{"supplier":"` + firmC + `","customer":"` + firmB + `","valid_from":"2026-02-30",` + shares + "\n" + // 7 impossible date
				`{"supplier":"` + firmC + `","customer":"` + firmB + `","amount":"1,000,000",` + shares + "\n" + // 8 thousands separators
				`{"supplier":"` + firmC + `","customer":"` + firmB + `","amount":1e999,` + shares + "\n" + // 9 out of range
				`{"supplier":"` + firmC + `","customer":"` + firmB + `","amount":12.}` + "\n" + // 10 not JSON
				`["` + firmC + `","` + firmB + `"]` + "\n" + // 11 not an object
				`{"supplier":"` + firmC + `","customer":"` + firmB + `","product":{"name":"milk"},` + shares + "\n" + // 12 wrong type
				`{"supplier":"` + firmB + `","customer":"` + firmC + `","sales_share":"50%","purchase_share":0.5}` + "\n" + // 13 percentage
				`{"supplier":"` + firmB + `","customer":"` + firmC + `",` + shares + "\n" + // 14 good
				`{"supplier":"` + firmD + `","customer":"` + firmC + `",` + "\n" + // 15 truncated last line
				`{"supplier":"` + firmD + `","customer":"` + firmC + `","purchase_share":null,"sales_share":""}`, // 16 shares not given
			lines: []int{1, 14},
			problems: []string{
				"relations.ndjson:2: purchase_share: 1.5 is outside (0,1]",
				"relations.ndjson:3: customer: self-loop: supplier and customer are both " + firmD,
				`relations.ndjson:4: purchase_shares: unknown field (did you mean "purchase_share"?)`,
				"relations.ndjson:5: supplier: duplicate key",
				"relations.ndjson:6: product: not valid UTF-8",
				`relations.ndjson:7: valid_from: "2026-02-30" is not a valid date: February 2026 has 28 days`,
				`relations.ndjson:8: amount: "1,000,000" has digit group separators (write 1000000)`,
				`relations.ndjson:9: amount: "1e999" is out of range`,
				"relations.ndjson:10: record: invalid JSON at byte 78: want a digit after the decimal point",
				"relations.ndjson:11: record: invalid JSON at byte 1: want an object, one per line",
				"relations.ndjson:12: product: want a string, got an object",
				`relations.ndjson:13: sales_share: "50%" is a percentage (write a fraction, e.g. 0.5 for 50%)`,
				"relations.ndjson:15: record: invalid JSON at byte 66: unexpected end of line, want a key in double quotes",
				"relations.ndjson:16: purchase_share: required; sales_share: required",
			},
		},
		{
			name: "events.ndjson", kind: credit.KindEvents, format: NDJSON,
			input: "\xEF\xBB\xBF" + `{"event_id":"E1","uscc":"` + firmA + `","type":"tax_arrears","occurred_at":"2026-01-10"}` + "\n" + // 1 good
				`{"event_id":"E2","uscc":"` + firmA + `","type":"late_delivery","occurred_at":"2026-01-10"}` + "\n" + // 2 unknown type
				`{"event_id":"E3","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-10","publish_until":"2026-01-09"}` + "\n" + // 3 publish_until before occurred_at
				`{"event_id":"E4","uscc":"` + firmA + `","type":"honor","occurred_at":20260110}` + "\n" + // 4 date as a number
				`{"event_id":"E5","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-10","amount":true}` + "\n" + // 5 bool amount
				`{"event_id":"E6","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-10","severity":"high","source":"x"}` + "\n" + // 6 unknown key
				`{"event_id":"E7","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-10","description":"\ud800"}` + "\n" + // 7 lone surrogate
				`{"event_id":"E8","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-10T25:00:00Z"}` + "\n" + // 8 impossible hour
				`{"event_id":"E9","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-10"}` + "  \n" + // 9 good
				`{"event_id":"E\u000710","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-10"}` + "\n", // 10 control character
			lines: []int{1, 9},
			problems: []string{
				`events.ndjson:2: type: unknown event type "late_delivery" (declare it in model.event_types)`,
				"events.ndjson:3: publish_until: 2026-01-09T00:00:00+08:00 is not after occurred_at 2026-01-10T00:00:00+08:00",
				"events.ndjson:4: occurred_at: want a date string, got a number",
				"events.ndjson:5: amount: want a number, got a boolean",
				"events.ndjson:6: severity: unknown field",
				`events.ndjson:7: description: lone UTF-16 surrogate in a \u escape`,
				`events.ndjson:8: occurred_at: "2026-01-10T25:00:00Z" is not a valid time of day`,
				`events.ndjson:10: event_id: contains the control character '\a'`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, tt.kind, tt.format, tt.input, func(o *Options) { o.File = tt.name })
			equalProblems(t, d.problems, tt.problems)
			if !reflect.DeepEqual(d.rows.Lines, tt.lines) {
				t.Errorf("good rows at lines %v, want %v", d.rows.Lines, tt.lines)
			}
			r := d.reader
			if r.Rejected() != len(tt.problems) || r.Rows() != len(tt.problems)+len(tt.lines) {
				t.Errorf("rows %d, rejected %d; want %d, %d", r.Rows(), r.Rejected(), len(tt.problems)+len(tt.lines), len(tt.problems))
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	input := "uscc,name\n" + badSumA + ",Tolerated\n"
	d := decode(t, credit.KindEnterprises, CSV, input, func(o *Options) { o.Validator.AcceptBadChecksums = true })
	equalProblems(t, d.problems, []string{
		`warning: in:2: uscc: bad check character '0' (expected '9') (accepted: ingest.accept_bad_checksums)`,
	})
	if d.rows.Len() != 1 || d.rows.Enterprises[0].USCC != badSumA {
		t.Errorf("the row with a warning must be kept: %+v", d.rows)
	}
	if r := d.reader; r.Warned() != 1 || r.Rejected() != 0 {
		t.Errorf("warned %d, rejected %d", r.Warned(), r.Rejected())
	}

	d = decode(t, credit.KindEnterprises, CSV, input)
	equalProblems(t, d.problems, []string{
		`in:2: uscc: invalid USCC "` + badSumA + `": bad check character '0' (expected '9')`,
	})
}

// TestMisspeltEventType: an event type one letter off a known one is answered with
// that name, then the advice to declare a new type.
func TestMisspeltEventType(t *testing.T) {
	input := "event_id,uscc,type,occurred_at\nE1," + firmA + ",dishonest_judgement_debtor,2026-01-10\n"
	d := decode(t, credit.KindEvents, CSV, input, func(o *Options) { o.File = "events.csv" })
	equalProblems(t, d.problems, []string{
		`events.csv:2: type: unknown event type "dishonest_judgement_debtor": did you mean dishonest_judgment_debtor? ` +
			`A new type must be declared in model.event_types`,
	})
}

// TestDefaultValidator checks that a nil Validator means the default catalogue.
func TestDefaultValidator(t *testing.T) {
	d := decode(t, credit.KindEvents, NDJSON, `{"event_id":"E1","uscc":"`+firmA+`","type":"bankruptcy","occurred_at":"2024-01-01"}`,
		func(o *Options) { o.Validator = nil })
	equalProblems(t, d.problems, nil)
	if d.rows.Len() != 1 {
		t.Fatalf("got %d rows", d.rows.Len())
	}
}

func TestChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString("event_id,uscc,type,occurred_at\n")
	for i := 1; i <= 10; i++ {
		typ := "honor"
		if i%4 == 0 {
			typ = "bogus"
		}
		fmt.Fprintf(&b, "E%d,%s,%s,2026-01-%02d\n", i, firmA, typ, i)
	}
	r, err := NewReader(strings.NewReader(b.String()), Options{Kind: credit.KindEvents, Format: CSV, ChunkSize: 3, Validator: testValidator()})
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	var lines []int
	for {
		c, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, c.Len())
		lines = append(lines, c.Lines...)
		if len(c.Events) != c.Len() {
			t.Errorf("chunk has %d events for %d lines", len(c.Events), c.Len())
		}
		for i, e := range c.Events {
			if want := fmt.Sprintf("E%d", c.Lines[i]-1); e.ID != want {
				t.Errorf("line %d holds %s, want %s", c.Lines[i], e.ID, want)
			}
		}
	}
	if want := []int{3, 3, 2}; !reflect.DeepEqual(sizes, want) {
		t.Errorf("chunk sizes %v, want %v", sizes, want)
	}
	if want := []int{2, 3, 4, 6, 7, 8, 10, 11}; !reflect.DeepEqual(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the end: %v, want io.EOF", err)
	}
	if r.Rows() != 10 || r.Rejected() != 2 {
		t.Errorf("rows %d rejected %d", r.Rows(), r.Rejected())
	}
	// The chunk byte bound must end a chunk before ChunkSize when rows are long.
	long := strings.Repeat("x", 1000)
	b.Reset()
	for i := 0; i < 40000; i++ {
		fmt.Fprintf(&b, `{"event_id":"E%d","uscc":"%s","type":"honor","occurred_at":"2026-01-01","description":"%s"}`+"\n", i, firmA, long)
	}
	d := decode(t, credit.KindEvents, NDJSON, b.String())
	if d.rows.Len() != 40000 || d.chunks < 2 {
		t.Errorf("%d rows in %d chunks; want 40000 rows in at least 2 chunks", d.rows.Len(), d.chunks)
	}
}

func TestMaxProblems(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(&b, `{"event_id":"E%d","uscc":"nope","type":"honor","occurred_at":"2026-01-01"}`+"\n", i)
	}
	d := decode(t, credit.KindEvents, NDJSON, b.String(), func(o *Options) { o.MaxProblems = 10 })
	if len(d.problems) != 10 || d.reader.Rejected() != 25 || d.reader.Rows() != 25 {
		t.Fatalf("%d problems kept, %d rejected, %d rows", len(d.problems), d.reader.Rejected(), d.reader.Rows())
	}
	if d.problems[9] != `in:10: uscc: invalid USCC "nope": must be 18 characters, got 4` {
		t.Errorf("last kept problem: %s", d.problems[9])
	}
}

// TestLongRecords checks the bound on a record's length: the runaway row is one
// problem, and the rows after it come through.
func TestLongRecords(t *testing.T) {
	good := func(id string) string { return id + "," + firmA + ",honor,2026-01-01" }
	long := strings.Repeat("y", 300)
	tests := []struct {
		name     string
		format   Format
		input    string
		lines    []int
		problems []string
	}{
		{
			name: "csv line", format: CSV,
			input: "event_id,uscc,type,occurred_at\n" + good("E1") + "\n" + good(long) + "\n" + good("E3") + "\n",
			lines: []int{2, 4}, problems: []string{"in:3: record: record longer than 256 bytes"},
		},
		{
			name: "csv line longer than the read buffer", format: CSV,
			input: "event_id,uscc,type,occurred_at\n" + good("E1") + "\n" + good(strings.Repeat("z", 200_000)) + "\n" + good("E3"),
			lines: []int{2, 4}, problems: []string{"in:3: record: record longer than 256 bytes"},
		},
		{
			name: "csv quote never closed", format: CSV,
			input: "event_id,uscc,type,occurred_at\n" + good("E1") + "\n" + `"E2,` + firmA + ",honor,2026-01-01\n" + good("E3") + "\n" + good("E4") + "\n",
			lines: []int{2}, problems: []string{"in:3: event_id: quoted field is never closed, lines 3-5 skipped"},
		},
		{
			// Each line is 38 bytes and a newline: the open quote swallows lines 3-8,
			// line 9 would pass 256 bytes, and reading resumes at line 10.
			name: "csv quote open over many lines", format: CSV,
			input: "event_id,uscc,type,occurred_at\n" + good("E1") + "\n" + `"E2,` + firmA + ",honor,2026-01-01\n" +
				strings.Repeat(good("EX")+"\n", 20) + good("E4") + "\n",
			lines: []int{2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24},
			problems: []string{
				`in:3: event_id: record longer than 256 bytes, lines 3-9 skipped (is a quote left open?)`,
			},
		},
		{
			name: "csv quote closed rows later", format: CSV,
			input: "event_id,uscc,type,occurred_at\n" + `"E1,` + firmA + ",honor,2026-01-01\n" + good("E2") + "\n" +
				`E3",` + firmA + ",honor,2026-01-01\n" + good("E4") + "\n",
			lines: []int{5}, problems: []string{"in:2: event_id: contains a line break"},
		},
		{
			name: "csv quote closed rows later, wrong field count", format: CSV,
			input: "event_id,uscc,type,occurred_at\n" + `"E1,` + firmA + ",honor,2026-01-01\n" + good("E2") + "\n" +
				`E3",` + firmA + ",honor,2026-01-01,\n" + good("E4") + "\n",
			lines: []int{5}, problems: []string{"in:2: record: has 5 fields, the header has 4 (the record spans lines 2-4)"},
		},
		{
			name: "ndjson line", format: NDJSON,
			input: `{"event_id":"E1","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-01"}` + "\n" +
				`{"event_id":"` + long + `"}` + "\n" +
				`{"event_id":"E3","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-01"}`,
			lines: []int{1, 3}, problems: []string{"in:2: record: line longer than 256 bytes"},
		},
		{
			name: "ndjson last line", format: NDJSON,
			input: `{"event_id":"E1","uscc":"` + firmA + `","type":"honor","occurred_at":"2026-01-01"}` + "\n" +
				`{"event_id":"` + strings.Repeat("w", 100_000) + `"}`,
			lines: []int{1}, problems: []string{"in:2: record: line longer than 256 bytes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, credit.KindEvents, tt.format, tt.input, func(o *Options) { o.MaxRecordBytes = 256 })
			equalProblems(t, d.problems, tt.problems)
			if !reflect.DeepEqual(d.rows.Lines, tt.lines) {
				t.Errorf("good rows at lines %v, want %v", d.rows.Lines, tt.lines)
			}
		})
	}
}

// errReader fails after its data, as a broken connection does.
type errReader struct {
	data string
	err  error
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.data == "" {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	for _, format := range []Format{CSV, NDJSON} {
		in := &errReader{data: "event_id,repaired_at\nE1,2026-01-01\n", err: boom}
		if format == NDJSON {
			in.data = `{"event_id":"E1","repaired_at":"2026-01-01"}` + "\n"
		}
		_, err := tryDecode(credit.KindRepairs, format, in)
		if !errors.Is(err, boom) || err.Error() != "reading in: connection reset" {
			t.Errorf("%v: %v", format, err)
		}
	}
	_, err := tryDecode(credit.KindRepairs, CSV, &errReader{err: boom})
	if !errors.Is(err, boom) {
		t.Errorf("header: %v", err)
	}
}
