package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/intents"
	"kefu/internal/account"
	"kefu/internal/analytics"
	"kefu/internal/fakellm"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
	"kefu/internal/webhook"
	"kefu/knowledge"
	"kefu/knowledge/demo"
	"kefu/llm"
	"kefu/retrieval"
	"kefu/web"
)

// The intent classifier takes seconds to train under -race: one for all tests.
var sharedIntents struct {
	once sync.Once
	svc  *intents.Service
	err  error
}

func understanding(t *testing.T) *intents.Service {
	t.Helper()
	sharedIntents.once.Do(func() {
		sharedIntents.svc, sharedIntents.err = intents.NewService(context.Background(), nil, intents.ServiceOptions{})
	})
	if sharedIntents.err != nil {
		t.Fatalf("intents: %v", sharedIntents.err)
	}
	return sharedIntents.svc
}

// shopConfig says what a test shop runs with.
type shopConfig struct {
	model    bool              // a fake OpenAI-compatible model; false: offline mode
	demoDocs bool              // ingest the demo shop's English and Chinese shipping and returns pages
	docs     map[string]string // more documents, by file name
}

// shop is a running kefu as `kefu serve --demo` wires it: a real database,
// the demo site, products, orders and documents, the chat engine with the
// real intent classifier, and the HTTP server on a real 127.0.0.1 port that
// a test can kill and restart (the widget's socket with it).
type shop struct {
	t        *testing.T
	db       *pgxpool.Pool
	site     *sites.Site
	store    *chat.Store
	hub      *chat.Hub
	commerce *knowledge.Commerce
	hooks    *webhook.Service
	fake     *fakellm.Server
	opts     web.Options
	addr     string
	origin   string

	mu    sync.Mutex
	hs    *http.Server
	srv   *web.Server
	conns map[net.Conn]bool
}

func newShop(t *testing.T, cfg shopConfig) *shop {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &shop{t: t, db: db, addr: ln.Addr().String(), store: chat.NewStore(db), hub: chat.NewHub(), commerce: knowledge.NewCommerce(db),
		hooks: webhook.NewService(db, nil)}
	s.store.SetEvents(s.hooks) // as kefu serve wires it
	s.origin = "http://" + s.addr
	siteStore := sites.NewStore(db)
	if s.site, err = siteStore.Create(ctx, demo.Site, []string{s.origin}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		load func(context.Context, *bytes.Reader, knowledge.ImportOptions) (knowledge.ImportResult, error)
	}{
		{"products.json", func(ctx context.Context, r *bytes.Reader, o knowledge.ImportOptions) (knowledge.ImportResult, error) {
			return s.commerce.ImportProducts(ctx, r, o)
		}},
		{"orders.json", func(ctx context.Context, r *bytes.Reader, o knowledge.ImportOptions) (knowledge.ImportResult, error) {
			return s.commerce.ImportOrders(ctx, r, o)
		}},
	} {
		data, err := demo.FS.ReadFile(f.name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.load(ctx, bytes.NewReader(data), knowledge.ImportOptions{SiteID: s.site.ID})
		if err != nil || len(res.Errors) > 0 {
			t.Fatalf("import demo %s: %v %v", f.name, err, res.Errors)
		}
	}
	lib := knowledge.NewLibrary(db, retrieval.NewIndex(db, retrieval.NewHashEmbedder(retrieval.DefaultDim)), nil)
	if err := lib.Index().EnsureModel(ctx); err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{}
	if cfg.demoDocs {
		for _, name := range []string{"shipping.md", "shipping-zh.md", "returns-refunds.md", "returns-refunds-zh.md"} {
			data, err := fs.ReadFile(demo.FS, "docs/"+name)
			if err != nil {
				t.Fatal(err)
			}
			docs[name] = data
		}
	}
	for name, text := range cfg.docs {
		docs[name] = []byte(text)
	}
	for name, data := range docs {
		if _, err := lib.Add(ctx, s.site.ID, name, data); err != nil {
			t.Fatalf("add %s: %v", name, err)
		}
	}
	if err := lib.ProcessAll(ctx); err != nil {
		t.Fatal(err)
	}
	engineOpts := chat.Options{Store: s.store, Sites: siteStore, Hub: s.hub, Analyzer: chat.ServiceAnalyzer{Service: understanding(t)},
		Library: lib, Commerce: s.commerce, Users: account.NewUsers(s.db)}
	if cfg.model {
		s.fake = fakellm.New()
		m := httptest.NewServer(s.fake)
		t.Cleanup(m.Close)
		engineOpts.Model = llm.New(llm.Config{BaseURL: m.URL + "/v1", Model: "fake"})
	}
	engine := chat.NewEngine(engineOpts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		engine.Close(ctx)
	})
	s.opts = web.Options{Sites: siteStore, Library: lib, Commerce: s.commerce, Engine: engine, Store: s.store, Hub: s.hub, PublicURL: s.origin,
		Webhooks: s.hooks, Canned: chat.NewCannedResponses(s.db), Analytics: analytics.NewReports(s.db, siteStore, nil),
		Insights: analytics.NewInsights(s.db, analytics.InsightsOptions{Model: engineOpts.Model, Library: lib})}
	s.serve(ln)
	t.Cleanup(func() { s.kill(false) })
	return s
}

