package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/fakellm"
)

// Accessibility: axe-core (web/testdata/axe-core, vendored from npm; see its
// SOURCE.md) runs inside the shared headless Chromium on the demo page with
// the widget and on every console page. Serious and critical violations
// fail; moderate and minor ones fail unless docs/accessibility.md lists
// them under "Known exceptions" with a reason.

// axeSource is the axe-core script, read once.
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("testdata/axe-core/axe.min.js")
	return string(b), err
})

// axeTags are the rule sets run: WCAG 2.0 and 2.1, levels A and AA, and
// axe's best practices (landmarks, headings, regions).
const axeTags = `["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]`

type axeNode struct {
	Target         json.RawMessage `json:"target"`
	HTML           string          `json:"html"`
	FailureSummary string          `json:"failureSummary"`
}

type axeViolation struct {
	ID     string    `json:"id"`
	Impact string    `json:"impact"`
	Help   string    `json:"help"`
	Nodes  []axeNode `json:"nodes"`
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for i, n := range v.Nodes {
		if i == 4 {
			fmt.Fprintf(&b, "\n      … %d more", len(v.Nodes)-i)
			break
		}
		html := n.HTML
		if len(html) > 160 {
			html = html[:160] + "…"
		}
		fmt.Fprintf(&b, "\n      %s %s\n        %s", n.Target, html, strings.ReplaceAll(n.FailureSummary, "\n", " / "))
	}
	return b.String()
}

// axeRun runs axe on the tab's document (open shadow roots included) with
// the rules of axeTags, or only the rules named in only, and returns the
// violations.
func (b *tab) axeRun(only ...string) []axeViolation {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		b.t.Fatalf("axe-core: %v", err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err == nil && !loaded {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src))
	}
	if err != nil {
		b.t.Fatalf("%s: load axe-core: %v", b.name, err)
	}
	run := `{runOnly: {type: "tag", values: ` + axeTags + `}, resultTypes: ["violations"]}`
	if len(only) > 0 {
		ids, _ := json.Marshal(only)
		run = `{runOnly: {type: "rule", values: ` + string(ids) + `}, resultTypes: ["violations"]}`
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`axe.run(document, `+run+`).then(r => r.violations)`, chromedp.EvalAwaitPromise))
	var out []axeViolation
	if err == nil {
		err = json.Unmarshal(raw, &out)
	}
	if err != nil {
		b.t.Fatalf("%s: axe.run: %v", b.name, err)
	}
	return out
}

// axeCheck runs axe and fails the test for every violation that is serious
// or critical, or that docs/accessibility.md does not list for where.
func (b *tab) axeCheck(where string, only ...string) {
	b.t.Helper()
	start := time.Now()
	vs := b.axeRun(only...)
	b.t.Logf("axe %s: %d violations (%v)", where, len(vs), time.Since(start).Round(time.Millisecond))
	known := knownExceptions(b.t)
	var bad []string
	for _, v := range vs {
		if (v.Impact == "moderate" || v.Impact == "minor") && known.allows(v.ID, where) {
			continue
		}
		bad = append(bad, "    "+v.String())
	}
	if len(bad) > 0 {
		b.shot("axe-" + strings.NewReplacer("/", "-", " ", "-").Replace(where))
		b.t.Errorf("%s: axe finds %d violations on %s:\n%s", b.name, len(bad), where, strings.Join(bad, "\n"))
	}
}

// exceptions are the rows of the "Known exceptions" table of
// docs/accessibility.md: an axe rule and where (a prefix of the place the
// test names, such as "demo" or "console/analytics").
type exceptions []struct{ rule, where string }

func (e exceptions) allows(rule, where string) bool {
	for _, x := range e {
		if x.rule == rule && strings.HasPrefix(where, x.where) {
			return true
		}
	}
	return false
}

var exceptionsOnce = sync.OnceValues(func() (exceptions, error) {
	f, err := os.Open("../docs/accessibility.md")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	row := regexp.MustCompile("^\\|\\s*`([a-z0-9-]+)`\\s*\\|\\s*(moderate|minor)\\s*\\|\\s*`([^`]*)`\\s*\\|")
	var out exceptions
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.HasPrefix(line, "## Known exceptions")
		}
		if m := row.FindStringSubmatch(line); in && m != nil {
			out = append(out, struct{ rule, where string }{m[1], m[3]})
		}
	}
	return out, sc.Err()
})

