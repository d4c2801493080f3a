package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"kefu/chat"
	"kefu/internal/account"
)

// analyticsTab is a console tab (a browser context of its own) that also
// records console.error calls and error log entries (failed requests, CSP
// violations) once watching starts: after sign-in, whose 401 from
// /auth/me before the form is expected.
type analyticsTab struct {
	*tab
	watching bool
	problems []string
}

func newAnalyticsTab(t *testing.T, name string, w, h int64) *analyticsTab {
	t.Helper()
	a := &analyticsTab{}
	note := func(s string) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.watching {
			a.problems = append(a.problems, s)
		}
	}
	a.tab = openTab(t, name, w, h, tabOptions{ownProfile: true, acceptDialogs: true,
		listen: func(ev any) {
			switch e := ev.(type) {
			case *runtime.EventConsoleAPICalled:
				if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
					var parts []string
					for _, arg := range e.Args {
						if len(arg.Value) > 0 {
							parts = append(parts, string(arg.Value))
						} else {
							parts = append(parts, arg.Description)
						}
					}
					note("console." + string(e.Type) + ": " + strings.Join(parts, " "))
				}
			case *cdplog.EventEntryAdded:
				if e.Entry.Level == cdplog.EntryLevelError {
					note(fmt.Sprintf("log %s: %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL))
				}
			}
		},
		setup: []chromedp.Action[chromedp.Void]{chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{})
			return err
		})},
	})
	t.Cleanup(func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if len(a.problems) > 0 {
			t.Errorf("%s: console errors: %q", name, a.problems)
		}
	})
	return a
}

// signInAndWatch signs in, then records console errors from then on.
func (a *analyticsTab) signInAndWatch(origin string) {
	a.t.Helper()
	a.signIn(origin, "mia@example.com", "correct horse battery")
	a.mu.Lock()
	a.watching = true
	a.mu.Unlock()
}

// fetchJSON fetches an /api/v1 path in the page (with its session) and
// decodes the JSON answer into out.
func (a *analyticsTab) fetchJSON(path string, out any) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 20*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+jsString("/api/v1"+path)+`, {headers: {Accept: "application/json"}}).then(async r => {
		const text = await r.text(); if (!r.ok) throw new Error(r.status + " " + text); return text; })`, chromedp.EvalAwaitPromise))
	if err == nil {
		err = json.Unmarshal([]byte(raw), out)
	}
	if err != nil {
		a.t.Fatalf("%s: GET %s: %v", a.name, path, err)
	}
}

// download fetches the href of the link sel in the page: its content type
// and body.
func (a *analyticsTab) download(sel string) (string, string) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 20*time.Second)
	defer cancel()
	var got struct {
		Type, Body string
		Status     int
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`fetch(document.querySelector(`+jsString(sel)+`).href).then(async r =>
		({type: r.headers.get("Content-Type"), body: await r.text(), status: r.status}))`, chromedp.EvalAwaitPromise))
	if err == nil {
		err = json.Unmarshal(raw, &got)
	}
	if err != nil {
		a.t.Fatalf("%s: download %s: %v", a.name, sel, err)
	}
	if got.Status != 200 {
		a.t.Fatalf("%s: download %s: status %d: %s", a.name, sel, got.Status, got.Body)
	}
	return got.Type, got.Body
}

// visitorSays opens a new visitor's conversation (or continues sess) and
// posts text, then waits until the conversation has a reply after it.
func visitorSays(t *testing.T, s *shop, sess *chat.Session, text string) *chat.Session {
	t.Helper()
	ctx := context.Background()
	if sess == nil {
		var err error
		if sess, err = s.opts.Engine.Hello(ctx, s.site, "", "en", nil); err != nil {
			t.Fatal(err)
		}
	}
	m, _, err := s.opts.Engine.Post(ctx, sess, fmt.Sprintf("c-%d", time.Now().UnixNano()), text)
	if err != nil {
		t.Fatalf("post %q: %v", text, err)
	}
	waitUntil(t, "a reply to "+strconv.Quote(text), func() bool {
		msgs, err := s.store.Messages(ctx, sess.Conversation.ID, m.Seq, 0, false)
		return err == nil && count(msgs, func(x chat.Message) bool { return x.Role != chat.RoleShopper }) > 0
	})
	return sess
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The formats the page uses (analytics.js), to compare its cards with the API.
func pctText(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(v*100, 'f', 1, 64), ".0") + "%"
}

