package web_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/fakellm"
	"kefu/knowledge"
)

// These tests drive the widget in headless Chromium against a real server,
// database and engine: the demo page embeds it exactly as a shop would.

func TestBrowserChatStreamsCitesAndResumes(t *testing.T) {
	s := newShop(t, shopConfig{model: true, demoDocs: true})
	const answer = "Orders to the US ship from **Reno** and arrive in 3–5 business days [1].\n\n- USPS Ground Advantage: $5.95\n- Free over $49"
	s.fake.SetTiming(150*time.Millisecond, 25)
	s.fake.Respond(func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: answer} })

	b := newTab(t, "desktop", 1280, 800, false)
	b.open(s.origin + "/demo")
	b.waitFor("the launcher", `R && R.querySelector(".l")`)
	var closed struct{ Panel, Label string }
	b.eval(`({panel: getComputedStyle(R.querySelector(".p")).visibility, label: R.querySelector(".l").getAttribute("aria-label")})`, &closed)
	if closed.Panel != "hidden" || closed.Label != "Open chat" {
		t.Errorf("before opening: panel %q, launcher label %q; want a hidden panel and \"Open chat\"", closed.Panel, closed.Label)
	}
	b.shot("closed")

	b.openWidget()
	var header string
	b.eval(`getComputedStyle(R.querySelector(".tp")).backgroundColor`, &header)
	if header != "rgb(124, 74, 50)" {
		t.Errorf("header colour = %s; want the page's data-color #7c4a32", header)
	}
	b.waitFor("the open panel with focus in the composer", `R.querySelector(".w.open") && R.activeElement === R.querySelector("textarea")`)
	b.say("How long does shipping to the US take?")
	b.waitFor("the reply streaming in", `R.querySelector('.r[aria-busy="true"] .m')?.innerText.trim().length > 3`)
	var partial string
	b.eval(`R.querySelector('.r[aria-busy="true"] .m')?.innerText || ""`, &partial)
	b.shot("streaming")
	b.waitFor("the final reply with its source", `R.querySelector('.log .them .src') && !R.querySelector('.r[aria-busy="true"]')`)

	rows := b.rows()
	if len(rows) != 2 || rows[0].Text != "How long does shipping to the US take?" || !strings.Contains(rows[0].Class, "me") ||
		rows[0].Seq != 1 || rows[1].Seq != 2 {
		t.Fatalf("after one question the widget shows:\n%s want the question (seq 1) and the reply (seq 2)", describe(rows))
	}
	reply := rows[1]
	if !strings.Contains(reply.Text, "Orders to the US ship from Reno") || len(reply.Sources) != 1 ||
		!strings.Contains(reply.Sources[0], "1") || !strings.Contains(reply.Sources[0], "Shipping") {
		t.Errorf("reply = %q with sources %q; want the answer and source 1, the shipping page", reply.Text, reply.Sources)
	}
	if partial == "" || len(partial) >= len(reply.Text) {
		t.Errorf("while streaming the reply read %q; want a part of the final %q", partial, reply.Text)
	}
	var md struct {
		Bold  string
		Items int
		Sup   string
	}
	b.eval(`(() => { const m = R.querySelector(".log .them .m"); return {bold: m.querySelector("strong")?.textContent,
		items: m.querySelectorAll("ul > li").length, sup: m.querySelector("sup")?.textContent} })()`, &md)
	if md.Bold != "Reno" || md.Items != 2 || md.Sup != "1" {
		t.Errorf("markdown rendered as bold %q, %d list items, citation mark %q; want Reno, 2, 1", md.Bold, md.Items, md.Sup)
	}
	b.shot("answered")

	// Keyboard: Tab and Shift+Tab stay inside the open panel; Esc closes it
	// and gives focus back to the launcher.
	for i := range 8 {
		var opts []chromedp.KeyOption
		if i >= 5 {
			opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
		}
		b.run("tab", chromedp.KeyEvent(kb.Tab, opts...))
		var inside bool
		b.eval(`!!R.activeElement && R.querySelector(".p").contains(R.activeElement)`, &inside)
		if !inside {
			t.Fatalf("after %d Tab presses focus left the open panel", i+1)
		}
	}
	b.run("escape", chromedp.KeyEvent(kb.Escape))
	b.waitFor("Esc to close the panel and focus the launcher", `!R.querySelector(".w.open") && R.activeElement === R.querySelector(".l")`)

	// A reload shows the whole conversation again.
	b.run("reload", chromedp.Reload())
	b.waitFor("the launcher after reload", `R && R.querySelector(".l")`)
	b.openWidget()
	b.waitFor("the history after reload", `R.querySelectorAll(".log > .r").length == 2 && R.querySelector(".log .them .src")`)
	b.shot("reloaded")
	if again := b.rows(); again[0].Text != rows[0].Text || again[1].Text != reply.Text {
		t.Errorf("after reload the widget shows:\n%s want the same conversation", describe(again))
	}

	// So does a second tab.
	b2 := newTab(t, "second-tab", 1280, 800, false)
	b2.open(s.origin + "/demo")
	b2.openWidget()
	b2.waitFor("the history in a new tab", `R.querySelectorAll(".log > .r").length == 2`)

	if msgs := s.messages(); len(msgs) != 2 {
		t.Errorf("the database holds %d messages; want 2 (question and answer)", len(msgs))
	}
}

