package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"kefu/chat"
	"kefu/intents"
	"kefu/internal/account"
	"kefu/internal/analytics"
	"kefu/internal/audit"
	"kefu/internal/notify"
	"kefu/internal/pg"
	"kefu/internal/privacy"
	"kefu/internal/sites"
	"kefu/internal/webhook"
	"kefu/knowledge"
	"kefu/llm"
	"kefu/retrieval"
	"kefu/sources"
	"kefu/web"

	"github.com/prometheus/client_golang/prometheus"
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
	if cfg.OpenAIBaseURL == "" {
		logger.Info("no model configured: offline mode (answers from the knowledge base and order data)")
	}

	embedBase := cfg.EmbedBaseURL
	if embedBase == "" {
		embedBase = cfg.OpenAIBaseURL
	}
	lib, err := newLibrary(ctx, db, embedConfig{Model: cfg.EmbedModel, BaseURL: embedBase, APIKey: cfg.OpenAIAPIKey, Embedder: cfg.Embedder}, logger)
	if err != nil {
		return err
	}
	var demoSite *demoSeed
	if cfg.Demo {
		if demoSite, err = seedDemo(ctx, db, lib, e, logger); err != nil {
			return err
		}
	}
	if cfg.AdminToken != "" {
		logger.Info("KEFU_ADMIN_TOKEN is set: it works as an all-sites API token; prefer tokens created in the console")
	}
	understanding, err := intents.NewService(ctx, intents.NewStore(db.Pool), intents.ServiceOptions{Logger: logger})
	if err != nil {
		return err
	}
	if err := understanding.Load(ctx); err != nil {
		return err
	}
	siteStore, store, hub := sites.NewStore(db.Pool), chat.NewStore(db.Pool), chat.NewHub()
	broker := chat.NewPGBroker(db.Pool, hub, store, logger)
	commerce := knowledge.NewCommerce(db.Pool)
	accounts := account.NewStore(db.Pool)
	engineOpts := chat.Options{Store: store, Sites: siteStore, Hub: hub, Broker: broker, Analyzer: chat.ServiceAnalyzer{Service: understanding},
		Library: lib, Commerce: commerce, Logger: logger, VisitorPerMinute: cfg.VisitorRate, SitePerMinute: cfg.SiteRate,
		Users: accounts.Users, AgentsOnline: accounts.Presence.Online}
	if cfg.OpenAIBaseURL != "" {
		engineOpts.Model = llm.New(llm.Config{BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, Model: cfg.ChatModel})
	}
	// Webhooks: chat records events in the transaction of each change; every
	// node delivers them from the outbox.
	hooks := webhook.NewService(db.Pool, nil)
	store.SetEvents(hooks)
	engine := chat.NewEngine(engineOpts)
	answerTests := chat.NewAnswerTests(db.Pool, engine, logger)
	syncer := sources.New(db.Pool, lib, commerce, sources.Options{UserAgent: userAgent(cfg.PublicURL), Logger: logger, Hooks: hooks})
	auditLog := audit.New(db.Pool)
	var mailer notify.Mailer
	if cfg.SMTP.Addr != "" {
		if mailer, err = notify.NewSMTP(cfg.SMTP); err != nil {
			return usageErr("invalid configuration:\n%v", err)
		}
		logger.Info("notification emails on", "relay", cfg.SMTP.Addr, "tls", cfg.SMTP.TLS)
	} else {
		logger.Info("KEFU_SMTP_ADDR is not set: no notification emails (the console's desktop notifications still work)")
	}
	reports := analytics.NewReports(db.Pool, siteStore, nil)
	// The digest's knowledge gaps are listed as asked: no model drafts, no
	// coverage check (the console's insights have both).
	notifier := notify.New(db.Pool, notify.Options{Mailer: mailer, PublicURL: cfg.PublicURL, Logger: logger, Sites: siteStore,
		Users: accounts.Users, Presence: accounts.Presence, Store: store, Analytics: reports,
		Insights: analytics.NewInsights(db.Pool, analytics.InsightsOptions{Logger: logger}), DigestHour: cfg.DigestHour})
	deliverer := webhook.NewWorker(hooks, webhook.WorkerOptions{Logger: logger,
		OnDisabled: func(ctx context.Context, sub webhook.Subscription) {
			webhookDisabled(ctx, sub, siteStore, engine, notifier, auditLog, logger)
		}})
	srv := web.New(web.Options{
		Addr:                 cfg.Addr,
		Version:              version(),
		Ready:                func(ctx context.Context) error { return pg.Ready(ctx, db.Pool) },
		Logger:               logger,
		Sites:                siteStore,
		Library:              lib,
		Commerce:             commerce,
		Sources:              syncer,
		Accounts:             accounts,
		Canned:               chat.NewCannedResponses(db.Pool),
		AdminToken:           cfg.AdminToken,
		MaxUploadBytes:       cfg.MaxUploadMB << 20,
		NewVisitorsPerMinute: cfg.NewVisitorRate,
		Collectors:           append(pg.PoolCollectors(db.Pool), groundingCollectors(engine)...),
		Intents:              understanding,
		IntentStore:          intents.NewStore(db.Pool),
		Engine:               engine,
		Store:                store,
		Hub:                  hub,
		PublicURL:            cfg.PublicURL,
		Audit:                auditLog,
		Privacy:              privacy.NewRequests(db.Pool),
		Analytics:            reports,
		Insights:             analytics.NewInsights(db.Pool, analytics.InsightsOptions{Model: engineOpts.Model, Library: lib, Logger: logger}),
		AnswerTests:          answerTests,
		Webhooks:             hooks,
		Notify:               notifier,
	})

	// Background workers stop with workCtx and are waited for before the pool closes.
	workCtx, stopWork := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	defer func() { stopWork(); workers.Wait() }()
	workers.Add(1)
	go func() { defer workers.Done(); broker.Run(workCtx) }()
	retainer := privacy.NewRetainer(db.Pool, privacy.RetentionOptions{Logger: logger})
	workers.Add(1) // retention: every node runs it, one at a time (advisory lock)
	go func() { defer workers.Done(); retainer.Run(workCtx) }()
	workers.Add(1) // every node answers shopper messages a dead node left without a reply, each once
	go func() { defer workers.Done(); engine.RecoverTurns(workCtx, 5*time.Second) }()
	workers.Add(1) // a site's answer tests run after its knowledge changes (one node per site at a time)
	go func() { defer workers.Done(); answerTests.Watch(workCtx, lib, 10*time.Second, 5*time.Second) }()
	workers.Add(1) // webhooks: every node delivers due deliveries, each attempt once (leases)
	go func() { defer workers.Done(); deliverer.Run(workCtx) }()
	workers.Add(1) // notification emails: waiting conversations, the daily digest (each sent once)
	go func() { defer workers.Done(); notifier.Run(workCtx) }()
	workers.Add(1) // chunks indexed by an older text analysis are analysed again, in place
	go func() {
		defer workers.Done()
		err := lib.Index().Reanalyze(workCtx, func(done, total int) {
			logger.Info("analysing chunks again for the current tokenizer", "done", done, "total", total)
		})
		if err != nil && workCtx.Err() == nil {
			logger.Error("analyse chunks again", "error", err)
		}
	}()
	workers.Add(1) // knowledge sources: every node syncs due ones, each source on one node at a time (a lease)
	go func() { defer workers.Done(); syncer.Run(workCtx) }()
	if n, err := lib.Index().Missing(ctx); err != nil {
		logger.Warn("count chunks without vectors", "error", err)
	} else if n > 0 { // the embedder changed: the new vectors are made while the server runs
		workers.Add(1)
		go func() { defer workers.Done(); embedMissing(workCtx, lib.Index(), n, logger) }()
	}
	for range runtime.NumCPU() { // ingestion is mostly the database's work: one worker per core
		workers.Add(1)
		go func() { defer workers.Done(); lib.Run(workCtx) }()
	}

	if cfg.PprofAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		ps := &http.Server{Addr: cfg.PprofAddr, Handler: mux}
		go ps.ListenAndServe()
		defer ps.Close()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Start() }()
	fmt.Fprintf(e.stdout, "kefu is running on %s\n", cfg.PublicURL)
	if demoSite != nil {
		base := strings.TrimSuffix(cfg.PublicURL, "/")
		fmt.Fprintf(e.stdout, "\n  Demo shop:   %s/demo   ← open this and chat with the bot\n", base)
		fmt.Fprintf(e.stdout, "  Console:     %s/console   (agents and admins)\n", base)
		fmt.Fprintf(e.stdout, "  Widget key:  %s\n", demoSite.SiteKey)
		fmt.Fprintf(e.stdout, "  Admin login: %s (password: shown once when created, or KEFU_ADMIN_PASSWORD)\n\n", demoSite.AdminEmail)
	}
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
	engine.Close(sctx) // let bot turns in flight commit their replies
	logger.Info("stopped", "took", time.Since(start))
	return nil
}

