// Package kefutest starts kefu for tests: the whole server, built by
// internal/app, on a throwaway database (internal/pgtest) with the fake
// model (internal/fakellm), stopped by Shutdown when the test ends. It also
// has the small helpers tests kept writing again: SignIdentity (a shop's
// identity hash), WaitFor (polling with a deadline) and Buffer (logs
// written from several goroutines).
//
// Only tests import kefutest (scripts/lint.sh).
package kefutest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/app"
	"kefu/internal/fakellm"
	"kefu/internal/pgtest"
	"kefu/knowledge"
	"kefu/llm"
)

// Options change what Start builds; the zero value is the usual test stack.
type Options struct {
	// DatabaseURL is the database to use (another node's, to start a
	// second node on it); empty: a fresh one.
	DatabaseURL string
	// Offline starts the server without a model (offline mode).
	Offline bool
	// Analyzer replaces the stand-in Keywords analyzer.
	Analyzer chat.Analyzer
	// Configure changes the server's configuration last.
	Configure func(*app.Config)
}

// Stack is a running kefu server.
type Stack struct {
	*app.App
	// Fake is the fake model the server talks to (nil when Offline);
	// App.Model is the server's client of it.
	Fake *fakellm.Server
	// Logs has the server's logs (JSON lines).
	Logs *Buffer
	// DatabaseURL is the test's own database.
	DatabaseURL string
}

// Start builds and starts the whole server on a fresh database, listening
// on a free 127.0.0.1 port; it is shut down when the test ends, and the
// test fails if that does not go cleanly.
func Start(tb testing.TB, opts Options) *Stack {
	tb.Helper()
	s := &Stack{Logs: &Buffer{}, DatabaseURL: opts.DatabaseURL}
	if s.DatabaseURL == "" {
		s.DatabaseURL = pgtest.URL(tb)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	cfg := app.Config{
		DatabaseURL:    s.DatabaseURL,
		Listener:       ln,
		PublicURL:      "http://" + ln.Addr().String(),
		Version:        "test",
		Embed:          app.EmbedConfig{Embedder: "hash"},
		MaxUploadBytes: 20 << 20,
		VisitorRate:    1000, SiteRate: 100000, NewVisitorRate: 100000,
		DigestHour:    8,
		Logger:        slog.New(slog.NewJSONHandler(s.Logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Analyzer:      opts.Analyzer,
		IngestWorkers: 1,
	}
	if cfg.Analyzer == nil {
		cfg.Analyzer = Keywords{}
	}
	if !opts.Offline {
		s.Fake = fakellm.New()
		srv := httptest.NewServer(s.Fake)
		tb.Cleanup(srv.Close) // after the app's Shutdown (cleanups run last first)
		cfg.Model = llm.Config{BaseURL: srv.URL + "/v1", Model: "fake"}
	}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, err := app.New(ctx, cfg)
	if err != nil {
		ln.Close()
		tb.Fatalf("build kefu: %v", err)
	}
	if err := a.Start(ctx); err != nil {
		a.Shutdown(ctx)
		tb.Fatalf("start kefu: %v", err)
	}
	s.App = a
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			tb.Errorf("shut kefu down: %v", err)
		}
	})
	return s
}

// AddDocument adds a knowledge document to a site and waits until the
// server's ingestion worker has made it searchable.
func (s *Stack) AddDocument(tb testing.TB, siteID int64, name, content string) *knowledge.Document {
	tb.Helper()
	ctx := context.Background()
	d, err := s.Library.Add(ctx, siteID, name, []byte(content))
	if err != nil {
		tb.Fatal(err)
	}
	WaitFor(tb, func() bool {
		got, err := s.Library.Get(ctx, siteID, d.ID)
		if err != nil {
			tb.Fatal(err)
		}
		d = got
		return got.Status == knowledge.StatusReady || got.Status == knowledge.StatusFailed
	}, "document %s to be ingested", name)
	if d.Status != knowledge.StatusReady {
		tb.Fatalf("document %s: %s", name, d.Status)
	}
	return d
}

// WSURL is the server's websocket base, ws://host:port.
func (s *Stack) WSURL() string { return "ws://" + s.Addr() }

// Session is a console user signed in: Authorize lets a request act as them.
type Session struct {
	User         *account.User
	Cookie, CSRF string
}

