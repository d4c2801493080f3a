package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"kefu/internal/sites"
	"kefu/internal/webhook"
)

const webhookUsage = `kefu webhook add --site KEY --url URL --events E1,E2 [--allow-private] [--include-notes] [--description D] [--json]
kefu webhook list [--site KEY] [--json]
kefu webhook remove ID
kefu webhook enable|disable ID [--json]
kefu webhook deliveries ID [--state pending|delivered|failed] [--limit N] [--json]

Events: ` + "conversation.created, conversation.escalated, conversation.claimed, conversation.resolved, conversation.reopened, message.created, csat.received, knowledge.sync_finished, knowledge.sync_failed, answer_tests.regressed" + `
--allow-private lets kefu deliver to a private or loopback address (and over plain http).
`

func cmdWebhook(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, webhookUsage)
		return usageErr("kefu webhook add|list|remove|enable|disable|deliveries")
	}
	sub := args[0]
	switch sub {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, webhookUsage)
		return nil
	case "add", "list", "remove", "enable", "disable", "deliveries":
	default:
		fmt.Fprint(e.stderr, webhookUsage)
		return usageErr("unknown webhook command %q", sub)
	}
	var (
		site, url, events, description, state string
		allowPrivate, includeNotes, asJSON    bool
		limit                                 int
	)
	return dbCommand(ctx, e, "webhook "+sub, args[1:], func(fs *flag.FlagSet) {
		if sub != "remove" {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
		}
		switch sub {
		case "add":
			fs.StringVar(&site, "site", "", "the site's key (required)")
			fs.StringVar(&url, "url", "", "the receiver's https URL (required)")
			fs.StringVar(&events, "events", "", "event types, comma-separated (required)")
			fs.BoolVar(&allowPrivate, "allow-private", false, "allow a private or loopback receiver (and plain http)")
			fs.BoolVar(&includeNotes, "include-notes", false, "send message.created for internal notes too")
			fs.StringVar(&description, "description", "", "what the receiver is, for the console")
		case "list":
			fs.StringVar(&site, "site", "", "only this site's webhooks")
		case "deliveries":
			fs.StringVar(&state, "state", "", "only pending, delivered or failed")
			fs.IntVar(&limit, "limit", 50, "how many, newest first (at most 100)")
		}
	}, func(db *database, _ *slog.Logger, rest []string) error {
		svc := webhook.NewService(db.Pool, nil)
		siteID := func(key string) (int64, error) {
			s, err := sites.NewStore(db.Pool).ByKey(ctx, key)
			if err != nil {
				return 0, err
			}
			return s.ID, nil
		}
		id := func() (int64, error) {
			if len(rest) != 1 {
				return 0, usageErr("kefu webhook %s ID", sub)
			}
			n, err := strconv.ParseInt(rest[0], 10, 64)
			if err != nil || n <= 0 {
				return 0, usageErr("webhook id %q must be a positive number", rest[0])
			}
			return n, nil
		}
		switch sub {
		case "add":
			if site == "" || url == "" || events == "" {
				return usageErr("kefu webhook add needs --site, --url and --events")
			}
			if len(rest) > 0 {
				return usageErr("unexpected arguments %q", rest)
			}
			sid, err := siteID(site)
			if err != nil {
				return err
			}
			w, err := svc.Create(ctx, sid, webhook.Input{URL: url, Events: strings.Split(events, ","), AllowPrivate: allowPrivate,
				IncludeNotes: includeNotes, Description: description})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, w)
			}
			fmt.Fprintf(e.stdout, "webhook %d of %s → %s\nevents: %s\nsecret: %s\n(shown once: the receiver verifies Kefu-Signature with it)\n",
				w.ID, w.Site, w.URL, strings.Join(w.Events, ", "), w.Secret)
			return nil
		case "list":
			var sid int64
			if site != "" {
				var err error
				if sid, err = siteID(site); err != nil {
					return err
				}
			}
			list, err := svc.List(ctx, sid)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, list)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSITE\tURL\tEVENTS\tSTATE")
			for _, w := range list {
				st := "enabled"
				if !w.Enabled {
					st = "disabled: " + w.DisabledReason
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", w.ID, w.Site, w.URL, strings.Join(w.Events, ","), st)
			}
			return tw.Flush()
		case "remove":
			n, err := id()
			if err != nil {
				return err
			}
			if err := svc.Delete(ctx, n); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "webhook %d removed\n", n)
			return nil
		case "enable", "disable":
			n, err := id()
			if err != nil {
				return err
			}
			w, err := svc.SetEnabled(ctx, n, sub == "enable")
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, w)
			}
			fmt.Fprintf(e.stdout, "webhook %d %sd\n", n, sub)
			return nil
		default: // deliveries
			n, err := id()
			if err != nil {
				return err
			}
			if _, err := svc.Get(ctx, n); err != nil {
				return err
			}
			page, err := svc.Deliveries(ctx, n, state, "", limit)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, page.Items)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEVENT\tSTATE\tATTEMPTS\tSTATUS\tLATENCY\tCREATED\tERROR")
			for _, d := range page.Items {
				status, latency := "-", "-"
				if d.Status != nil {
					status = strconv.Itoa(*d.Status)
				}
				if d.LatencyMS != nil {
					latency = strconv.Itoa(*d.LatencyMS) + "ms"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", d.ID, d.Type, d.State, d.Attempts, status, latency,
					d.CreatedAt.Local().Format(time.DateTime), d.Error)
			}
			return tw.Flush()
		}
	})
}
