package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"kefu/internal/account"
	"kefu/internal/sites"
	"kefu/migrations"
)

// Set at build time with -ldflags "-X main.buildVersion=… -X main.buildCommit=…".
var (
	buildVersion = "dev"
	buildCommit  = ""
)

func version() string { return buildVersion }

func commit() string {
	if buildCommit != "" {
		return buildCommit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func cmdVersion(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "version")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]string{"version": version(), "commit": commit()})
	}
	fmt.Fprintf(e.stdout, "kefu %s (commit %s)\n", version(), commit())
	return nil
}

// dbCommand parses a command's flags (plus the database flags), opens the
// database and runs fn with it.
func dbCommand(ctx context.Context, e env, name string, args []string, setup func(*flag.FlagSet),
	fn func(*database, *slog.Logger, []string) error) error {
	var d dbFlags
	fs := newFlagSet(e, name)
	d.register(fs, e)
	logFormat := fs.String("log-format", envOr(e, "KEFU_LOG_FORMAT", "text"), "text or json (env KEFU_LOG_FORMAT)")
	if setup != nil {
		setup(fs)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(*logFormat, e.stderr)
	if err != nil {
		return usageErr("%v", err)
	}
	db, err := openDatabase(ctx, d, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db, logger, fs.Args())
}

func cmdMigrate(ctx context.Context, e env, args []string) error {
	var asJSON bool
	return dbCommand(ctx, e, "migrate", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}, func(db *database, _ *slog.Logger, _ []string) error {
		v, err := migrations.Version(ctx, db.Pool)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(e.stdout, map[string]int{"version": v})
		}
		fmt.Fprintf(e.stdout, "database schema at version %d\n", v)
		return nil
	})
}

func cmdSite(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("kefu site add|list|rotate-secret")
	}
	var (
		name    string
		origins stringList
		asJSON  bool
	)
	sub := args[0]
	if err := knownSubcommand("site", sub, "add", "list", "rotate-secret"); err != nil {
		return err
	}
	return dbCommand(ctx, e, "site "+sub, args[1:], func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		if sub == "add" {
			fs.StringVar(&name, "name", "", "site name (required)")
			fs.Var(&origins, "origin", "allowed origin of the shop's pages, like https://shop.example.com (repeatable)")
		}
	}, func(db *database, _ *slog.Logger, rest []string) error {
		siteStore := sites.NewStore(db.Pool)
		switch sub {
		case "add":
			site, err := siteStore.Create(ctx, name, origins)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, map[string]string{"key": site.Key, "secret": site.Secret})
			}
			fmt.Fprintf(e.stdout, "site %q created\nwidget key:      %s\nidentity secret: %s\n", site.Name, site.Key, site.Secret)
			return nil
		case "list":
			list, err := siteStore.List(ctx)
			if err != nil {
				return err
			}
			for i := range list {
				list[i].Secret = ""
			}
			if asJSON {
				return writeJSON(e.stdout, list)
			}
			for _, s := range list {
				fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", s.Key, s.Name, strings.Join(s.AllowedOrigins, " "))
			}
			return nil
		case "rotate-secret":
			if len(rest) != 1 {
				return usageErr("kefu site rotate-secret KEY")
			}
			site, err := siteStore.RotateSecret(ctx, rest[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, map[string]string{"key": site.Key, "secret": site.Secret})
			}
			fmt.Fprintf(e.stdout, "new identity secret for %s: %s\n", site.Key, site.Secret)
			return nil
		}
		return usageErr("unknown site command %q (add, list, rotate-secret)", sub)
	})
}

func cmdUser(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usageErr("kefu user add --email E --name N --role admin|agent [--password P] [--site KEY…]")
	}
	var email, name, role, password string
	var siteKeys stringList
	var asJSON bool
	return dbCommand(ctx, e, "user add", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email (required)")
		fs.StringVar(&name, "name", "", "display name")
		fs.StringVar(&role, "role", account.RoleAgent, "admin or agent")
		fs.StringVar(&password, "password", "", "password; generated and printed once when empty")
		fs.Var(&siteKeys, "site", "widget key of a site the agent works for (repeatable; admins work for every site)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}, func(db *database, _ *slog.Logger, _ []string) error {
		siteStore := sites.NewStore(db.Pool)
		var siteIDs []int64
		for _, key := range siteKeys {
			site, err := siteStore.ByKey(ctx, key)
			if err != nil {
				return err
			}
			siteIDs = append(siteIDs, site.ID)
		}
		generated := password == ""
		if generated {
			password = newPassword()
		}
		users := account.NewUsers(db.Pool)
		u, err := users.Create(ctx, email, name, role, password)
		if err != nil {
			return err
		}
		if err := users.SetSites(ctx, u.ID, siteIDs); err != nil {
			return err
		}
		out := map[string]any{"user": u}
		if len(siteKeys) > 0 {
			out["sites"] = siteKeys
		}
		if generated {
			out["password"] = password
		}
		if asJSON {
			return writeJSON(e.stdout, out)
		}
		fmt.Fprintf(e.stdout, "%s %s <%s> created\n", u.Role, u.Name, u.Email)
		if len(siteKeys) > 0 {
			fmt.Fprintf(e.stdout, "works for: %s\n", strings.Join(siteKeys, ", "))
		}
		if generated {
			fmt.Fprintf(e.stdout, "password (shown once): %s\n", password)
		}
		return nil
	})
}

func newPassword() string {
	return strings.ToLower(strings.ReplaceAll(randomToken(12), "_", "x"))
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// knownSubcommand refuses help requests and unknown subcommands with the
// list of the known ones, before anything opens a database.
func knownSubcommand(cmd, sub string, known ...string) error {
	for _, k := range known {
		if sub == k {
			return nil
		}
	}
	list := "kefu " + cmd + " " + strings.Join(known, "|") + " (-h after one for its flags)"
	if sub == "-h" || sub == "-help" || sub == "--help" || sub == "help" {
		return usageErr("%s", list)
	}
	return usageErr("unknown %s command %q: %s", cmd, sub, list)
}