func TestBrowserReconnectSendsQueuedMessageOnce(t *testing.T) {
	s := newShop(t, shopConfig{model: true})
	// Two sentences: the first reaches the widget while the second streams.
	s.fake.Respond(func(r fakellm.Request) fakellm.Reply {
		return fakellm.Reply{Text: "You said: " + shopperText(r) + ". Thanks for waiting while this longer answer streams in, piece by piece."}
	})
	b := newTab(t, "desktop", 1280, 800, false)
	b.open(s.origin + "/demo")
	b.openWidget()
	b.say("first message")
	answered := func(text string) string {
		return `[...R.querySelectorAll(".log .them:not([aria-busy=true])")].some(r => r.innerText.includes(` + jsString("You said: "+text) + `))`
	}
	b.waitFor("the first answer", answered("first message"))

	// Killed while a reply streams: the reply arrives whole, once, from the
	// replay or live after the reconnect; the cut-off draft does not stay.
	s.fake.SetTiming(0, 12)
	b.say("a longer question so that the answer streams for a while")
	b.waitFor("the reply streaming", `R.querySelector('.log [aria-busy="true"] .m')?.innerText.trim().length > 3`)
	s.kill(false)
	b.waitFor("the reconnecting notice", `!R.querySelector(".cn").hidden`)
	s.restart()
	long := "a longer question so that the answer streams for a while"
	b.waitFor("the whole reply after the restart", answered(long)+` && !R.querySelector(".log [aria-busy=true]")`)
	rows := b.rows()
	if n := count(rows, func(r row) bool { return strings.HasPrefix(r.Text, "You said: a longer") }); n != 1 {
		t.Errorf("after a cut-off stream the widget shows the reply %d times; want once:\n%s", n, describe(rows))
	}
	s.fake.SetTiming(0, 0)

	for _, graceful := range []bool{false, true} {
		how := map[bool]string{false: "killed", true: "restarted"}[graceful]
		s.kill(graceful)
		b.waitFor("the reconnecting notice ("+how+")", `!R.querySelector(".cn").hidden`)
		text := "sent while the server was " + how
		b.say(text)
		b.waitFor("the message shown as pending", `R.querySelector(".log .pd .meta")`)
		b.shot("offline-" + how)
		time.Sleep(500 * time.Millisecond)
		s.restart()
		// Delivered: acknowledged, in its place. (After two answers it could
		// not back with knowledge the bot hands over to a person, so there
		// may be no answer.)
		b.waitFor("the queued message delivered", `!R.querySelector(".log .pd") && [...R.querySelectorAll(".log .me")].some(r => r._it.seq && r.querySelector(".m").innerText == `+jsString(text)+`)`)
		b.waitFor("the reconnecting notice gone and no reply streaming", `R.querySelector(".cn").hidden && !R.querySelector(".log [aria-busy=true]")`)

		rows := b.rows()
		if n := count(rows, func(r row) bool { return r.Text == text }); n != 1 {
			t.Errorf("%s: the widget shows %q %d times; want once:\n%s", how, text, n, describe(rows))
		}
		for i, r := range slices.DeleteFunc(rows, func(r row) bool { return r.Seq == 0 }) { // 0: a reply still streaming
			if r.Seq != i+1 {
				t.Errorf("%s: row %d has seq %d; want the rows in seq order 1..n:\n%s", how, i, r.Seq, describe(rows))
				break
			}
		}
		if n := count(s.messages(), func(m chat.Message) bool { return m.Text == text }); n != 1 {
			t.Errorf("%s: the database holds %q %d times; want once", how, text, n)
		}
	}

	// An ack lost just before a reload: the outbox still holds a message the
	// server committed. The resend is acknowledged, not stored again.
	var first chat.Message
	for _, m := range s.messages() {
		if m.Text == "first message" {
			first = m
		}
	}
	b.eval(`(() => { const k = "kefu:" + `+jsString(s.site.Key)+`, v = JSON.parse(localStorage.getItem(k));
		v.o = [{c: `+jsString(first.ClientID)+`, t: "first message"}]; localStorage.setItem(k, JSON.stringify(v)); })()`, nil)
	b.run("reload", chromedp.Reload())
	b.waitFor("the launcher after reload", `R && R.querySelector(".l")`)
	b.openWidget()
	b.waitFor("the history after reload", `R.querySelectorAll(".log > .r").length >= 7 && !R.querySelector(".log .pd")`)
	var outbox int
	b.waitFor("the outbox to empty", `JSON.parse(localStorage.getItem("kefu:" + `+jsString(s.site.Key)+`)).o.length == 0`)
	b.eval(`JSON.parse(localStorage.getItem("kefu:" + `+jsString(s.site.Key)+`)).o.length`, &outbox)
	rows = b.rows()
	if n := count(rows, func(r row) bool { return r.Text == "first message" }); n != 1 || outbox != 0 {
		t.Errorf("after resending an acknowledged message the widget shows it %d times (outbox %d):\n%s", n, outbox, describe(rows))
	}
	if n := count(s.messages(), func(m chat.Message) bool { return m.Text == "first message" }); n != 1 {
		t.Errorf("the database holds the resent message %d times; want once", n)
	}
}

