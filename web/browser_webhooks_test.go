package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/webhook"
)

// hookReceiver is a shop's webhook endpoint on 127.0.0.1: it records what
// it gets and answers with status() (200 unless the test says otherwise).
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []webhook.Body
	raw    [][]byte
	sigs   []string
	status int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{status: http.StatusOK}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var b webhook.Body
		json.Unmarshal(raw, &b)
		h.mu.Lock()
		h.got, h.raw, h.sigs = append(h.got, b), append(h.raw, raw), append(h.sigs, r.Header.Get(webhook.SignatureHeader))
		st := h.status
		h.mu.Unlock()
		w.WriteHeader(st)
		io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) types() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.got {
		out = append(out, b.Type)
	}
	return out
}

func (h *hookReceiver) setStatus(st int) {
	h.mu.Lock()
	h.status = st
	h.mu.Unlock()
}

// An admin subscribes an endpoint in the console, sees the secret once,
// watches deliveries arrive (signed), sends one again, and is told when the
// failing endpoint is turned off; the notifications and API reference pages
// work; a desktop notification shows only a short redacted preview.
func TestBrowserWebhooksNotificationsAndAPIReference(t *testing.T) {
	s, mia := consoleShop(t, shopConfig{}, account.RoleAdmin)
	ctx := context.Background()
	rc := newHookReceiver(t)
	// This node's delivery worker, as kefu serve runs it; a disabled
	// subscription tells the admins' consoles.
	workCtx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	worker := webhook.NewWorker(s.hooks, webhook.WorkerOptions{Poll: 50 * time.Millisecond, MaxFailures: 2, FailingFor: -1,
		Backoff: func(int) time.Duration { return 0 },
		OnDisabled: func(ctx context.Context, sub webhook.Subscription) {
			s.opts.Engine.PublishNotice(s.site.ID, "webhook_disabled", "The webhook to "+sub.URL+" was turned off: "+sub.DisabledReason)
		}})
	wg.Add(1)
	go func() { defer wg.Done(); worker.Run(workCtx) }()
	t.Cleanup(func() { stop(); wg.Wait() })

	// The console records desktop notifications instead of showing them,
	// and is "in the background".
	record := `window.__notes = []; window.Notification = class { constructor(title, o) { window.__notes.push({title, body: (o || {}).body || ""}); }
		static get permission() { return "granted"; } static requestPermission() { return Promise.resolve("granted"); } };
		Object.defineProperty(document, "hidden", { get: () => !!window.__hidden });`
	a := openTab(t, "admin", 1280, 900, tabOptions{ownProfile: true, acceptDialogs: true, dialogsOK: true,
		setup: []chromedp.Action[chromedp.Void]{chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: record})
			return err
		})}})
	a.signIn(s.origin, "mia@example.com", "correct horse battery")

	// ---- Webhooks: add one ----
	a.eval(`location.hash = "#/webhooks"`, nil)
	a.waitFor("the webhooks page", `document.querySelector("#wh-rows") && document.querySelectorAll("#wh-events input").length == 10`)
	a.waitFor("no webhooks yet", `document.querySelector("#wh-rows").textContent.includes("No webhooks")`)
	a.fill("#wh-url", rc.srv.URL+"/kefu")
	a.eval(`document.querySelector("#wh-private").click(), document.querySelector("#wh-desc").value = "CRM"`, nil)
	a.press("#wh-add")
	a.waitFor("the secret, once", `document.querySelector("#wh-secret")?.textContent.startsWith("whsec_")`)
	a.axeCheck("console/webhooks/secret")
	var secret string
	a.eval(`document.querySelector("#wh-secret").textContent`, &secret)
	a.run("close the dialog", chromedp.KeyEvent(kb.Escape))
	a.waitFor("the webhook listed", `document.querySelectorAll("#wh-rows tr[data-id]").length == 1 && document.querySelector("#wh-status").textContent == "Webhook added."`)

	// ---- A shopper asks for a person: the endpoint hears it, signed ----
	askForPerson(t, s)
	waitUntil(t, "conversation.escalated at the receiver", func() bool { return strings.Contains(strings.Join(rc.types(), ","), "conversation.escalated") })
	rc.mu.Lock()
	for i, raw := range rc.raw {
		if err := webhook.Verify(secret, rc.sigs[i], raw, 5*time.Minute, time.Now()); err != nil {
			t.Errorf("delivery %d (%s) does not verify with the secret the page showed: %v", i, rc.got[i].Type, err)
		}
	}
	rc.mu.Unlock()
	if got := strings.Join(rc.types(), ","); !strings.HasPrefix(got, "conversation.created,message.created") {
		t.Errorf("events %s; want conversation.created, message.created first", got)
	}

	// ---- The delivery log; send one again ----
	a.press("#wh-rows .wh-log")
	a.waitFor("the delivery log", `document.querySelectorAll("#wh-log-rows tr[data-id]").length >= 3 &&
		[...document.querySelectorAll("#wh-log-rows .wh-st-delivered")].length >= 3 && document.querySelector("#wh-log-rows .wh-response").textContent == '{"received":true}'`)
	a.axeCheck("console/webhooks/log")
	a.consoleShot("webhooks-log")
	before := len(rc.types())
	a.press("#wh-log-rows tr:last-child button")
	a.waitFor("queued again", `document.querySelector("#wh-status").textContent == "Queued to send again."`)
	waitUntil(t, "the redelivery", func() bool { return len(rc.types()) == before+1 })

	// ---- The endpoint fails: kefu turns it off and tells the admin ----
	rc.setStatus(http.StatusInternalServerError)
	sess := visitorSays(t, s, nil, "Do you ship to Canada?")
	_ = sess
	a.waitFor("the notice, live", `document.querySelector("#toast").textContent.includes("was turned off")`)
	a.eval(`location.hash = "#/inbox"`, nil)
	a.waitFor("the inbox", `document.querySelector("#rows")`)
	a.eval(`location.hash = "#/webhooks"`, nil)
	a.waitFor("the alert on the page", `document.querySelector("#wh-alerts [role=alert]")?.textContent.includes("deliveries in a row failed")`)
	a.axeCheck("console/webhooks/disabled")
	subs, err := s.hooks.List(ctx, s.site.ID)
	if err != nil || len(subs) != 1 || subs[0].Enabled {
		t.Fatalf("subscriptions %+v, %v; want the one, disabled", subs, err)
	}
	// Turned on again, the endpoint (working again) gets what it missed.
	rc.setStatus(http.StatusOK)
	a.press("#wh-rows .wh-toggle")
	a.waitFor("on again", `document.querySelector("#wh-rows .badge").textContent == "On" && !document.querySelector("#wh-alerts [role=alert]")`)
	waitUntil(t, "the missed deliveries", func() bool {
		page, _ := s.hooks.Deliveries(ctx, subs[0].ID, "pending", "", 10)
		return len(page.Items) == 0
	})

	// ---- Notifications: preferences ----
	a.eval(`location.hash = "#/notifications"`, nil)
	a.waitFor("the preferences", `document.querySelector("#nt-minutes").value == "10" && document.querySelector("#nt-browser").checked`)
	a.waitFor("no email on this server", `!document.querySelector("#nt-noemail").hidden && document.querySelector("#nt-test").hidden`)
	a.eval(`document.querySelector("#nt-minutes").value = ""`, nil)
	a.fill("#nt-minutes", "25")
	a.eval(`document.querySelector("#nt-digest").click()`, nil)
	a.press("#nt-save")
	a.waitFor("saved", `document.querySelector("#nt-status").textContent == "Preferences saved."`)
	p, err := s.opts.Notify.Prefs(ctx, mia.ID)
	if err != nil || p.WaitMinutes != 25 || p.EmailDigest || !p.EmailWaiting || !p.Browser {
		t.Errorf("preferences after saving: %+v, %v; want 25 minutes, no digest", p, err)
	}

	// ---- A desktop notification in the background: a short redacted preview ----
	conv := s.conversation()
	if _, err := s.opts.Engine.Claim(ctx, conv.ID, mia); err != nil {
		t.Fatal(err)
	}
	a.eval(`location.hash = "#/inbox/mine/`+conv.ID+`"`, nil)
	a.waitFor("her conversation", `document.querySelector("#rows .row") && document.querySelector("#log .msg.shopper")`)
	a.eval(`window.__hidden = true, window.__notes = []`, nil)
	if _, _, err := s.opts.Engine.Post(ctx, &chat.Session{Site: s.site, Visitor: &chat.Visitor{ID: conv.VisitorID, SiteID: s.site.ID}, Conversation: conv},
		"", "Call me on +44 20 7946 0958 or write to ann@example.com, my card 4111 1111 1111 1111 was charged twice and I need this sorted out today please"); err != nil {
		t.Fatal(err)
	}
	a.waitFor("a desktop notification", `window.__notes.some(n => n.title == "New message from a shopper")`)
	var notes []struct{ Title, Body string }
	a.eval(`window.__notes`, &notes)
	for _, n := range notes {
		if n.Title != "New message from a shopper" {
			continue
		}
		if strings.Contains(n.Body, "7946") || strings.Contains(n.Body, "ann@") || strings.Contains(n.Body, "4111 1111") ||
			len([]rune(n.Body)) > 81 || !strings.Contains(n.Body, "[phone]") {
			t.Errorf("notification body %q; want a short preview with contacts and the card masked", n.Body)
		}
	}
	a.eval(`window.__hidden = false`, nil)

	// ---- The API reference, drawn from /api/openapi.json ----
	a.eval(`location.hash = "#/api"`, nil)
	a.waitFor("the operations", `document.querySelectorAll("details.api-op").length > 80`)
	a.fill("#api-filter", "webhooks")
	a.waitFor("filtered", `/^\d+ operations shown\.$/.test(document.querySelector("#api-status").textContent) &&
		[...document.querySelectorAll("details.api-op")].filter(d => !d.hidden).length == 10`)
	a.press(`#op-createWebhook > summary`)
	a.waitFor("the operation's details", `document.querySelector("#op-createWebhook[open]")?.textContent.includes("allow_private")`)
	a.axeCheck("console/api/open")
	a.consoleShot("api-reference")
}
