package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"kefu/internal/account"
	"kefu/internal/fakellm"
	"kefu/knowledge"
)

// XSS payloads in every field a person can write — shopper text, agent
// text and name, notes, document titles and bodies, product names and
// links, customer names, order items, canned responses, site settings and
// the site name — rendered in the widget and the console: each shows as
// literal text, and no payload ever runs (window.__xss stays undefined) or
// becomes an element, an event handler or a javascript: link.

const (
	xImg    = `<img src=x onerror="window.__xss='img'">`
	xScript = `<script>window.__xss='script'</script>`
	xSVG    = `"><svg onload="window.__xss='svg'">`
	xJS     = `javascript:window.__xss='href'`
)

// xssCheck is JavaScript (with R, the widget's shadow root, when there is
// one) listing what a payload could have turned into.
const xssCheck = `(() => {
	const found = [];
	if (typeof window.__xss !== "undefined") found.push("window.__xss = " + window.__xss);
	for (const root of [document, R].filter(Boolean)) {
		for (const e of root.querySelectorAll("[onerror],[onload],[onclick],[onmouseover],[onfocus]")) found.push("handler: " + e.outerHTML.slice(0, 120));
		for (const a of root.querySelectorAll("a[href],area[href]")) if (/^\s*javascript:/i.test(a.getAttribute("href"))) found.push("link: " + a.outerHTML.slice(0, 120));
		for (const i of root.querySelectorAll("img[src],iframe[src]")) if (/^(x|javascript:.*)$/i.test(i.getAttribute("src"))) found.push("element: " + i.outerHTML.slice(0, 120));
		for (const s of root.querySelectorAll("script")) if (!s.src && /__xss/.test(s.textContent)) found.push("script: " + s.outerHTML.slice(0, 120));
		for (const s of root.querySelectorAll("svg")) if (s.getAttribute("onload") !== null || s.closest(".m, .b, td, dd, li, .hit")) found.push("svg: " + s.outerHTML.slice(0, 120));
	}
	return found;
})()`

// noXSS fails the test when a payload ran or became markup in the tab.
func (b *tab) noXSS(where string) {
	b.t.Helper()
	var found []string
	b.eval(xssCheck, &found)
	if len(found) > 0 {
		b.shot("xss")
		b.t.Errorf("%s: %s: a payload became live markup: %q", b.name, where, found)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) > 0 {
		b.t.Errorf("%s: %s: dialogs opened: %q", b.name, where, b.dialogs)
	}
}

// shows waits until the page's (or the widget's) text holds every one of
// texts, literally.
func (b *tab) shows(what, root string, texts ...string) {
	b.t.Helper()
	list, _ := json.Marshal(texts)
	b.waitFor(what+" shown as text", `(() => { const e = `+root+`; const s = e ? e.innerText + " " + [...e.querySelectorAll("input,textarea")].map(i => i.value).join(" ") : "";
		return `+string(list)+`.every(x => s.includes(x)); })()`)
}