// SignIn creates a console user with role (account.RoleAdmin, RoleAgent) on
// the sites given and signs them in directly (the login route is tested on
// its own, with its rate limits).
func (s *Stack) SignIn(tb testing.TB, email, role string, siteIDs ...int64) Session {
	tb.Helper()
	ctx := context.Background()
	u, err := s.Accounts.Users.Create(ctx, email, email, role, "correct horse battery staple")
	if err != nil {
		tb.Fatal(err)
	}
	for _, id := range siteIDs {
		if err := s.Accounts.Users.AddToSite(ctx, u.ID, id); err != nil {
			tb.Fatal(err)
		}
	}
	token, sess, err := s.Accounts.Sessions.Create(ctx, u.ID, "test", "127.0.0.1")
	if err != nil {
		tb.Fatal(err)
	}
	return Session{User: u, Cookie: token, CSRF: sess.CSRFToken}
}

// Authorize adds the session's cookie and CSRF token to req.
func (se Session) Authorize(req *http.Request) {
	req.AddCookie(&http.Cookie{Name: "kefu_session", Value: se.Cookie})
	req.Header.Set("X-CSRF-Token", se.CSRF)
}

// SignIdentity is what a shop's backend computes to verify a shopper to
// the widget: hex(HMAC-SHA256(site secret, user id)) (DESIGN.md).
func SignIdentity(secret, userID string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(userID))
	return hex.EncodeToString(mac.Sum(nil))
}

// WaitTimeout bounds WaitFor: generous, since the suite shares two cores
// with browsers; it only bounds a failing test.
const WaitTimeout = 60 * time.Second

// WaitFor calls cond until it is true, and fails the test (saying what it
// waited for: format and args) when it is still false after WaitTimeout. It
// polls often at first, then every 100 ms.
func WaitFor(tb testing.TB, cond func() bool, format string, args ...any) {
	tb.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for wait := time.Millisecond; !cond(); wait = min(2*wait, 100*time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s", WaitTimeout, fmt.Sprintf(format, args...))
		}
		time.Sleep(wait)
	}
}

// Buffer collects what several goroutines write (logs), safely.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Keywords is the stand-in analyzer of tests: it finds order numbers
// (LL-123456) and emails, and tells a few intents by keywords (English and
// Chinese), so tests reach every path of a turn without training the
// classifier.
type Keywords struct{}

var (
	orderRE = regexp.MustCompile(`LL-\d{6}`)
	mailRE  = regexp.MustCompile(`[\w.+-]+@[\w.-]+\.\w+`)
)

// Entities is the order numbers and emails in text.
func (Keywords) Entities(_ int64, text string) (orderNumbers, emails []string) {
	return orderRE.FindAllString(text, -1), mailRE.FindAllString(text, -1)
}

// Analyze tells greeting, human_agent, order_status, payment_issue (a
// problem when "charged twice") and product_question by keywords, else
// other; "terrible" is negative, "furious" angry.
func (Keywords) Analyze(_ context.Context, _ int64, text string) chat.Analysis {
	t := strings.ToLower(text)
	a := chat.Analysis{Intent: "other", Confidence: 0.9, Sentiment: "neutral",
		OrderNumbers: orderRE.FindAllString(text, -1), Emails: mailRE.FindAllString(text, -1)}
	switch {
	case strings.Contains(t, "hello") || strings.Contains(t, "你好"):
		a.Intent = "greeting"
	case strings.Contains(t, "person") || strings.Contains(t, "人工"):
		a.Intent = "human_agent"
	case strings.Contains(t, "order") || strings.Contains(t, "订单") || len(a.OrderNumbers) > 0:
		a.Intent = "order_status"
	case strings.Contains(t, "charged twice"):
		a.Intent, a.Problem = "payment_issue", true
	case strings.Contains(t, "charged in"):
		a.Intent = "payment_issue" // a question about how paying works
	case strings.Contains(t, "lamp") || strings.Contains(t, "台灯"):
		a.Intent = "product_question"
	}
	if strings.Contains(t, "terrible") || strings.Contains(t, "差") {
		a.Sentiment, a.SentimentScore = "negative", -0.5
	}
	if strings.Contains(t, "furious") {
		a.Sentiment, a.SentimentScore, a.Angry = "negative", -0.95, true
	}
	return a
}
