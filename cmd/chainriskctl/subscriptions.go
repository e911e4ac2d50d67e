package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/chainrisk/chainrisk/internal/table"
)

// The subscriptions and deliveries commands (README.md, docs/alerts.md): manage the
// API's stored subscriptions and read the notification outbox.

const subscriptionsUsage = `usage: chainriskctl subscriptions [list] [-o table|json] [--lang zh|en]
       chainriskctl subscriptions show <name> [-o table|json]
       chainriskctl subscriptions create <file.json|-> [-o table|json]
       chainriskctl subscriptions delete <name>
A subscription file is one JSON object as POST /api/v1/subscriptions takes it
(docs/alerts.md): name, subscriber, scope, channels, and optionally min_severity,
rules, language, digest.
`

func runSubscriptions(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return runSubscriptionList(args, stdout, stderr)
	}
	return subcommand("subscriptions", subscriptionsUsage, args, stdout, stderr, map[string]command{
		"list": runSubscriptionList, "show": runSubscriptionShow, "create": runSubscriptionCreate,
		"delete": runSubscriptionDelete})
}

func runSubscriptionList(args []string, stdout, stderr io.Writer) int {
	return remote("subscriptions", "subscriptions [list] [-o table|json] [--lang zh|en]", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() > 0 {
				fs.Usage()
				return exitUsage
			}
			l, _ := langOf(fs)
			list, err := getList(ctx, c, "/api/v1/subscriptions?limit=0", "subscriptions")
			if err != nil {
				return fail(stderr, "subscriptions", err)
			}
			if output == "json" {
				printJSON(stdout, list)
				return exitOK
			}
			names := lookupNames(ctx, c, column(list, "subscriber"))
			tw := table.NewWriter(stdout)
			fmt.Fprintln(tw, strings.Join([]string{l.t("col.subscription"), l.t("col.subscriber"), l.t("col.name"),
				l.t("col.scope"), l.t("col.severity"), l.t("col.digest"), l.t("col.channels"), l.t("col.source")}, "\t"))
			for _, s := range list {
				fmt.Fprintf(tw, "%v\t%v\t%s\t%s\t%s\t%s\t%s\t%v\n", s["name"], s["subscriber"],
					orDash(names[fmt.Sprint(s["subscriber"])]), scopeText(s["scope"]), orDash(str(s["min_severity"])),
					orDash(str(s["digest"])), channelTypes(s["channels"]), s["source"])
			}
			_ = tw.Flush()
			if len(list) == 0 {
				fmt.Fprintln(stderr, l.t("subs.none"))
			}
			return exitOK
		})
}

// scopeText writes a subscription's scope: chain:USCC, watchlist (N firms) or all.
func scopeText(v any) string {
	m, _ := v.(map[string]any)
	switch str(m["kind"]) {
	case "chain":
		return "chain:" + str(m["leader"])
	case "watchlist":
		list, _ := m["usccs"].([]any)
		return fmt.Sprintf("watchlist(%d)", len(list))
	case "":
		return "-"
	}
	return str(m["kind"])
}

// channelTypes lists the types of a subscription's channels (their URLs stay out).
func channelTypes(v any) string {
	var types []string
	for _, c := range objects(v) {
		types = append(types, str(c["type"]))
	}
	return orDash(strings.Join(types, ","))
}

func runSubscriptionShow(args []string, stdout, stderr io.Writer) int {
	return remote("subscriptions show", "subscriptions show <name> [-o table|json] [--lang zh|en]", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			return showDoc(ctx, c, stdout, stderr, "subscriptions show", "/api/v1/subscriptions/"+url.PathEscape(fs.Arg(0)), output,
				func(w io.Writer, s map[string]any) { printSubscription(ctx, c, w, s) })
		})
}

