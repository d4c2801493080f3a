package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"kefu/internal/sites"
	"kefu/knowledge"
)

func cmdShop(ctx context.Context, e env, args []string) error {
	if len(args) < 2 || args[0] != "import" || (args[1] != "orders" && args[1] != "products") {
		return usageErr("kefu shop import orders|products [--site KEY] [--json] FILE")
	}
	kind := args[1]
	var siteKey string
	var asJSON bool
	return dbCommand(ctx, e, "shop import "+kind, args[2:], func(fs *flag.FlagSet) {
		fs.StringVar(&siteKey, "site", "", "site key for rows without a site (default: the only site)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}, func(db *database, _ *slog.Logger, rest []string) error {
		if len(rest) != 1 {
			return usageErr("kefu shop import %s [--site KEY] FILE", kind)
		}
		f, err := os.Open(rest[0])
		if err != nil {
			return err
		}
		defer f.Close()
		siteStore := sites.NewStore(db.Pool)
		opts := knowledge.ImportOptions{Site: func(ctx context.Context, key string) (int64, error) {
			s, err := siteStore.ByKey(ctx, key)
			if err != nil {
				return 0, err
			}
			return s.ID, nil
		}}
		if ext := strings.ToLower(filepath.Ext(rest[0])); ext == ".csv" || ext == ".json" {
			opts.Format = ext[1:]
		}
		// A default site is optional when every row names its own.
		if site, err := resolveSite(ctx, db, siteKey); err == nil {
			opts.SiteID = site.ID
		} else if siteKey != "" {
			return err
		}
		commerce := knowledge.NewCommerce(db.Pool)
		importFn := commerce.ImportOrders
		if kind == "products" {
			importFn = commerce.ImportProducts
		}
		res, err := importFn(ctx, f, opts)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(e.stdout, res)
		}
		fmt.Fprintf(e.stdout, "%d %s loaded\n", res.Loaded, kind)
		for _, r := range res.Errors {
			fmt.Fprintf(e.stdout, "line %d: %s\n", r.Line, r.Err)
		}
		if len(res.Errors) > 0 {
			return fmt.Errorf("%d rows rejected", len(res.Errors))
		}
		return nil
	})
}
