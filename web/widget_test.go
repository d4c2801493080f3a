package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/kefutest"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/knowledge/demo"
	"kefu/web"
)

// maxWidgetGzip is the widget's size budget (the issue: ≤ 15 KB gzipped).
const maxWidgetGzip = 15 << 10

func getPath(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestWidgetScriptSize(t *testing.T) {
	h := web.New(web.Options{}).Handler()
	rec := getPath(t, h, "/widget.js")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET /widget.js = %d %q; want 200 text/javascript", rec.Code, rec.Header().Get("Content-Type"))
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(rec.Body.Bytes())
	zw.Close()
	t.Logf("widget.js: %d bytes, %d gzipped", rec.Body.Len(), buf.Len())
	if buf.Len() > maxWidgetGzip {
		t.Errorf("widget.js is %d bytes gzipped; the budget is %d", buf.Len(), maxWidgetGzip)
	}
	gz := getPath(t, h, "/widget.js", "Accept-Encoding", "br, gzip")
	if gz.Header().Get("Content-Encoding") != "gzip" || gz.Body.Len() > maxWidgetGzip {
		t.Errorf("gzip response: encoding %q, %d bytes; want gzip within %d", gz.Header().Get("Content-Encoding"), gz.Body.Len(), maxWidgetGzip)
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, rec.Body.Bytes()) {
		t.Errorf("the gzipped widget does not unzip to the plain one")
	}
}

func TestWidgetScriptCaching(t *testing.T) {
	h := web.New(web.Options{}).Handler()
	rec := getPath(t, h, "/widget.js")
	etag, cc := rec.Header().Get("ETag"), rec.Header().Get("Cache-Control")
	if len(etag) < 10 || !strings.HasPrefix(etag, `"`) || !strings.Contains(cc, "max-age=") || rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers ETag %q, Cache-Control %q, Vary %q; want a quoted content hash, a max-age and Vary", etag, cc, rec.Header().Get("Vary"))
	}
	hash := strings.Trim(etag, `"`)
	gzTag := getPath(t, h, "/widget.js", "Accept-Encoding", "gzip").Header().Get("ETag")
	for _, tc := range []struct {
		ifNoneMatch string
		acceptGzip  bool
		want        int
	}{
		{etag, false, http.StatusNotModified},
		{gzTag, true, http.StatusNotModified},
		{etag, true, http.StatusNotModified}, // the same content, other encoding
		{`W/` + etag, false, http.StatusNotModified},
		{`"old", ` + etag, false, http.StatusNotModified},
		{`*`, false, http.StatusNotModified},
		{`"old"`, false, http.StatusOK},
		{`"` + hash + `x"`, false, http.StatusOK},
	} {
		header := []string{"If-None-Match", tc.ifNoneMatch}
		if tc.acceptGzip {
			header = append(header, "Accept-Encoding", "gzip")
		}
		rec := getPath(t, h, "/widget.js", header...)
		if rec.Code != tc.want || (rec.Code == http.StatusNotModified && (rec.Body.Len() != 0 || rec.Header().Get("ETag") == "")) {
			t.Errorf("If-None-Match %s (gzip %v) = %d with %d bytes; want %d", tc.ifNoneMatch, tc.acceptGzip, rec.Code, rec.Body.Len(), tc.want)
		}
	}
	head := httptest.NewRecorder()
	h.ServeHTTP(head, httptest.NewRequest(http.MethodHead, "/widget.js", nil))
	if head.Code != http.StatusOK || head.Header().Get("ETag") != etag {
		t.Errorf("HEAD /widget.js = %d, ETag %q; want 200 and %s", head.Code, head.Header().Get("ETag"), etag)
	}
	if rec := getPath(t, h, "/widget.js", "Accept-Encoding", "gzip;q=0, identity"); rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got Content-Encoding %q; want none", rec.Header().Get("Content-Encoding"))
	}
	if cc := getPath(t, h, "/widget.js?v="+hash).Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned URL Cache-Control = %q; want immutable", cc)
	}
	if cc := getPath(t, h, "/widget.js?v=stale").Header().Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("a stale version got Cache-Control %q; want the short one", cc)
	}
}

// demoServer is the web server over a fresh database with the demo site.
func demoServer(t *testing.T, withSite bool) (http.Handler, *sites.Site, *knowledge.Commerce) {
	t.Helper()
	h, site, commerce, _ := demoServerDB(t, withSite)
	return h, site, commerce
}

