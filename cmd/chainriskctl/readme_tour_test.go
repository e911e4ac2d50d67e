package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tourWant is what a command of README's tour must print: strings of its output, and
// of a file it writes when file is set.
type tourWant struct {
	cmd  string // a substring of the command as README writes it
	out  []string
	file string
	in   []string // strings of file
}

// tourWants lists, for every command of README's "A first tour", what README says it
// prints. The first entry whose cmd the command holds applies; a README command that
// none matches fails the test, so that a new step of the tour gets its check.
var tourWants = []tourWant{
	{cmd: "search 大豆", out: []string{"912301099436075960", "黑龙江松花江大豆产业集团股份有限公司", "91231100843841844D"}},
	{cmd: "chain 912301099436075960 -o dot", file: "chain.dot", in: []string{"digraph", "912301099436075960"}},
	{cmd: "chain 912301099436075960", out: []string{"黑龙江松花江大豆产业集团股份有限公司", "chain_risk", "supply_at_risk", "91231100843841844D"}},
	{cmd: "enterprise 91231100843841844D     # grade D", out: []string{"grade          D", "TOUR-1 失信被执行人",
		"critical_event_caps_grade_at_D"}},
	{cmd: "enterprise 91231100843841844D", out: []string{"黑河北疆金穗大豆收储有限公司", "why (worst first):"}},
	{cmd: "printf 'event_id,uscc,type", file: "tour.csv", in: []string{"TOUR-1,91231100843841844D,dishonest_judgment_debtor,"}},
	{cmd: "event-types --lang en", out: []string{"dishonest_judgment_debtor", "Dishonest judgment debtor", "critical", "serious, at once, max 5y, 人民法院"}},
	{cmd: "import events", out: []string{"1 accepted, 0 rejected"}},
	{cmd: "rescan --scope chain:912301099436075960 --wait", out: []string{"succeeded"}},
	{cmd: "check 912301113528741157", out: []string{": REJECT", "actual controller: 91230102MAHTL3M900 黑龙江恒信实业集团有限公司 grade D",
		"黑龙江恒信实业集团有限公司  firm    D      0.00%   39.00%", "beneficial owner:"}},
	{cmd: "enterprise 912301113528741157", out: []string{"哈尔滨松花江恒信包装制品有限公司", "grade          B",
		"actual_controller  91230102MAHTL3M900  黑龙江恒信实业集团有限公司  grade D  penetrated 0.39  DISTRESSED"}},
	{cmd: "ownership 912301113528741157 --output dot", file: "ownership.svg", in: []string{"<svg"}},
	{cmd: "ownership 912301113528741157", out: []string{"黑龙江恒信实业集团有限公司", "哈尔滨恒信企业管理有限公司"}},
	{cmd: "alerts --rule related_party_distress --uscc 912301113528741157 --output json",
		out: []string{"实际控制人 黑龙江恒信实业集团有限公司 (91230102MAHTL3M900)，穿透持股 39%：信用等级 D；失信被执行人", `"path"`}},
	{cmd: "alerts --rule related_party_distress", out: []string{"related_party_distress", "912301113528741157", "91230103MA0LW33J30"}},
	{cmd: "printf 'uscc\\n", file: "targets.csv", in: []string{"uscc\n912301113528741157\n"}},
	{cmd: "screen ", out: []string{"uscc,name,verdict,grade,reasons,check_id", "912301113528741157,哈尔滨松花江恒信包装制品有限公司,reject,B,",
		"912301099436075960,黑龙江松花江大豆产业集团股份有限公司,pass,A,"}},
	{cmd: "token create --role tenant", out: []string{"crk_"}},
	{cmd: "onboard demo/onboarding/soybean_suppliers.csv --dry-run", out: []string{"1 by USCC, 4 exact", "left over 2", "黑河丰泽种植专业合作社            exact"},
		file: "left.csv", in: []string{"北疆金穗有限公司", "绥化市北林区金禾粮油贸易有限公司", "uscc"}},
	{cmd: "onboard demo/onboarding/soybean_suppliers.csv --resolve", out: []string{"北疆金穗有限公司                  confirmed  91231100843841844D",
		"imported 6 relations as your own"}},
	{cmd: "chain 912301099436075960          # taken on the leader's own list", out: []string{"taken on the leader's own supplier list (6 relations)"}},
	{cmd: "repair-plan 91230200MA2A29P71E", out: []string{"齐齐哈尔白山通达动物保健品有限公司: score 52", "grade C",
		"YES  HLJ-2026-001201  consumption_restriction", "人民法院", "what to do:", "the events eligible now are repaired  score 73",
		"every repairable event is repaired    score 800.0  grade B", "without any repair the grade improves on"}},
	{cmd: "/report > report.html", file: "report.html", in: []string{"信用评价报告", "齐齐哈尔白山通达动物保健品有限公司"}},
	{cmd: "chromium --headless", file: "report.pdf", in: []string{"%PDF"}},
	{cmd: "/api/v1/lists/discipline?region=2311", out: []string{`"members"`, `"uscc":"91231100843841844D"`, `"reasons"`}},
	{cmd: "/api/v1/lists/incentive?tag=specialized", out: []string{`"members"`, `"next_cursor"`}},
	{cmd: "/api/v1/lists/focus?format=csv", file: "focus.csv", in: []string{"uscc"}},
	{cmd: "/api/v1/lists ", out: []string{`"incentive"`, `"focus"`, `"discipline"`, `"criteria"`}},
	{cmd: "search 恒信 --sort score", out: []string{"GRADE  SCORE  REGION\n91230102MAHTL3M900  黑龙江恒信实业集团有限公司        D"}},
}

