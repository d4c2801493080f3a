package sources_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"kefu/sources"
)

func gzipped(b []byte) string {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.String()
}

// TestHostileSites: each hostile case ends the run with a clear reason and
// leaves what the previous run stored searchable.
func TestHostileSites(t *testing.T) {
	bomb := gzipped(make([]byte, 8<<20)) // 8 MB of zeros in about 8 KB
	good := helpPage("Returns", "<p>Return unworn items within 30 days for a refund.</p>")
	for _, tc := range []struct {
		name, kind, path string
		setup            func(s *shop) // the good state
		turn             func(s *shop) // the hostile state
		want             string        // in the run's error
	}{
		{"endless links", "crawl", "/help/", func(s *shop) { s.html("/help/", good) }, func(s *shop) {
			s.html("/help/", helpPage("Returns", "<p>Return unworn items within 30 days for a refund.</p>", "/help/n/1"))
			s.mu.Lock()
			s.pages["*endless"] = &resource{}
			s.mu.Unlock()
		}, "endless links"},
		{"huge page", "page", "/help/returns", func(s *shop) { s.html("/help/returns", good) }, func(s *shop) {
			s.html("/help/returns", helpPage("Returns", "<p>"+strings.Repeat("Return policy text. ", 30000)+"</p>"))
		}, "larger than"},
		{"compressed page", "page", "/help/returns", func(s *shop) { s.html("/help/returns", good) }, func(s *shop) {
			s.set("/help/returns", &resource{body: bomb, header: map[string]string{"Content-Encoding": "gzip"}})
		}, "larger than"},
		{"slow response", "page", "/help/returns", func(s *shop) { s.html("/help/returns", good) }, func(s *shop) {
			s.set("/help/returns", &resource{handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Write([]byte("<html><body><p>Ret"))
				w.(http.Flusher).Flush()
				<-r.Context().Done() // trickles no more until the client gives up
			}})
		}, "timed out"},
		{"redirect loop", "page", "/help/returns", func(s *shop) { s.html("/help/returns", good) }, func(s *shop) {
			s.set("/help/returns", &resource{status: http.StatusFound, header: map[string]string{"Location": "/help/loop"}})
			s.set("/help/loop", &resource{status: http.StatusFound, header: map[string]string{"Location": "/help/returns"}})
		}, "too many redirects"},
		{"sitemap bomb", "sitemap", "/sitemap.xml.gz", func(s *shop) {
			s.html("/help/returns", good)
			s.set("/sitemap.xml.gz", &resource{contentType: "application/gzip",
				body: gzipped([]byte(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>` + s.url("/help/returns") + `</loc></url></urlset>`))})
		}, func(s *shop) {
			s.set("/sitemap.xml.gz", &resource{contentType: "application/gzip", body: bomb})
		}, "compressed bomb"},
		{"malformed sitemap", "sitemap", "/sitemap.xml", func(s *shop) {
			s.html("/help/returns", good)
			s.sitemap("/sitemap.xml", "/help/returns")
		}, func(s *shop) {
			s.set("/sitemap.xml", &resource{contentType: "application/xml", body: `<urlset><url><loc>` + s.url("/help/returns") + `</url></urlset>`})
		}, "not valid XML"},
		{"malformed feed", "feed", "/feed.xml", func(s *shop) {
			s.set("/feed.xml", &resource{contentType: "application/xml", body: rssFeed(rssItem("SW-1", "Alpaca sweater", "89.00 USD", "in stock"))})
		}, func(s *shop) {
			s.set("/feed.xml", &resource{contentType: "application/xml", body: `<rss><channel><item><g:id>SW-1</g:id>`})
		}, "not valid XML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.syncer = e.newSyncer("node-a", sources.Options{Fetch: fetchLimits(300 * time.Millisecond)})
			s := newShop(t)
			s.t = t
			endless(s)
			tc.setup(s)
			src, err := e.syncer.Add(context.Background(), sources.NewSource{SiteID: e.site, Kind: tc.kind, URL: s.url(tc.path), AllowPrivate: true, MaxPages: 20})
			if err != nil {
				t.Fatal(err)
			}
			run := e.sync(t, src.ID)
			if run.Status != sources.RunOK {
				t.Fatalf("good run = %s %q %v", run.Status, run.Error, run.Failures)
			}
			tc.turn(s)
			run = e.sync(t, src.ID)
			if run.Status != sources.RunFailed || !strings.Contains(run.Error, tc.want) {
				t.Fatalf("hostile run = %s %q; want failed with %q", run.Status, run.Error, tc.want)
			}
			if tc.kind == "feed" {
				if p := products(t, e); p["SW-1"].Price != 89 {
					t.Errorf("products after the hostile run = %v; want the previous ones", p)
				}
				return
			}
			if !e.found(t, "return unworn items refund", "30 days") {
				t.Error("the previous content is no longer searchable")
			}
		})
	}
}

// endless makes /help/n/ID pages that each link to three new ones.
func endless(s *shop) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.srv.Config.Handler
	s.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		on := s.pages["*endless"] != nil
		s.mu.Unlock()
		if id, ok := strings.CutPrefix(r.URL.Path, "/help/n/"); ok && on {
			s.all.Add(1)
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<html><body><main><h1>Page %s</h1><p>Generated page %s with more links.</p>
				<a href="/help/n/%s0">a</a><a href="/help/n/%s1">b</a><a href="/help/n/%s2">c</a></main></body></html>`, id, id, id, id, id)
			return
		}
		prev.ServeHTTP(w, r)
	})
}

// TestLeaseRace: while one node syncs a source, another cannot; once the
// first finishes, the second can.
func TestLeaseRace(t *testing.T) {
	e := newEnv(t)
	s := newShop(t)
	s.html("/help/returns", helpPage("Returns", "<p>Return unworn items within 30 days.</p>"))
	src := e.add(t, "page", s.url("/help/returns"))
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.hold["/help/returns"] = func(*http.Request) { once.Do(func() { close(reached) }); <-release }
	b := e.newSyncer("node-b", sources.Options{})

	done := make(chan *sources.Run)
	go func() {
		run, err := e.syncer.Sync(context.Background(), src.ID)
		if err != nil {
			t.Errorf("node a: %v", err)
		}
		done <- run
	}()
	<-reached
	if _, err := b.Sync(context.Background(), src.ID); !errors.Is(err, sources.ErrBusy) || !strings.Contains(err.Error(), "node-a") {
		t.Errorf("node b while a syncs: %v; want ErrBusy naming node-a", err)
	}
	if n := b.RunDue(context.Background()); n != 0 {
		t.Errorf("node b's scheduler started %d runs of a leased source", n)
	}
	got, err := b.Get(context.Background(), 0, src.ID)
	if err != nil || got.Syncing != "node-a" || got.LastRun == nil || got.LastRun.Status != sources.RunRunning {
		t.Errorf("source while syncing = %+v, %v; want syncing_node node-a and a running run", got, err)
	}
	close(release)
	if run := <-done; run == nil || run.Status != sources.RunOK {
		t.Fatalf("node a's run = %+v", run)
	}
	delete(s.hold, "/help/returns")
	run, err := b.Sync(context.Background(), src.ID)
	if err != nil || run.Status != sources.RunOK || run.Node != "node-b" {
		t.Fatalf("node b after a = %+v, %v", run, err)
	}
	list, err := b.List(context.Background(), 0, "", 0)
	if err != nil || len(list.Items) != 1 || list.Items[0].LastRun == nil || list.Items[0].LastRun.ID != run.ID {
		t.Errorf("the list after two runs = %+v, %v; want the source with its last run %d", list, err, run.ID)
	}
}

// TestKilledMidRun: a node that stops mid-run (its context cancelled while
// a page is in flight) leaves every page old; a stale lease of a node that
// died is taken over, its run marked abandoned, and the next run applies
// every page new.
func TestKilledMidRun(t *testing.T) {
	e := newEnv(t)
	s := newShop(t)
	paths := []string{"/help/a", "/help/b", "/help/c", "/help/d"}
	for _, p := range paths {
		s.html(p, helpPage("Topic "+p, "<p>Version one of "+p+" says oldword.</p>"))
	}
	s.sitemap("/sitemap.xml", paths...)
	s.set("/feed.xml", &resource{contentType: "application/xml", body: rssFeed(rssItem("SW-1", "Alpaca sweater", "89.00 USD", "in stock"), rssItem("SC-2", "Silk scarf", "39.50 USD", "in stock"))})
	src := e.add(t, "sitemap", s.url("/sitemap.xml"))
	feed := e.add(t, "feed", s.url("/feed.xml"))
	wantRun(t, e.sync(t, src.ID), sources.RunOK, 4, 0, 0, 0, 0)
	wantRun(t, e.sync(t, feed.ID), sources.RunOK, 2, 0, 0, 0, 0)

	for _, p := range paths {
		s.html(p, helpPage("Topic "+p, "<p>Version two of "+p+" says newword.</p>"))
	}
	s.set("/feed.xml", &resource{contentType: "application/xml", body: rssFeed(rssItem("SW-1", "Alpaca sweater", "59.00 USD", "in stock"), rssItem("SC-2", "Silk scarf", "19.50 USD", "in stock"))})
	for _, tc := range []struct {
		id   int64
		hold string
	}{{src.ID, "/help/c"}, {feed.ID, "/feed.xml"}} {
		reached := make(chan struct{})
		var once sync.Once
		s.hold[tc.hold] = func(r *http.Request) { once.Do(func() { close(reached) }); <-r.Context().Done() }
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan *sources.Run)
		go func() {
			run, err := e.syncer.Sync(ctx, tc.id)
			if err != nil {
				t.Errorf("Sync: %v", err)
			}
			done <- run
		}()
		<-reached
		cancel()
		run := <-done
		if run.Status != sources.RunFailed || !strings.Contains(run.Error, "nothing of this run was applied") {
			t.Errorf("cancelled run = %s %q", run.Status, run.Error)
		}
		delete(s.hold, tc.hold)
	}
	all := e.chunkTexts(t)
	if strings.Count(all, "oldword") != 4 || strings.Contains(all, "newword") {
		t.Fatalf("after a cancelled run the pages are mixed:\n%s", all)
	}
	if p := products(t, e); p["SW-1"].Price != 89 || p["SC-2"].Price != 39.5 {
		t.Fatalf("after a cancelled feed run products = %+v; want all old", p)
	}

	// A node that died holding the lease: its run stays "running" and its
	// lease runs out; another node takes over.
	if _, err := e.db.Exec(context.Background(), `update sources set lease_owner = 'dead-node', lease_until = now() - interval '1 second' where id = $1`, src.ID); err != nil {
		t.Fatal(err)
	}
	var dead int64
	if err := e.db.QueryRow(context.Background(), `insert into sync_runs (source_id, node) values ($1, 'dead-node') returning id`, src.ID).Scan(&dead); err != nil {
		t.Fatal(err)
	}
	b := e.newSyncer("node-b", sources.Options{})
	wantRun(t, mustSync(t, b, src.ID), sources.RunOK, 0, 4, 0, 0, 0)
	wantRun(t, mustSync(t, b, feed.ID), sources.RunOK, 0, 2, 0, 0, 0)
	all = e.chunkTexts(t)
	if strings.Count(all, "newword") != 4 || strings.Contains(all, "oldword") {
		t.Fatalf("after the next run the pages are mixed:\n%s", all)
	}
	if p := products(t, e); p["SW-1"].Price != 59 || p["SC-2"].Price != 19.5 {
		t.Fatalf("after the next feed run products = %+v; want all new", p)
	}
	r, err := b.LoadRun(context.Background(), dead)
	if err != nil || r.Status != sources.RunAbandoned {
		t.Errorf("the dead node's run = %+v, %v; want abandoned", r, err)
	}
}

func mustSync(t *testing.T, s *sources.Syncer, id int64) *sources.Run {
	t.Helper()
	run, err := s.Sync(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// TestLeaseLost: a node whose lease another node took (it stalled past
// the lease) stops its run and applies nothing.
func TestLeaseLost(t *testing.T) {
	e := newEnv(t)
	s := newShop(t)
	s.html("/help/returns", helpPage("Returns", "<p>Return unworn items within 30 days.</p>"))
	src := e.add(t, "page", s.url("/help/returns"))
	a := e.newSyncer("node-a", sources.Options{Lease: 300 * time.Millisecond})
	reached := make(chan struct{})
	var once sync.Once
	s.hold["/help/returns"] = func(r *http.Request) { once.Do(func() { close(reached) }); <-r.Context().Done() }
	done := make(chan *sources.Run)
	go func() {
		run, err := a.Sync(context.Background(), src.ID)
		if err != nil {
			t.Errorf("Sync: %v", err)
		}
		done <- run
	}()
	<-reached
	// Node b took the source over (as if a's lease had run out).
	if _, err := e.db.Exec(context.Background(), "update sources set lease_owner = 'node-b', lease_until = now() + interval '1 hour' where id = $1", src.ID); err != nil {
		t.Fatal(err)
	}
	run := <-done
	if run.Status != sources.RunFailed || !strings.Contains(run.Error, "another node took over") {
		t.Fatalf("run = %s %q; want failed: another node took over", run.Status, run.Error)
	}
	if docs := e.docs(t); len(docs) != 0 {
		t.Errorf("documents = %v; want none applied", keys(docs))
	}
	var owner string
	e.db.QueryRow(context.Background(), "select lease_owner from sources where id = $1", src.ID).Scan(&owner)
	if owner != "node-b" {
		t.Errorf("lease owner = %q; node a must not release node b's lease", owner)
	}
}