func demoServerDB(t *testing.T, withSite bool) (http.Handler, *sites.Site, *knowledge.Commerce, *pgxpool.Pool) {
	t.Helper()
	db := pgtest.New(t)
	siteStore, commerce := sites.NewStore(db), knowledge.NewCommerce(db)
	var site *sites.Site
	if withSite {
		var err error
		if site, err = siteStore.Create(context.Background(), demo.Site, []string{"http://localhost:8080"}); err != nil {
			t.Fatal(err)
		}
	}
	srv := web.New(web.Options{Sites: siteStore, Commerce: commerce, Store: chat.NewStore(db), PublicURL: "http://localhost:8080"})
	return srv.Handler(), site, commerce, db
}

func TestDemoPageWithoutDemoSite(t *testing.T) {
	h, _, _ := demoServer(t, false)
	rec := getPath(t, h, "/demo")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "kefu seed --demo") {
		t.Errorf("GET /demo without the demo site = %d %q; want 404 with a hint to seed", rec.Code, rec.Body.String())
	}
}

func TestDemoPage(t *testing.T) {
	h, site, commerce := demoServer(t, true)
	ctx := context.Background()
	hostile := `<script>alert("title")</script>`
	if err := commerce.UpsertProduct(ctx, site.ID, knowledge.Product{SKU: "X-1", Title: hostile, Price: 12.5, Stock: 3}); err != nil {
		t.Fatal(err)
	}
	if err := commerce.UpsertOrder(ctx, site.ID, knowledge.Order{Number: "LL-1", Status: "shipped", Carrier: "DHL",
		Customer: &knowledge.Customer{ID: "cus_42", Email: "ada@example.com", Name: `Ada </script><b>`}}); err != nil {
		t.Fatal(err)
	}

	rec := getPath(t, h, "/demo")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /demo = %d %s", rec.Code, body)
	}
	for _, want := range []string{`data-site="` + site.Key + `"`, `src="/widget.js?v=`, " async>", "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;", "$12.50"} {
		if !strings.Contains(body, want) {
			t.Errorf("the demo page lacks %s", want)
		}
	}
	if strings.Contains(body, hostile) || strings.Contains(body, `Ada </script><b>`) || strings.Contains(body, `kefu("identify"`) {
		t.Errorf("the demo page shows unescaped text or signs in without being asked:\n%s", body)
	}

	hash := kefutest.SignIdentity(site.Secret, "cus_42")
	signed := getPath(t, h, "/demo?customer=cus_42&lang=zh").Body.String()
	if !strings.Contains(signed, `kefu("identify", {user_id: "cus_42", email: "ada@example.com", hash: "`+hash+`"})`) {
		t.Errorf("signed in as cus_42, the page lacks the identify call with hash %s", hash)
	}
	if !strings.Contains(signed, `data-locale="zh-CN"`) || !strings.Contains(signed, "LL-1") || strings.Contains(signed, `Ada </script>`) {
		t.Errorf("signed-in page lacks the Chinese widget or the order, or shows the name unescaped")
	}
	if other := getPath(t, h, "/demo?customer=cus_nobody").Body.String(); strings.Contains(other, `kefu("identify"`) {
		t.Errorf("an unknown customer id signed the page in")
	}
}

func TestWidgetConfig(t *testing.T) {
	h, site, _, db := demoServerDB(t, true)
	if rec := getPath(t, h, "/v1/widget/config?site=site_nope"); rec.Code != http.StatusNotFound {
		t.Errorf("config of an unknown site = %d; want 404", rec.Code)
	}
	rec := getPath(t, h, "/v1/widget/config?site="+site.Key)
	var cfg map[string]string
	json.Unmarshal(rec.Body.Bytes(), &cfg)
	if rec.Code != http.StatusOK || cfg["name"] != demo.Site || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("config = %d %v (CORS %q); want the site name, readable from any origin", rec.Code, cfg, rec.Header().Get("Access-Control-Allow-Origin"))
	}
	// settings.widget gives the defaults; only its string fields count.
	settings := map[string]any{"widget": map[string]any{"color": "#0a7f5a", "title": "Help desk", "greeting": 5, "secret": "x"}}
	if _, err := db.Exec(context.Background(), "update sites set settings = $2 where id = $1", site.ID, settings); err != nil {
		t.Fatal(err)
	}
	cfg = nil
	json.Unmarshal(getPath(t, h, "/v1/widget/config?site="+site.Key).Body.Bytes(), &cfg)
	if want := map[string]string{"name": demo.Site, "color": "#0a7f5a", "title": "Help desk"}; !maps.Equal(cfg, want) {
		t.Errorf("config with settings = %v; want %v", cfg, want)
	}
}
