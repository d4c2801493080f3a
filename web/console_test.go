package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"kefu/web"
)

func TestConsolePage(t *testing.T) {
	h := web.New(web.Options{}).Handler()
	for _, path := range []string{"/console", "/console/"} {
		rec := getPath(t, h, path)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
		}
		hd := rec.Header()
		if hd.Get("Cache-Control") != "no-store" || hd.Get("X-Frame-Options") != "DENY" || hd.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s headers = %v; want no-store, DENY, nosniff", path, hd)
		}
		csp := hd.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "connect-src 'self' ws://example.com wss://example.com"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("CSP %q allows unsafe sources", csp)
		}
	}
	rec := getPath(t, h, "/login")
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/console" {
		t.Errorf("GET /login = %d → %q; want a redirect to /console", rec.Code, rec.Header().Get("Location"))
	}
}

func TestConsoleAssets(t *testing.T) {
	h := web.New(web.Options{}).Handler()
	page := getPath(t, h, "/console").Body.String()
	// The page names each asset by its content hash; those URLs are cached for good.
	refs := regexp.MustCompile(`/console/assets/([a-z0-9]+\.(?:js|css))\?v=([0-9a-f]{16})`).FindAllStringSubmatch(page, -1)
	if want := []string{"console.css", "i18n.js", "analytics.js", "privacy.js", "answertests.js", "sources.js", "webhooks.js", "notifications.js",
		"apiref.js", "console.js"}; len(refs) != len(want) {
		t.Fatalf("the console page references %d hashed assets; want %q:\n%s", len(refs), want, page)
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "style=") || strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Errorf("the console page has inline script or style or loads from elsewhere:\n%s", page)
	}
	for _, ref := range refs {
		name, hash := ref[1], ref[2]
		rec := getPath(t, h, ref[0], "Accept-Encoding", "gzip")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", ref[0], rec.Code)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s Cache-Control = %q; want immutable", ref[0], cc)
		}
		want := "text/javascript"
		if strings.HasSuffix(name, ".css") {
			want = "text/css"
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, want) {
			t.Errorf("GET %s Content-Type = %q; want %s", ref[0], ct, want)
		}
		if rec.Header().Get("Content-Encoding") != "gzip" {
			t.Errorf("GET %s with gzip accepted is not gzipped", ref[0])
		} else if zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes())); err != nil {
			t.Error(err)
		} else if body, _ := io.ReadAll(zr); len(body) == 0 {
			t.Errorf("GET %s: empty body", ref[0])
		}
		// Unversioned: cached briefly; a matching ETag: 304.
		plain := getPath(t, h, "/console/assets/"+name)
		if cc := plain.Header().Get("Cache-Control"); strings.Contains(cc, "immutable") {
			t.Errorf("GET /console/assets/%s without ?v= is cached for good (%q)", name, cc)
		}
		if rec := getPath(t, h, "/console/assets/"+name, "If-None-Match", `"`+hash+`"`); rec.Code != http.StatusNotModified {
			t.Errorf("revalidating %s = %d; want 304", name, rec.Code)
		}
	}
	if rec := getPath(t, h, "/console/assets/nope.js"); rec.Code != http.StatusNotFound {
		t.Errorf("GET an unknown asset = %d; want 404", rec.Code)
	}
}

// The console renders what the server sends as text: its script never
// assigns markup.
func TestConsoleScriptHasNoHTMLSinks(t *testing.T) {
	h := web.New(web.Options{}).Handler()
	for _, name := range []string{"console.js", "analytics.js", "privacy.js"} {
		js := getPath(t, h, "/console/assets/"+name).Body.String()
		if len(js) < 500 {
			t.Fatalf("%s: %d bytes", name, len(js))
		}
		for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			if strings.Contains(js, sink) {
				t.Errorf("%s uses %s", name, sink)
			}
		}
	}
	i18n := getPath(t, h, "/console/assets/i18n.js").Body.String()
	keys := regexp.MustCompile(`"([a-z0-9]+\.[a-z0-9.]+|yes|no)":`).FindAllStringSubmatch(i18n, -1)
	en, zh, _ := strings.Cut(i18n, "zh: {")
	for _, k := range keys {
		key := `"` + k[1] + `":`
		if !strings.Contains(en, key) || !strings.Contains(zh, key) {
			t.Errorf("UI string %s lacks its English or Chinese text", k[1])
		}
	}
}