// A message the server cannot store right now (here: a constraint that
// refuses it, standing in for a database that is away) gets an error frame
// that names it; the widget sends it again until it is stored, once.
func TestBrowserRetriesMessageAfterErrorFrame(t *testing.T) {
	s := newShop(t, shopConfig{})
	b := newTab(t, "desktop", 1280, 800, false)
	b.open(s.origin + "/demo")
	b.openWidget()
	b.say("Hello")
	b.waitFor("the greeting", `R.querySelector(".log .them")`)

	ctx := context.Background()
	const text = "Is anyone there?"
	if _, err := s.db.Exec(ctx, `alter table messages add constraint refuse_once check (body <> '`+text+`') not valid`); err != nil {
		t.Fatal(err)
	}
	b.say(text)
	b.waitFor("the error banner", `!R.querySelector(".bn").hidden && R.querySelector(".bn").className.includes("warn")`)
	b.waitFor("the message still pending", `R.querySelector(".log .pd")`)
	if n := count(s.messages(), func(m chat.Message) bool { return m.Text == text }); n != 0 {
		t.Fatalf("stored %d times while refused", n)
	}
	if _, err := s.db.Exec(ctx, `alter table messages drop constraint refuse_once`); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the retried message acknowledged", `!R.querySelector(".log .pd") && [...R.querySelectorAll(".log .me")].some(r => r._it.seq && r.querySelector(".m").innerText == `+jsString(text)+`)`)
	if n := count(s.messages(), func(m chat.Message) bool { return m.Text == text }); n != 1 {
		t.Errorf("the database holds the retried message %d times; want once", n)
	}
}