// webhookDisabled tells a site's admins that a webhook was disabled for
// failing: their consoles (live), an email (their preferences allowing),
// and the audit log.
func webhookDisabled(ctx context.Context, sub webhook.Subscription, siteStore *sites.Store, engine *chat.Engine,
	notifier *notify.Service, auditLog *audit.Log, logger *slog.Logger) {
	site, err := siteStore.ByKey(ctx, sub.Site)
	if err != nil {
		logger.Error("webhook disabled: load site", "error", err)
		return
	}
	text := fmt.Sprintf("The webhook to %s of %s was disabled: %s. Turn it on again in the console (Webhooks) once the receiver works; "+
		"deliveries not older than 24 hours are then sent.", sub.URL, site.Name, sub.DisabledReason)
	engine.PublishNotice(site.ID, "webhook_disabled", text)
	at := time.Now()
	if sub.DisabledAt != nil {
		at = *sub.DisabledAt
	}
	ref := fmt.Sprintf("webhook:%d:%d", sub.ID, at.Unix())
	if _, err := notifier.Alert(ctx, site.ID, ref, "kefu: a webhook of "+site.Name+" was disabled", text); err != nil {
		logger.Error("webhook disabled: email admins", "error", err)
	}
	if err := auditLog.Record(ctx, audit.Entry{SiteID: &site.ID, Actor: audit.ActorSystem, Action: "webhook.disabled",
		Target: strconv.FormatInt(sub.ID, 10), Detail: map[string]any{"url": sub.URL, "reason": sub.DisabledReason}}); err != nil {
		logger.Error("webhook disabled: audit", "error", err)
	}
}

