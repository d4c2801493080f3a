package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/audit"
	"kefu/internal/kefutest"
	"kefu/internal/privacy"
	"kefu/internal/sites"
)

// watch records console.error calls and Content-Security-Policy
// violations in the page from now on (again after each load); check
// reports them.
func (b *tab) watch() {
	b.eval(`(() => { if (window.__bad) return; window.__bad = [];
		document.addEventListener("securitypolicyviolation", e => window.__bad.push("CSP " + e.violatedDirective + " " + e.blockedURI));
		const o = console.error; console.error = (...a) => { window.__bad.push(a.map(String).join(" ")); o.apply(console, a); }; })()`, nil)
}

func (b *tab) check() {
	b.t.Helper()
	var v []string
	b.eval(`window.__bad || []`, &v)
	if len(v) > 0 {
		b.t.Errorf("%s: console errors or CSP violations: %q", b.name, v)
	}
}

// A data request end to end: an admin finds a verified shopper by email,
// downloads the export, erases them with a typed confirmation, and the
// audit log shows both with the admin's name; another shopper is untouched.
// Then retention and contact masking are saved in the site settings, the
// Model page states what leaves the server, and an agent gets no privacy page.
func TestBrowserConsolePrivacy(t *testing.T) {
	s, _ := consoleShop(t, shopConfig{}, account.RoleAdmin)
	s.kill(false)
	s.opts.Privacy = privacy.NewRequests(s.db)
	s.opts.Audit = audit.New(s.db)
	s.restart()
	ctx := context.Background()
	if _, err := s.opts.Accounts.Users.Create(ctx, "leo@example.com", "Leo Wang", account.RoleAgent, "correct horse battery"); err != nil {
		t.Fatal(err)
	}

	// Two verified shoppers (demo customers with orders) chat through the engine.
	sign := func(userID string) string { return kefutest.SignIdentity(s.site.Secret, userID) }
	chatAs := func(userID, email string, texts ...string) *chat.Session {
		sess, err := s.opts.Engine.Hello(ctx, s.site, "", "en", &chat.Identity{UserID: userID, Email: email, Hash: sign(userID)})
		if err != nil {
			t.Fatal(err)
		}
		if sess.Visitor.CustomerID == nil {
			t.Fatalf("%s is not verified as a customer", email)
		}
		for i, text := range texts {
			if _, _, err := s.opts.Engine.Post(ctx, sess, userID+string(rune('a'+i)), text); err != nil {
				t.Fatal(err)
			}
		}
		// The bot's turn writes to the conversation: wait for it, so the erasure is not racing it.
		deadline := time.Now().Add(20 * time.Second)
		for {
			var bot int
			s.db.QueryRow(ctx, "select count(*) from messages where conversation_id = $1 and role <> 'shopper'", sess.Conversation.ID).Scan(&bot)
			if bot > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no reply to %s", email)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return sess
	}
	emily := chatAs("cus_0001", "emily.carter@example.com", "Where is my order LL-100101? My card 4111 1111 1111 1111 was charged twice.")
	wang := chatAs("cus_0002", "wangfang@example.cn", "我的订单到哪里了？")
	var emilyMsgs, wangMsgs, wangOrders int
	s.db.QueryRow(ctx, "select count(*) from messages where conversation_id = $1", emily.Conversation.ID).Scan(&emilyMsgs)
	s.db.QueryRow(ctx, "select count(*) from messages where conversation_id = $1", wang.Conversation.ID).Scan(&wangMsgs)
	s.db.QueryRow(ctx, "select count(*) from orders o join customers c on c.id = o.customer_id where c.email = 'wangfang@example.cn'").Scan(&wangOrders)
	if wangOrders == 0 {
		t.Fatal("the demo has no orders for wangfang@example.cn (cus_0002?)")
	}

	// Older entries, enough for a second page of the audit log.
	if _, err := s.db.Exec(ctx, `insert into audit_log (actor, action, target, created_at)
		select 'ana@example.com', 'knowledge.upload', 'doc-' || n, now() - interval '1 day' from generate_series(1, 30) n`); err != nil {
		t.Fatal(err)
	}

	a := newConsoleTab(t, "admin", 1280, 900)
	a.signIn(s.origin, "mia@example.com", "correct horse battery")
	a.watch()
	a.press(`.top nav a[data-page="privacy"]`)
	a.waitFor("the privacy page", `document.querySelector("#pv-request form") && document.querySelector("#audit tr") && document.querySelector("#retention table")`)

	// Find Emily by email (typed, submitted with Enter).
	a.fill("#pv-value", "Emily.Carter@example.com")
	a.pressEnter()
	a.waitFor("what kefu holds", `document.querySelector("#pv-counts")`)
	var counts map[string]string
	a.eval(`Object.fromEntries([...document.querySelectorAll("#pv-counts [data-count]")].map(d => [d.dataset.count, d.querySelector("dd").textContent]))`, &counts)
	want := map[string]string{"conversations": "1", "messages": itoa(emilyMsgs), "orders": "4", "customers": "1", "visitors": "1"}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("lookup shows %s = %q; want %s (all: %v)", k, counts[k], v, counts)
		}
	}
	var dates string
	a.eval(`document.querySelector("#pv-counts").innerText`, &dates)
	if !strings.Contains(dates, "First record") || !strings.Contains(dates, "Last activity") {
		t.Errorf("lookup lacks first/last dates: %q", dates)
	}

	// Download: the page hands the browser a JSON file; read what it hands over.
	a.eval(`(() => { const o = URL.createObjectURL.bind(URL); window.__dl = null;
		URL.createObjectURL = b => { b.text().then(x => { window.__dl = x; }); return o(b); };
		const c = HTMLAnchorElement.prototype.click; HTMLAnchorElement.prototype.click = function () { window.__dlName = this.download; return c.call(this); }; })()`, nil)
	a.press("#pv-download")
	a.waitFor("the downloaded export", `window.__dl`)
	var file, name string
	a.eval(`window.__dl`, &file)
	a.eval(`window.__dlName`, &name)
	if !strings.HasPrefix(name, "kefu-export-"+s.site.Key+"-") || !strings.HasSuffix(name, ".json") {
		t.Errorf("download name = %q; want kefu-export-%s-….json", name, s.site.Key)
	}
	var exp struct {
		Subject   map[string]string `json:"subject"`
		Customers []map[string]any  `json:"customers"`
		Orders    []map[string]any  `json:"orders"`
		Messages  []map[string]any  `json:"messages"`
	}
	if err := json.Unmarshal([]byte(file), &exp); err != nil {
		t.Fatalf("the download is not JSON: %v\n%s", err, file)
	}
	if exp.Subject["email"] != "Emily.Carter@example.com" || len(exp.Customers) != 1 || exp.Customers[0]["email"] != "emily.carter@example.com" ||
		len(exp.Orders) != 4 || len(exp.Messages) != emilyMsgs {
		t.Errorf("export = subject %v, %d customers, %d orders, %d messages; want Emily's 1, 4, %d", exp.Subject, len(exp.Customers), len(exp.Orders), len(exp.Messages), emilyMsgs)
	}
	if !strings.Contains(file, "Where is my order LL-100101?") || strings.Contains(file, "4111 1111 1111 1111") || strings.Contains(file, "wangfang") {
		t.Errorf("export holds the wrong messages (or an unmasked card number, or another shopper):\n%s", file)
	}
	a.consoleShot("privacy-lookup")

	// Erase: the button stays off until the email is typed.
	a.press("#pv-erase")
	a.waitFor("the confirmation", `document.activeElement && document.activeElement.id == "pv-confirm" && document.querySelector("#pv-erase-go").disabled`)
	a.typeText("emily@example.com", false)
	var off bool
	a.eval(`document.querySelector("#pv-erase-go").disabled`, &off)
	if !off {
		t.Error("erase is enabled with the wrong email typed")
	}
	a.eval(`document.querySelector("#pv-confirm").value = ""`, nil)
	a.typeText("emily.carter@example.com", false)
	a.waitFor("erase enabled", `!document.querySelector("#pv-erase-go").disabled`)
	a.consoleShot("privacy-erase")
	a.pressEnter()
	a.waitFor("the erasure's result", `!document.querySelector("#overlay") && document.querySelector("#pv-done")`)
	var done string
	a.eval(`document.querySelector("#pv-done").textContent`, &done)
	if !strings.Contains(done, "Erased 1 conversation, "+itoa(emilyMsgs)+" messages, 1 visitor record, 4 orders, and 1 customer record.") {
		t.Errorf("erasure result = %q", done)
	}
	var left int
	s.db.QueryRow(ctx, `select (select count(*) from customers where lower(email) = 'emily.carter@example.com')
		+ (select count(*) from conversations where id = $1) + (select count(*) from messages where conversation_id = $1)
		+ (select count(*) from visitors where id = $2) + (select count(*) from orders where number = 'LL-100101')`, emily.Conversation.ID, emily.Visitor.ID).Scan(&left)
	if left != 0 {
		t.Errorf("%d rows of Emily's are left after the erasure", left)
	}
	var wangNow, wangOrdersNow int
	s.db.QueryRow(ctx, "select count(*) from messages where conversation_id = $1", wang.Conversation.ID).Scan(&wangNow)
	s.db.QueryRow(ctx, "select count(*) from orders o join customers c on c.id = o.customer_id where c.email = 'wangfang@example.cn'").Scan(&wangOrdersNow)
	if wangNow != wangMsgs || wangOrdersNow != wangOrders {
		t.Errorf("the other shopper has %d messages and %d orders after Emily's erasure; want %d and %d", wangNow, wangOrdersNow, wangMsgs, wangOrders)
	}

	// The audit log: the erasure and the export, by Mia, newest first.
	a.waitFor("the audit rows", `document.querySelector('#audit tr[data-action="privacy.erase"]')`)
	var audit []string
	a.eval(`[...document.querySelectorAll("#audit tr")].slice(0, 2).map(r => r.dataset.action + " | " + r.querySelector(".pv-who").innerText.replace(/\s+/g, " ") + " | " + r.querySelector(".pv-act").textContent)`, &audit)
	if strings.Join(audit, "\n") != "privacy.erase | Mia Chen mia@example.com | Erased a shopper's data\nprivacy.export | Mia Chen mia@example.com | Exported a shopper's data" {
		t.Errorf("audit table starts with %q; want the erase and the export by Mia Chen", audit)
	}
	var erasedRow string
	a.eval(`document.querySelector('#audit tr[data-action="privacy.erase"] .pv-det').innerText`, &erasedRow)
	if !strings.Contains(erasedRow, "subject:") || !strings.Contains(erasedRow, "4 orders") || strings.Contains(erasedRow, "emily") {
		t.Errorf("erase details = %q; want the subject's fingerprint and counts, never the email", erasedRow)
	}
	// Paging: 25 a page, then the rest.
	var shown int
	a.eval(`document.querySelectorAll("#audit tr").length`, &shown)
	if shown != 25 {
		t.Errorf("the audit log's first page shows %d rows; want 25", shown)
	}
	a.press("#audit-card > .more")
	a.waitFor("the second page", `document.querySelectorAll("#audit tr").length == 33 && document.querySelector("#audit-card > .more").hidden`)
	var oldest string
	a.eval(`document.querySelector("#audit tr:last-child").innerText.replace(/\s+/g, " ")`, &oldest)
	if !strings.Contains(oldest, "ana@example.com Uploaded a document doc-1") {
		t.Errorf("the oldest entry reads %q; want ana's first upload", oldest)
	}
	// Filter by who: Mia's entries only.
	a.eval(`(() => { const s = document.querySelector("#audit-actor"); s.value = "mia@example.com"; s.dispatchEvent(new Event("change")); })()`, nil)
	a.waitFor("only Mia's entries", `(() => { const r = [...document.querySelectorAll("#audit tr")]; return r.length == 3 && r.every(x => x.querySelector(".pv-who").innerText.includes("Mia Chen")); })()`)
	// Filter by action: sign-ins only, right after clearing the other
	// filter; the unfiltered answer comes last (delayed here on purpose) and
	// must not replace the filtered one (this was a flaky failure).
	a.eval(`(() => { `+lateAnswerJS+` const f = window.fetch; window.fetch = (u, o) => /\/audit\?/.test(String(u)) && !/action=auth/.test(String(u)) ?
		new Promise(r => setTimeout(r, 600)).then(() => f(u, o)).then(lateAnswer) : f(u, o); })()`, nil)
	a.eval(`(() => { const s = document.querySelector("#audit-actor"); s.value = ""; s.dispatchEvent(new Event("change")); })()`, nil)
	a.eval(`(() => { const s = document.querySelector("#audit-action"); s.value = "auth.login"; s.dispatchEvent(new Event("change")); })()`, nil)
	a.waitFor("only sign-ins", `(() => { const r = [...document.querySelectorAll("#audit tr")]; return r.length >= 1 && r.every(x => x.dataset.action == "auth.login"); })()`)
	a.waitFor("the late, unfiltered answer handled", `window.__lateHandled`)
	a.waitFor("still only sign-ins", `(() => { const r = [...document.querySelectorAll("#audit tr")]; return r.length >= 1 && r.every(x => x.dataset.action == "auth.login"); })()`)

	// The API finds nothing more about Emily (in the admin's session).
	a.eval(`fetch("/api/v1/privacy/subjects?site=`+s.site.Key+`&email=emily.carter%40example.com").then(r => r.json()).then(x => { window.__again = x; })`, nil)
	a.waitFor("the second export", `window.__again`)
	var again map[string][]any
	a.eval(`(() => { const x = window.__again; return {c: x.customers, o: x.orders, v: x.visitors, k: x.conversations, m: x.messages}; })()`, &again)
	for k, v := range again {
		if len(v) != 0 {
			t.Errorf("after the erasure the export still has %d %s", len(v), k)
		}
	}

	// Site settings: retention days and contact masking, kept across a reload.
	a.press(`.top nav a[data-page="sites"]`)
	a.waitFor("the site form", `document.querySelector('form[data-site] input[name="conversation_days"]') && document.querySelector('form[data-site] .md li, form[data-site] .md p')`)
	var statement string
	a.eval(`document.querySelector("form[data-site] .md").innerText`, &statement)
	if !strings.Contains(statement, "Nothing leaves this server") {
		t.Errorf("the statement next to the masking setting = %q; want nothing leaves the server (no model)", statement)
	}
	a.fill(`form[data-site] input[name="conversation_days"]`, "30")
	a.fill(`form[data-site] input[name="file_days"]`, "0")
	a.press(`form[data-site] input[name="mask_contacts"]`)
	a.consoleShot("privacy-sites")
	a.press(`form[data-site] button[type=submit]`)
	a.waitFor("saved", `document.querySelector("#toast").textContent == "Settings saved."`)
	site, err := s.opts.Sites.ByKey(ctx, s.site.Key)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := site.Config(); cfg.Retention != (sites.Retention{ConversationDays: 30, FileDays: 0}) || !cfg.MaskContacts || cfg.Escalation.NegativeStreak != sites.DefaultEscalation().NegativeStreak {
		t.Errorf("saved settings: retention %+v, mask_contacts %v; want 30 days, files forever, masked, the rest kept", cfg.Retention, cfg.MaskContacts)
	}
	a.check()
	a.run("reload", chromedp.Reload())
	a.watch()
	a.waitFor("the saved values after reload", `(() => { const f = document.querySelector("form[data-site]"); return f && f.querySelector('[name="conversation_days"]').value == "30"
		&& f.querySelector('[name="file_days"]').value == "0" && f.querySelector('[name="mask_contacts"]').checked; })()`)
	// A negative period: the form refuses it, and so does the API, and nothing changes.
	var valid bool
	a.eval(`(() => { const i = document.querySelector('form[data-site] [name="conversation_days"]'); i.value = "-5"; const ok = i.form.checkValidity(); i.value = "30"; return ok; })()`, &valid)
	if valid {
		t.Error("the site form accepts a negative retention period")
	}
	a.eval(`fetch("/api/v1/sites/`+s.site.Key+`/settings", {method: "PUT", headers: {"Content-Type": "application/json", "X-CSRF-Token": sessionStorage.getItem("kefu.csrf")},
		body: JSON.stringify({retention: {conversation_days: -5}})}).then(r => r.json().then(j => { window.__neg = r.status + " " + j.error.message; }))`, nil)
	a.waitFor("the API's answer", `window.__neg`)
	var neg string
	a.eval(`window.__neg`, &neg)
	if !strings.HasPrefix(neg, "400 ") || !strings.Contains(neg, "retention days must be 0") {
		t.Errorf("PUT settings with negative retention = %q; want 400 with a clear message", neg)
	}
	if site, _ := s.opts.Sites.ByKey(ctx, s.site.Key); site.Config().Retention.ConversationDays != 30 {
		t.Errorf("after a refused save the retention is %+v", site.Config().Retention)
	}

	// The retention job, 40 days on, applies the 30 days saved above to the
	// other shopper's conversation; the privacy page shows the periods and that purge.
	rep, err := privacy.NewRetainer(s.db, privacy.RetentionOptions{Now: func() time.Time { return time.Now().AddDate(0, 0, 40) }}).RunOnce(ctx)
	if err != nil || !rep.Ran || rep.Conversations != 1 {
		t.Fatalf("retention 40 days on = %+v, %v; want the other shopper's conversation deleted", rep, err)
	}
	a.press(`.top nav a[data-page="privacy"]`)
	a.waitFor("the retention periods", `document.querySelector('#retention tr[data-site="`+s.site.Key+`"]')?.innerText.includes("30 days")`)
	var purge string
	a.eval(`document.querySelector("#pv-last-purge").textContent`, &purge)
	if !strings.HasPrefix(purge, "Last purge that deleted data: ") || !strings.Contains(purge, "1 conversation") {
		t.Errorf("last purge = %q; want the run that deleted 1 conversation", purge)
	}
	var ret string
	a.eval(`document.querySelector('#retention tr[data-site="`+s.site.Key+`"]').innerText`, &ret)
	if !strings.Contains(ret, "kept forever") {
		t.Errorf("retention row = %q; want uploaded files kept forever", ret)
	}

	// The Model page: nothing leaves the server without a model.
	a.press(`.top nav a[data-page="model"]`)
	a.waitFor("the data statement", `document.querySelector("#model-data .md-none")`)
	a.eval(`document.querySelector("#model-data").innerText`, &statement)
	if !strings.Contains(statement, "Nothing leaves this server") {
		t.Errorf("model page statement = %q", statement)
	}
	a.consoleShot("privacy-model")
	a.check()

	// On a phone, in Chinese: find the other shopper; nothing scrolls sideways.
	p := newConsoleTab(t, "phone", 375, 800)
	p.open(s.origin + "/console")
	p.watch()
	p.waitFor("the sign-in form", `document.querySelector("form.login #email")`)
	p.press("#lang")
	p.waitFor("the Chinese sign-in form", `document.querySelector("form.login button[type=submit]").textContent == "登录"`)
	p.fill("#email", "mia@example.com")
	p.fill("#password", "correct horse battery")
	p.press("form.login button[type=submit]")
	p.waitFor("the inbox", `document.querySelector("#rows")`)
	p.eval(`location.hash = "#/privacy"`, nil)
	p.waitFor("the Chinese privacy page", `document.querySelector(".page h1")?.textContent == "隐私" && document.querySelector("#audit tr .pv-act")`)
	p.fill("#pv-value", "wangfang@example.cn")
	p.press("#pv-lookup")
	p.waitFor("what kefu holds", `document.querySelector('#pv-counts [data-count="orders"] dd')?.textContent == "`+itoa(wangOrders)+`"`)
	noScroll := `document.documentElement.scrollWidth <= innerWidth && document.body.scrollWidth <= innerWidth && document.querySelector(".page").scrollWidth <= document.querySelector(".page").clientWidth`
	p.waitFor("no horizontal scrolling", noScroll)
	p.consoleShot("privacy-phone")
	p.eval(`document.querySelector("#audit-card").scrollIntoView()`, nil)
	p.consoleShot("privacy-phone-audit")
	p.press("#pv-erase")
	p.waitFor("the Chinese confirmation", `document.querySelector(".dialog h2")?.textContent == "删除该顾客的数据"`)
	p.waitFor("no horizontal scrolling in the dialog", `document.querySelector(".dialog").scrollWidth <= document.querySelector(".dialog").clientWidth`)
	p.consoleShot("privacy-phone-erase")
	p.run("escape", chromedp.KeyEvent("\x1b"))
	p.waitFor("the dialog closed", `!document.querySelector("#overlay")`)
	p.check()

	// An agent has no privacy page, and the API refuses them.
	g := newConsoleTab(t, "agent", 1280, 900)
	g.signIn(s.origin, "leo@example.com", "correct horse battery")
	var link bool
	g.eval(`!!document.querySelector('.top nav a[data-page="privacy"]')`, &link)
	if link {
		t.Error("an agent sees the privacy page in the navigation")
	}
	g.eval(`location.hash = "#/privacy"`, nil)
	g.waitFor("the inbox instead", `document.querySelector("#rows") && !document.querySelector("#pv-request")`)
	g.eval(`Promise.all(["/api/v1/privacy/subjects?site=`+s.site.Key+`&email=wangfang%40example.cn", "/api/v1/audit", "/api/v1/privacy/model-data?site=`+s.site.Key+`"].map(u => fetch(u).then(r => r.status))).then(x => { window.__codes = x.join(","); })`, nil)
	g.waitFor("the API's answers", `window.__codes`)
	var codes string
	g.eval(`window.__codes`, &codes)
	if codes != "403,403,403" {
		t.Errorf("privacy API as an agent = %s; want 403 for each", codes)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// With a model configured, the Model page lists what is sent, masked and
// never sent; turning on contact masking in the site settings moves
// shoppers' emails and phone numbers from "sent" to "masked" right there.
func TestBrowserConsoleModelData(t *testing.T) {
	s, _ := consoleShop(t, shopConfig{model: true}, account.RoleAdmin)
	s.kill(false)
	s.opts.Privacy = privacy.NewRequests(s.db)
	s.opts.Audit = audit.New(s.db)
	s.restart()
	a := newConsoleTab(t, "admin", 1280, 900)
	a.signIn(s.origin, "mia@example.com", "correct horse battery")
	a.watch()
	a.press(`.top nav a[data-page="model"]`)
	a.waitFor("the data statement", `document.querySelector('#model-data [data-md-part="never"]')`)
	var parts map[string]string
	a.eval(`Object.fromEntries([...document.querySelectorAll("#model-data [data-md-part]")].map(u => [u.dataset.mdPart, u.innerText]))`, &parts)
	var head string
	a.eval(`document.querySelector("#model-data .md-head").textContent`, &head)
	if head != "Sent to fake when the bot answers:" || !strings.Contains(parts["sent"], "the shopper's messages") ||
		!strings.Contains(parts["sent"], "email addresses and phone numbers") || !strings.Contains(parts["masked"], "card numbers") ||
		!strings.Contains(parts["never"], "identity secret") {
		t.Errorf("model page statement: head %q, parts %q", head, parts)
	}
	a.consoleShot("privacy-model-configured")

	a.press(`.top nav a[data-page="sites"]`)
	a.waitFor("the statement by the setting", `document.querySelector('form[data-site] .md [data-md-part="sent"]')`)
	a.press(`form[data-site] input[name="mask_contacts"]`)
	a.press(`form[data-site] button[type=submit]`)
	a.waitFor("emails and phones masked", `document.querySelector('form[data-site] .md [data-md-part="masked"]')?.innerText.includes("email addresses and phone numbers")
		&& !document.querySelector('form[data-site] .md [data-md-part="sent"]').innerText.includes("phone")`)
	// In Chinese the statement is translated.
	a.press("#lang")
	a.waitFor("the Chinese statement", `document.querySelector('form[data-site] .md [data-md-part="masked"]')?.innerText.includes("顾客的邮箱地址和电话号码")`)
	var zh string
	a.eval(`document.querySelector("form[data-site] .md").innerText`, &zh)
	for _, en := range []string{"the shop", "shopper", "knowledge", "never"} {
		if strings.Contains(strings.ToLower(zh), en) {
			t.Errorf("the Chinese statement has English left (%q):\n%s", en, zh)
		}
	}
	a.eval(`document.querySelector("form[data-site] .md").scrollIntoView({block: "center"})`, nil)
	a.consoleShot("privacy-sites-zh")
	a.check()
}
