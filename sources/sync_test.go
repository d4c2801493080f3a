package sources_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"kefu/sources"
)

// TestSitemapLifecycle follows a help center through four syncs: first
// import; an edited page, a new page, a page gone from the sitemap, a
// redirect and a flaky 503; the second miss that removes the gone page;
// and an unchanged re-sync that costs one conditional request per page
// and no embedding.
func TestSitemapLifecycle(t *testing.T) {
	e := newEnv(t)
	s := newShop(t)
	s.html("/help/returns", helpPage("Returns", "<p>You can return unworn items within 30 days for a full refund.</p><ul><li>Keep the receipt</li><li>Use the prepaid label</li></ul>"))
	s.html("/help/shipping", helpPage("Shipping", "<h2>Domestic</h2><p>Standard shipping takes 3 to 5 business days.</p><table><tr><th>Method</th><th>Days</th></tr><tr><td>Express</td><td>1</td></tr></table>"))
	s.html("/help/sizes", helpPage("Size guide", "<p>Our sweaters run large; order one size down.</p>"))
	s.sitemap("/sitemap.xml", "/help/returns", "/help/shipping", "/help/sizes")
	src := e.add(t, "", s.url("/sitemap.xml"))
	if src.Kind != sources.KindSitemap {
		t.Fatalf("kind = %q; want sitemap (guessed from the URL)", src.Kind)
	}

	run := e.sync(t, src.ID)
	wantRun(t, run, sources.RunOK, 3, 0, 0, 0, 0)
	docs := e.docs(t)
	if len(docs) != 3 {
		t.Fatalf("documents = %v; want 3", docs)
	}
	if d, ok := docs[s.url("/help/returns")]; !ok || d.Title != "Returns" || d.Status != "ready" {
		t.Errorf("returns document = %+v; want title Returns, ready, source the page URL", d)
	}
	if !e.found(t, "how many days to return unworn items", "30 days") {
		t.Error("search does not find the returns page")
	}
	all := e.chunkTexts(t)
	for _, junk := range []string{"navigationword", "footerword", "cookies"} {
		if strings.Contains(all, junk) {
			t.Errorf("chunks contain page furniture %q:\n%s", junk, all)
		}
	}
	for _, keep := range []string{"Keep the receipt", "Express", "Domestic"} {
		if !strings.Contains(all, keep) {
			t.Errorf("chunks lost %q (lists, tables and headings are content):\n%s", keep, all)
		}
	}

	// Second sync: returns edited, sizes gone from the sitemap, a new
	// page reached through a redirect, shipping answering 503 once.
	s.html("/help/returns", helpPage("Returns", "<p>You can return unworn items within 60 days for a full refund.</p>"))
	s.set("/help/care-old", &resource{status: http.StatusMovedPermanently, header: map[string]string{"Location": "/help/care"}})
	s.html("/help/care", helpPage("Care", "<p>Wash wool sweaters cold and dry them flat.</p>"))
	s.set("/help/shipping", &resource{status: http.StatusServiceUnavailable, body: "busy"})
	s.sitemap("/sitemap.xml", "/help/returns", "/help/shipping", "/help/care-old")
	before := e.emb.texts.Load()
	run = e.sync(t, src.ID)
	// returns changed; care added; shipping failed (kept); sizes missed once (kept, counted unchanged).
	wantRun(t, run, sources.RunOK, 1, 1, 0, 1, 1)
	if len(run.Failures) != 1 || !strings.Contains(run.Failures[0].Reason, "503") {
		t.Errorf("failures = %v; want shipping's 503", run.Failures)
	}
	if e.found(t, "return unworn items within 30 days", "30 days") || !e.found(t, "return unworn items within 60 days", "60 days") {
		t.Error("the edited returns page was not replaced")
	}
	if !e.found(t, "standard shipping business days", "3 to 5") {
		t.Error("a flaky 503 removed the shipping page")
	}
	if !e.found(t, "sweaters run large", "one size down") {
		t.Error("one miss removed the size guide; it should take two")
	}
	docs = e.docs(t)
	if _, ok := docs[s.url("/help/care")]; !ok {
		t.Errorf("documents = %v; want the redirect's target /help/care as the source", keys(docs))
	}
	if e.emb.texts.Load() == before {
		t.Error("changed pages were not embedded")
	}

	// Third sync: the size guide misses again and goes; shipping is back.
	s.html("/help/shipping", helpPage("Shipping", "<h2>Domestic</h2><p>Standard shipping takes 3 to 5 business days.</p><table><tr><th>Method</th><th>Days</th></tr><tr><td>Express</td><td>1</td></tr></table>"))
	run = e.sync(t, src.ID)
	wantRun(t, run, sources.RunOK, 0, 0, 1, 3, 0)
	if e.found(t, "sweaters run large", "one size down") {
		t.Error("the size guide is still searchable after two misses")
	}

	// Fourth sync: nothing changed. One request for the sitemap and one
	// conditional request per page (the redirect costs its hop), all 304,
	// and nothing embedded.
	before = e.emb.texts.Load()
	reqs := s.all.Load()
	run = e.sync(t, src.ID)
	wantRun(t, run, sources.RunOK, 0, 0, 0, 3, 0)
	if got := s.all.Load() - reqs; got != 5 {
		t.Errorf("unchanged re-sync made %d requests; want 5 (sitemap, 3 pages, 1 redirect hop)", got)
	}
	if run.Requests != 4 {
		t.Errorf("run.Requests = %d; want 4 (the client's view: redirects are one request)", run.Requests)
	}
	if got := e.emb.texts.Load() - before; got != 0 {
		t.Errorf("unchanged re-sync embedded %d texts; want 0", got)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSameContentStoredOnce: two URLs with one text, and a page naming its
// canonical URL, each become one document.
func TestSameContentStoredOnce(t *testing.T) {
	e := newEnv(t)
	s := newShop(t)
	body := helpPage("Gift cards", "<p>Gift cards never expire and work online and in stores.</p>")
	s.html("/help/gift-cards", body)
	s.html("/help/gifts", body)
	s.html("/help/faq", `<html><head><title>FAQ</title><link rel="canonical" href="/help/faq-main"></head><body><main><h1>FAQ</h1><p>Answers to common questions about orders and accounts live here.</p></main></body></html>`)
	s.sitemap("/sitemap.xml", "/help/gift-cards", "/help/gifts", "/help/faq")
	src := e.add(t, "sitemap", s.url("/sitemap.xml"))
	run := e.sync(t, src.ID)
	wantRun(t, run, sources.RunOK, 3, 0, 0, 0, 0)
	docs := e.docs(t)
	if len(docs) != 2 {
		t.Fatalf("documents = %v; want 2 (the two gift-card URLs share one)", keys(docs))
	}
	if _, ok := docs[s.url("/help/faq-main")]; !ok {
		t.Errorf("documents = %v; want the FAQ stored under its canonical URL", keys(docs))
	}
	// Dropping one of the twins keeps the shared document (the other uses it).
	s.sitemap("/sitemap.xml", "/help/gift-cards", "/help/faq")
	e.sync(t, src.ID)
	e.sync(t, src.ID)
	if !e.found(t, "do gift cards expire", "never expire") {
		t.Error("removing one twin removed the shared document")
	}
}

// TestCrawl follows links within the start folder, honours robots.txt
// (nothing disallowed is even requested), skips other hosts and assets.
func TestCrawl(t *testing.T) {
	e := newEnv(t)
	s := newShop(t)
	s.set("/robots.txt", &resource{body: "User-agent: *\nDisallow: /help/private\n\nUser-agent: otherbot\nDisallow: /\n", contentType: "text/plain"})
	s.html("/help/", helpPage("Help", "<p>Welcome to the help center of Lumen and Loom.</p>", "/help/a", "/help/private/secret", "/shop/cart", "http://elsewhere.test/x", "/help/logo.png"))
	s.html("/help/a", helpPage("Page A", "<p>Alpaca wool is warm, soft and light.</p>", "/help/b", "/help/"))
	s.html("/help/b", helpPage("Page B", "<p>Bamboo socks keep feet dry in summer.</p>", "/help/c"))
	s.html("/help/c", helpPage("Page C", "<p>Cashmere care needs a gentle cold wash.</p>"))
	s.html("/help/private/secret", helpPage("Secret", "<p>Internal discount codes.</p>"))
	s.html("/shop/cart", helpPage("Cart", "<p>Your cart.</p>"))
	src, err := e.syncer.Add(context.Background(), sources.NewSource{SiteID: e.site, Kind: "crawl", URL: s.url("/help/"), AllowPrivate: true, MaxDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	run := e.sync(t, src.ID)
	wantRun(t, run, sources.RunOK, 3, 0, 0, 0, 0) // help, a, b (c is three links away)
	for _, p := range []string{"/help/private/secret", "/shop/cart", "/help/logo.png", "/help/c"} {
		if n := s.count(p); n != 0 {
			t.Errorf("%s requested %d times; want 0", p, n)
		}
	}
	if !e.found(t, "bamboo socks summer", "Bamboo") {
		t.Error("crawl did not store page B")
	}
	// A re-crawl answers 304 everywhere and still follows the stored links.
	run = e.sync(t, src.ID)
	wantRun(t, run, sources.RunOK, 0, 0, 0, 3, 0)
}

// TestAddRefusesPrivateHosts: a loopback URL needs --allow-private.
func TestAddRefusesPrivateHosts(t *testing.T) {
	e := newEnv(t)
	s := newShop(t)
	for _, u := range []string{s.url("/help"), "http://169.254.169.254/latest/meta-data/", "http://10.0.0.8/", "http://[::1]/"} {
		_, err := e.syncer.Add(context.Background(), sources.NewSource{SiteID: e.site, URL: u})
		if !errors.Is(err, sources.ErrInvalid) || !strings.Contains(err.Error(), "allow-private") {
			t.Errorf("Add(%s) = %v; want refused with a hint about --allow-private", u, err)
		}
	}
	for _, tc := range []struct{ url, kind string }{{"ftp://shop.test/x", ""}, {"https://user:pw@shop.test/", ""}, {"not a url", ""}, {s.url("/"), "rss"}} {
		if _, err := e.syncer.Add(context.Background(), sources.NewSource{SiteID: e.site, URL: tc.url, Kind: tc.kind, AllowPrivate: true}); !errors.Is(err, sources.ErrInvalid) {
			t.Errorf("Add(%q, %q) = %v; want ErrInvalid", tc.url, tc.kind, err)
		}
	}
	page, err := e.syncer.List(context.Background(), e.site, "", 50)
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("refused adds left sources: %v, %v", page.Items, err)
	}
	e.add(t, "page", s.url("/help"))
	if _, err := e.syncer.Add(context.Background(), sources.NewSource{SiteID: e.site, Kind: "page", URL: s.url("/help"), AllowPrivate: true}); !errors.Is(err, sources.ErrConflict) {
		t.Errorf("second Add of the same page = %v; want ErrConflict", err)
	}
}

// TestSitemapIndex: an index listing a plain and a gzipped sitemap.
func TestSitemapIndex(t *testing.T) {
	e := newEnv(t)
	s := newShop(t)
	s.html("/help/a", helpPage("Alpaca", "<p>Alpaca wool is warm and light.</p>"))
	s.html("/help/b", helpPage("Bamboo", "<p>Bamboo socks keep feet dry.</p>"))
	s.sitemap("/sitemap-1.xml", "/help/a")
	s.set("/sitemap-2.xml.gz", &resource{contentType: "application/x-gzip",
		body: gzipped([]byte(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>` + s.url("/help/b") + `</loc></url></urlset>`))})
	s.set("/sitemap.xml", &resource{contentType: "text/xml", body: `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
		<sitemap><loc>` + s.url("/sitemap-1.xml") + `</loc></sitemap><sitemap><loc>` + s.url("/sitemap-2.xml.gz") + `</loc></sitemap>
		<sitemap><loc>http://elsewhere.test/sitemap.xml</loc></sitemap></sitemapindex>`})
	src := e.add(t, "sitemap", s.url("/sitemap.xml"))
	run := e.sync(t, src.ID)
	wantRun(t, run, sources.RunOK, 2, 0, 0, 0, 1)
	if len(run.Failures) != 1 || !strings.Contains(run.Failures[0].Reason, "not on the sitemap's host") {
		t.Errorf("failures = %v; want the other host's sitemap refused", run.Failures)
	}
	if !e.found(t, "bamboo socks", "Bamboo") || !e.found(t, "alpaca wool", "Alpaca") {
		t.Error("pages of the index's sitemaps are not searchable")
	}
}

// TestFilesBesidePages: a text or Markdown file a sitemap lists is synced
// like a page; an image is refused for its content type; a 304 to a
// request that was not conditional is a failure, not a crash.
func TestFilesBesidePages(t *testing.T) {
	e := newEnv(t)
	s := newShop(t)
	s.set("/help/policy.txt", &resource{contentType: "text/plain; charset=utf-8", body: "Warranty\n\nEvery lamp has a two-year warranty against defects.\n"})
	s.set("/help/faq.md", &resource{contentType: "text/markdown", body: "# Care FAQ\n\n## Can I machine-wash alpaca?\n\nNo: hand-wash it cold.\n"})
	s.set("/help/logo.png", &resource{contentType: "image/png", body: "\x89PNG...."})
	s.set("/help/odd", &resource{status: http.StatusNotModified})
	s.html("/help/a", helpPage("A", "<p>Alpaca wool is warm and light.</p>"))
	s.html("/help/b", helpPage("B", "<p>Bamboo socks keep feet dry.</p>"))
	s.sitemap("/sitemap.xml", "/help/policy.txt", "/help/faq.md", "/help/logo.png", "/help/odd", "/help/a", "/help/b")
	src := e.add(t, "sitemap", s.url("/sitemap.xml"))
	run := e.sync(t, src.ID)
	wantRun(t, run, sources.RunOK, 4, 0, 0, 0, 2)
	reasons := fmt.Sprint(run.Failures)
	if !strings.Contains(reasons, "image/png") || !strings.Contains(reasons, "not conditional") {
		t.Errorf("failures = %v; want the image's content type and the odd 304", run.Failures)
	}
	if !e.found(t, "lamp warranty years", "two-year warranty") || !e.found(t, "machine wash alpaca", "hand-wash") {
		t.Error("the text and Markdown files are not searchable")
	}
}
