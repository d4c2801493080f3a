package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"text/tabwriter"

	"kefu/internal/app"
	"kefu/internal/audit"
	"kefu/knowledge"
	"kefu/sources"
)

const kbSourceUsage = `kefu kb source add --site KEY --url URL [--kind page|sitemap|crawl|feed] [--every 24h] [--allow-private] [--json]
kefu kb source sync [--json] ID
kefu kb source list [--site KEY] [--json]
kefu kb source remove ID`

// userAgent is what kefu says it is to the sites it syncs.
func userAgent(publicURL string) string {
	return app.UserAgent(version(), publicURL)
}

// newSyncer wires the source syncer for this process.
func newSyncer(db *database, lib *knowledge.Library, e env, logger *slog.Logger, node string) *sources.Syncer {
	return sources.New(db.Pool, lib, knowledge.NewCommerce(db.Pool), sources.Options{
		Node: node, UserAgent: userAgent(envOr(e, "KEFU_PUBLIC_URL", "http://localhost:8080")), Logger: logger})
}

// cliActor names the person at the terminal in the audit log.
func cliActor(e env) string {
	if u := e.getenv("USER"); u != "" {
		return "cli " + u
	}
	return "cli"
}

func kbSource(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("%s", kbSourceUsage)
	}
	verb := args[0]
	switch verb {
	case "add", "sync", "list", "remove":
	default:
		return usageErr("unknown kb source command %q\n%s", verb, kbSourceUsage)
	}
	var (
		siteKey, rawURL, kind, every string
		allowPrivate, asJSON         bool
	)
	return dbCommand(ctx, e, "kb source "+verb, args[1:], func(fs *flag.FlagSet) {
		if verb != "remove" {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
		}
		switch verb {
		case "add":
			fs.StringVar(&siteKey, "site", "", "site key (default: the only site)")
			fs.StringVar(&rawURL, "url", "", "the page, sitemap, crawl start or product feed URL")
			fs.StringVar(&kind, "kind", "", "page, sitemap, crawl or feed (default: sitemap for a sitemap URL, else page)")
			fs.StringVar(&every, "every", "24h", "how often to sync: a duration (at least 5m), hourly, daily, weekly or manual")
			fs.BoolVar(&allowPrivate, "allow-private", false, "allow private, loopback and link-local addresses for this source (audited)")
		case "list":
			fs.StringVar(&siteKey, "site", "", "only this site's sources")
		}
	}, func(db *database, logger *slog.Logger, rest []string) error {
		lib, err := app.NewLibrary(ctx, db.Pool, embedEnv(e), logger)
		if err != nil {
			return err
		}
		syncer := newSyncer(db, lib, e, logger, "")
		auditLog := audit.New(db.Pool)
		record := func(src *sources.Source, action string, detail map[string]any) {
			site := src.SiteID
			if err := auditLog.Record(ctx, audit.Entry{SiteID: &site, Actor: cliActor(e), Action: action,
				Target: strconv.FormatInt(src.ID, 10), Detail: detail}); err != nil {
				logger.Error("record audit entry", "action", action, "error", err)
			}
		}
		id := func() (int64, error) {
			if len(rest) != 1 {
				return 0, usageErr("kefu kb source %s ID", verb)
			}
			n, err := strconv.ParseInt(rest[0], 10, 64)
			if err != nil || n <= 0 {
				return 0, usageErr("source id %q is not a number", rest[0])
			}
			return n, nil
		}
		switch verb {
		case "add":
			if rawURL == "" || len(rest) != 0 {
				return usageErr("kefu kb source add --site KEY --url URL [--kind page|sitemap|crawl|feed] [--every 24h] [--allow-private] [--json]")
			}
			site, err := resolveSite(ctx, db, siteKey)
			if err != nil {
				return err
			}
			d, err := sources.ParseSchedule(every)
			if err != nil {
				return usageErr("--every: %v", err)
			}
			src, err := syncer.Add(ctx, sources.NewSource{SiteID: site.ID, Kind: kind, URL: rawURL, Every: d, AllowPrivate: allowPrivate})
			if err != nil {
				return err
			}
			record(src, "source.add", map[string]any{"url": src.URL, "kind": src.Kind, "allow_private": src.AllowPrivate, "schedule": src.Schedule})
			if asJSON {
				return writeJSON(e.stdout, src)
			}
			fmt.Fprintf(e.stdout, "added source %d: %s %s, synced %s\n", src.ID, src.Kind, src.URL, src.Schedule)
			if src.AllowPrivate {
				fmt.Fprintln(e.stdout, "private and loopback addresses are allowed for this source (recorded in the audit log)")
			}
			return nil
		case "sync":
			n, err := id()
			if err != nil {
				return err
			}
			src, err := syncer.Get(ctx, 0, n)
			if err != nil {
				return err
			}
			record(src, "source.sync", nil)
			run, err := syncer.Sync(ctx, n)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(e.stdout, run); err != nil {
					return err
				}
			} else {
				printRun(e, src, run)
			}
			if run.Status != sources.RunOK {
				return fmt.Errorf("sync of source %d failed: %s", n, run.Error)
			}
			return nil
		case "list":
			if len(rest) != 0 {
				return usageErr("kefu kb source list [--site KEY] [--json]")
			}
			var siteID int64
			if siteKey != "" {
				site, err := resolveSite(ctx, db, siteKey)
				if err != nil {
					return err
				}
				siteID = site.ID
			}
			list := []sources.Source{}
			for cursor := ""; ; {
				page, err := syncer.List(ctx, siteID, cursor, 200)
				if err != nil {
					return err
				}
				list = append(list, page.Items...)
				if cursor = page.Next; cursor == "" {
					break
				}
			}
			if asJSON {
				return writeJSON(e.stdout, list)
			}
			tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tSCHEDULE\tPAGES\tLAST RUN\tURL")
			for _, s := range list {
				last := "never"
				if r := s.LastRun; r != nil {
					last = r.Status + " " + r.StartedAt.Local().Format("2006-01-02 15:04")
				}
				sched := s.Schedule
				if s.Paused {
					sched += " (paused)"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", s.ID, s.Kind, sched, s.Pages, last, s.URL)
			}
			return tw.Flush()
		case "remove":
			n, err := id()
			if err != nil {
				return err
			}
			src, err := syncer.Remove(ctx, 0, n)
			if err != nil {
				return err
			}
			record(src, "source.remove", map[string]any{"url": src.URL, "kind": src.Kind})
			fmt.Fprintf(e.stdout, "removed source %d (%s) and the %d pages or products it brought in\n", src.ID, src.URL, src.Pages)
			return nil
		}
		return nil
	})
}

// printRun prints a run's log for people.
func printRun(e env, src *sources.Source, r *sources.Run) {
	fmt.Fprintf(e.stdout, "source %d (%s %s): %s in %.1fs, %d requests\n", src.ID, src.Kind, src.URL, r.Status, r.Duration, r.Requests)
	fmt.Fprintf(e.stdout, "  %d added, %d changed, %d removed, %d unchanged, %d failed\n", r.Added, r.Changed, r.Removed, r.Unchanged, r.Failed)
	if r.Error != "" {
		fmt.Fprintf(e.stdout, "  stopped: %s\n", r.Error)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(e.stdout, "  failed %s: %s\n", f.URL, f.Reason)
	}
}