var tourToken = regexp.MustCompile(`crk_[A-Za-z0-9_-]{43}`)

// TestReadmeTour runs the shell commands of README's "A first tour" as a reader would:
// the chainriskctl and chainriskd binaries built from this tree, the daemon started
// with -demo on a free port in a directory of its own (./data there), the token it
// hands over, then each command in order with README's server replaced by the
// daemon's and /tmp by the test's directory. Each must exit 0 and print what README
// says it prints (tourWants).
func TestReadmeTour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries and runs the README's tour against a demo daemon")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work, bin := freshCheckout(t, root), t.TempDir()
	cmds := tourCommands(t, filepath.Join(work, "README.md"))
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./cmd/chainriskd", "./cmd/chainriskctl")
	build.Dir = work
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	base := startTourDaemon(t, bin, work)
	token := ""
	var risks []string // the soybean chain's chain_risk at each look
	for _, line := range cmds {
		// Chromium refuses to run as root without --no-sandbox, which a test may be.
		line = strings.NewReplacer("go run ./cmd/chainriskctl", filepath.Join(bin, "chainriskctl"),
			"http://127.0.0.1:8480", base, "/tmp/", work+"/", "chromium --headless", "chromium --headless --no-sandbox").Replace(line)
		if missing := missingTool(line); missing != "" {
			if os.Getenv("CHAINRISK_REQUIRE_TOOLS") == "1" {
				t.Errorf("%s: %s is not installed (CHAINRISK_REQUIRE_TOOLS=1)", line, missing)
			} else {
				t.Logf("SKIPPING %q: %s is not installed", line, missing)
			}
			continue
		}
		if strings.HasPrefix(line, "export CHAINRISK_TOKEN=") {
			line = strings.Replace(line, "crk_...", token, 1)
			out := tourRun(t, work, bin, base, token, line+"\nprintf %s \"$CHAINRISK_TOKEN\"")
			if token = tourToken.FindString(out); token == "" {
				t.Fatalf("%s: no token: %q", line, out)
			}
			continue
		}
		out := tourRun(t, work, bin, base, token, line)
		if testing.Verbose() {
			t.Logf("$ %s\n%.1500s", line, out)
		}
		checkTourStep(t, work, line, out)
		if m := chainRisk.FindStringSubmatch(out); m != nil && strings.Contains(line, "chain 912301099436075960 ") {
			risks = append(risks, m[1])
		}
		if tok := tourToken.FindString(out); tok != "" {
			token = tok
		}
	}
	// The new event against the collector raised the chain's risk (README: "rose").
	if len(risks) < 2 || parseFloat(risks[1]) <= parseFloat(risks[0]) {
		t.Errorf("the soybean chain's chain_risk at each look: %v; want a rise after the new event", risks)
	}
}

// spaces are the runs of spaces a table pads its cells with.
var spaces = regexp.MustCompile(` {2,}`)

var chainRisk = regexp.MustCompile(`chain_risk ([0-9.]+)`)

