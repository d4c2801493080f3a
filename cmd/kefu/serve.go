package main

import (
	"context"
	"fmt"
	"time"

	"kefu/internal/pg"
	"kefu/web"
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
	db, err := openDatabase(ctx, cfg.db, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.Demo {
		if _, err := seedDemo(ctx, db, e, logger); err != nil {
			return err
		}
	}
	if cfg.OpenAIBaseURL == "" {
		logger.Info("no model configured: offline mode (answers from the knowledge base and order data)")
	}

	srv := web.New(web.Options{
		Addr:    cfg.Addr,
		Version: version(),
		Ready:   func(ctx context.Context) error { return pg.Ready(ctx, db.Pool) },
		Logger:  logger,
	})
	errc := make(chan error, 1)
	go func() { errc <- srv.Start() }()
	fmt.Fprintf(e.stdout, "kefu is running on %s\n", cfg.PublicURL)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "error", err)
	}
	logger.Info("stopped", "took", time.Since(start))
	return nil
}