func (s *shop) serve(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.srv = web.New(s.opts)
	s.conns = map[net.Conn]bool{}
	s.hs = &http.Server{Handler: s.srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateHijacked { // a websocket
				s.mu.Lock()
				s.conns[c] = true
				s.mu.Unlock()
			}
		}}
	go s.hs.Serve(ln)
}

// kill stops the server. Abruptly: websocket connections are cut without a
// close frame, as when a process dies. Gracefully: the server says it is
// going away (close 1001), as on a deploy.
func (s *shop) kill(graceful bool) {
	s.mu.Lock()
	hs, srv, conns := s.hs, s.srv, s.conns
	s.hs, s.conns = nil, nil
	s.mu.Unlock()
	if hs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !graceful {
		for c := range conns {
			c.Close()
		}
	}
	hs.Close()
	srv.Shutdown(ctx) // closes the sockets (1001) and waits for their goroutines
}

// restart serves again on the same address.
func (s *shop) restart() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("listen again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// conversation returns the site's only conversation.
func (s *shop) conversation() *chat.Conversation {
	s.t.Helper()
	var id string
	if err := s.db.QueryRow(context.Background(), "select id from conversations where site_id = $1", s.site.ID).Scan(&id); err != nil {
		s.t.Fatalf("the shop's conversation: %v", err)
	}
	c, err := s.store.Conversation(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// messages returns the committed messages of the site's conversation.
func (s *shop) messages() []chat.Message {
	s.t.Helper()
	msgs, err := s.store.Messages(context.Background(), s.conversation().ID, 0, 0, false)
	if err != nil {
		s.t.Fatal(err)
	}
	return msgs
}

// shopperText extracts the shopper's words from the prompt the fake model got.
func shopperText(r fakellm.Request) string {
	s := r.LastUser()
	s = strings.TrimPrefix(s, "<shopper_message>\n")
	s, _, _ = strings.Cut(s, "\n</shopper_message>")
	return strings.TrimSpace(s)
}

// tab is one browser tab on the shop.
type tab struct {
	t       *testing.T
	ctx     context.Context
	name    string
	mu      sync.Mutex
	dialogs []string
	errs    []string
}

// newTab opens a tab with a w×h viewport (mobile: a touch phone).
func newTab(t *testing.T, name string, w, h int64, mobile bool) *tab {
	t.Helper()
	return openTab(t, name, w, h, tabOptions{mobile: mobile})
}

// tabOptions says how a test tab differs from a shopper's plain tab.
type tabOptions struct {
	mobile        bool                             // phone emulation: scale 2, touch
	ownProfile    bool                             // a browser context of its own (cookies, storage): an agent's browser is not the shopper's
	acceptDialogs bool                             // accept JavaScript dialogs (confirm) instead of dismissing them
	dialogsOK     bool                             // a dialog is expected, not a failure
	listen        func(ev any)                     // more events to watch
	setup         []chromedp.Action[chromedp.Void] // run as the tab opens
}

// openTab opens a tab; uncaught exceptions (and dialogs, unless dialogsOK)
// fail the test when it ends.
func openTab(t *testing.T, name string, w, h int64, o tabOptions) *tab {
	t.Helper()
	b := &tab{t: t, name: name}
	opts := []chromedp.ContextOption{chromedp.WithListener(func(ev any) {
		switch e := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(e.Type)+": "+e.Message)
			b.mu.Unlock()
			go chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: o.acceptDialogs})
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if ex := e.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
			b.mu.Lock()
			b.errs = append(b.errs, msg)
			b.mu.Unlock()
		}
		if o.listen != nil {
			o.listen(ev)
		}
	})}
	if o.ownProfile {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(browser(t), opts...)
	b.ctx = ctx
	t.Cleanup(cancel)
	var emulate []chromedp.EmulateViewportOption
	if o.mobile {
		emulate = append(emulate, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	// The first Do opens the tab; its context (without a deadline) owns it.
	if err := chromedp.Do(ctx, append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(w, h, emulate...)}, o.setup...)...); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.dialogs) > 0 && !o.dialogsOK {
			t.Errorf("%s: JavaScript dialogs opened: %q", name, b.dialogs)
		}
		if len(b.errs) > 0 {
			t.Errorf("%s: uncaught JavaScript exceptions: %q", name, b.errs)
		}
	})
	return b
}

// run runs browser actions with a deadline.
func (b *tab) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed")
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

func (b *tab) open(url string) {
	b.t.Helper()
	b.run("open "+url, chromedp.Navigate(url))
}

// widgetJS wraps a JavaScript expression so that R is the widget's shadow root.
func widgetJS(expr string) string {
	return `(() => { const R = document.getElementById("kefu-widget")?.shadowRoot; return (` + expr + `); })()`
}

