// Package app is kefu's composition root: the one place that builds the
// whole server (database pool, stores, library, analyzer, model client,
// engine, hub and broker, web server) and runs its background workers.
// kefu serve, the benchmarks and the tests (internal/kefutest) all start
// kefu through it. An App owns every goroutine it starts; Shutdown stops
// them in the reverse order of their start and closes the pool last.
//
// Nothing but cmd/ and tests imports app (scripts/lint.sh).
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

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
)

// Config is everything the server is built from; cmd/kefu fills it from
// flags and the environment (DESIGN.md's table), tests from kefutest.
type Config struct {
	// DatabaseURL is the PostgreSQL database; New migrates it.
	DatabaseURL string
	// Addr is the listen address; with port 0 a free port is picked
	// (Addr reports it after Start).
	Addr string
	// Listener, when set, is used instead of listening on Addr (tests
	// listen first to know the public URL).
	Listener  net.Listener
	PublicURL string
	Version   string

	// Model is the OpenAI-compatible endpoint for replies; an empty
	// BaseURL is offline mode.
	Model llm.Config
	Embed EmbedConfig
	// Embedder, when set, replaces the embedder Embed names (tests).
	Embedder retrieval.Embedder

	AdminToken     string
	MaxUploadBytes int64
	// Per-minute limits: shopper messages per visitor and per site, new
	// widget visitors per network address.
	VisitorRate, SiteRate, NewVisitorRate int
	SMTP                                  notify.SMTPConfig
	DigestHour                            int
	PprofAddr                             string // empty: no profiles served

	Logger *slog.Logger // default: discard

	// Analyzer replaces the intent service (tests use a stand-in); nil
	// trains and loads the built-in models.
	Analyzer chat.Analyzer
	// IngestWorkers is the number of ingestion workers; 0: one per core.
	IngestWorkers int
	// Seed runs once the library is ready and before the analyzer loads
	// its site models (kefu serve --demo loads the demo shop).
	Seed func(ctx context.Context, pool *pgxpool.Pool, lib *knowledge.Library) error
}

// App is a built server. Its fields are the parts, for the commands and
// tests that need one of them; they are set by New and never replaced.
type App struct {
	cfg    Config
	logger *slog.Logger

	Pool        *pgxpool.Pool
	Model       *llm.Client // nil in offline mode
	Library     *knowledge.Library
	Commerce    *knowledge.Commerce
	Intents     *intents.Service // nil when Config.Analyzer replaced it
	Sites       *sites.Store
	Accounts    *account.Store
	Store       *chat.Store
	Hub         *chat.Hub
	Broker      *chat.PGBroker
	Engine      *chat.Engine
	AnswerTests *chat.AnswerTests
	Sources     *sources.Syncer
	Webhooks    *webhook.Service
	Notify      *notify.Service
	Audit       *audit.Log
	Server      *web.Server

	deliverer *webhook.Worker
	retainer  *privacy.Retainer

	ln       net.Listener
	workCtx  context.Context
	stopWork context.CancelFunc
	workers  sync.WaitGroup
	served   chan error // the web server's result, once it stops
	pprof    *http.Server
	stopOnce sync.Once
}