func parseFloat(s string) float64 {
	x, _ := strconv.ParseFloat(s, 64)
	return x
}

// tourCommands returns the command lines of the sh blocks of README's "A first tour",
// continuation lines joined.
func tourCommands(t *testing.T, readme string) []string {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## A first tour\n")
	if !ok {
		t.Fatal("README has no section \"A first tour\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var cmds []string
	for _, block := range strings.Split(section, "```sh\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		joined := strings.ReplaceAll(block, "\\\n", "")
		for _, line := range strings.Split(joined, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				cmds = append(cmds, line)
			}
		}
	}
	if len(cmds) < 20 {
		t.Fatalf("only %d commands in README's tour", len(cmds))
	}
	return cmds
}

// missingTool names a program the line needs that is not installed.
func missingTool(line string) string {
	for _, tool := range []string{"curl", "dot", "chromium"} {
		uses := strings.HasPrefix(line, tool+" ") || strings.Contains(line, "| "+tool+" ")
		if _, err := exec.LookPath(tool); uses && err != nil {
			return tool
		}
	}
	return ""
}

// tourRun runs a line in bash in dir, with the daemon's address and the token, and
// returns what it printed; a non-zero exit fails the test.
func tourRun(t *testing.T, dir, bin, base, token, line string) string {
	t.Helper()
	cmd := exec.Command("bash", "-c", "set -eo pipefail\n"+line)
	cmd.Dir = dir
	cmd.Env = []string{"CHAINRISK_SERVER=" + base, "CHAINRISK_TOKEN=" + token, "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + dir, "LANG=en_US.UTF-8"} // English labels, as the README's comments name them
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("README command failed: %s\n%v\n%s", line, err, out)
	}
	return string(out)
}

// checkTourStep compares a command's output and file with tourWants.
func checkTourStep(t *testing.T, dir, line, out string) {
	t.Helper()
	for _, w := range tourWants {
		if !strings.Contains(line, w.cmd) {
			continue
		}
		// Tables pad their columns to the widest cell: compare with runs of spaces as one.
		flat := spaces.ReplaceAllString(out, " ")
		for _, s := range w.out {
			if !strings.Contains(flat, spaces.ReplaceAllString(s, " ")) {
				t.Errorf("%s\nprints no %q:\n%s", line, s, out)
			}
		}
		if w.file != "" {
			b, err := os.ReadFile(filepath.Join(dir, w.file))
			for _, s := range w.in {
				if err != nil || !strings.Contains(string(b), s) {
					t.Errorf("%s\nwrites no %q to %s (%v):\n%.500s", line, s, w.file, err, b)
				}
			}
		}
		return
	}
	t.Errorf("README's tour command %q has no check in tourWants", line)
}

// startTourDaemon starts chainriskd -demo in dir on a free loopback port, as README's
// first command does, and returns its address once it has handed the token over.
func startTourDaemon(t *testing.T, bin, dir string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "chainriskd"), "-demo", "-listen", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	logs, err := os.Create(filepath.Join(dir, "chainriskd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Errorf("chainriskd: %v", err)
		}
		logs.Close()
	})
	api := regexp.MustCompile(`API on (http://\S+),`)
	found := make(chan string, 1)
	go func() {
		base := ""
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := api.FindStringSubmatch(sc.Text()); m != nil {
				base = m[1]
			}
			if strings.Contains(sc.Text(), "export CHAINRISK_TOKEN=") && base != "" {
				found <- base
			}
		}
	}()
	select {
	case base := <-found:
		return base
	case <-time.After(2 * time.Minute):
		b, _ := os.ReadFile(logs.Name())
		t.Fatalf("chainriskd handed no token over within 2 minutes:\n%s", fmt.Sprintf("%.3000s", b))
		return ""
	}
}

// freshCheckout copies the files git tracks in root (as they are in the working tree)
// to a new directory, as a fresh clone would hold them: nothing ignored or untracked —
// no ./data, no built binaries — so the tour finds only what a reader gets.
func freshCheckout(t *testing.T, root string) string {
	t.Helper()
	ls := exec.Command("git", "ls-files", "-z")
	ls.Dir = root
	out, err := ls.Output()
	if err != nil {
		t.Fatalf("git ls-files (the tour runs on the files git tracks): %v", err)
	}
	dir := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(root, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree, not yet in git
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