// eval evaluates expr (with R, the shadow root) and decodes its value into
// out (nil: ignore it).
func (b *tab) eval(expr string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if out == nil {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](widgetJS(expr))); err != nil {
			b.t.Fatalf("%s: evaluate %s: %v", b.name, expr, err)
		}
		return
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](widgetJS(expr)))
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		b.t.Fatalf("%s: evaluate %s: %v", b.name, expr, err)
	}
}

// waitFor polls until expr is truthy, failing with what after 20s.
func (b *tab) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+widgetJS(expr)+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.shot("timeout")
			log, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](widgetJS(`R ? R.querySelector(".p")?.innerText : "no widget"`)))
			b.t.Fatalf("%s: waiting for %s (%s): %v; the widget shows:\n%s", b.name, what, expr, err, log)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// click clicks the centre of the widget element sel with the mouse, once
// the element is visible, on top at that point and no longer moving (the
// panel scrolls and animates).
func (b *tab) click(sel string) {
	b.t.Helper()
	type spot struct {
		X, Y float64
		OK   bool
	}
	var last spot
	deadline := time.Now().Add(20 * time.Second)
	for {
		var at spot
		b.eval(`(() => { const e = R && R.querySelector(`+jsString(sel)+`); if (!e) return {ok: false};
			e.scrollIntoView({block: "nearest"});
			const r = e.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2, top = R.elementFromPoint(x, y);
			return {x, y, ok: r.width > 0 && !!top && (top === e || e.contains(top))} })()`, &at)
		if at.OK && at == last {
			b.run("click "+sel, chromedp.MouseClickXY(at.X, at.Y))
			return
		}
		if time.Now().After(deadline) {
			b.shot("click")
			b.t.Fatalf("%s: %s is not clickable (last seen %+v)", b.name, sel, at)
		}
		last = at
		time.Sleep(60 * time.Millisecond)
	}
}

// openWidget opens the panel with the launcher, unless it is open, and
// waits for its opening transition.
func (b *tab) openWidget() {
	b.t.Helper()
	b.waitFor("the launcher", `R && R.querySelector(".l")`)
	var open bool
	b.eval(`!!R.querySelector(".w.open")`, &open)
	if !open { // it stays open across page loads in a tab
		b.click(".l")
	}
	b.waitFor("the open panel", `R.querySelector(".w.open") && getComputedStyle(R.querySelector(".p")).opacity == "1"`)
}

// typeText types into the focused element, then (enter) presses Enter.
func (b *tab) typeText(text string, enter bool) {
	b.t.Helper()
	b.run("type "+text, chromedp.KeyEvent(text))
	if enter {
		b.pressEnter()
	}
}

// pressEnter presses Enter as a keyboard does: a keydown that carries the
// text, so a page that cancels the keydown gets no newline. (KeyEvent sends
// the newline as a separate char event, which no handler can cancel.)
func (b *tab) pressEnter() {
	b.t.Helper()
	b.run("press Enter", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{kb.KeyDown, kb.KeyUp} {
			p := input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
			if typ == kb.KeyDown {
				p.Text, p.UnmodifiedText = "\r", "\r"
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	}))
}

// say types a message into the widget's composer and sends it with Enter.
func (b *tab) say(text string) {
	b.t.Helper()
	b.eval(`R.querySelector("textarea").focus()`, nil)
	b.typeText(text, true)
}

// row is a message row of the widget as a shopper sees it.
type row struct {
	Class   string   `json:"class"`
	Text    string   `json:"text"`
	Seq     int      `json:"seq"`
	Sources []string `json:"sources"`
}

func (b *tab) rows() []row {
	b.t.Helper()
	var rows []row
	b.eval(`[...R.querySelectorAll(".log > .r")].map(r => ({class: r.className, text: r.querySelector(".m").innerText,
		seq: r._it && r._it.seq || 0, sources: [...r.querySelectorAll(".src")].map(s => s.innerText.replace(/\s+/g, " "))}))`, &rows)
	return rows
}

// shotDir holds the screenshots: $KEFU_SCREENSHOTS, or a temporary directory.
var shotDir = sync.OnceValue(func() string {
	if d := os.Getenv("KEFU_SCREENSHOTS"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	d, _ := os.MkdirTemp("", "kefu-shots-")
	return d
})

// shot saves a screenshot of the viewport as NAME.png and returns its path.
func (b *tab) shot(name string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	base := strings.TrimPrefix(b.t.Name(), "TestBrowser") + "-" + b.name + "-" + name
	path := filepath.Join(shotDir(), strings.ReplaceAll(base, "/", "_")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

func jsString(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}

func count[T any](xs []T, f func(T) bool) int {
	n := 0
	for _, x := range xs {
		if f(x) {
			n++
		}
	}
	return n
}

func describe(rows []row) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "  [%d %s] %q %v\n", r.Seq, r.Class, r.Text, r.Sources)
	}
	return b.String()
}