func durText(ms *float64) string {
	if ms == nil {
		return "—"
	}
	v, s := *ms, *ms/1000
	switch {
	case v < 1000:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + " ms"
	case s < 60:
		return strconv.FormatFloat(s, 'f', 1, 64) + " s"
	case s < 3600:
		return strconv.FormatFloat(s/60, 'f', 1, 64) + " min"
	case s < 86400:
		return strconv.FormatFloat(s/3600, 'f', 1, 64) + " h"
	}
	return strconv.FormatFloat(s/86400, 'f', 1, 64) + " d"
}

func scoreText(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

// analyticsSummary is the part of GET /api/v1/analytics/summary the page shows.
type analyticsSummary struct {
	From, To string
	Current  struct {
		Conversations        int      `json:"conversations"`
		Escalated            int      `json:"escalated"`
		EscalationRate       float64  `json:"escalation_rate"`
		BotResolvedConfirmed int      `json:"bot_resolved_confirmed"`
		BotResolvedAssumed   int      `json:"bot_resolved_assumed"`
		HumanResolved        int      `json:"human_resolved"`
		CSATAvg              *float64 `json:"csat_avg"`
		FirstResponseP50MS   *float64 `json:"first_response_p50_ms"`
		QueueWaitP50MS       *float64 `json:"queue_wait_p50_ms"`
		ResolutionP50MS      *float64 `json:"resolution_p50_ms"`
	} `json:"current"`
	Daily               []struct{ Day string } `json:"daily"`
	EscalationsByReason []struct {
		Reason string `json:"reason"`
		Count  int    `json:"count"`
	} `json:"escalations_by_reason"`
	Intents []struct{ Intent string } `json:"intents"`
}

type topicCount struct {
	Topic                              string
	Count, Negative, Neutral, Positive int
}

// An admin reads the analytics of three real conversations (answered by the
// bot; unanswered twice and escalated; handed to Mia, resolved and rated):
// the cards show the API's numbers, the charts have a bar or point per
// value, CSV downloads are CSV, Chinese works, an empty period says so, and
// a knowledge gap becomes a published FAQ document from the page. At
// 1280×900 and 375×800, without console errors.
func TestBrowserAnalytics(t *testing.T) {
	s, mia := consoleShop(t, shopConfig{demoDocs: true}, account.RoleAdmin)
	ctx := context.Background()

	shipping := visitorSays(t, s, nil, "How long does shipping take?")
	const unanswered = "What is the weather like on the moon base?"
	lost := visitorSays(t, s, nil, unanswered)
	visitorSays(t, s, lost, unanswered)
	waitUntil(t, "the unanswered question escalated", func() bool {
		c, err := s.store.Conversation(ctx, lost.Conversation.ID)
		return err == nil && c.State == chat.StateQueued
	})
	// Not sure, then a tap on a topic it offered: a gap found by tapping.
	visitorSays(t, s, shipping, "package arrived wet")
	visitorSays(t, s, shipping, "Damaged, faulty or wrong items")
	helped := visitorSays(t, s, nil, "Hello")
	if err := s.opts.Engine.RequestHuman(ctx, helped); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the request for a person", func() bool {
		c, err := s.store.Conversation(ctx, helped.Conversation.ID)
		return err == nil && c.State == chat.StateQueued
	})
	if _, err := s.opts.Engine.Claim(ctx, helped.Conversation.ID, mia); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.opts.Engine.Reply(ctx, helped.Conversation.ID, mia, "Hi, I'm Mia. How can I help?", "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.opts.Engine.Resolve(ctx, helped.Conversation.ID, mia); err != nil {
		t.Fatal(err)
	}
	if err := s.opts.Engine.CSAT(ctx, helped, 4, "Mia was quick, but the parcel arrived late and the box was damaged"); err != nil {
		t.Fatal(err)
	}

	a := newAnalyticsTab(t, "admin", 1280, 900)
	a.signInAndWatch(s.origin)
	a.press(`.top nav a[data-page="analytics"]`)
	a.waitFor("the analytics cards", `document.querySelector('#an-kpis [data-value="conversations"]') && document.querySelector('[data-chart="daily"] svg')`)

	// The cards show the API's numbers for the page's period and site.
	var from, to, site string
	a.eval(`document.querySelector("#an-from").value`, &from)
	a.eval(`document.querySelector("#an-to").value`, &to)
	a.eval(`document.querySelector("#an-site").value`, &site)
	if site != s.site.Key {
		t.Errorf("the site picker starts on %q; want the console's site %q", site, s.site.Key)
	}
	var sum analyticsSummary
	a.fetchJSON("/analytics/summary?from="+from+"&to="+to+"&site="+site, &sum)
	if sum.Current.Conversations != 3 || sum.Current.Escalated != 2 {
		t.Errorf("the API counts %d conversations, %d escalated; want the 3 seeded, 2 escalated", sum.Current.Conversations, sum.Current.Escalated)
	}
	c := sum.Current
	want := map[string]string{
		"conversations":          strconv.Itoa(c.Conversations),
		"escalation_rate":        pctText(c.EscalationRate),
		"bot_resolved_confirmed": strconv.Itoa(c.BotResolvedConfirmed),
		"bot_resolved_assumed":   strconv.Itoa(c.BotResolvedAssumed),
		"human_resolved":         strconv.Itoa(c.HumanResolved),
		"csat_avg":               scoreText(c.CSATAvg),
		"first_response_p50":     durText(c.FirstResponseP50MS),
		"queue_wait_p50":         durText(c.QueueWaitP50MS),
		"resolution_p50":         durText(c.ResolutionP50MS),
	}
	var cards map[string]string
	a.eval(`Object.fromEntries([...document.querySelectorAll("#an-kpis [data-value]")].map(e => [e.dataset.value, e.textContent]))`, &cards)
	for k, v := range want {
		if cards[k] != v {
			t.Errorf("card %s shows %q; the API says %q", k, cards[k], v)
		}
	}
	if c.CSATAvg == nil || cards["csat_avg"] != "4.00" {
		t.Errorf("CSAT card %q (API %v); want the one rating, 4.00", cards["csat_avg"], c.CSATAvg)
	}
	var defs int
	a.eval(`[...document.querySelectorAll("#an-kpis .an-kpi")].filter(k => k.title.length > 20 && k.querySelector(".an-kpi-def").textContent == k.title).length`, &defs)
	if defs != len(cards) || len(cards) < 10 {
		t.Errorf("%d of %d cards carry their definition; want all (at least 10)", defs, len(cards))
	}

	// The charts: a point per day and series, a bar per reason and intent,
	// ten rating bars; each an image with its numbers in its label.
	var charts struct {
		DailyPoints, ReasonBars, IntentBars, CSATBars int
		Labels                                        []string
		Unlabelled                                    int
		DailyLabel                                    string
	}
	a.eval(`(() => { const q = s => document.querySelectorAll(s).length; const svgs = [...document.querySelectorAll("svg.an-chart")];
		return {dailyPoints: q('[data-chart="daily"] [data-series="conversations"] circle.an-pt'), reasonBars: q('[data-chart="reasons"] rect.an-bar'),
		intentBars: q('[data-chart="intents"] rect.an-bar'), csatBars: q('[data-chart="csat"] rect.an-bar'),
		unlabelled: svgs.filter(s => s.getAttribute("role") != "img" || !s.getAttribute("aria-label") || s.getAttribute("tabindex") != "0" || !s.querySelector("title")).length,
		dailyLabel: document.querySelector('[data-chart="daily"] svg').getAttribute("aria-label")} })()`, &charts)
	if charts.DailyPoints != len(sum.Daily) || len(sum.Daily) == 0 {
		t.Errorf("the daily chart has %d conversation points; the API has %d days", charts.DailyPoints, len(sum.Daily))
	}
	if charts.ReasonBars != len(sum.EscalationsByReason) || charts.ReasonBars < 6 {
		t.Errorf("%d reason bars; the API lists %d reasons", charts.ReasonBars, len(sum.EscalationsByReason))
	}
	if charts.IntentBars != min(12, len(sum.Intents)) || charts.IntentBars == 0 {
		t.Errorf("%d intent bars; the API lists %d intents", charts.IntentBars, len(sum.Intents))
	}
	if charts.CSATBars != 10 {
		t.Errorf("%d rating bars; want 5 ratings × bot and person", charts.CSATBars)
	}
	if charts.Unlabelled != 0 {
		t.Errorf("%d charts lack role=img, an aria-label, a <title> or tabindex=0", charts.Unlabelled)
	}
	if !strings.Contains(charts.DailyLabel, strconv.Itoa(c.Conversations)+" conversations") {
		t.Errorf("the daily chart's label %q does not carry the count", charts.DailyLabel)
	}
	// The reasons table shows the API's count for each reason.
	var reasonRows map[string]string
	a.eval(`Object.fromEntries([...document.querySelectorAll("#an-reasons tbody tr")].map(r => [r.dataset.reason, r.cells[1].textContent]))`, &reasonRows)
	for _, r := range sum.EscalationsByReason {
		if reasonRows[r.Reason] != strconv.Itoa(r.Count) {
			t.Errorf("reasons table: %s = %q; the API says %d", r.Reason, reasonRows[r.Reason], r.Count)
		}
	}
	a.consoleShot("analytics")

	// Topics: the rating comment is classified; a bar part per non-zero
	// sentiment count of each topic that has any.
	var topics struct{ Topics []topicCount }
	a.fetchJSON("/analytics/topics?from="+from+"&to="+to+"&site="+site, &topics)
	parts, rows := 0, 0
	for _, tc := range topics.Topics {
		if tc.Count > 0 {
			rows++
		}
		for _, n := range []int{tc.Negative, tc.Neutral, tc.Positive} {
			if n > 0 {
				parts++
			}
		}
	}
	if rows == 0 {
		t.Errorf("no topic counted the rating comment: %+v", topics.Topics)
	}
	var shown struct{ Parts, Rows int }
	a.waitFor("the topics", `document.querySelector('[data-chart="topics"] svg')`)
	a.eval(`({parts: document.querySelectorAll('[data-chart="topics"] rect.an-bar').length, rows: document.querySelectorAll("#an-topics-table tbody tr").length})`, &shown)
	if shown.Parts != parts || shown.Rows != rows {
		t.Errorf("topics: %d bar parts and %d rows; the API has %d non-zero parts in %d topics", shown.Parts, shown.Rows, parts, rows)
	}

	// CSV downloads: the reasons table, and the gaps list.
	typ, body := a.download(`[data-csv="reasons"]`)
	if !strings.HasPrefix(typ, "text/csv") || !strings.HasPrefix(body, "reason,count,previous\n") {
		t.Errorf("reasons CSV: %s %q; want text/csv starting with its header", typ, body)
	}
	var csvLinks int
	a.eval(`document.querySelectorAll("a.an-csv").length`, &csvLinks)
	if csvLinks < 9 { // summary, daily, reasons, intents, csat, model, gaps, at-risk, topics
		t.Errorf("%d CSV links; want one per table (9)", csvLinks)
	}

	// The unanswered question is a gap; publish it as an FAQ from the page.
	a.waitFor("the gap", `[...document.querySelectorAll("#an-gaps .an-gap")].some(g => /moon base/i.test(g.innerText))`)
	a.waitFor("the gap found by tapping", `[...document.querySelectorAll("#an-gaps .an-gap")].some(g => /package arrived wet/.test(g.innerText) &&
		g.querySelector(".an-tapped")?.textContent == "1 found by tapping “Damaged, faulty or wrong items”")`)
	typ, body = a.download(`[data-csv="gaps"]`)
	if !strings.HasPrefix(typ, "text/csv") || !strings.Contains(strings.ToLower(body), "moon base") {
		t.Errorf("gaps CSV: %s %q; want text/csv with the question", typ, body)
	}
	a.eval(`document.querySelectorAll("#an-gaps .an-gap").forEach((g, i) => { if (/moon base/i.test(g.innerText)) g.id = "moon-gap"; })`, nil)
	a.press("#moon-gap .an-edit")
	a.waitFor("the draft form", `!document.querySelector("#moon-gap form").hidden && document.querySelector("#moon-gap input[name=question]").value != ""`)
	a.consoleShot("analytics-gap")
	a.eval(`(() => { const f = document.querySelector("#moon-gap form"); f.querySelector("input[name=title]").value = ""; f.querySelector("textarea").value = ""; })()`, nil)
	a.fill("#moon-gap input[name=title]", "Weather on the moon base")
	a.fill("#moon-gap textarea[name=answer]", "We cannot tell you the weather on the moon base: we are a shop, and we only deliver on Earth.")
	a.press("#moon-gap button[type=submit]")
	a.waitFor("the gap published", `document.querySelector("#moon-gap.published .an-published:not([hidden])") && document.querySelector("#moon-gap form").hidden`)
	type doc struct{ Title, Source string }
	var docs struct {
		Items []doc `json:"items"`
	}
	a.fetchJSON("/knowledge/documents?site="+s.site.Key+"&limit=100", &docs)
	if count(docs.Items, func(d doc) bool { return d.Source == "FAQ: Weather on the moon base.json" }) != 1 {
		t.Errorf("the knowledge documents after publishing: %+v; want the FAQ once", docs.Items)
	}
	// Once ingested, the report says the knowledge base answers that gap now.
	if err := s.opts.Library.ProcessAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.press("#an-apply")
	a.waitFor("the gap answered now", `[...document.querySelectorAll("#an-gaps .an-gap")].some(g => /moon base/i.test(g.innerText) && g.querySelector(".an-covered")?.textContent == "Answered now")`)

	// An empty period says so.
	a.eval(`(document.querySelector("#an-from").value = "2020-01-01", document.querySelector("#an-to").value = "2020-01-31")`, nil)
	a.press("#an-apply")
	a.waitFor("the empty state", `document.querySelector("#an-empty")?.textContent == "No conversations in this period." && document.querySelector('[data-value="conversations"]').textContent == "0"`)
	a.press(`.an-presets [data-days="30"]`)
	a.waitFor("the last 30 days again", `document.querySelector('[data-value="conversations"]')?.textContent == "3"`)

	// All sites together (the admin's every site: here the one).
	a.eval(`(() => { const s = document.querySelector("#an-site"); s.value = ""; s.dispatchEvent(new Event("change")); })()`, nil)
	a.waitFor("all sites", `document.querySelector('[data-value="conversations"]')?.textContent == "3" && !document.querySelector('[data-csv="reasons"]').href.includes("site=")`)

	// Chinese labels.
	a.press("#lang")
	a.waitFor("the Chinese page", `document.querySelector("#analytics h1")?.textContent == "数据分析" && document.querySelector('[data-kpi="conversations"] .an-kpi-label')?.textContent == "会话数"`)
	a.waitFor("Chinese reasons", `document.querySelector('#an-reasons tr[data-reason="no_answer"] td')?.textContent == "机器人无法回答" && document.querySelector('#an-reasons tr[data-reason="requested"] td')?.textContent == "顾客要求人工"`)
	a.eval(`document.querySelector("#an-gaps").scrollIntoView()`, nil)
	a.consoleShot("analytics-zh")
	a.press("#lang")
	a.waitFor("English again", `document.querySelector("#analytics h1")?.textContent == "Analytics" && document.querySelector('[data-value="conversations"]')`)
	a.eval(`document.querySelector('[data-chart="reasons"]').scrollIntoView()`, nil)
	a.consoleShot("analytics-charts")

	// The unresolved escalation is a customer at risk, linked to its conversation.
	a.waitFor("the customer at risk", `document.querySelector("#an-risk-table a.an-conv")?.getAttribute("href") == "#/inbox/resolved/`+lost.Conversation.ID+`"`)
	a.press("#an-risk-table a.an-conv")
	a.waitFor("the conversation", `[...document.querySelectorAll("#log .msg.shopper .b")].some(e => e.textContent == `+jsString(unanswered)+`)`)

	// A phone: nothing wider than the screen; cards two abreast.
	p := newAnalyticsTab(t, "phone", 375, 800)
	p.signInAndWatch(s.origin)
	p.open(s.origin + "/console#/analytics")
	p.waitFor("the analytics cards", `document.querySelector('#an-kpis [data-value="conversations"]')?.textContent == "3" && document.querySelector('[data-chart="daily"] svg')`)
	p.waitFor("no horizontal scrolling", `document.documentElement.scrollWidth <= innerWidth && document.querySelector("#analytics").scrollWidth <= innerWidth`)
	p.waitFor("the current page's menu item in view", `(() => { const n = document.querySelector(".top nav"), c = n.querySelector("a.cur").getBoundingClientRect(), r = n.getBoundingClientRect();
		return n.scrollWidth > n.clientWidth && c.left >= r.left - 1 && c.right <= r.right + 1 })()`)
	var phone struct{ ChartsFit, CardsPerRow int }
	p.eval(`(() => { const w = document.querySelector("#analytics").clientWidth; const tops = [...document.querySelectorAll("#an-kpis .an-kpi")].map(k => k.offsetTop);
		return {chartsFit: [...document.querySelectorAll("svg.an-chart")].filter(s => s.getBoundingClientRect().width <= w).length - document.querySelectorAll("svg.an-chart").length,
		cardsPerRow: tops.filter(t => t == tops[0]).length} })()`, &phone)
	if phone.ChartsFit != 0 || phone.CardsPerRow != 2 {
		t.Errorf("on a phone: %d charts wider than the page, %d cards per row; want 0 and 2", -phone.ChartsFit, phone.CardsPerRow)
	}
	p.consoleShot("analytics-phone")
	p.eval(`document.querySelector('[data-chart="reasons"]').scrollIntoView()`, nil)
	p.consoleShot("analytics-phone-charts")
}
