package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"kefu/internal/account"
	"kefu/internal/app"
	"kefu/internal/kefutest"
	"kefu/retrieval"
)

// gateEmbedder is the hashing embedder, except that once armed its next
// Embed reports that it started (entered), waits for its context to end,
// reports that (canceled) and then holds on until released: a slow model
// call that does not stop at once.
type gateEmbedder struct {
	retrieval.Embedder
	mu                         sync.Mutex
	armed                      bool
	entered, canceled, release chan struct{}
}

func newGateEmbedder() *gateEmbedder {
	return &gateEmbedder{Embedder: retrieval.NewHashEmbedder(retrieval.DefaultDim),
		entered: make(chan struct{}), canceled: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateEmbedder) arm() { g.mu.Lock(); g.armed = true; g.mu.Unlock() }

func (g *gateEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	g.mu.Lock()
	armed := g.armed
	g.armed = false
	g.mu.Unlock()
	if !armed {
		return g.Embedder.Embed(ctx, texts)
	}
	close(g.entered)
	<-ctx.Done()
	close(g.canceled)
	<-g.release
	return nil, ctx.Err()
}

// reindexStack is kefu with one site and one document, its embedder gated.
func reindexStack(t *testing.T) (*kefutest.Stack, *gateEmbedder, string, kefutest.Session) {
	t.Helper()
	gate := newGateEmbedder()
	s := kefutest.Start(t, kefutest.Options{Offline: true, Configure: func(c *app.Config) { c.Embedder = gate }})
	ctx := context.Background()
	site, err := s.Sites.Create(ctx, "Shop", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	s.AddDocument(t, site.ID, "delivery.md", "# Delivery\n\nParcels take five days.\n")
	admin := s.SignIn(t, "admin@example.com", account.RoleAdmin, site.ID)
	return s, gate, "/api/v1/knowledge/reindex?site=" + site.Key, admin
}

func reindexCall(t *testing.T, h http.Handler, as kefutest.Session, method, path string) map[string]any {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	as.Authorize(req)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted && rec.Code != http.StatusOK {
		t.Fatalf("%s %s = %d %s", method, path, rec.Code, rec.Body)
	}
	var st map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// Shutdown cancels a re-index in flight and waits for it: when the job has
// not stopped by the time Shutdown's context ends, Shutdown says so rather
// than returning as if the server had stopped.
func TestShutdownWaitsForReindex(t *testing.T) {
	s, gate, path, admin := reindexStack(t)
	gate.arm()
	if st := reindexCall(t, s.Server.Handler(), admin, "POST", path); st["running"] != true {
		t.Fatalf("POST reindex = %v; want running", st)
	}
	<-gate.entered
	sctx, endShutdown := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Server.Shutdown(sctx) }()
	<-gate.canceled // Shutdown told the job to stop; the job still runs
	endShutdown()
	err := <-errc
	close(gate.release)
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "re-index") {
		t.Errorf("Shutdown while the re-index still ran = %v; want the re-index named and context.Canceled", err)
	}
	kefutest.WaitFor(t, func() bool { return reindexCall(t, s.Server.Handler(), admin, "GET", path)["running"] == false }, "the re-index to end")
}

// A re-index that ends on its own leaves no goroutine behind (it used to
// leave one waiting for the server to shut down).
func TestReindexLeavesNoGoroutine(t *testing.T) {
	s, _, path, admin := reindexStack(t)
	before := goleak.IgnoreCurrent()
	reindexCall(t, s.Server.Handler(), admin, "POST", path)
	kefutest.WaitFor(t, func() bool { return reindexCall(t, s.Server.Handler(), admin, "GET", path)["running"] == false }, "the re-index to end")
	if err := goleak.Find(before); err != nil {
		t.Errorf("after the re-index ended: %v", err)
	}
}