func knownExceptions(t *testing.T) exceptions {
	t.Helper()
	e, err := exceptionsOnce()
	if err != nil {
		t.Fatalf("docs/accessibility.md: %v", err)
	}
	return e
}

// viewport is a window size the tests look at.
type viewport struct {
	name  string
	w, h  int64
	phone bool
}

var (
	desktop = viewport{"desktop", 1280, 800, false}
	phone   = viewport{"phone", 390, 844, true}
)

func (b *tab) resize(v viewport) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if v.phone {
		opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	b.run("resize to "+v.name, chromedp.EmulateViewport(v.w, v.h, opts...))
}

// a11yAnswers is what the fake model answers, by the question's language:
// a streamed reply with a citation and a list.
func a11yAnswers(r fakellm.Request) fakellm.Reply {
	if cjk.MatchString(shopperText(r)) {
		return fakellm.Reply{Text: "美国订单从 **里诺** 仓库发货，3–5 个工作日送达 [1]。\n\n- 标准运费：5.95 美元\n- 满 49 美元包邮"}
	}
	return fakellm.Reply{Text: "Orders to the US ship from **Reno** and arrive in 3–5 business days [1].\n\n- Standard: $5.95\n- Free over $49"}
}

var cjk = regexp.MustCompile(`\p{Han}`)

// questions are the shopper's question to a11yAnswers, by language.
var questions = map[string]string{"en": "How long does shipping to the US take?", "zh": "寄到美国要多久？"}

// The demo storefront with the widget open, then with a streamed answer,
// in English and Chinese, on a desktop and a phone; then the widget in
// other accent colours a shop may set.
func TestBrowserA11yDemoAndWidget(t *testing.T) {
	s := newShop(t, shopConfig{model: true, demoDocs: true})
	s.fake.SetTiming(10*time.Millisecond, 200) // tokens a second: streamed in pieces, quickly
	s.fake.Respond(a11yAnswers)
	for _, v := range []viewport{desktop, phone} {
		b := openTab(t, v.name, v.w, v.h, tabOptions{mobile: v.phone, ownProfile: true})
		for _, lang := range []string{"en", "zh"} {
			where := "demo/" + lang + "/" + v.name
			b.open(s.origin + "/demo?lang=" + lang)
			b.openWidget()
			b.axeCheck(where + "/widget open")
			b.say(questions[lang])
			b.waitFor("the streamed answer with its source", `[...R.querySelectorAll(".log .them")].length >= `+map[string]string{"en": "1", "zh": "2"}[lang]+
				` && R.querySelector(".log .them:last-child .src") && !R.querySelector('.r[aria-busy="true"]')`)
			b.axeCheck(where + "/answered")
			b.shot(lang + "-answered")
		}
		if v.phone {
			continue
		}
		// A shop's own accent colour: text on it, and it as text or a focus
		// ring on white, stay readable whatever it is.
		for _, color := range []string{"#ffe14d", "#777777", "hotpink", "oklch(62% 0.19 145)", "rgba(0, 0, 0, 0.1)"} {
			b.eval(`(() => { document.getElementById("kefu-widget").remove(); delete window.kefu;
				const old = document.querySelector("script[data-site]"), s = document.createElement("script");
				s.src = old.src; s.dataset.site = old.dataset.site; s.dataset.color = `+jsString(color)+`; old.remove(); document.head.append(s); })()`, nil)
			b.openWidget()
			b.waitFor("the conversation", `R.querySelectorAll(".log .them .src").length >= 2 && R.querySelector(".log .me")`)
			b.axeCheck("widget/accent "+color, "color-contrast")
			var c struct{ K, KT, KA string }
			b.eval(`(() => { const s = getComputedStyle(R.querySelector(".w")); return {k: s.getPropertyValue("--k"), kt: s.getPropertyValue("--kt"), ka: s.getPropertyValue("--ka")} })()`, &c)
			k, kt, ka := parseRGB(t, c.K), parseRGB(t, c.KT), parseRGB(t, c.KA)
			white := [3]float64{255, 255, 255}
			if r := contrast(k, kt); r < 4.5 {
				t.Errorf("accent %s: text %s on %s has contrast %.2f; want ≥ 4.5", color, c.KT, c.K, r)
			}
			if r := contrast(ka, white); r < 4.5 {
				t.Errorf("accent %s: the accent as text (%s) on white has contrast %.2f; want ≥ 4.5", color, c.KA, r)
			}
			b.shot("accent-" + strings.NewReplacer("#", "", " ", "", "(", "-", ")", "", "%", "", ",", "-").Replace(color))
		}
	}
}

