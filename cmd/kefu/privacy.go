package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"kefu/internal/audit"
	"kefu/internal/privacy"
)

const privacyUsage = "kefu privacy export|erase --site KEY (--email E | --customer-id ID | --visitor-token T) [--json]\n" +
	"       kefu privacy purge [--json]   (run the retention job once)"

// cmdPrivacy answers data-subject requests from the command line: export
// prints the subject's JSON document, erase deletes it; both are audited
// with the operating-system user as the actor.
func cmdPrivacy(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != "export" && args[0] != "erase" && args[0] != "purge") {
		return usageErr("%s", privacyUsage)
	}
	verb := args[0]
	var subj privacy.Subject
	var asJSON bool
	return dbCommand(ctx, e, "privacy "+verb, args[1:], func(fs *flag.FlagSet) {
		if verb != "purge" {
			fs.StringVar(&subj.Site, "site", "", "site key (required)")
			fs.StringVar(&subj.Email, "email", "", "the subject's email")
			fs.StringVar(&subj.CustomerID, "customer-id", "", "the subject's customer id in the shop")
			fs.StringVar(&subj.VisitorToken, "visitor-token", "", "the subject's widget visitor token")
		}
		fs.BoolVar(&asJSON, "json", false, "print JSON (export always does)")
	}, func(db *database, logger *slog.Logger, rest []string) error {
		if len(rest) != 0 {
			return usageErr("%s", privacyUsage)
		}
		if verb == "purge" {
			rep, err := privacy.NewRetainer(db.Pool, privacy.RetentionOptions{Logger: logger}).RunOnce(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, rep)
			}
			if !rep.Ran {
				fmt.Fprintln(e.stdout, "another node is running the retention job; nothing done")
				return nil
			}
			fmt.Fprintf(e.stdout, "deleted %d conversations, %d messages, %d visitors, %d files, %d audit entries\n",
				rep.Conversations, rep.Messages, rep.Visitors, rep.Files, rep.Audit)
			return nil
		}
		n := 0
		for _, v := range []string{subj.Email, subj.CustomerID, subj.VisitorToken} {
			if v != "" {
				n++
			}
		}
		if subj.Site == "" || n != 1 {
			return usageErr("%s", privacyUsage)
		}
		by := audit.Entry{Actor: "cli"}
		if u := e.getenv("USER"); u != "" {
			by.Actor = "cli " + u
		}
		p := privacy.NewRequests(db.Pool)
		if verb == "export" {
			exp, err := p.Export(ctx, subj, by)
			if err != nil {
				return err
			}
			return writeJSON(e.stdout, exp)
		}
		out, err := p.Erase(ctx, subj, by)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(e.stdout, out)
		}
		fmt.Fprintf(e.stdout, "erased %s: %d customers, %d orders, %d visitors, %d conversations, %d messages\n",
			out.Subject, out.Customers, out.Orders, out.Visitors, out.Conversations, out.Messages)
		return nil
	})
}