func TestBrowserRendersHostileTextAsText(t *testing.T) {
	// The title arrives as text: an HTML page whose <title> spells markup.
	s := newShop(t, shopConfig{model: true, docs: map[string]string{
		"pigeon.html": `<html><head><title>&lt;img src=x onerror="window.__xss='title'"&gt;Pigeon &lt;b&gt;post&lt;/b&gt;</title></head>` +
			`<body><p>Parcels travel by carrier pigeon within two days. Our pigeon lofts: https://example.com/a</p></body></html>`,
	}})
	const botText = `<img src=x onerror="window.__xss='bot'"> **Carrier pigeons** deliver in two days [1]. ` +
		`<script>window.__xss='script'</script> [click me](javascript:window.__xss='link') ` +
		`<iframe src="javascript:window.__xss='iframe'"></iframe> [ok](https://example.com/a"onmouseover="window.__xss='attr')`
	s.fake.Respond(func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: botText} })

	b := newTab(t, "desktop", 1280, 800, false)
	b.open(s.origin + "/demo")
	b.openWidget()
	b.say(`How do parcels travel by carrier pigeon? <img src=x onerror="window.__xss='shopper'">`)
	b.waitFor("the bot's reply with its source", `R.querySelector(".log .them .src")`)

	// An agent whose name and message are hostile too.
	ctx := context.Background()
	conv := s.conversation()
	agent, err := account.NewUsers(s.db).Create(ctx, "mia@example.com", `Mia <img src=x onerror="window.__xss='name'">`, account.RoleAgent, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.Transition(ctx, conv.ID, chat.Change{Action: chat.ActionClaim, UserID: &agent.ID}); err != nil {
		t.Fatal(err)
	}
	s.hub.Deliver(chat.Event{Kind: chat.KindState, ConversationID: conv.ID, SiteID: s.site.ID, State: chat.StateAgent, AgentName: agent.Name})
	const agentText = `Hello <svg onload="window.__xss='agent'"></svg> <a href="javascript:window.__xss='a'">here</a>`
	m, _, _, err := s.store.Append(ctx, &chat.Message{ConversationID: conv.ID, Role: chat.RoleAgent, Text: agentText, UserID: &agent.ID})
	if err != nil {
		t.Fatal(err)
	}
	s.hub.Deliver(chat.Event{Kind: chat.KindMessage, ConversationID: conv.ID, SiteID: s.site.ID, Message: m})
	b.waitFor("the agent's message", `[...R.querySelectorAll(".log .them .m")].some(m => m.innerText.includes("Hello <svg"))`)
	time.Sleep(300 * time.Millisecond) // let any injected handler run, were there one

	var got struct {
		XSS      string
		Injected int
		Hrefs    []string
		Texts    []string
		Sources  []string
		Banner   string
		PageImgs int
	}
	b.eval(`({xss: typeof window.__xss === "undefined" ? "" : String(window.__xss),
		injected: R.querySelectorAll(".log img, .log script, .log iframe, .log svg, .bn *, .log .m b").length,
		hrefs: [...R.querySelectorAll(".log a")].map(a => a.href),
		texts: [...R.querySelectorAll(".log .m")].map(m => m.innerText),
		sources: [...R.querySelectorAll(".log .src")].map(s => s.innerText.replace(/\s+/g, " ")),
		banner: R.querySelector(".bn").textContent,
		pageImgs: document.querySelectorAll("img").length})`, &got)
	if got.XSS != "" || got.Injected != 0 || got.PageImgs != 0 {
		t.Errorf("hostile text ran or injected elements: __xss=%q, %d elements in the widget, %d images on the page", got.XSS, got.Injected, got.PageImgs)
	}
	for _, h := range got.Hrefs {
		if !strings.HasPrefix(h, "https://") && !strings.HasPrefix(h, "http://") {
			t.Errorf("link to %q; want only http(s) links", h)
		}
	}
	all := strings.Join(got.Texts, "\n")
	for _, want := range []string{`<img src=x onerror="window.__xss='shopper'">`, `<img src=x onerror="window.__xss='bot'">`,
		`<script>window.__xss='script'</script>`, `[click me](javascript:window.__xss='link')`, `Hello <svg onload=`} {
		if !strings.Contains(all, want) {
			t.Errorf("the widget does not show %q as text; it shows:\n%s", want, all)
		}
	}
	if len(got.Sources) != 1 || !strings.Contains(got.Sources[0], `<img src=x onerror="window.__xss='title'">Pigeon <b>post</b>`) {
		t.Errorf("sources = %q; want the document title as text", got.Sources)
	}
	if !strings.Contains(got.Banner, `Mia <img src=x`) {
		t.Errorf("banner = %q; want the agent's name as text", got.Banner)
	}
	b.shot("hostile")
}

