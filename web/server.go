// Package web is kefu's HTTP surface: the echo server, its routes (all in
// routes.go), middleware, the error-to-status mapping and embedded assets.
package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"kefu/chat"
	"kefu/intents"
	"kefu/internal/account"
	"kefu/internal/analytics"
	"kefu/internal/audit"
	"kefu/internal/notify"
	"kefu/internal/privacy"
	"kefu/internal/sites"
	"kefu/internal/webhook"
	"kefu/knowledge"
	"kefu/sources"
)

// Options configure a Server.
type Options struct {
	Addr    string
	Version string
	// Ready reports whether the server can serve traffic (database reachable,
	// schema current); /readyz answers 503 with its error otherwise.
	Ready  func(ctx context.Context) error
	Logger *slog.Logger

	Sites    *sites.Store
	Library  *knowledge.Library
	Commerce *knowledge.Commerce
	// Sources syncs knowledge from the shop's pages and feeds (nil: those
	// routes answer 404).
	Sources *sources.Syncer
	// Accounts are console users, sessions, API tokens and presence
	// (auth.go); nil leaves only AdminToken.
	Accounts *account.Store
	// Canned keeps the sites' canned responses (nil: those routes answer 404).
	Canned *chat.CannedResponses
	// AdminToken is a bootstrap bearer token with an API token's rights on
	// every site (KEFU_ADMIN_TOKEN); empty disables it. Prefer API tokens
	// created in the console: they can be scoped to a site and revoked.
	AdminToken     string
	MaxUploadBytes int64 // knowledge uploads; 20 MB when 0

	Engine *chat.Engine
	// AnswerTests keeps and runs the sites' answer tests (nil: not offered).
	AnswerTests *chat.AnswerTests
	Store       *chat.Store
	Hub         *chat.Hub
	PublicURL   string

	// Audit is the audit log (nil: actions are not recorded); Privacy
	// answers data-subject requests (nil: those routes answer 404).
	// Intents and IntentStore serve sites' custom intents (nil: not enabled).
	Intents     *intents.Service
	IntentStore *intents.Store
	Audit       *audit.Log
	Privacy     *privacy.Requests

	// Analytics computes the period summaries and Insights the knowledge
	// gaps, customers at risk and feedback topics (nil: those routes
	// answer 404).
	Analytics *analytics.Reports
	Insights  *analytics.Insights

	// Webhooks keeps the sites' webhook subscriptions and their delivery
	// log (nil: those routes answer 501).
	Webhooks *webhook.Service
	// Notify keeps console users' notification preferences and sends their
	// emails (nil: those routes answer 501).
	Notify *notify.Service

	// Collectors are more metrics for /metrics (the database pool's).
	Collectors []prometheus.Collector

	// NewVisitorsPerMinute bounds the widget hellos that create a visitor
	// (and a conversation), per network address; 0: no limit.
	NewVisitorsPerMinute int
}

// Server is kefu's HTTP server.
type Server struct {
	sockets sockets    // open websockets (wsconn.go); Shutdown closes and waits for them
	reindex reindexJob // the console's re-index, on this node
	echo    *echo.Echo
	opts    Options
	logger  *slog.Logger
	metrics *metrics

	siteMu    sync.Mutex
	siteCache map[string]cachedSite

	openapiOnce sync.Once // the OpenAPI document as JSON (openapi.go)
	openapiJSON []byte
	openapiErr  error

	auth      authState  // sign-in rate limits (auth.go)
	newVisits limiterSet // hellos that create a visitor, per address (widgetws.go)

	hooks atomic.Pointer[testHooks] // nil but in tests (export_test.go)
}

// cachedSite is a site looked up by widget key, kept briefly: every widget
// connection needs it, and settings changes may take siteTTL to apply.
type cachedSite struct {
	site *sites.Site
	at   time.Time
}

const siteTTL = 30 * time.Second

// siteByKey returns the site with widget key key, shared and cached.
func (s *Server) siteByKey(ctx context.Context, key string) (*sites.Site, error) {
	s.siteMu.Lock()
	c, ok := s.siteCache[key]
	s.siteMu.Unlock()
	if ok && time.Since(c.at) < siteTTL {
		return c.site, nil
	}
	site, err := s.opts.Sites.ByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	s.siteMu.Lock()
	if len(s.siteCache) > 10000 {
		s.siteCache = map[string]cachedSite{} // bounded: only existing keys get here
	}
	s.siteCache[key] = cachedSite{site: site, at: time.Now()}
	s.siteMu.Unlock()
	return site, nil
}

// New builds the server and its routes; Start serves them.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = 20 << 20
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{echo: e, opts: opts, logger: opts.Logger, metrics: newMetrics(),
		siteCache: map[string]cachedSite{}}
	s.metrics.registry.MustRegister(opts.Collectors...)
	e.HTTPErrorHandler = s.handleError
	s.routes()
	return s
}

// Handler exposes the server as an http.Handler (for tests).
func (s *Server) Handler() http.Handler { return s.echo }

// Start serves until Shutdown; it returns nil after a graceful shutdown.
func (s *Server) Start() error {
	s.logger.Info("listening", "addr", s.opts.Addr)
	if err := s.echo.Start(s.opts.Addr); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Serve serves on ln until Shutdown, like Start (the caller listened, for
// example on a free port); it returns nil after a graceful shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.logger.Info("listening", "addr", ln.Addr().String())
	s.echo.Listener = ln
	if err := s.echo.Start(ln.Addr().String()); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends. Websockets are told the server is going away (close
// 1001: the widget reconnects, to another node if there is one) and waited
// for, and so is a re-index running on this node (cancelled); when ctx
// ends first, the error says what still runs.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.echo.Shutdown(ctx)
	s.reindex.stop()
	err = errors.Join(err, s.sockets.shutdown(ctx))
	return errors.Join(err, s.reindex.wait(ctx))
}

// observeResponses, when set (by tests, before any server is built), sees
// every response with its request and route: openapi_test.go validates
// them against the OpenAPI document.
var observeResponses func(r *http.Request, route string, status int, header http.Header, body []byte)

// observe hands each response to observeResponses; websockets are left alone.
func observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		f := observeResponses
		if f == nil || c.Request().Header.Get("Upgrade") != "" {
			return next(c)
		}
		rec := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		if err := next(c); err != nil {
			c.Error(err)
		}
		f(c.Request(), c.Path(), c.Response().Status, c.Response().Header(), rec.body.Bytes())
		return nil
	}
}

// recorder keeps a copy of what a response wrote.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// requestLogger logs one line per request with its id, route, status and time.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			attrs := []slog.Attr{
				slog.String("id", v.RequestID), slog.String("method", v.Method), slog.String("uri", logURI(v.URI)),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency),
			}
			if v.Error != nil && v.Status >= 500 {
				attrs = append(attrs, slog.Any("error", v.Error))
			}
			s.logger.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kefu_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kefu_http_request_duration_seconds", Help: "HTTP request duration by method, route and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
	}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration)
	return m
}

// middleware records each request under its route template (not its raw
// path), so the label set stays bounded.
func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // write the error response now so the status is known
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		labels := prometheus.Labels{"method": c.Request().Method, "route": route, "status": strconv.Itoa(c.Response().Status)}
		m.requests.With(labels).Inc()
		m.duration.With(labels).Observe(time.Since(start).Seconds())
		return nil
	}
}
