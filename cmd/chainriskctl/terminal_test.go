//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/chainrisk/chainrisk/internal/table"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// openPTY opens a pseudo-terminal pair through /dev/ptmx, skipping loudly when the
// system has none (failing under CHAINRISK_REQUIRE_TOOLS=1).
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	skip := func(err error) {
		why := fmt.Sprintf("no pseudo-terminal can be opened (%v)", err)
		if os.Getenv("CHAINRISK_REQUIRE_TOOLS") == "1" {
			t.Fatal("CHAINRISK_REQUIRE_TOOLS=1 but " + why)
		}
		t.Skip("!!! SKIPPING the terminal test: " + why + "; set CHAINRISK_REQUIRE_TOOLS=1 to make this a failure !!!")
	}
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		skip(err)
	}
	var unlock int32
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, m.Fd(), unix.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		skip(e)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		skip(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		skip(err)
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 200}); err != nil {
		t.Logf("window size: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// buildCLI builds the real chainriskctl binary.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chainriskctl")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// onTerminal runs the binary with stdin, stdout and stderr on a fresh pseudo-terminal
// and returns all it wrote there.
func onTerminal(t *testing.T, bin string, args ...string) string {
	t.Helper()
	master, tty := openPTY(t)
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	var out bytes.Buffer
	read := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, master) // ends with EIO once the terminal is closed
		close(read)
	}()
	err := cmd.Run()
	tty.Close()
	<-read
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// TestOnATerminal runs chainriskctl on a pseudo-terminal: an import through the API
// draws its progress bar over one line, and a table of Chinese names stays aligned.
func TestOnATerminal(t *testing.T) {
	master, _ := openPTY(t) // skips before the build when no terminal can be had
	master.Close()
	startDemo(t)
	bin := buildCLI(t)

	// 60 firms of 26 bytes in batches of at most 500 bytes: 18 rows each, 4 batches.
	var b strings.Builder
	b.WriteString("uscc,name\n")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "%s,firm%02d\n", storetest.USCC(9200+i), i)
	}
	file := write(t, t.TempDir(), "firms.csv", b.String())
	out := onTerminal(t, bin, "import", "--batch-bytes", "500", "enterprises", file)
	for _, want := range []string{
		"\r" + file + ": [",        // the bar, drawn over the line
		"%  18 rows  504 B/1.6 kB", // 10 + 19×26: the 19th row is read, held for batch 2
		"importing batch 1…",
		file + ": batch 4 (lines 56-61): 6 rows, 6 accepted, 0 rejected (committed)",
		"60 rows  1.6 kB/1.6 kB",
		file + ": 60 accepted, 0 rejected, 60 changed (committed)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("import on a terminal lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, "sent in") {
		t.Errorf("the summary line for pipes shows on a terminal:\n%q", out)
	}

	// Straight into a store: once the file is read, the commit is a phase of its own.
	out = onTerminal(t, bin, "import", "--store", filepath.Join(t.TempDir(), "chainrisk.db"), "--create", "enterprises", file)
	for _, want := range []string{"\r" + file + ": [", "60 rows  1.6 kB/1.6 kB", "committing… ", file + ": 60 accepted"} {
		if !strings.Contains(out, want) {
			t.Errorf("import --store on a terminal lacks %q:\n%q", want, out)
		}
	}
	// A rescan waited for: its line ends with the scan's state.
	out = onTerminal(t, bin, "rescan", "--wait")
	if !regexp.MustCompile(`\rscan \d+: .*queued .*\rscan \d+: \[=+\] +100%  (\d+)/(\d+) firms .*succeeded *\r\n`).MatchString(out) {
		t.Errorf("rescan --wait on a terminal:\n%q", out)
	}

	// The members of the soybean chain: the column after the names starts at one
	// display column in every row, whatever the names' widths.
	out = onTerminal(t, bin, "chain", "912301099436075960")
	out = strings.ReplaceAll(out, "\r\n", "\n")
	lines := strings.Split(out, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "912301099436075960") && i > 0 { // the leader, first of the members, under their header
			start = i - 1
			break
		}
	}
	if start < 0 {
		t.Fatalf("no member table:\n%s", out)
	}
	field := regexp.MustCompile(`\S+`)
	cols, wide := map[int]int{}, 0
	for _, l := range lines[start:] {
		if strings.TrimSpace(l) == "" {
			break
		}
		f := field.FindAllStringIndex(l, -1)
		if len(f) < 3 {
			t.Fatalf("short member row %q", l)
		}
		cols[table.Width(l[:f[2][0]])]++
		if name := l[f[1][0]:f[1][1]]; table.Width(name) != len([]rune(name)) {
			wide++
		}
	}
	if len(cols) != 1 || wide < 3 {
		t.Errorf("the column after NAME starts at display columns %v (%d rows of wide names):\n%s", cols, wide, out)
	}
}