// groundingCollectors count model replies by what the grounding check found.
func groundingCollectors(engine *chat.Engine) []prometheus.Collector {
	var out []prometheus.Collector
	for i, result := range []string{chat.GroundingVerified, chat.GroundingCorrected, chat.GroundingFallback} {
		out = append(out, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "kefu_grounding_replies_total",
			Help:        "Model replies by what the grounding check found: verified, corrected (an unsupported fact caught, the second draft passed) or fallback (the offline answer sent).",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 {
			v, c, f := engine.GroundingCounts()
			return float64([]int64{v, c, f}[i])
		}))
	}
	return out
}

// embedMissing embeds the chunks that have no vector of the current model,
// logging progress about every tenth. Searches keep working meanwhile: a
// chunk without a vector is found by full text only.
func embedMissing(ctx context.Context, ix *retrieval.Index, n int, logger *slog.Logger) {
	model := ix.Embedder().Model()
	logger.Info("embedding chunks that have no vectors of the current embedding model, in the background", "model", model, "chunks", n)
	start, next := time.Now(), 0.1
	err := ix.EmbedMissing(ctx, func(done, total int) {
		if f := float64(done) / float64(total); f >= next || done == total {
			logger.Info("embedding chunks", "model", model, "done", done, "total", total)
			for next <= f {
				next += 0.1
			}
		}
	})
	switch {
	case ctx.Err() != nil:
		logger.Info("embedding chunks stopped; the rest are embedded at the next start", "model", model)
	case err != nil:
		logger.Error("embedding chunks failed; the rest are embedded at the next start", "model", model, "error", err)
	default:
		logger.Info("embedded chunks", "model", model, "took", time.Since(start).Round(time.Millisecond))
	}
}
