package sources_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"kefu/knowledge"
	"kefu/sources"
)

func rssFeed(items ...string) string {
	return `<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Lumen</title>` +
		strings.Join(items, "") + `</channel></rss>`
}

func rssItem(id, title, price, availability string) string {
	return fmt.Sprintf(`<item><g:id>%s</g:id><title>%s</title><description>Soft %s</description>
<link>https://shop.test/p/%s</link><g:image_link>https://shop.test/i/%s.jpg</g:image_link>
<g:price>%s</g:price><g:availability>%s</g:availability><g:brand>Lumen</g:brand></item>`, id, title, title, id, id, price, availability)
}

func products(t *testing.T, e *env) map[string]knowledge.Product {
	t.Helper()
	list, err := e.shop.Products(context.Background(), e.site, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]knowledge.Product{}
	for _, p := range list {
		out[p.SKU] = p
	}
	return out
}

// TestFeedLifecycle: a Google Merchant Center RSS feed upserts products,
// answers 304 at no cost, and a product gone from the feed is removed at
// its second miss.
func TestFeedLifecycle(t *testing.T) {
	e := newEnv(t)
	s := newShop(t)
	s.set("/feed.xml", &resource{contentType: "application/rss+xml", body: rssFeed(
		rssItem("SW-1", "Alpaca sweater", "89.00 USD", "in stock"),
		rssItem("SC-2", "Silk scarf", "39.50 USD", "out of stock"),
		rssItem("SO-3", "Bamboo socks", "12.00 USD", "in_stock"))})
	src := e.add(t, "feed", s.url("/feed.xml"))
	wantRun(t, e.sync(t, src.ID), sources.RunOK, 3, 0, 0, 0, 0)
	got := products(t, e)
	sw := got["SW-1"]
	if sw.Title != "Alpaca sweater" || sw.Price != 89 || sw.Currency != "USD" || sw.Stock != 1 ||
		sw.URL != "https://shop.test/p/SW-1" || sw.ImageURL != "https://shop.test/i/SW-1.jpg" || sw.Attributes["brand"] != "Lumen" {
		t.Errorf("SW-1 = %+v", sw)
	}
	if got["SC-2"].Stock != 0 {
		t.Errorf("SC-2 stock = %d; want 0 (out of stock)", got["SC-2"].Stock)
	}

	// Unchanged: one conditional request, a 304, nothing written.
	reqs := s.all.Load()
	wantRun(t, e.sync(t, src.ID), sources.RunOK, 0, 0, 0, 3, 0)
	if n := s.all.Load() - reqs; n != 1 {
		t.Errorf("unchanged feed cost %d requests; want 1", n)
	}

	// Price change, a product gone, a new one, an invalid item.
	s.set("/feed.xml", &resource{contentType: "application/rss+xml", body: rssFeed(
		rssItem("SW-1", "Alpaca sweater", "79.00 USD", "in stock"),
		rssItem("SO-3", "Bamboo socks", "12.00 USD", "in_stock"),
		rssItem("HT-4", "Wool hat", "25.00 EUR", "preorder"),
		`<item><g:id>BAD-5</g:id><title>No price</title></item>`)})
	run := e.sync(t, src.ID)
	wantRun(t, run, sources.RunOK, 1, 1, 0, 2, 1) // SC-2 missed once: kept
	if len(run.Failures) != 1 || !strings.Contains(run.Failures[0].Reason, "g:price") {
		t.Errorf("failures = %v; want the item without a price", run.Failures)
	}
	got = products(t, e)
	if got["SW-1"].Price != 79 || got["HT-4"].Currency != "EUR" || len(got) != 4 {
		t.Errorf("products after the change = %+v", got)
	}
	run = e.sync(t, src.ID)
	if _, ok := products(t, e)["SC-2"]; ok || run.Removed != 1 {
		t.Errorf("SC-2 still there after two misses (run %+v)", run)
	}
}

func TestParseFeeds(t *testing.T) {
	atom := `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
<entry><id>https://shop.test/p/1</id><g:id>A1</g:id><title>Linen shirt</title><link href="https://shop.test/p/1"/>
<summary>Cool linen</summary><g:price>45.00 GBP</g:price><g:sale_price>39.00 GBP</g:sale_price><g:availability>in_stock</g:availability><g:quantity>7</g:quantity></entry></feed>`
	csvFeed := "id\ttitle\tdescription\tlink\tprice\tavailability\timage link\nC1\tCotton tee\tA tee\thttps://shop.test/c1\t15.00 USD\tin stock\thttps://shop.test/c1.jpg\n"
	jsonFeed := `[{"sku":"J1","title":"Jacket","price":120,"currency":"CNY","stock":3,"url":"https://shop.test/j1"}]`
	designCSV := "sku,title,price,currency,stock\nD1,Denim,60,USD,2\n"
	for _, tc := range []struct {
		name, body string
		want       knowledge.Product
	}{
		{"atom", atom, knowledge.Product{SKU: "A1", Title: "Linen shirt", Price: 39, Currency: "GBP", Stock: 7, URL: "https://shop.test/p/1"}},
		{"google csv", csvFeed, knowledge.Product{SKU: "C1", Title: "Cotton tee", Price: 15, Currency: "USD", Stock: 1, URL: "https://shop.test/c1", ImageURL: "https://shop.test/c1.jpg"}},
		{"json", jsonFeed, knowledge.Product{SKU: "J1", Title: "Jacket", Price: 120, Currency: "CNY", Stock: 3, URL: "https://shop.test/j1"}},
		{"kefu csv", designCSV, knowledge.Product{SKU: "D1", Title: "Denim", Price: 60, Currency: "USD", Stock: 2}},
	} {
		list, fails, err := sources.ParseFeedForTest([]byte(tc.body))
		if err != nil || len(fails) != 0 || len(list) != 1 {
			t.Errorf("%s: %v, %v, %v", tc.name, list, fails, err)
			continue
		}
		p := list[0]
		if p.SKU != tc.want.SKU || p.Title != tc.want.Title || p.Price != tc.want.Price || p.Currency != tc.want.Currency ||
			p.Stock != tc.want.Stock || p.URL != tc.want.URL || p.ImageURL != tc.want.ImageURL {
			t.Errorf("%s: got %+v; want %+v", tc.name, p, tc.want)
		}
	}
	for _, bad := range []string{"", "<rss><channel><item>", "<html><body>not a feed</body></html>", "name,colour\nx,y\n", "[{"} {
		if _, _, err := sources.ParseFeedForTest([]byte(bad)); err == nil {
			t.Errorf("ParseFeed(%q) = nil error; want it refused", bad)
		}
	}
}
