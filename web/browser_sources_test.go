package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"kefu/internal/account"
	"kefu/internal/audit"
	"kefu/sources"
)

// TestBrowserConsoleSources: an admin adds the help center's sitemap on
// the Sources page, watches its first sync finish, syncs again after an
// edit, reads the log, pauses and removes it; every control has a name.
func TestBrowserConsoleSources(t *testing.T) {
	s, _ := consoleShop(t, shopConfig{}, account.RoleAdmin)
	var mu sync.Mutex
	pages := map[string]string{
		"/help/returns": `<html><head><title>Returns</title></head><body><nav>Menu</nav><main><h1>Returns</h1><p>Unworn items can be returned within 30 days.</p></main></body></html>`,
		"/help/care":    `<html><head><title>Care</title></head><body><main><h1>Care</h1><p>Wash wool sweaters cold and dry them flat.</p></main></body></html>`,
	}
	help := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/sitemap.xml" {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>%[1]s/help/returns</loc></url><url><loc>%[1]s/help/care</loc></url></urlset>`, "http://"+r.Host)
			return
		}
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, body)
	}))
	defer help.Close()

	s.kill(false)
	syncer := sources.New(s.db, s.opts.Library, s.commerce, sources.Options{Node: "browser-test"})
	s.opts.Sources, s.opts.Audit = syncer, audit.New(s.db)
	s.restart()
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); syncer.Run(ctx) }()
	t.Cleanup(func() { stop(); wg.Wait() })

	a := newConsoleTab(t, "admin", 1280, 900)
	a.signIn(s.origin, "mia@example.com", "correct horse battery")
	a.press(`.top nav a[data-page="sources"]`)
	a.waitFor("the sources page", `document.querySelector("main h1") && document.querySelector("main h1").textContent === "Sources" && document.querySelector("#src-add")`)

	// Every form control and button on the page has an accessible name.
	var unnamed []string
	a.eval(`[...document.querySelectorAll("main input, main select, main button")].filter(e => !e.hidden &&
		!(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim()).map(e => e.outerHTML)`, &unnamed)
	if len(unnamed) > 0 {
		t.Errorf("controls without a name: %v", unnamed)
	}

	a.fill("#src-url", help.URL+"/sitemap.xml")
	a.eval(`(() => { const k = document.querySelector("#src-kind"); k.value = "sitemap"; k.dispatchEvent(new Event("change")); })()`, nil)
	a.press("#src-private")
	a.press("#src-add")
	row := `document.querySelector("#sources tr[data-source]")`
	a.waitFor("the first sync's result", row+` && `+row+`.querySelector(".src-last").textContent.includes("2 added")`)
	a.waitFor("the result announced", `document.querySelector("#src-status").textContent.includes("2 added")`)
	var text string
	a.eval(row+`.innerText`, &text)
	for _, want := range []string{help.URL + "/sitemap.xml", "Sitemap", "2 pages kept", "private addresses allowed", "Synced"} {
		if !strings.Contains(text, want) {
			t.Errorf("the source's row lacks %q: %q", want, text)
		}
	}

	// An edit on the help center, then Sync now.
	mu.Lock()
	pages["/help/care"] = strings.Replace(pages["/help/care"], "dry them flat", "dry them flat on a towel", 1)
	mu.Unlock()
	a.press(`#sources button[data-act="sync"]`)
	a.waitFor("the second sync's result", row+`.querySelector(".src-last").textContent.includes("1 changed")`)

	// The log: both runs, newest first.
	a.press(`#sources button[data-act="log"]`)
	a.waitFor("the log", `document.querySelectorAll("#src-log tr[data-run]").length === 2`)
	a.eval(`document.querySelector("#src-log").innerText`, &text)
	if !strings.Contains(text, "1 changed") || !strings.Contains(text, "2 added") {
		t.Errorf("log = %q", text)
	}
	a.consoleShot("sources-log")
	a.eval(`document.querySelector(".dialog .end button").click()`, nil)

	// Pause, then remove (its pages leave the knowledge base).
	a.press(`#sources button[data-act="pause"]`)
	a.waitFor("paused", row+`.innerText.includes("Paused") && `+row+`.querySelector('button[data-act="resume"]')`)
	a.consoleShot("sources")
	a.press(`#sources button[data-act="remove"]`)
	a.waitFor("the confirmation", `document.querySelector("#src-remove-go")`)
	a.press("#src-remove-go")
	a.waitFor("the empty list", `!document.querySelector("#sources tr[data-source]")`)
	res, err := s.opts.Library.Search(context.Background(), s.site.ID, "wash wool sweaters", 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if strings.HasPrefix(h.Source, help.URL) {
			t.Errorf("after remove, search still finds %s", h.Source)
		}
	}
}