func TestBrowserChineseUI(t *testing.T) {
	s := newShop(t, shopConfig{demoDocs: true}) // offline: answers from the Chinese pages
	b := newTab(t, "zh", 1280, 800, false)
	b.open(s.origin + "/demo?lang=zh-CN")
	b.waitFor("the launcher", `R && R.querySelector(".l")`)
	b.openWidget()
	b.waitFor("the open panel", `R.querySelector(".w.open")`)
	var ui struct {
		Placeholder, Human, Greeting, Close, Sub string
	}
	b.eval(`({placeholder: R.querySelector("textarea").placeholder, human: R.querySelector(".hu").textContent,
		greeting: R.querySelector(".s > .r .m").innerText, close: R.querySelector(".x").getAttribute("aria-label"),
		sub: R.querySelector(".sub").textContent})`, &ui)
	if ui.Placeholder != "输入消息…" || ui.Human != "转人工客服" || !strings.Contains(ui.Greeting, "您好") || ui.Close != "关闭" {
		t.Errorf("Chinese UI = %+v; want Chinese strings", ui)
	}
	b.say("发货需要多长时间？")
	b.waitFor("a reply", `R.querySelector(".log .them .m")`)
	reply := b.rows()[1]
	if !regexp.MustCompile(`\p{Han}{4}`).MatchString(reply.Text) {
		t.Errorf("reply to a Chinese question = %q; want Chinese", reply.Text)
	}
	b.shot("chat")
}

func TestBrowserPhoneLayout(t *testing.T) {
	s := newShop(t, shopConfig{model: true, demoDocs: true})
	s.fake.Respond(func(fakellm.Request) fakellm.Reply {
		return fakellm.Reply{Text: "Returns are free within **30 days** of delivery [1]. Start one from your order page, or ask me here."}
	})
	b := newTab(t, "phone", 375, 667, true)
	b.open(s.origin + "/demo")
	b.waitFor("the launcher, settled", `R && R.querySelector(".l") && !R.querySelector(".l").getAnimations().length`)
	type rect struct{ X, Y, W, H float64 }
	var page struct {
		ScrollWidth, Width float64
		Launcher           rect
	}
	b.eval(`(() => { const r = R.querySelector(".l").getBoundingClientRect();
		return {scrollWidth: document.documentElement.scrollWidth, width: innerWidth, launcher: {x: r.x, y: r.y, w: r.width, h: r.height}} })()`, &page)
	if page.ScrollWidth > page.Width || page.Launcher.X+page.Launcher.W > 375 || page.Launcher.Y+page.Launcher.H > 667 || page.Launcher.W < 44 {
		t.Errorf("phone page: %+v; want no horizontal scrolling and a launcher of at least 44px inside the viewport", page)
	}
	b.shot("closed")
	b.openWidget()
	b.waitFor("the panel to open full screen", `(() => { const r = R.querySelector(".p").getBoundingClientRect();
		return R.querySelector(".w.open") && r.x == 0 && r.y == 0 && r.width == innerWidth && r.height == innerHeight })()`)
	b.say("What is your return policy?")
	b.waitFor("the reply", `R.querySelector(".log .them .src")`)
	var layout struct {
		Panel, Composer, Close rect
		Launcher               string
	}
	b.eval(`(() => { const g = s => { const r = R.querySelector(s).getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height} };
		return {panel: g(".p"), composer: g("textarea"), close: g(".x"), launcher: getComputedStyle(R.querySelector(".l")).display} })()`, &layout)
	if layout.Panel != (rect{0, 0, 375, 667}) || layout.Composer.Y+layout.Composer.H > 667 || layout.Composer.W < 200 ||
		layout.Close.X+layout.Close.W > 375 || layout.Launcher != "none" {
		t.Errorf("phone layout: %+v; want the panel to fill the 375×667 viewport with the composer and close button inside it and no launcher", layout)
	}
	b.shot("chat")
	b.click(".x")
	b.waitFor("the panel closed and the launcher back", `!R.querySelector(".w.open") && getComputedStyle(R.querySelector(".l")).display != "none"`)
}

