package table

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"
)

func TestWidth(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"哈尔滨", 6},
		{"（有限）", 8},
		{"(有限)", 6},
		{"ＡＢ1", 5},
		{"e\u0301", 1},
		{"A级", 3},
		{"—", 1}, // an em dash is ambiguous width: one column on a terminal not set to CJK
	} {
		if got := Width(tc.s); got != tc.want {
			t.Errorf("Width(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

// TestAligned: a table of Chinese names comes out with every column starting at the
// same display column on every line, worked out by hand.
func TestAligned(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	fmt.Fprintln(w, "USCC\tNAME\tGRADE")
	fmt.Fprintln(w, "91230100MA1B2C3D49\t哈尔滨电机厂有限责任公司\tB")
	fmt.Fprintln(w, "91230100MA1B2C3D50\t（黑龙江）精工 Co.\tD")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// USCC column: 18 + 2 = 20; NAME column: 哈尔滨电机厂有限责任公司 is 12 wide characters = 24, + 2 = 26.
	want := "USCC                NAME                      GRADE\n" +
		"91230100MA1B2C3D49  哈尔滨电机厂有限责任公司  B\n" +
		"91230100MA1B2C3D50  （黑龙江）精工 Co.        D\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for i, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		before := l[:strings.LastIndex(l, []string{"GRADE", "B", "D"}[i])]
		if Width(before) != 46 {
			t.Errorf("line %d: the last column starts at display column %d, want 46", i, Width(before))
		}
	}
}

// TestLikeTabwriter: on ASCII text the output is text/tabwriter's (padding 2, spaces,
// no flags) byte for byte, blocks of lines without a column included.
func TestLikeTabwriter(t *testing.T) {
	inputs := []string{
		"a\tbb\tccc\nlonger cell\tx\ty\n",
		"title line\nk\tv\nkey2\tvalue two\n\nafter a blank\tz\n",
		"a\tb\tc\td\n1\t2\n1\t2\t3\t4\nend\n",
		"no tabs at all\n",
		"trailing\ttext without newline",
		"",
	}
	for _, in := range inputs {
		var want, got bytes.Buffer
		tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', 0)
		tw.Write([]byte(in))
		tw.Flush()
		w := NewWriter(&got)
		w.Write([]byte(in))
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("input %q:\ngot  %q\nwant %q", in, got.String(), want.String())
		}
	}
}