func TestBrowserXSS(t *testing.T) {
	s, mia := consoleShop(t, shopConfig{model: true}, account.RoleAdmin)
	ctx := context.Background()
	lib := s.opts.Library

	// Everything a person can write, written by an attacker.
	greeting := "Greeting " + xSVG + " [tap](" + xJS + ")"
	if _, err := s.opts.Sites.UpdateSettings(ctx, s.site.Key, map[string]any{
		"persona": "Persona " + xScript, "rules": "Rules " + xImg,
		"widget": map[string]any{"greeting": greeting},
	}); err != nil {
		t.Fatal(err)
	}
	agentName := "Agent " + xImg
	agent, err := s.opts.Accounts.Users.Create(ctx, "x@example.com", agentName, account.RoleAgent, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.opts.Accounts.Users.SetSites(ctx, agent.ID, []int64{s.site.ID}); err != nil {
		t.Fatal(err)
	}
	productTitle := "XSSLAMP " + xImg
	products, _ := json.Marshal([]map[string]any{{"sku": "XSS-1", "title": productTitle, "description": xScript, "price": 10, "stock": 3,
		"url": xJS, "image_url": `x" onerror="window.__xss='pic'`}})
	if res, err := s.commerce.ImportProducts(ctx, strings.NewReader(string(products)), knowledge.ImportOptions{SiteID: s.site.ID}); err != nil || len(res.Errors) > 0 {
		t.Fatalf("import product: %+v %v", res, err)
	}
	customerName, itemTitle := "Customer "+xSVG, "Item "+xScript
	orders, _ := json.Marshal([]map[string]any{{"number": "LL-990001", "status": "shipped", "total": 10, "carrier": "Carrier " + xImg,
		"tracking_number": "T1", "customer": map[string]any{"id": "cx", "email": "cx@example.com", "name": customerName},
		"items": []map[string]any{{"sku": "XSS-1", "title": itemTitle, "quantity": 1, "price": 10}}}})
	if res, err := s.commerce.ImportOrders(ctx, strings.NewReader(string(orders)), knowledge.ImportOptions{SiteID: s.site.ID}); err != nil || len(res.Errors) > 0 {
		t.Fatalf("import order: %+v %v", res, err)
	}
	for name, body := range map[string]string{
		"guide " + xImg + ".md": "# Xsswarranty " + xScript + "\n\n## Terms " + xSVG + "\n\nThe xsswarranty lasts two years. " + xImg + " [claim](" + xJS + ")\n",
		"page.html": `<html><head><title>Xssreturns page</title></head><body><h1>Xssreturns</h1><p>Xssreturns are free. ` +
			`<script>window.__xss='doc'</script><a href="javascript:window.__xss=1">claim</a> &lt;img src=x onerror=window.__xss=1&gt;</p></body></html>`,
	} {
		if _, err := lib.Add(ctx, s.site.ID, name, []byte(body)); err != nil {
			t.Fatalf("add %s: %v", name, err)
		}
	}
	if err := lib.ProcessAll(ctx); err != nil {
		t.Fatal(err)
	}
	// Markdown may hold inline HTML: ingestion keeps a heading's text
	// without its tags, so the pages must show exactly the stored title.
	var docTitle, htmlTitle string
	if err := s.db.QueryRow(ctx, `select (select title from documents where source like 'guide%'), (select title from documents where source = 'page.html')`).Scan(&docTitle, &htmlTitle); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(docTitle, "Xsswarranty") || strings.Contains(docTitle, "<script") {
		t.Errorf("stored title %q; want the heading's text", docTitle)
	}
	cannedText := "Canned " + xSVG
	if _, err := s.opts.Canned.Create(ctx, s.site.ID, "xss", cannedText); err != nil {
		t.Fatal(err)
	}
	// The model obeys too: product cards, then a reply full of payloads.
	botText := "Bot " + xImg + " [1] [click](" + xJS + ") " + xScript + " **" + xSVG + "**"
	s.fake.Respond(func(r fakellm.Request) fakellm.Reply {
		for _, m := range r.Messages {
			if m.Role == "tool" {
				return fakellm.Reply{Text: botText}
			}
		}
		if len(r.Tools) > 0 {
			return fakellm.Reply{ToolCalls: []fakellm.ToolCall{{Name: "search_products", Args: `{"query":"XSSLAMP"}`}}}
		}
		return fakellm.Reply{Text: "Summary " + xImg}
	})

	// The shopper's side.
	b := newTab(t, "shopper", 1280, 800, false)
	b.open(s.origin + "/demo")
	b.openWidget()
	b.shows("the greeting", `R.querySelector(".p")`, "Greeting "+xSVG, "[tap]("+xJS+")")
	shopperText := "xsswarranty question " + xImg + " " + xSVG + " " + xJS
	b.say(shopperText)
	b.waitFor("the bot's reply with product cards", `R.querySelector(".log .them .cards .card") && !R.querySelector('.r[aria-busy="true"]')`)
	b.shows("the shopper's text", `R.querySelector(".log")`, shopperText)
	b.shows("the bot's text", `R.querySelector(".log")`, "Bot "+xImg, "[click]("+xJS+")", xScript, xSVG)
	b.shows("the product card", `R.querySelector(".log .cards")`, productTitle)
	var card struct {
		Tag  string
		Imgs int
	}
	b.eval(`({tag: R.querySelector(".log .cards .card").tagName, imgs: R.querySelectorAll(".log .cards img").length})`, &card)
	if card.Tag == "A" || card.Imgs != 0 {
		t.Errorf("product card with a javascript: link and a bogus image: %+v; want a plain card, no image", card)
	}
	var sources []string
	b.eval(`[...R.querySelectorAll(".log .src")].map(s => s.innerText + " " + s.title)`, &sources)
	if len(sources) == 0 || !strings.Contains(sources[0], docTitle) && !strings.Contains(sources[0], htmlTitle) {
		t.Errorf("citation chips %q; want a document's title (%q or %q) as text", sources, docTitle, htmlTitle)
	}
	b.noXSS("after the bot's reply")

	// A person takes over: their name and words, and a note the shopper never sees.
	conv := s.conversation()
	if _, err := s.db.Exec(ctx, `update visitors set customer_id = (select id from customers where external_id = 'cx') where id = $1`, conv.VisitorID); err != nil {
		t.Fatal(err)
	}
	b.click(".hu")
	b.waitFor("the waiting banner", `R.querySelector(".bn") && !R.querySelector(".bn").hidden`)
	if _, err := s.opts.Engine.Claim(ctx, conv.ID, agent); err != nil {
		t.Fatal(err)
	}
	agentText := "Agent says " + xSVG + " [x](" + xJS + ") " + xScript
	if _, _, err := s.opts.Engine.Reply(ctx, conv.ID, agent, agentText, "a1"); err != nil {
		t.Fatal(err)
	}
	noteText := "Note " + xImg
	if _, err := s.opts.Engine.Note(ctx, conv.ID, agent, noteText, "n1"); err != nil {
		t.Fatal(err)
	}
	b.shows("the agent's name", `R.querySelector(".p")`, agentName)
	b.shows("the agent's text", `R.querySelector(".log")`, agentText)
	b.shot("xss-widget")
	b.noXSS("after the agent's reply")
	var log string
	b.eval(`R.querySelector(".log").innerText`, &log)
	if strings.Contains(log, noteText) {
		t.Errorf("the shopper sees the internal note")
	}

	// The console, page by page. (The site's name is changed only now: the
	// demo page finds its site by name.)
	siteName := "Shop " + xImg
	if _, err := s.db.Exec(ctx, "update sites set name = $2 where id = $1", s.site.ID, siteName); err != nil {
		t.Fatal(err)
	}
	a := newConsoleTab(t, "admin", 1280, 800)
	a.signIn(s.origin, mia.Email, "correct horse battery")
	a.noXSS("the inbox")
	a.open(s.origin + "/console#/inbox/open/" + conv.ID)
	a.shows("the transcript", `document.querySelector("#log")`, shopperText, "Bot "+xImg, agentText, noteText)
	a.shows("the customer panel", `document.querySelector("body")`, customerName, itemTitle)
	a.consoleShot("xss-conversation")
	a.noXSS("the conversation")
	for _, p := range []struct {
		page  string
		texts []string
	}{
		{"knowledge", []string{docTitle, "guide " + xImg + ".md"}},
		{"sites", []string{siteName, "Persona " + xScript}},
		{"users", []string{agentName}},
		{"canned", []string{cannedText}},
		{"analytics", nil},
		{"privacy", nil},
	} {
		a.press(`.top nav a[data-page="` + p.page + `"]`)
		if len(p.texts) > 0 {
			a.shows("the "+p.page+" page", `document.body`, p.texts...)
		} else {
			a.waitFor("the "+p.page+" page", `document.querySelector('.top nav a[data-page="`+p.page+`"].cur')`)
		}
		a.noXSS("the " + p.page + " page")
	}
	// The knowledge search shows passages as text.
	a.press(`.top nav a[data-page="knowledge"]`)
	a.waitFor("the search box", `document.querySelector("#kbq")`)
	a.fill("#kbq", "xsswarranty")
	a.pressEnter()
	a.shows("the search hits", `document.querySelector("#hits")`, docTitle)
	a.noXSS("the knowledge search")
}
