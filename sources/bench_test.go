package sources_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"kefu/internal/fetch"
	"kefu/sources"
)

// helpText writes the i-th page of a synthetic help center: a title, three
// sections of policy-like prose, a list and a table (about 2.5 KB of HTML).
func helpText(i int) string {
	topics := []string{"returns", "shipping", "sizing", "care", "payments", "gift cards", "warranty", "accounts"}
	t := topics[i%len(topics)]
	var b strings.Builder
	for s := range 3 {
		fmt.Fprintf(&b, "<h2>%s, part %d</h2><p>Article %d explains %s for order type %d: customers can expect a reply within %d business days, "+
			"and items bought in season %d follow the %s rules described here. Keep your receipt and order number %d-%d handy.</p>",
			t, s+1, i, t, i%17, 1+i%5, i%4, t, i, s)
	}
	fmt.Fprintf(&b, "<ul><li>Step one for %s %d</li><li>Step two</li><li>Step three</li></ul>", t, i)
	fmt.Fprintf(&b, "<table><tr><th>Option</th><th>Days</th></tr><tr><td>Standard %d</td><td>%d</td></tr></table>", i, 3+i%4)
	return helpPage(fmt.Sprintf("Help article %d: %s", i, t), b.String())
}

// BenchmarkSitemap1000 syncs a 1,000-page sitemap served locally, then
// syncs it again unchanged. Reported: first-sync pages/s, and for the
// unchanged re-sync its pages/s, requests per page (target 1, all
// conditional) and texts embedded (target 0). The politeness delay is off
// here (the engine's own speed); with the default 200 ms between request
// starts to one host a sync is held to 5 requests/s whatever the engine
// can do.
func BenchmarkSitemap1000(b *testing.B) {
	benchSitemap(b, 1000, fetch.Options{Delay: -1, MaxBytes: 1 << 20, Timeout: 30 * time.Second})
}

// BenchmarkSitemapPolite100 is a 100-page sitemap with the default
// politeness (2 requests at a time, 200 ms between request starts to one host).
func BenchmarkSitemapPolite100(b *testing.B) {
	benchSitemap(b, 100, fetch.Options{Delay: fetch.DefaultDelay, MaxBytes: 1 << 20, Timeout: 30 * time.Second})
}

func benchSitemap(b *testing.B, n int, limits fetch.Options) {
	e := newEnv(b)
	s := newShop(b)
	paths := make([]string, n)
	for i := range n {
		paths[i] = fmt.Sprintf("/help/article-%d", i)
		s.html(paths[i], helpText(i))
	}
	s.sitemap("/sitemap.xml", paths...)
	e.syncer = e.newSyncer("bench", sources.Options{Fetch: limits})
	ctx := context.Background()
	var first, again time.Duration
	var reqs, embedded int64
	for i := range b.N {
		var site int64
		if err := e.db.QueryRow(ctx, `insert into sites (key, name, secret) values ($1, $1, 's') returning id`, fmt.Sprintf("bench%d", i)).Scan(&site); err != nil {
			b.Fatal(err)
		}
		src, err := e.syncer.Add(ctx, sources.NewSource{SiteID: site, Kind: "sitemap", URL: s.url("/sitemap.xml"), AllowPrivate: true})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		run, err := e.syncer.Sync(ctx, src.ID)
		if err != nil || run.Status != sources.RunOK || run.Added != n {
			b.Fatalf("first sync: %+v %v", run, err)
		}
		first += time.Since(start)
		before, emb := s.all.Load(), e.emb.texts.Load()
		start = time.Now()
		run, err = e.syncer.Sync(ctx, src.ID)
		if err != nil || run.Status != sources.RunOK || run.Unchanged != n {
			b.Fatalf("re-sync: %+v %v", run, err)
		}
		again += time.Since(start)
		reqs += s.all.Load() - before
		embedded += e.emb.texts.Load() - emb
	}
	b.ReportMetric(float64(n*b.N)/first.Seconds(), "pages/s")
	b.ReportMetric(float64(n*b.N)/again.Seconds(), "resync-pages/s")
	b.ReportMetric(float64(reqs)/float64(n*b.N), "resync-requests/page")
	b.ReportMetric(float64(embedded)/float64(b.N), "resync-embedded-texts")
}
