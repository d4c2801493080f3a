package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/app"
	"kefu/internal/notify"
	"kefu/llm"
)

// serveConfig is kefu serve's configuration: each flag defaults to its
// environment variable (DESIGN.md's table).
type serveConfig struct {
	db              dbFlags
	Addr            string
	PublicURL       string
	OpenAIBaseURL   string
	OpenAIAPIKey    string
	ChatModel       string
	EmbedModel      string
	EmbedBaseURL    string
	Embedder        string
	LogFormat       string
	Demo            bool
	ShutdownTimeout time.Duration
	AdminToken      string
	MaxUploadMB     int64
	VisitorRate     int
	SiteRate        int
	NewVisitorRate  int
	PprofAddr       string
	SMTP            notify.SMTPConfig
	DigestHour      int
}

func (c *serveConfig) register(fs *flag.FlagSet, e env) {
	c.db.register(fs, e)
	fs.StringVar(&c.Addr, "addr", envOr(e, "KEFU_ADDR", ":8080"), "listen address (env KEFU_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", envOr(e, "KEFU_PUBLIC_URL", "http://localhost:8080"), "public base URL for the embed snippet and links (env KEFU_PUBLIC_URL)")
	fs.StringVar(&c.OpenAIBaseURL, "openai-base-url", e.getenv("OPENAI_BASE_URL"), "OpenAI-compatible API base URL; empty: offline mode (env OPENAI_BASE_URL)")
	// Why no env default shown: flag defaults are printed by -h, and keys are secrets.
	fs.StringVar(&c.OpenAIAPIKey, "openai-api-key", "", "API key sent as a bearer token (env OPENAI_API_KEY)")
	fs.StringVar(&c.ChatModel, "chat-model", envOr(e, "KEFU_CHAT_MODEL", "gpt-4o-mini"), "model for replies (env KEFU_CHAT_MODEL)")
	fs.StringVar(&c.EmbedModel, "embed-model", e.getenv("KEFU_EMBED_MODEL"), "embeddings model; empty: built-in embedder (env KEFU_EMBED_MODEL)")
	fs.StringVar(&c.Embedder, "embedder", envOr(e, "KEFU_EMBEDDER", "builtin"), "offline embedder when no embeddings model is set: builtin (trained, shipped in the binary), hash, or a weights file from kefu embedder train (env KEFU_EMBEDDER)")
	fs.StringVar(&c.EmbedBaseURL, "embed-base-url", e.getenv("KEFU_EMBED_BASE_URL"), "embeddings base URL; empty: --openai-base-url (env KEFU_EMBED_BASE_URL)")
	fs.StringVar(&c.LogFormat, "log-format", envOr(e, "KEFU_LOG_FORMAT", "text"), "text or json (env KEFU_LOG_FORMAT)")
	fs.BoolVar(&c.Demo, "demo", false, "load the demo shop on start if it is missing")
	fs.StringVar(&c.AdminToken, "admin-token", "", "bootstrap API token for all sites, e.g. to import data before anyone signs in (env KEFU_ADMIN_TOKEN)")
	fs.Int64Var(&c.MaxUploadMB, "max-upload-mb", 20, "largest knowledge upload in MB")
	fs.StringVar(&c.PprofAddr, "pprof-addr", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060; keep it private")
	fs.IntVar(&c.VisitorRate, "visitor-rate", 20, "shopper messages per visitor per minute")
	fs.IntVar(&c.SiteRate, "site-rate", 600, "shopper messages per site per minute")
	fs.IntVar(&c.NewVisitorRate, "new-visitor-rate", 60, "new widget visitors per network address per minute (each opens a conversation)")
	fs.StringVar(&c.SMTP.Addr, "smtp-addr", e.getenv("KEFU_SMTP_ADDR"), "mail relay host:port for notification emails; empty: no email (env KEFU_SMTP_ADDR)")
	fs.StringVar(&c.SMTP.From, "smtp-from", e.getenv("KEFU_SMTP_FROM"), "From address of notification emails (env KEFU_SMTP_FROM)")
	fs.StringVar(&c.SMTP.Username, "smtp-username", e.getenv("KEFU_SMTP_USERNAME"), "relay user name, AUTH PLAIN over TLS (env KEFU_SMTP_USERNAME)")
	fs.StringVar(&c.SMTP.Password, "smtp-password", "", "relay password (env KEFU_SMTP_PASSWORD)")
	fs.StringVar(&c.SMTP.TLS, "smtp-tls", envOr(e, "KEFU_SMTP_TLS", "starttls"), "starttls (required), tls (implicit, port 465) or none (a local relay) (env KEFU_SMTP_TLS)")
	fs.IntVar(&c.DigestHour, "digest-hour", envInt(e, "KEFU_DIGEST_HOUR", 8), "UTC hour after which admins get the day before's digest (env KEFU_DIGEST_HOUR)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to wait for requests to finish on shutdown")
}

// fill reads the secrets that have no visible flag default.
func (c *serveConfig) fill(e env) {
	if c.OpenAIAPIKey == "" {
		c.OpenAIAPIKey = e.getenv("OPENAI_API_KEY")
	}
	if c.AdminToken == "" {
		c.AdminToken = e.getenv("KEFU_ADMIN_TOKEN")
	}
	if c.SMTP.Password == "" {
		c.SMTP.Password = e.getenv("KEFU_SMTP_PASSWORD")
	}
}

// app is the server's configuration without the database URL.
func (c *serveConfig) app(logger *slog.Logger) app.Config {
	embedBase := c.EmbedBaseURL
	if embedBase == "" {
		embedBase = c.OpenAIBaseURL
	}
	return app.Config{
		Addr: c.Addr, PublicURL: c.PublicURL, Version: version(),
		Model:      llm.Config{BaseURL: c.OpenAIBaseURL, APIKey: c.OpenAIAPIKey, Model: c.ChatModel},
		Embed:      app.EmbedConfig{Model: c.EmbedModel, BaseURL: embedBase, APIKey: c.OpenAIAPIKey, Embedder: c.Embedder},
		AdminToken: c.AdminToken, MaxUploadBytes: c.MaxUploadMB << 20,
		VisitorRate: c.VisitorRate, SiteRate: c.SiteRate, NewVisitorRate: c.NewVisitorRate,
		SMTP: c.SMTP, DigestHour: c.DigestHour, PprofAddr: c.PprofAddr, Logger: logger,
	}
}

// validate reports every problem at once, each naming the setting to fix.
func (c *serveConfig) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("KEFU_ADDR %q must be host:port, like :8080", c.Addr))
	}
	if err := checkHTTPURL(c.PublicURL); err != nil {
		errs = append(errs, fmt.Errorf("KEFU_PUBLIC_URL %q %v", c.PublicURL, err))
	}
	for name, v := range map[string]string{"OPENAI_BASE_URL": c.OpenAIBaseURL, "KEFU_EMBED_BASE_URL": c.EmbedBaseURL} {
		if v == "" {
			continue
		}
		if err := checkHTTPURL(v); err != nil {
			errs = append(errs, fmt.Errorf("%s %q %v", name, v, err))
		}
	}
	if c.Embedder != "" && c.Embedder != "builtin" && c.Embedder != "hash" {
		if st, err := os.Stat(c.Embedder); err != nil || st.IsDir() {
			errs = append(errs, fmt.Errorf("KEFU_EMBEDDER %q must be builtin, hash or a weights file", c.Embedder))
		}
	}
	if c.EmbedModel != "" && c.OpenAIBaseURL == "" && c.EmbedBaseURL == "" {
		errs = append(errs, errors.New("KEFU_EMBED_MODEL needs OPENAI_BASE_URL or KEFU_EMBED_BASE_URL"))
	}
	if c.OpenAIBaseURL != "" && strings.TrimSpace(c.ChatModel) == "" {
		errs = append(errs, errors.New("KEFU_CHAT_MODEL must not be empty when OPENAI_BASE_URL is set"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("KEFU_LOG_FORMAT %q must be text or json", c.LogFormat))
	}
	if c.db.url != "" {
		if _, err := pgxpool.ParseConfig(c.db.url); err != nil {
			// Why not %v of err: pgx's message may echo the URL, password included.
			errs = append(errs, errors.New("DATABASE_URL is not a valid PostgreSQL connection string"))
		}
	}
	if c.MaxUploadMB <= 0 || c.MaxUploadMB > 1024 {
		errs = append(errs, errors.New("--max-upload-mb must be between 1 and 1024"))
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		errs = append(errs, errors.New("KEFU_ADMIN_TOKEN must have at least 16 characters"))
	}
	if c.VisitorRate <= 0 || c.SiteRate <= 0 || c.NewVisitorRate <= 0 {
		errs = append(errs, errors.New("--visitor-rate, --site-rate and --new-visitor-rate must be positive"))
	}
	if c.SMTP.Addr != "" {
		if err := c.SMTP.Validate(); err != nil {
			errs = append(errs, err)
		}
	} else if c.SMTP.From != "" || c.SMTP.Username != "" {
		errs = append(errs, errors.New("KEFU_SMTP_FROM and KEFU_SMTP_USERNAME need KEFU_SMTP_ADDR"))
	}
	if c.DigestHour < 0 || c.DigestHour > 23 {
		errs = append(errs, fmt.Errorf("KEFU_DIGEST_HOUR %d must be 0 to 23", c.DigestHour))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	return errors.Join(errs...)
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http:// or https:// URL")
	}
	return nil
}