func TestBrowserVerifiedOrderLookup(t *testing.T) {
	s := newShop(t, shopConfig{demoDocs: true}) // offline mode, as `make run` starts
	b := newTab(t, "desktop", 1280, 800, false)
	b.open(s.origin + "/demo?customer=cus_0001")
	b.waitFor("the signed-in page", `document.querySelector(".account")?.innerText.includes("Emily Carter") && R && R.querySelector(".l")`)
	b.openWidget()
	b.say("Where is my order?")
	b.waitFor("the order status", `R.querySelector(".log .them .m")`)
	reply := b.rows()[1].Text
	for _, want := range []string{"LL-100438", "USPS", "9400138554155456582434"} {
		if !strings.Contains(reply, want) {
			t.Errorf("verified order reply = %q; want it to name %s", reply, want)
		}
	}
	if c := s.conversation(); c.CustomerID == nil {
		t.Errorf("the conversation is not linked to the verified customer")
	}
	b.shot("orders")

	// Signing out resets the widget: the next shopper on this browser sees
	// neither the chat nor the orders.
	b.eval(`(() => { const s = document.getElementById("customer"); s.value = ""; s.dispatchEvent(new Event("change")); })()`, nil)
	b.waitFor("the signed-out page", `location.search.includes("customer=&") && !document.querySelector(".account") && R && R.querySelector(".l")`)
	b.openWidget()
	b.waitFor("the open panel", `R.querySelector(".w.open")`)
	if rows := b.rows(); len(rows) != 0 {
		t.Fatalf("after signing out the widget shows:\n%s want an empty conversation", describe(rows))
	}
	b.say("Where is my order?")
	b.waitFor("a reply", `R.querySelector(".log .them .m")`)
	if reply := b.rows()[1].Text; strings.Contains(reply, "9400138554155456582434") || strings.Contains(reply, "LL-100438") {
		t.Errorf("a signed-out shopper got order data: %q", reply)
	}
}

