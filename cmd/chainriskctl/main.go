// Command chainriskctl is chainrisk's operator CLI: imports, offline analysis,
// synthetic data, config checks, and (through the API) queries and rescans.
package main

import (
	"fmt"
	"io"
	"os"
	_ "time/tzdata" // Asia/Shanghai on minimal images

	"github.com/chainrisk/chainrisk/internal/suggest"
	"github.com/chainrisk/chainrisk/version"
)

// Exit codes: 0 ok, 1 error (or rejected rows), 2 usage.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `chainriskctl — operator CLI of chainrisk

Usage:
  chainriskctl import [--strict] [-o table|json] [--encoding utf-8|gbk|gb18030] [--store DSN [--create] | --server URL] <kind> <file>...
  chainriskctl rescan [--scope all|chain:USCC|enterprise:USCC] [--wait]
  chainriskctl scans [--limit N]
  chainriskctl enterprise <uscc>
  chainriskctl repair-plan <uscc>
  chainriskctl event-types [-o table|json] [--lang zh|en]
  chainriskctl search TEXT [--region R] [--industry I] [--tag T] [--grade G] [--status S] [--sort name|score|-score] [--limit N]
  chainriskctl check <uscc> [--depth N] [--min-share F]
  chainriskctl checks [--uscc USCC] [--limit N]
  chainriskctl checks show <id>
  chainriskctl ownership <uscc> [--depth N] [-o table|json|dot]
  chainriskctl screen <file.csv|file.ndjson> [-o csv|json]
  chainriskctl match <file.csv> [-o csv|json] [--encoding utf-8|gbk|gb18030]
  chainriskctl onboard <suppliers.csv> [--accept-unique] [--resolve FILE] [--leftover FILE] [--dry-run]
                       [--encoding utf-8|gbk|gb18030] [-o table|json]
  chainriskctl leaders [--sort chain_risk|supply_at_risk|demand_at_risk|uscc] [--order asc|desc] [--limit N]
  chainriskctl chain <leader> [-o table|json|dot] [--depth-up N] [--depth-down N]
  chainriskctl stress --shock USCC[=psi]... [--top N]
  chainriskctl esri --leader USCC [-o table|json|csv]
  chainriskctl alerts [--state firing|resolved] [--severity S] [--rule R] [--leader USCC] [--uscc USCC]
                      [--status S] [--assignee A]
  chainriskctl ack <alert id> [--comment C]
  chainriskctl alert set <alert id> [--status open|investigating|no_impact|confirmed|closed] [--assignee A] [--note TEXT]
  chainriskctl alert feedback <alert id> --verdict useful|irrelevant|wrong_entity [--comment C]
  chainriskctl alert review [--verdict V] [--rule R] [--uscc USCC]
  chainriskctl silence add --matcher NAME=VALUE... (--duration 2h | --until RFC3339) [--comment C]
  chainriskctl silence list [--state active|pending|expired]
  chainriskctl silence expire <id>
  chainriskctl subscriptions [list] | show <name> | create <file.json> | delete <name>
  chainriskctl deliveries [--state pending|delivered|dead] [--subscription NAME] [--alert ID] [--limit N]
  chainriskctl scan --store DSN [--create] [-o table|json] [--config FILE]
  chainriskctl config check [-o table|json] <file>...
  chainriskctl stress --network FILE [--values FILE] --shock NODE[=psi]... [-o table|json]
  chainriskctl esri --edges FILE --sectors FILE [--ess FILE] [--ess-default 1] [--revenue FILE]
                    [--costs FILE] [--market FILE] [--eps 1e-2] [-o csv|json]
  chainriskctl token create --role admin|ingest|analyst|tenant [--leader USCC] --name NAME --store DSN [--create]
  chainriskctl token list --store DSN [-o table|json]
  chainriskctl token revoke --store DSN NAME
  chainriskctl gen --firms N --edges-per-firm K --events-per-firm E --leaders L --seed S --out DIR [-o table|json]
  chainriskctl version

Kinds: enterprises, relations, events, repairs, shareholdings. DSN: a postgres:// URL, or a SQLite
file or data directory that exists (--create makes a new one).
API commands take --server URL (env CHAINRISK_SERVER, default http://127.0.0.1:8480),
--token T (env CHAINRISK_TOKEN), -o/--output table|json and --lang zh|en (labels; default
from LC_ALL/LANG: en when it starts with en, else zh). Times print in Asia/Shanghai.
Flags may come before or after the arguments. Run "chainriskctl <command> -h" for a command's flags.
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "import":
		return runImport(rest, stdout, stderr)
	case "scan":
		return runScan(rest, stdout, stderr)
	case "config":
		if len(rest) == 0 || rest[0] != "check" {
			return subcommand("config", "usage: chainriskctl config check [-o table|json] <file>...\n", rest, stdout, stderr, nil)
		}
		return runConfigCheck(rest[1:], stdout, stderr)
	case "stress":
		if hasFlag(rest, "network") {
			return runStressOffline(rest, stdout, stderr)
		}
		return runStressOnline(rest, stdout, stderr)
	case "rescan":
		return runRescan(rest, stdout, stderr)
	case "scans":
		return runScans(rest, stdout, stderr)
	case "ownership":
		return runOwnership(rest, stdout, stderr)
	case "enterprise":
		return runEnterprise(rest, stdout, stderr)
	case "repair-plan":
		return runRepairPlan(rest, stdout, stderr)
	case "event-types":
		return runEventTypes(rest, stdout, stderr)
	case "search":
		return runSearch(rest, stdout, stderr)
	case "check":
		return runCheck(rest, stdout, stderr)
	case "screen":
		return runScreen(rest, stdout, stderr)
	case "match":
		return runMatch(rest, stdout, stderr)
	case "onboard":
		return runOnboard(rest, stdout, stderr)
	case "chain":
		return runChain(rest, stdout, stderr)
	case "alerts":
		return runAlerts(rest, stdout, stderr)
	case "ack":
		return runAck(rest, stdout, stderr)
	case "alert":
		return runAlert(rest, stdout, stderr)
	case "silence":
		return runSilence(rest, stdout, stderr)
	case "esri":
		if hasFlag(rest, "leader") {
			return runESRIOnline(rest, stdout, stderr)
		}
		return runESRI(rest, stdout, stderr)
	case "leaders":
		return runLeaders(rest, stdout, stderr)
	case "checks":
		return runChecks(rest, stdout, stderr)
	case "subscriptions":
		return runSubscriptions(rest, stdout, stderr)
	case "deliveries":
		return runDeliveries(rest, stdout, stderr)
	case "gen":
		return runGen(rest, stdout, stderr)
	case "token":
		return runToken(rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version.String("chainriskctl"))
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if near := suggest.Closest(cmd, commands); near != "" {
		fmt.Fprintf(stderr, "chainriskctl: unknown command %q; did you mean %q? (chainriskctl help lists the commands)\n", cmd, near)
		return exitUsage
	}
	fmt.Fprintf(stderr, "chainriskctl: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// commands are the subcommands run dispatches, for "did you mean".
var commands = []string{"import", "scan", "config", "stress", "rescan", "scans", "ownership", "enterprise",
	"repair-plan", "search", "check", "screen", "match", "onboard", "chain", "alerts", "ack", "alert", "silence", "esri", "gen", "token",
	"leaders", "checks", "subscriptions", "deliveries", "version", "help"}
