package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"kefu/internal/app"
	"kefu/knowledge"

	"github.com/jackc/pgx/v5/pgxpool"
)

func cmdServe(ctx context.Context, e env, args []string) error {
	var cfg serveConfig
	fs := newFlagSet(e, "serve")
	cfg.register(fs, e)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.fill(e)
	if err := cfg.validate(); err != nil {
		return usageErr("invalid configuration:\n%v", err)
	}
	logger, err := newLogger(cfg.LogFormat, e.stderr)
	if err != nil {
		return err
	}
	url, stopLocal, err := databaseURL(ctx, cfg.db, logger)
	if err != nil {
		return err
	}
	defer stopLocal()
	acfg := cfg.app(logger)
	var demoSite *demoSeed
	if cfg.Demo {
		acfg.Seed = func(ctx context.Context, pool *pgxpool.Pool, lib *knowledge.Library) (err error) {
			demoSite, err = seedDemo(ctx, pool, lib, e, logger)
			return err
		}
	}
	acfg.DatabaseURL = url
	a, err := app.New(ctx, acfg)
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		a.Shutdown(context.Background())
		return err
	}
	fmt.Fprintf(e.stdout, "kefu is running on %s\n", cfg.PublicURL)
	if demoSite != nil {
		base := strings.TrimSuffix(cfg.PublicURL, "/")
		fmt.Fprintf(e.stdout, "\n  Demo shop:   %s/demo   ← open this and chat with the bot\n", base)
		fmt.Fprintf(e.stdout, "  Console:     %s/console   (agents and admins)\n", base)
		fmt.Fprintf(e.stdout, "  Widget key:  %s\n", demoSite.SiteKey)
		fmt.Fprintf(e.stdout, "  Admin login: %s (password: shown once when created, or KEFU_ADMIN_PASSWORD)\n\n", demoSite.AdminEmail)
	}
	err = a.Wait(ctx)
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	start := time.Now()
	if serr := a.Shutdown(sctx); serr != nil {
		logger.Error("shutdown", "error", serr)
	}
	logger.Info("stopped", "took", time.Since(start))
	return err
}