// parseRGB reads "rgb(r, g, b)" (spaces or not), "#rrggbb" or "#rgb".
func parseRGB(t *testing.T, s string) [3]float64 {
	t.Helper()
	s = strings.ReplaceAll(s, " ", "")
	var c [3]float64
	if _, err := fmt.Sscanf(s, "rgb(%f,%f,%f)", &c[0], &c[1], &c[2]); err == nil {
		return c
	}
	if len(s) == 4 && s[0] == '#' { // #rgb
		s = string([]byte{'#', s[1], s[1], s[2], s[2], s[3], s[3]})
	}
	var r, g, b int
	if _, err := fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b); err == nil {
		return [3]float64{float64(r), float64(g), float64(b)}
	}
	t.Fatalf("not a colour: %q", s)
	return c
}

// contrast is the WCAG 2 contrast ratio of two sRGB colours.
func contrast(a, b [3]float64) float64 {
	lum := func(c [3]float64) float64 {
		var l [3]float64
		for i, v := range c {
			v /= 255
			if v <= 0.04045 {
				l[i] = v / 12.92
			} else {
				l[i] = math.Pow((v+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	}
	x, y := lum(a), lum(b)
	return (max(x, y) + 0.05) / (min(x, y) + 0.05)
}

// settle waits until the console has no request in flight and shows no
// "Loading…", for a moment (fetches are counted by a wrapper that
// trackFetches installs once per page load).
func (b *tab) settle(what string) {
	b.t.Helper()
	quiet := `window.__inflight === 0 && ![...document.querySelectorAll("#app *")].some(e => !e.childElementCount && /^(Loading…|加载中…)$/.test(e.textContent.trim()))`
	deadline := time.Now().Add(20 * time.Second)
	var since time.Time
	for {
		var ok bool
		b.eval(quiet, &ok)
		switch {
		case !ok:
			since = time.Time{}
		case since.IsZero():
			since = time.Now()
		case time.Since(since) > 120*time.Millisecond:
			return
		}
		if time.Now().After(deadline) {
			b.shot("settle")
			b.t.Fatalf("%s: %s: the page never settled", b.name, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *tab) trackFetches() {
	b.t.Helper()
	b.eval(`(() => { if (window.__inflight != null) return; window.__inflight = 0; const f = window.fetch;
		window.fetch = (...a) => { window.__inflight++; return f(...a).finally(() => window.__inflight--); }; })()`, nil)
}

// consoleLang switches the console (signed in or not) to lang.
func (b *tab) consoleLang(lang string) {
	b.t.Helper()
	want := map[string]string{"en": "en", "zh": "zh-CN"}[lang]
	b.eval(`document.documentElement.lang == `+jsString(want)+` || document.querySelector("#lang").click()`, nil)
	b.waitFor("the console in "+lang, `document.documentElement.lang == `+jsString(want))
}

// Every console page, signed in as an admin and as an agent, in English and
// Chinese, on a desktop and a phone.
func TestBrowserA11yConsole(t *testing.T) {
	s, _ := consoleShop(t, shopConfig{demoDocs: true}, account.RoleAdmin)
	addLeoAndThanks(t, s)
	askForPerson(t, s)
	conv := s.conversation().ID

	for _, who := range []struct{ role, email string }{{"admin", "mia@example.com"}, {"agent", "leo@example.com"}} {
		a := newConsoleTab(t, who.role, desktop.w, desktop.h)
		if who.role == "admin" {
			a.open(s.origin + "/console")
			a.waitFor("the sign-in form", `document.querySelector("form.login #email")`)
			for _, v := range []viewport{desktop, phone} {
				a.resize(v)
				for _, lang := range []string{"en", "zh"} {
					a.consoleLang(lang)
					a.axeCheck("console/sign-in/" + lang + "/" + v.name)
				}
			}
			a.resize(desktop)
			a.consoleLang("en")
		}
		a.signIn(s.origin, who.email, "correct horse battery")
		a.trackFetches()
		for _, v := range []viewport{desktop, phone} {
			a.resize(v)
			for _, lang := range []string{"en", "zh"} {
				a.consoleLang(lang)
				var pages []string
				a.eval(`[...document.querySelectorAll(".top nav a[data-page]")].map(a => a.dataset.page)`, &pages)
				if want := map[string]int{"admin": 9, "agent": 1}[who.role]; len(pages) < want {
					t.Fatalf("%s sees pages %q; want at least %d", who.role, pages, want)
				}
				for _, p := range pages {
					a.eval(`location.hash = "#/" + `+jsString(p), nil)
					a.waitFor("the "+p+" page", `document.querySelector('.top nav a[aria-current="page"]')?.dataset.page == `+jsString(p))
					a.settle(p)
					var bad string // every page loads without an error
					a.eval(`document.querySelector("#toast.bad")?.textContent || ""`, &bad)
					if bad != "" {
						t.Errorf("%s: the %s page shows an error: %q", who.role, p, bad)
					}
					a.axeCheck("console/" + p + "/" + who.role + "/" + lang + "/" + v.name)
					if who.role == "admin" {
						a.shot(p + "-" + lang + "-" + v.name)
					}
				}
				a.eval(`location.hash = "#/inbox/queue/" + `+jsString(conv), nil)
				a.waitFor("the conversation", `document.querySelector("#log .msg.shopper")`)
				a.settle("the conversation")
				a.axeCheck("console/conversation/" + who.role + "/" + lang + "/" + v.name)
				a.shot("conversation-" + lang + "-" + v.name)
				a.eval(`document.activeElement.blur()`, nil)
				a.run("help", chromedp.KeyEvent("?"))
				a.waitFor("the shortcuts", `document.querySelector("#help")`)
				a.axeCheck("console/help/" + who.role + "/" + lang + "/" + v.name)
				a.run("close help", chromedp.KeyEvent(kb.Escape))
				a.waitFor("the shortcuts closed", `!document.querySelector("#overlay")`)
			}
		}
	}
}

// key presses one key (kb.Tab, kb.Enter, "a"…), with Shift when shift.
func (b *tab) key(k string, shift bool) {
	b.t.Helper()
	var opts []chromedp.KeyOption
	if shift {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	b.run("key "+k, chromedp.KeyEvent(k, opts...))
}

// tabTo presses Tab (Shift+Tab when back) until expr is true: what it
// names can be reached with the keyboard. It fails after 60 presses.
func (b *tab) tabTo(what, expr string, back bool) {
	b.t.Helper()
	for range 60 {
		var ok bool
		b.eval(`!!(`+expr+`)`, &ok)
		if ok {
			return
		}
		b.key(kb.Tab, back)
	}
	b.shot("tab")
	var at string
	b.eval(`(document.activeElement === document.getElementById("kefu-widget") ? R.activeElement : document.activeElement)?.outerHTML.slice(0, 200)`, &at)
	b.t.Fatalf("%s: 60 Tab presses do not reach %s; focus is on %s", b.name, what, at)
}

// recordLive records, in window.__live, the text of every live region (an
// aria-live other than off, or a live role) under root each time it
// changes: what a screen reader would be given to read.
func (b *tab) recordLive(root string) {
	b.t.Helper()
	b.eval(`(() => { window.__live = [];
		const live = e => { const l = e.getAttribute("aria-live"); return l ? l !== "off" : ["status", "alert", "log", "marquee", "timer"].includes(e.getAttribute("role")); };
		const region = n => { for (let e = n.nodeType === 1 ? n : n.parentElement; e; e = e.parentElement) if (live(e)) return e; return null; };
		new MutationObserver(rs => { const seen = new Set(); for (const r of rs) { const e = region(r.target); if (e && !seen.has(e)) { seen.add(e); window.__live.push(e.textContent); } } })
			.observe(`+root+`, {subtree: true, childList: true, characterData: true}); })()`, nil)
}

func (b *tab) liveSaid() []string {
	b.t.Helper()
	var said []string
	b.eval(`window.__live`, &said)
	return said
}

// A shopper with a keyboard alone: finds the launcher, opens the chat (focus
// moves in), asks, hears the streamed answer once when it is complete, reads
// it, asks for a person, and closes the chat (focus goes back). Also: the
// panel at 200% zoom and with reduced motion.
func TestBrowserA11yShopperKeyboard(t *testing.T) {
	s := newShop(t, shopConfig{model: true, demoDocs: true})
	s.fake.SetTiming(100*time.Millisecond, 25) // tokens a second
	s.fake.Respond(a11yAnswers)
	b := openTab(t, "shopper", desktop.w, desktop.h, tabOptions{ownProfile: true})
	b.open(s.origin + "/demo")
	b.waitFor("the launcher", `R && R.querySelector(".l")`)
	launcher := `document.activeElement === document.getElementById("kefu-widget") && R.activeElement === R.querySelector(".l")`
	b.tabTo("the chat launcher", launcher, false)
	var name string
	b.eval(`R.querySelector(".l").getAttribute("aria-label") + "|" + R.querySelector(".l").getAttribute("aria-expanded")`, &name)
	if name != "Open chat|false" {
		t.Errorf("the launcher reads %q; want a button \"Open chat\", not expanded", name)
	}
	b.key(kb.Enter, false)
	b.waitFor("the open panel with focus in the composer", `R.querySelector(".w.open") && R.activeElement === R.querySelector("textarea")`)
	b.shot("open")

	// Ask; the reply streams in pieces but is said once, whole.
	b.recordLive("R")
	b.typeText(questions["en"], true)
	b.waitFor("the reply streaming", `R.querySelector('.r[aria-busy="true"] .m')?.textContent.length > 3`)
	b.waitFor("the whole reply", `R.querySelector(".log .them .src") && !R.querySelector('.r[aria-busy="true"]')`)
	said := b.liveSaid()
	var whole []string
	for _, x := range said {
		if strings.Contains(x, "Reno") {
			whole = append(whole, x)
		}
	}
	if len(whole) != 1 || !strings.HasPrefix(whole[0], "Assistant: ") || !strings.Contains(whole[0], "Free over $49") {
		t.Errorf("live regions said %q; want the whole reply once, after \"Assistant: \"", said)
	}

	// Reading it: the conversation is a named region that takes focus (the
	// arrow keys scroll it), between the header and the composer.
	b.tabTo("the conversation", `R.activeElement === R.querySelector(".s")`, true)
	var region string
	b.eval(`R.activeElement.getAttribute("role") + "|" + R.activeElement.getAttribute("aria-label")`, &region)
	if region != "region|Messages" {
		t.Errorf("the conversation is %q; want a region named Messages", region)
	}
	// Tab and Shift+Tab go round inside the open panel.
	for i := range 12 {
		b.key(kb.Tab, i >= 6)
		var inside bool
		b.eval(`document.activeElement === document.getElementById("kefu-widget") && R.querySelector(".p").contains(R.activeElement)`, &inside)
		if !inside {
			t.Fatalf("after %d Tab presses focus left the open panel", i+1)
		}
	}

	// Ask for a person; focus stays in the composer when the button goes.
	b.tabTo(`"Talk to a person"`, `R.activeElement === R.querySelector(".hu")`, false)
	b.key(kb.Enter, false)
	b.waitFor("the waiting banner, focus in the composer", `R.querySelector(".bn").textContent.includes("Waiting for a person") && R.activeElement === R.querySelector("textarea")`)
	if st := s.conversation().State; st != chat.StateQueued {
		t.Errorf("after asking for a person the conversation is %q; want queued", st)
	}

	// Escape closes; focus is back on the launcher.
	b.key(kb.Escape, false)
	b.waitFor("the closed panel, focus on the launcher", `!R.querySelector(".w.open") && `+launcher)

	// A reload shows the history but says none of it: it is not news.
	b.run("reload", chromedp.Reload())
	b.waitFor("the launcher", `R && R.querySelector(".l")`)
	b.tabTo("the chat launcher", launcher, false)
	b.key(kb.Enter, false)
	b.waitFor("the history", `R.querySelectorAll(".log .them .src").length == 1 && R.activeElement === R.querySelector("textarea")`)
	var announced string
	b.eval(`R.querySelector(".sr[aria-live]").textContent`, &announced)
	if announced != "" {
		t.Errorf("after a reload the live region says %q; want nothing (history is not announced)", announced)
	}

	// 200% zoom on a 1280×800 window is a 640×400 viewport: the panel fills
	// it, with its header, composer and send button in view; with reduced
	// motion nothing animates.
	b.resize(viewport{"zoom200", 640, 400, false})
	b.run("reduced motion", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	}))
	var fit struct {
		Panel, Close, Send, TA [4]float64
		Transition, Animation  string
	}
	b.eval(`(() => { const box = s => { const r = R.querySelector(s).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
		return {panel: box(".p"), close: box(".x"), send: box(".sd"), ta: box("textarea"),
			transition: getComputedStyle(R.querySelector(".p")).transitionDuration, animation: getComputedStyle(R.querySelector(".cur") || R.querySelector(".l")).animationName} })()`, &fit)
	inView := func(r [4]float64) bool {
		return r[0] >= 0 && r[1] >= 0 && r[2] <= 640 && r[3] <= 400 && r[2] > r[0] && r[3] > r[1]
	}
	if !inView(fit.Panel) || !inView(fit.Close) || !inView(fit.Send) || !inView(fit.TA) {
		t.Errorf("at 200%% zoom (640×400): panel %v, close %v, send %v, composer %v; want all inside the viewport", fit.Panel, fit.Close, fit.Send, fit.TA)
	}
	for _, d := range strings.Split(fit.Transition, ",") {
		if strings.TrimSpace(d) != "0s" || fit.Animation != "none" {
			t.Errorf("with reduced motion the panel's transitions last %q and the launcher animates %q; want 0s and none", fit.Transition, fit.Animation)
			break
		}
	}
	b.shot("zoom200")
}

// An agent with a keyboard alone: signs in, hears a new conversation arrive,
// opens and claims it, replies, inserts a canned response, writes a note,
// opens the transfer dialog (focus stays in it), hands back to the bot and
// resolves. The shopper hears the agent's reply once.
func TestBrowserA11yAgentKeyboard(t *testing.T) {
	s, _ := consoleShop(t, shopConfig{demoDocs: true}, account.RoleAgent)
	leo := addLeoAndThanks(t, s)
	a := newConsoleTab(t, "agent", desktop.w, desktop.h)
	a.open(s.origin + "/console")
	a.waitFor("the sign-in form, focus in the email", `document.activeElement === document.querySelector("form.login #email")`)
	a.typeText("mia@example.com", false)
	a.key(kb.Tab, false)
	a.typeText("correct horse battery", true)
	a.waitFor("the inbox, live", `document.querySelector("#rows") && document.querySelector("#conn .dot.live")`)
	a.recordLive("document.body")

	// A shopper asks for a person: the agent hears it.
	b := askForPerson(t, s)
	b.recordLive("R")
	a.waitFor("the conversation in the queue", `document.querySelectorAll("#rows .row").length == 1`)
	a.waitFor("the queue announced", `window.__live.some(x => x.includes("New conversation in the queue: 1 waiting"))`)

	// Open it and claim it.
	a.tabTo("the queued conversation", `document.activeElement.matches("#rows .row")`, false)
	a.key(kb.Enter, false)
	a.waitFor("the transcript", `document.querySelector("#log .msg.shopper") && document.querySelector('[data-act="claim"]')`)
	a.tabTo("Claim", `document.activeElement.matches('[data-act="claim"]')`, false)
	a.key(kb.Enter, false)
	a.waitFor("the claim, focus in the reply box", `document.querySelector("#conv .head .with")?.textContent == "With you" && document.activeElement.id == "reply"`)

	// Reply; the shopper hears it once.
	a.typeText("Hi, I'm Mia. How can I help?", true)
	a.waitFor("the reply sent", `[...document.querySelectorAll("#log .msg.agent .b")].some(e => e.textContent == "Hi, I'm Mia. How can I help?") && document.activeElement.id == "reply"`)
	b.waitFor("the agent's reply", `[...R.querySelectorAll(".log .them .m")].some(m => m.innerText.includes("Hi, I'm Mia."))`)
	if n := count(b.liveSaid(), func(x string) bool { return x == "Mia Chen: Hi, I'm Mia. How can I help?" }); n != 1 {
		t.Errorf("the shopper's live regions said the agent's reply %d times (%q); want once, with her name", n, b.liveSaid())
	}

	// A canned response: the list is announced and the editor points at
	// the option (focus stays in the editor); Enter inserts, Enter sends.
	a.typeText("/than", false)
	a.waitFor("the canned list", `document.querySelector("#canned:not([hidden]) [role=option][aria-selected=true]") &&
		document.querySelector("#reply").getAttribute("aria-activedescendant") == document.querySelector("#canned [aria-selected=true]").id &&
		document.querySelector("#reply").getAttribute("aria-expanded") == "true" && document.activeElement.id == "reply"`)
	a.waitFor("the list announced", `window.__live.some(x => x.startsWith("1 canned responses"))`)
	a.key(kb.ArrowDown, false)
	a.pressEnter()
	a.waitFor("the canned text in the editor", `document.querySelector("#reply").value == "Thanks for waiting! I'm on it." && document.querySelector("#canned").hidden`)
	a.pressEnter()
	b.waitFor("the canned reply", `[...R.querySelectorAll(".log .them .m")].some(m => m.innerText.includes("Thanks for waiting!"))`)

	// An internal note, with the note toggle reached by Tab.
	a.tabTo("the note toggle", `document.activeElement.id == "note-toggle"`, false)
	a.key(kb.Enter, false)
	a.waitFor("note mode, focus in the editor", `document.querySelector("#note-toggle").getAttribute("aria-pressed") == "true" && document.activeElement.id == "reply" &&
		document.querySelector("#reply").getAttribute("aria-label") == "Internal note"`)
	a.typeText("Polite shopper; check the parcel.", true)
	a.waitFor("the note", `[...document.querySelectorAll("#log .msg.note .b")].some(e => e.textContent == "Polite shopper; check the parcel.")`)
	a.tabTo("the note toggle", `document.activeElement.id == "note-toggle"`, false)
	a.key(kb.Enter, false)

	// Transfer: the dialog takes focus and keeps it; Escape gives it back.
	a.tabTo("Transfer", `document.activeElement.matches('[data-act="transfer"]')`, true)
	a.key(kb.Enter, false)
	a.waitFor("the transfer dialog, focus on Leo", `document.activeElement.matches('.dialog .pick[data-user="`+fmt.Sprint(leo.ID)+`"]')`)
	for i := range 5 {
		a.key(kb.Tab, i%2 == 1)
		var in bool
		a.eval(`!!document.activeElement.closest(".dialog")`, &in)
		if !in {
			t.Fatalf("after %d Tab presses focus left the transfer dialog", i+1)
		}
	}
	a.key(kb.Escape, false)
	a.waitFor("the dialog closed, focus on Transfer", `!document.querySelector("#overlay") && document.activeElement.matches('[data-act="transfer"]')`)

	// Hand back to the bot, then resolve; focus never falls out of the conversation.
	a.tabTo("Hand back", `document.activeElement.matches('[data-act="handback"]')`, false)
	a.key(kb.Enter, false)
	a.waitFor("the bot state, focus in the conversation", `document.querySelector("#state").textContent == "Bot" && document.querySelector("#conv").contains(document.activeElement)`)
	a.waitFor("the state announced", `window.__live.includes("Bot")`)
	a.tabTo("Resolve", `document.activeElement.matches('[data-act="resolve"]')`, false)
	a.key(kb.Enter, false)
	a.waitFor("resolved", `document.querySelector("#state").textContent == "Resolved" && document.querySelector("#conv").contains(document.activeElement)`)
	b.waitFor("the rating card", `!R.querySelector(".cs").hidden`)
	if st := s.conversation().State; st != chat.StateResolved {
		t.Errorf("the conversation is %q; want resolved", st)
	}
	a.consoleShot("keyboard-resolved")

	// Single-key shortcuts can be turned off (WCAG 2.1.4): then "4" does nothing.
	a.eval(`document.activeElement.blur()`, nil)
	a.key("?", false)
	a.waitFor("the shortcuts", `document.querySelector("#keys-on")`)
	a.tabTo("the shortcuts switch", `document.activeElement.id == "keys-on"`, false)
	a.key(" ", false)
	a.waitFor("shortcuts off", `!document.querySelector("#keys-on").checked`)
	a.key(kb.Escape, false)
	a.waitFor("the help closed", `!document.querySelector("#overlay")`)
	a.eval(`document.activeElement.blur()`, nil)
	a.key("4", false)
	a.key("?", false)
	a.waitFor("the help again (? stays on)", `document.querySelector("#help")`)
	var hash string
	a.eval(`location.hash`, &hash)
	if strings.HasPrefix(hash, "#/inbox/resolved") {
		t.Errorf("with single-key shortcuts off, 4 still opened %s", hash)
	}
}
