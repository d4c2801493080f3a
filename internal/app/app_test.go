package app_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"kefu/chat"
	"kefu/internal/app"
	"kefu/internal/fakellm"
	"kefu/internal/kefutest"
	"kefu/internal/pgtest"
)

// Every goroutine an App starts is stopped by Shutdown.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The whole stack serves: it is ready, a shopper's message gets the
// model's reply through the engine, and Shutdown stops it all (the pool
// too); calling Shutdown again does nothing.
func TestAppServesAndShutsDown(t *testing.T) {
	s := kefutest.Start(t, kefutest.Options{})
	s.Fake.Respond(func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: "Parcels take five days."} })
	ctx := context.Background()
	resp, err := http.Get(s.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz = %d; want 200", resp.StatusCode)
	}
	site, err := s.Sites.Create(ctx, "Shop", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.Engine.Hello(ctx, site, "", "en", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Engine.Post(ctx, sess, "c1", "How long does delivery take?"); err != nil {
		t.Fatal(err)
	}
	var reply string
	kefutest.WaitFor(t, func() bool {
		d, err := s.Engine.Detail(ctx, sess.Conversation.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range d.Messages {
			if m.Role == chat.RoleBot && strings.Contains(m.Text, "five days") {
				reply = m.Text
			}
		}
		return reply != ""
	}, "the bot's reply")

	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := s.Pool.Ping(ctx); err == nil {
		t.Error("the pool still answers after Shutdown")
	}
	if _, err := http.Get(s.URL() + "/readyz"); err == nil {
		t.Error("the server still answers after Shutdown")
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown again: %v", err)
	}
}

// An address in use is a clear error from Start, and Shutdown then closes
// what New opened.
func TestStartOnBusyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DatabaseURL: pgtest.URL(t), Addr: ln.Addr().String(), Analyzer: kefutest.Keywords{},
		Embed: app.EmbedConfig{Embedder: "hash"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Start on a busy address = %v; want address already in use", err)
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown after a failed Start: %v", err)
	}
	if err := a.Pool.Ping(ctx); err == nil {
		t.Error("the pool still answers after Shutdown")
	}
}

// A database that cannot be reached is an error from New, and nothing runs.
func TestNewWithoutDatabase(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := app.New(ctx, app.Config{DatabaseURL: "postgres://nobody@127.0.0.1:1/none?connect_timeout=1", Analyzer: kefutest.Keywords{}}); err == nil {
		t.Error("New without a database = nil error")
	}
}
