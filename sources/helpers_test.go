package sources_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/fetch"
	"kefu/internal/pgtest"
	"kefu/knowledge"
	"kefu/retrieval"
	"kefu/sources"
)

// shop is a local web server standing in for a shop's help center and
// feed. Tests change its pages between syncs; it answers conditional
// requests and counts every request by path.
type shop struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	pages    map[string]*resource
	requests map[string]int
	all      atomic.Int64
	// hold, when set for a path, is called before answering it (tests
	// block a request there to cancel a run mid-way).
	hold map[string]func(r *http.Request)
}

// resource is one URL of the shop.
type resource struct {
	body        string
	contentType string
	status      int               // 0: 200
	header      map[string]string // extra headers (Location, Content-Encoding)
	noValidator bool              // send no ETag (a server without conditional requests)
	handler     http.HandlerFunc  // answers instead, when set
}

func newShop(t testing.TB) *shop {
	s := &shop{t: t, pages: map[string]*resource{}, requests: map[string]int{}, hold: map[string]func(*http.Request){}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *shop) serve(w http.ResponseWriter, r *http.Request) {
	s.all.Add(1)
	key := r.URL.Path
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	s.mu.Lock()
	s.requests[key]++
	res := s.pages[key]
	hold := s.hold[key]
	var copied resource
	if res != nil {
		copied = *res
	}
	s.mu.Unlock()
	if hold != nil {
		hold(r)
	}
	if res == nil {
		http.NotFound(w, r)
		return
	}
	if copied.handler != nil {
		copied.handler(w, r)
		return
	}
	for k, v := range copied.header {
		w.Header().Set(k, v)
	}
	if copied.status != 0 && copied.status != http.StatusOK {
		w.WriteHeader(copied.status)
		fmt.Fprint(w, copied.body)
		return
	}
	if !copied.noValidator {
		etag := fmt.Sprintf(`"%x"`, len(copied.body)*31+int(hash(copied.body)))
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	ct := copied.contentType
	if ct == "" {
		ct = "text/html; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	fmt.Fprint(w, copied.body)
}

func hash(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h & 0xffffff
}

func (s *shop) url(path string) string { return s.srv.URL + path }

func (s *shop) set(path string, r *resource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r == nil {
		delete(s.pages, path)
		return
	}
	s.pages[path] = r
}

func (s *shop) html(path, body string) { s.set(path, &resource{body: body}) }

func (s *shop) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// sitemap serves a sitemap at path listing paths on the shop.
func (s *shop) sitemap(path string, paths ...string) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`)
	for _, p := range paths {
		fmt.Fprintf(&b, "<url><loc>%s</loc></url>", s.url(p))
	}
	b.WriteString("</urlset>")
	s.set(path, &resource{body: b.String(), contentType: "application/xml"})
}

// helpPage is a help-center page with the furniture real pages have: a
// navigation bar, a cookie banner and a footer around the article.
func helpPage(title, body string, links ...string) string {
	var nav strings.Builder
	for _, l := range links {
		fmt.Fprintf(&nav, `<a href="%s">%s</a> `, l, l)
	}
	return `<!doctype html><html><head><title>` + title + ` | Lumen Help</title></head><body>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<header><nav>Home Shop Sale Contact navigationword ` + nav.String() + `</nav></header>
<main><article><h1>` + title + `</h1>` + body + `</article></main>
<footer>Copyright Lumen footerword. All rights reserved.</footer></body></html>`
}

// countingEmbedder counts the texts it embeds (re-embedding is the cost an
// unchanged page must not pay).
type countingEmbedder struct {
	retrieval.Embedder
	texts atomic.Int64
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.texts.Add(int64(len(texts)))
	return c.Embedder.Embed(ctx, texts)
}

// env is a database with a site, the library and a syncer.
type env struct {
	db     *pgxpool.Pool
	site   int64
	lib    *knowledge.Library
	shop   *knowledge.Commerce
	emb    *countingEmbedder
	syncer *sources.Syncer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db := pgtest.New(t)
	e := &env{db: db, emb: &countingEmbedder{Embedder: retrieval.NewHashEmbedder(retrieval.DefaultDim)}}
	if err := db.QueryRow(context.Background(), `insert into sites (key, name, secret) values ('shop', 'Shop', 's') returning id`).Scan(&e.site); err != nil {
		t.Fatal(err)
	}
	e.lib = knowledge.NewLibrary(db, retrieval.NewIndex(db, e.emb), nil)
	if err := e.lib.Index().EnsureModel(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.shop = knowledge.NewCommerce(db)
	e.syncer = e.newSyncer("node-a", sources.Options{})
	return e
}

// newSyncer returns another node's syncer on the same database, with test
// limits: no politeness delay, small sizes, short timeouts.
func (e *env) newSyncer(node string, opts sources.Options) *sources.Syncer {
	opts.Node = node
	opts.UserAgent = "kefu/test (+http://kefu.test)"
	if opts.Fetch.Delay == 0 {
		opts.Fetch.Delay = -1
	}
	if opts.Fetch.MaxBytes == 0 {
		opts.Fetch.MaxBytes = 256 << 10
	}
	if opts.Fetch.Timeout == 0 {
		opts.Fetch.Timeout = 5 * time.Second
	}
	if opts.FeedMaxBytes == 0 {
		opts.FeedMaxBytes = 1 << 20
	}
	return sources.New(e.db, e.lib, e.shop, opts)
}

func (e *env) add(t *testing.T, kind, u string) *sources.Source {
	t.Helper()
	src, err := e.syncer.Add(context.Background(), sources.NewSource{SiteID: e.site, Kind: kind, URL: u, AllowPrivate: true})
	if err != nil {
		t.Fatalf("Add(%s %s): %v", kind, u, err)
	}
	return src
}

func (e *env) sync(t *testing.T, id int64) *sources.Run {
	t.Helper()
	run, err := e.syncer.Sync(context.Background(), id)
	if err != nil {
		t.Fatalf("Sync(%d): %v", id, err)
	}
	return run
}

// wantRun checks a run's tally: added, changed, removed, unchanged, failed.
func wantRun(t *testing.T, run *sources.Run, status string, added, changed, removed, unchanged, failed int) {
	t.Helper()
	if run.Status != status || run.Added != added || run.Changed != changed || run.Removed != removed ||
		run.Unchanged != unchanged || run.Failed != failed {
		t.Fatalf("run = %s +%d ~%d -%d =%d !%d (%q, failures %v); want %s +%d ~%d -%d =%d !%d",
			run.Status, run.Added, run.Changed, run.Removed, run.Unchanged, run.Failed, run.Error, run.Failures,
			status, added, changed, removed, unchanged, failed)
	}
}

// sources lists the document sources of the site, sorted.
func (e *env) docs(t *testing.T) map[string]knowledge.Document {
	t.Helper()
	page, err := e.lib.List(context.Background(), e.site, "", "", 200)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]knowledge.Document{}
	for _, d := range page.Items {
		out[d.Source] = d
	}
	return out
}

// found reports whether a search for q finds a chunk containing want.
func (e *env) found(t *testing.T, q, want string) bool {
	t.Helper()
	res, err := e.lib.Search(context.Background(), e.site, q, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if strings.Contains(h.Text, want) {
			return true
		}
	}
	return false
}

// chunkTexts returns every chunk's heading and text of the site.
func (e *env) chunkTexts(t *testing.T) string {
	t.Helper()
	hits, err := e.lib.Index().Chunks(context.Background(), e.site)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, h := range hits {
		b.WriteString(h.Heading + "\n" + h.Text + "\n")
	}
	return b.String()
}

// fetchLimits are test limits with a short request timeout.
func fetchLimits(timeout time.Duration) fetch.Options {
	return fetch.Options{Delay: -1, MaxBytes: 256 << 10, Timeout: timeout}
}