func TestBrowserHumanHandoffAndCSAT(t *testing.T) {
	s := newShop(t, shopConfig{demoDocs: true})
	ctx := context.Background()
	b := newTab(t, "desktop", 1280, 800, false)
	b.open(s.origin + "/demo")
	b.openWidget()
	b.waitFor("the connection", `R.querySelector(".w.open")`)
	b.say("Hello")
	b.waitFor("the greeting", `R.querySelector(".log .them")`)
	b.click(".hu")
	b.waitFor("the waiting banner", `R.querySelector(".bn").textContent.includes("Waiting for a person") && R.querySelector(".hu").hidden`)
	b.waitFor("the expected wait", `R.querySelector(".log .sys")`)

	conv := s.conversation()
	agent, err := account.NewUsers(s.db).Create(ctx, "mia@example.com", "Mia Chen", account.RoleAgent, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.Transition(ctx, conv.ID, chat.Change{Action: chat.ActionClaim, UserID: &agent.ID}); err != nil {
		t.Fatal(err)
	}
	deliver := func(ev chat.Event) {
		ev.ConversationID, ev.SiteID = conv.ID, s.site.ID
		s.hub.Deliver(ev)
	}
	say := func(text string) {
		m, _, _, err := s.store.Append(ctx, &chat.Message{ConversationID: conv.ID, Role: chat.RoleAgent, Text: text, UserID: &agent.ID})
		if err != nil {
			t.Fatal(err)
		}
		deliver(chat.Event{Kind: chat.KindMessage, Message: m})
	}
	deliver(chat.Event{Kind: chat.KindState, State: chat.StateAgent, AgentName: agent.Name})
	b.waitFor("the agent banner", `R.querySelector(".bn").textContent == "Mia Chen joined the conversation" && R.querySelector(".sub").textContent == "Mia Chen"`)
	deliver(chat.Event{Kind: chat.KindTyping, Role: chat.RoleAgent})
	b.waitFor("the agent typing", `!R.querySelector(".ty").hidden`)
	say("Hi, I'm Mia. Let me look into that for you.")
	b.waitFor("the agent's message under her name", `[...R.querySelectorAll(".log .them.first .who")].some(w => w.textContent == "Mia Chen") && R.querySelector(".ty").hidden`)
	b.shot("agent")

	// While the panel is closed, new messages count on the launcher.
	b.click(".x")
	b.waitFor("the panel closed", `!R.querySelector(".w.open") && getComputedStyle(R.querySelector(".p")).visibility == "hidden"`)
	say("I've found your parcel: it arrives tomorrow.")
	b.waitFor("the unread badge", `R.querySelector(".bd").textContent == "1" && !R.querySelector(".bd").hidden &&
		R.querySelector(".l").getAttribute("aria-label").includes("1 unread")`)
	b.shot("unread")
	b.openWidget()
	b.waitFor("the badge cleared", `R.querySelector(".bd").hidden`)

	// Resolved: rate the conversation.
	if _, err := s.store.Transition(ctx, conv.ID, chat.Change{Action: chat.ActionResolve, UserID: &agent.ID}); err != nil {
		t.Fatal(err)
	}
	deliver(chat.Event{Kind: chat.KindState, State: chat.StateResolved})
	b.waitFor("the rating card", `!R.querySelector(".cs").hidden && R.querySelectorAll(".cs .star").length == 5`)
	b.click(".cs .star:nth-child(4)")
	b.waitFor("the comment box", `!R.querySelector(".cs textarea").hidden`)
	b.eval(`R.querySelector(".cs textarea").focus()`, nil)
	b.typeText("Quick and kind.", false)
	b.shot("csat")
	b.click(".cs .go")
	b.waitFor("the thanks", `R.querySelector(".cs").textContent.includes("Thank you")`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := s.conversation()
		if c.CSATScore != nil && *c.CSATScore == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CSAT score = %v; want 4", c.CSATScore)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserProductCards(t *testing.T) {
	s := newShop(t, shopConfig{model: true})
	evil := `<img src=x onerror="window.__xss='product'">Evil linen`
	if err := s.commerce.UpsertProduct(context.Background(), s.site.ID, knowledge.Product{SKU: "X-EVIL", Title: evil,
		Description: "linen duvet", Price: 1, URL: "javascript:window.__xss='url'", ImageURL: "javascript:window.__xss='img'"}); err != nil {
		t.Fatal(err)
	}
	s.fake.Respond(func(r fakellm.Request) fakellm.Reply {
		for _, m := range r.Messages {
			if m.Role == "tool" {
				return fakellm.Reply{Text: "Here are some linen pieces you may like:"}
			}
		}
		return fakellm.Reply{ToolCalls: []fakellm.ToolCall{{Name: "search_products", Args: `{"query":"linen duvet"}`}}}
	})
	b := newTab(t, "desktop", 1280, 800, false)
	b.open(s.origin + "/demo")
	b.openWidget()
	b.say("Can you recommend some linen bedding?")
	b.waitFor("product cards", `R.querySelectorAll(".log .cards .card").length >= 2`)
	type card struct {
		Tag, Href, Title, Price string
		Imgs                    int
	}
	var cards []card
	b.eval(`[...R.querySelectorAll(".log .cards .card")].map(c => ({tag: c.tagName, href: c.href || "", title: c.querySelector(".ct").textContent,
		price: c.querySelector(".cp").textContent, imgs: c.querySelectorAll("img").length}))`, &cards)
	var duvet, bad *card
	for i, c := range cards {
		switch {
		case c.Title == "Stonewashed Linen Duvet Cover Set (Queen)":
			duvet = &cards[i]
		case c.Title == evil:
			bad = &cards[i]
		}
	}
	if duvet == nil || duvet.Tag != "A" || duvet.Href != "https://lumenloom.example/p/linen-duvet-cover-set-queen" || duvet.Price != "$129.00" {
		t.Errorf("cards = %+v; want the duvet cover linking to its page at $129.00", cards)
	}
	if bad == nil || bad.Tag != "DIV" || bad.Imgs != 0 || bad.Price != "Out of stock" {
		t.Errorf("cards = %+v; want the hostile product as text, without link or image, out of stock", cards)
	}
	var xss string
	b.eval(`typeof window.__xss === "undefined" ? "" : String(window.__xss)`, &xss)
	if xss != "" {
		t.Errorf("a product ran script: __xss = %q", xss)
	}
	b.shot("cards")
}