// printSubscription writes one subscription as key and value lines.
func printSubscription(ctx context.Context, c *client, w io.Writer, s map[string]any) {
	tw := table.NewWriter(w)
	subscriber := str(s["subscriber"])
	if n := lookupNames(ctx, c, []string{subscriber})[subscriber]; n != "" {
		subscriber += " " + n
	}
	fmt.Fprintf(tw, "name\t%v\nsubscriber\t%s\nscope\t%s\n", s["name"], subscriber, scopeText(s["scope"]))
	for _, k := range []string{"min_severity", "language", "digest", "digest_at", "realtime_min_severity", "owner", "source"} {
		if v := str(s[k]); v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	if rules, ok := s["rules"].([]any); ok && len(rules) > 0 {
		fmt.Fprintf(tw, "rules\t%s\n", strings.Trim(fmt.Sprint(rules), "[]"))
	}
	for i, ch := range objects(s["channels"]) {
		dest := str(ch["url"])
		if to, ok := ch["to"].([]any); ok {
			dest = strings.Trim(fmt.Sprint(to), "[]")
		}
		fmt.Fprintf(tw, "channel %d\t%s\n", i, strings.TrimSpace(str(ch["type"])+" "+dest))
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if v, ok := s[k]; ok {
			fmt.Fprintf(tw, "%s\t%v\n", k, showTimeValue(v))
		}
	}
	_ = tw.Flush()
}

func runSubscriptionCreate(args []string, stdout, stderr io.Writer) int {
	return remote("subscriptions create", "subscriptions create <file.json|-> [-o table|json] [--lang zh|en]", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			var body []byte
			var err error
			if fs.Arg(0) == "-" {
				body, err = io.ReadAll(os.Stdin)
			} else {
				body, err = os.ReadFile(fs.Arg(0))
			}
			if err != nil {
				return fail(stderr, "subscriptions create", err)
			}
			if !json.Valid(body) {
				return fail(stderr, "subscriptions create", fmt.Errorf("%s: not a JSON document", fs.Arg(0)))
			}
			var s map[string]any
			if _, err := c.do(ctx, http.MethodPost, "/api/v1/subscriptions", bytes.NewReader(body), "application/json", &s); err != nil {
				return fail(stderr, "subscriptions create", err)
			}
			if output == "json" {
				printJSON(stdout, s)
				return exitOK
			}
			l, _ := langOf(fs)
			fmt.Fprintln(stdout, l.tf("subs.created", s["name"]))
			return exitOK
		})
}

func runSubscriptionDelete(args []string, stdout, stderr io.Writer) int {
	return remote("subscriptions delete", "subscriptions delete <name> [--lang zh|en]", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			if _, err := c.do(ctx, http.MethodDelete, "/api/v1/subscriptions/"+url.PathEscape(fs.Arg(0)), nil, "", nil); err != nil {
				return fail(stderr, "subscriptions delete", err)
			}
			if output == "json" {
				printJSON(stdout, map[string]any{"name": fs.Arg(0), "deleted": true})
				return exitOK
			}
			l, _ := langOf(fs)
			fmt.Fprintln(stdout, l.tf("subs.deleted", fs.Arg(0)))
			return exitOK
		})
}

func runDeliveries(args []string, stdout, stderr io.Writer) int {
	var state, subscription, alert *string
	var limit *int
	return remote("deliveries", "deliveries [--state pending|delivered|dead] [--subscription NAME] [--alert ID] [--limit N] [-o table|json] [--lang zh|en]",
		args, stdout, stderr, func(fs *flag.FlagSet) {
			state = fs.String("state", "", "pending, delivered or dead (default all)")
			subscription = fs.String("subscription", "", "only this subscription's")
			alert = fs.String("alert", "", "only the messages that carry this alert (its id)")
			limit = fs.Int("limit", 100, "how many, newest first (at most 1000)")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() > 0 {
				fs.Usage()
				return exitUsage
			}
			l, _ := langOf(fs)
			q := listQuery(*limit, map[string]string{"state": *state, "subscription": *subscription, "alert": *alert})
			list, err := getList(ctx, c, "/api/v1/deliveries?"+q.Encode(), "deliveries")
			if err != nil {
				return fail(stderr, "deliveries", err)
			}
			if output == "json" {
				printJSON(stdout, list)
				return exitOK
			}
			printDeliveries(stdout, l, list, lookupNames(ctx, c, column(list, "uscc")))
			if len(list) == 0 {
				fmt.Fprintln(stderr, l.t("deliveries.none"))
			}
			return exitOK
		})
}

func printDeliveries(w io.Writer, l lang, list []map[string]any, names map[string]string) {
	tw := table.NewWriter(w)
	fmt.Fprintln(tw, strings.Join([]string{l.t("col.created"), l.t("col.state"), l.t("col.subscription"), l.t("col.channel"),
		l.t("col.rule"), l.t("col.status"), l.t("col.uscc"), l.t("col.name"), l.t("col.attempts"), l.t("col.error")}, "\t"))
	for _, d := range list {
		ch, _ := d["channel"].(map[string]any)
		rule := str(d["rule"])
		if k := str(d["kind"]); k != "" {
			rule = k
		}
		if sev := str(d["severity"]); sev != "" {
			rule += " (" + sev + ")"
		}
		lastErr, _, _ := strings.Cut(str(d["last_error"]), "; detail: ")
		fmt.Fprintf(tw, "%v\t%v\t%v\t%s#%s\t%s\t%v\t%s\t%s\t%s\t%s\n", showTimeValue(d["created_at"]), d["state"], d["subscription"],
			str(ch["type"]), fmtValue(ch["index"]), orDash(rule), d["status"], orDash(str(d["uscc"])), orDash(names[str(d["uscc"])]),
			fmtValue(d["attempts"]), orDash(lastErr))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, l.t("deliveries.legend"))
}