// New builds the server: it opens and migrates the database, prepares the
// embedder's index, runs Config.Seed and loads the analyzer. Nothing runs
// until Start. On error everything New opened is closed again.
func New(ctx context.Context, cfg Config) (_ *App, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.IngestWorkers <= 0 {
		cfg.IngestWorkers = runtime.NumCPU() // ingestion is mostly the database's work: one worker per core
	}
	logger := cfg.Logger
	a := &App{cfg: cfg, logger: logger}
	if a.Pool, err = pg.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.Pool.Close()
		}
	}()
	if cfg.Model.BaseURL == "" {
		logger.Info("no model configured: offline mode (answers from the knowledge base and order data)")
	}
	if cfg.Embedder != nil {
		a.Library = knowledge.NewLibrary(a.Pool, retrieval.NewIndex(a.Pool, cfg.Embedder), logger)
		err = a.Library.Index().EnsureModel(ctx)
	} else {
		a.Library, err = NewLibrary(ctx, a.Pool, cfg.Embed, logger)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Seed != nil {
		if err := cfg.Seed(ctx, a.Pool, a.Library); err != nil {
			return nil, err
		}
	}
	if cfg.AdminToken != "" {
		logger.Info("KEFU_ADMIN_TOKEN is set: it works as an all-sites API token; prefer tokens created in the console")
	}
	analyzer := cfg.Analyzer
	if analyzer == nil {
		if a.Intents, err = intents.NewService(ctx, intents.NewStore(a.Pool), intents.ServiceOptions{Logger: logger}); err != nil {
			return nil, err
		}
		if err := a.Intents.Load(ctx); err != nil {
			return nil, err
		}
		analyzer = chat.ServiceAnalyzer{Service: a.Intents}
	}
	var mailer notify.Mailer
	if cfg.SMTP.Addr != "" {
		if mailer, err = notify.NewSMTP(cfg.SMTP); err != nil {
			return nil, fmt.Errorf("invalid configuration:\n%w", err)
		}
		logger.Info("notification emails on", "relay", cfg.SMTP.Addr, "tls", cfg.SMTP.TLS)
	} else {
		logger.Info("KEFU_SMTP_ADDR is not set: no notification emails (the console's desktop notifications still work)")
	}

	db := a.Pool
	a.Sites, a.Store, a.Hub = sites.NewStore(db), chat.NewStore(db), chat.NewHub()
	a.Broker = chat.NewPGBroker(db, a.Hub, a.Store, logger)
	a.Commerce = knowledge.NewCommerce(db)
	a.Accounts = account.NewStore(db)
	engineOpts := chat.Options{Store: a.Store, Sites: a.Sites, Hub: a.Hub, Broker: a.Broker, Analyzer: analyzer,
		Library: a.Library, Commerce: a.Commerce, Logger: logger, VisitorPerMinute: cfg.VisitorRate, SitePerMinute: cfg.SiteRate,
		Users: a.Accounts.Users, AgentsOnline: a.Accounts.Presence.Online}
	if cfg.Model.BaseURL != "" {
		a.Model = llm.New(cfg.Model)
		engineOpts.Model = a.Model
	}
	// Webhooks: chat records events in the transaction of each change; every
	// node delivers them from the outbox.
	a.Webhooks = webhook.NewService(db, nil)
	a.Store.SetEvents(a.Webhooks)
	a.Engine = chat.NewEngine(engineOpts)
	a.AnswerTests = chat.NewAnswerTests(db, a.Engine, logger)
	a.Sources = sources.New(db, a.Library, a.Commerce, sources.Options{UserAgent: UserAgent(cfg.Version, cfg.PublicURL),
		Logger: logger, Hooks: a.Webhooks})
	a.Audit = audit.New(db)
	reports := analytics.NewReports(db, a.Sites, nil)
	// The digest's knowledge gaps are listed as asked: no model drafts, no
	// coverage check (the console's insights have both).
	a.Notify = notify.New(db, notify.Options{Mailer: mailer, PublicURL: cfg.PublicURL, Logger: logger, Sites: a.Sites,
		Users: a.Accounts.Users, Presence: a.Accounts.Presence, Store: a.Store, Analytics: reports,
		Insights: analytics.NewInsights(db, analytics.InsightsOptions{Logger: logger}), DigestHour: cfg.DigestHour})
	a.deliverer = webhook.NewWorker(a.Webhooks, webhook.WorkerOptions{Logger: logger,
		OnDisabled: func(ctx context.Context, sub webhook.Subscription) { a.webhookDisabled(ctx, sub) }})
	a.retainer = privacy.NewRetainer(db, privacy.RetentionOptions{Logger: logger})
	a.Server = web.New(web.Options{
		Addr:                 cfg.Addr,
		Version:              cfg.Version,
		Ready:                func(ctx context.Context) error { return pg.Ready(ctx, db) },
		Logger:               logger,
		Sites:                a.Sites,
		Library:              a.Library,
		Commerce:             a.Commerce,
		Sources:              a.Sources,
		Accounts:             a.Accounts,
		Canned:               chat.NewCannedResponses(db),
		AdminToken:           cfg.AdminToken,
		MaxUploadBytes:       cfg.MaxUploadBytes,
		NewVisitorsPerMinute: cfg.NewVisitorRate,
		Collectors:           append(pg.PoolCollectors(db), groundingCollectors(a.Engine)...),
		Intents:              a.Intents,
		IntentStore:          intents.NewStore(db),
		Engine:               a.Engine,
		Store:                a.Store,
		Hub:                  a.Hub,
		PublicURL:            cfg.PublicURL,
		Audit:                a.Audit,
		Privacy:              privacy.NewRequests(db),
		Analytics:            reports,
		Insights:             analytics.NewInsights(db, analytics.InsightsOptions{Model: engineOpts.Model, Library: a.Library, Logger: logger}),
		AnswerTests:          a.AnswerTests,
		Webhooks:             a.Webhooks,
		Notify:               a.Notify,
	})
	return a, nil
}

