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

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kefu/chat"
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

// The demo storefront with the widget open, then with a streamed answer,
// in English and Chinese, on a desktop and a phone; then the widget in
// other accent colours a shop may set.
func TestBrowserA11yDemoAndWidget(t *testing.T) {
	s := newShop(t, shopConfig{model: true, demoDocs: true})
	s.fake.SetTiming(20*time.Millisecond, 4)
	s.fake.Respond(a11yAnswers)
	questions := map[string]string{"en": "How long does shipping to the US take?", "zh": "寄到美国要多久？"}
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
		for _, color := range []string{"#ffe14d", "#777777", "#7dd3fc", "hotpink", "oklch(62% 0.19 145)", "#111111", "rgba(0, 0, 0, 0.1)"} {
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
		case time.Since(since) > 300*time.Millisecond:
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
	s, _ := consoleShop(t, shopConfig{demoDocs: true}, chat.RoleAdmin)
	ctx := context.Background()
	leo, err := s.opts.Accounts.Users.Create(ctx, "leo@example.com", "Leo Wang", chat.RoleAgent, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.opts.Accounts.Users.SetSites(ctx, leo.ID, []int64{s.site.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.opts.Accounts.Canned.Create(ctx, s.site.ID, "thanks", "Thanks for waiting! I'm on it."); err != nil {
		t.Fatal(err)
	}
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
					a.axeCheck("console/" + p + "/" + who.role + "/" + lang + "/" + v.name)
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