// Start listens, starts the background workers and serves. It returns once
// the server accepts connections; Wait reports when it stops, Shutdown
// stops it.
func (a *App) Start(ctx context.Context) error {
	ln := a.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", a.cfg.Addr); err != nil {
			return err
		}
	}
	a.ln = ln
	// Background workers stop with workCtx and are waited for before the pool closes.
	a.workCtx, a.stopWork = context.WithCancel(context.Background())
	if a.cfg.PprofAddr != "" {
		pln, err := net.Listen("tcp", a.cfg.PprofAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("pprof: %w", err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		a.pprof = &http.Server{Handler: mux}
		a.goWork(func(context.Context) { a.pprof.Serve(pln) })
	}
	logger, lib := a.logger, a.Library
	a.goWork(a.Broker.Run)
	a.goWork(a.retainer.Run) // retention: every node runs it, one at a time (advisory lock)
	// every node answers shopper messages a dead node left without a reply, each once
	a.goWork(func(ctx context.Context) { a.Engine.RecoverTurns(ctx, 5*time.Second) })
	// a site's answer tests run after its knowledge changes (one node per site at a time)
	a.goWork(func(ctx context.Context) { a.AnswerTests.Watch(ctx, lib, 10*time.Second, 5*time.Second) })
	a.goWork(a.deliverer.Run)            // webhooks: every node delivers due deliveries, each attempt once (leases)
	a.goWork(a.Notify.Run)               // notification emails: waiting conversations, the daily digest (each sent once)
	a.goWork(func(ctx context.Context) { // chunks indexed by an older text analysis are analysed again, in place
		err := lib.Index().Reanalyze(ctx, func(done, total int) {
			logger.Info("analysing chunks again for the current tokenizer", "done", done, "total", total)
		})
		if err != nil && ctx.Err() == nil {
			logger.Error("analyse chunks again", "error", err)
		}
		// then the search's pruning bounds of sites indexed before it kept them
		var filled int
		err = lib.Index().FillTermBounds(ctx, func(done, _ int) { filled = done })
		if err != nil && ctx.Err() == nil {
			logger.Error("fill term bounds", "error", err)
		} else if filled > 0 {
			logger.Info("filled the search's term bounds", "chunks", filled)
		}
	})
	a.goWork(a.Sources.Run) // knowledge sources: every node syncs due ones, each source on one node at a time (a lease)
	if n, err := lib.Index().Missing(ctx); err != nil {
		logger.Warn("count chunks without vectors", "error", err)
	} else if n > 0 { // the embedder changed: the new vectors are made while the server runs
		a.goWork(func(ctx context.Context) { EmbedMissing(ctx, lib.Index(), n, logger) })
	}
	for range a.cfg.IngestWorkers {
		a.goWork(lib.Run)
	}
	a.served = make(chan error, 1)
	go func() { a.served <- a.Server.Serve(ln) }()
	return nil
}

// goWork runs fn in a worker goroutine that Shutdown cancels and waits for.
func (a *App) goWork(fn func(ctx context.Context)) {
	a.workers.Add(1)
	go func() { defer a.workers.Done(); fn(a.workCtx) }()
}

// Addr is the address the server listens on (after Start).
func (a *App) Addr() string { return a.ln.Addr().String() }

// URL is the server's base URL (after Start), http://host:port.
func (a *App) URL() string { return "http://" + a.Addr() }

// Wait blocks until ctx ends (nil) or the web server fails (its error).
func (a *App) Wait(ctx context.Context) error {
	select {
	case err := <-a.served:
		a.served <- err // Shutdown reads it again
		if err == nil {
			err = errors.New("the web server stopped")
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		return nil
	}
}

// Shutdown stops everything in the reverse order of its start: the web
// server (requests and websockets finish until ctx ends), the engine (bot
// turns in flight commit their replies), the background workers, and last
// the database pool. It may be called once more; later calls do nothing.
func (a *App) Shutdown(ctx context.Context) error {
	var err error
	a.stopOnce.Do(func() {
		if a.served != nil {
			err = a.Server.Shutdown(ctx)
			if serr := <-a.served; serr != nil {
				err = errors.Join(err, serr)
			}
		} else if a.ln != nil {
			a.ln.Close()
		}
		a.Engine.Close(ctx)
		if a.pprof != nil {
			a.pprof.Close()
		}
		if a.stopWork != nil {
			a.stopWork()
			a.workers.Wait()
		}
		a.Pool.Close()
	})
	return err
}

// UserAgent is how kefu names itself to the sites it fetches.
func UserAgent(version, publicURL string) string {
	return "kefu/" + version + " (+" + publicURL + ")"
}

// webhookDisabled tells a site's admins that a webhook was disabled for
// failing: their consoles (live), an email (their preferences allowing),
// and the audit log.
func (a *App) webhookDisabled(ctx context.Context, sub webhook.Subscription) {
	logger := a.logger
	site, err := a.Sites.ByKey(ctx, sub.Site)
	if err != nil {
		logger.Error("webhook disabled: load site", "error", err)
		return
	}
	text := fmt.Sprintf("The webhook to %s of %s was disabled: %s. Turn it on again in the console (Webhooks) once the receiver works; "+
		"deliveries not older than 24 hours are then sent.", sub.URL, site.Name, sub.DisabledReason)
	a.Engine.PublishNotice(site.ID, "webhook_disabled", text)
	at := time.Now()
	if sub.DisabledAt != nil {
		at = *sub.DisabledAt
	}
	ref := fmt.Sprintf("webhook:%d:%d", sub.ID, at.Unix())
	if _, err := a.Notify.Alert(ctx, site.ID, ref, "kefu: a webhook of "+site.Name+" was disabled", text); err != nil {
		logger.Error("webhook disabled: email admins", "error", err)
	}
	if err := a.Audit.Record(ctx, audit.Entry{SiteID: &site.ID, Actor: audit.ActorSystem, Action: "webhook.disabled",
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

// EmbedMissing embeds the chunks that have no vector of the current model,
// logging progress about every tenth. Searches keep working meanwhile: a
// chunk without a vector is found by full text only.
func EmbedMissing(ctx context.Context, ix *retrieval.Index, n int, logger *slog.Logger) {
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
