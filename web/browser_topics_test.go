package web_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kefu/internal/account"
)

// TestBrowserTopicsWhenNotSure: a reply that is not sure offers topics as
// buttons a shopper can reach with the keyboard; tapping one sends its
// label and gets an answer from that section, cited, and the buttons go.
func TestBrowserTopicsWhenNotSure(t *testing.T) {
	for _, v := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		t.Run(v.name, func(t *testing.T) {
			s := newShop(t, shopConfig{demoDocs: true})
			b := newTab(t, v.name, v.width, v.height, v.mobile)
			b.open(s.origin + "/demo")
			b.openWidget()
			b.say("package arrived wet")
			b.waitFor("topics", `R.querySelectorAll(".log .r:last-child .sg .sgb").length > 0`)
			var labels []string
			b.eval(`[...R.querySelectorAll(".log .r:last-child .sg .sgb")].map(b => b.textContent)`, &labels)
			if len(labels) > 3 {
				t.Errorf("topics %q; want at most three", labels)
			}
			var group string
			b.eval(`(() => { const g = R.querySelector(".log .r:last-child .sg"); return g.getAttribute("role") + ":" +
				R.getElementById(g.getAttribute("aria-labelledby")).textContent })()`, &group)
			if group != "group:Did you mean…" {
				t.Errorf("topics group = %q; want a group labelled by its visible heading", group)
			}
			b.axeCheck("topics")
			b.shot("topics-" + v.name)
			k := slices.Index(labels, "Damaged, faulty or wrong items")
			if k < 0 {
				t.Fatalf("topics %q lack the section on damaged items", labels)
			}
			before := len(b.rows())
			b.click(".log .r:last-child .sg .sgb:nth-of-type(" + strconv.Itoa(k+1) + ")")
			b.waitFor("the answer to the topic", `R.querySelectorAll(".log > .r").length >= `+strconv.Itoa(before+2)+
				` && R.querySelector(".log > .r:last-child")._it.role == "bot"`)
			rows := b.rows()
			asked, answer := rows[len(rows)-2], rows[len(rows)-1]
			if asked.Text != labels[k] || !strings.Contains(asked.Class, "me") {
				t.Errorf("the tap sent %+v; want the shopper's message %q", asked, labels[k])
			}
			if len(answer.Sources) == 0 || !strings.Contains(answer.Text, "7 days") {
				t.Errorf("answer to the topic %+v; want a cited answer", answer)
			}
			b.shot("topic-answer-" + v.name)
			var shown int
			b.eval(`[...R.querySelectorAll(".log .sg")].filter(g => g.offsetParent !== null).length`, &shown)
			if shown != 0 {
				t.Errorf("%d topic groups still shown after the tap; want none", shown)
			}
		})
	}
}

// TestBrowserTopicsStayAboveANotice: when the reply that is not sure also
// sends the conversation to the queue, the notice that follows it leaves
// its topics in reach, and a tap is answered while the shopper waits; the
// agent who opens the conversation sees what was offered and tapped.
func TestBrowserTopicsStayAboveANotice(t *testing.T) {
	s, _ := consoleShop(t, shopConfig{demoDocs: true}, account.RoleAgent)
	if _, err := s.opts.Sites.UpdateSettings(context.Background(), s.site.Key, map[string]any{
		"escalation": map[string]any{"no_answer_streak": 1},
	}); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, "phone", 390, 844, true)
	b.open(s.origin + "/demo")
	b.openWidget()
	b.say("package arrived wet")
	b.waitFor("the notice after the topics", `R.querySelector(".log > .r:last-child")._it.role == "system" &&
		R.querySelectorAll(".log .sg .sgb").length > 0`)
	var shown []string
	b.eval(`[...R.querySelectorAll(".log .sg .sgb")].filter(b => b.offsetParent !== null).map(b => b.textContent)`, &shown)
	k := slices.Index(shown, "Damaged, faulty or wrong items")
	if k < 0 {
		t.Fatalf("topics in reach above the notice %q; want the section on damaged items", shown)
	}
	b.axeCheck("topics above a notice")
	b.shot("topics-above-notice-phone")
	before := len(b.rows())
	b.click(".log .sg .sgb:nth-of-type(" + strconv.Itoa(k+1) + ")")
	b.waitFor("the answer to the topic", `R.querySelectorAll(".log > .r").length >= `+strconv.Itoa(before+2)+
		` && R.querySelector(".log > .r:last-child")._it.role == "bot"`)
	rows := b.rows()
	if answer := rows[len(rows)-1]; len(answer.Sources) == 0 || !strings.Contains(answer.Text, "7 days") || !strings.Contains(answer.Text, "follow up") {
		t.Errorf("answer to the topic while waiting %+v; want a cited answer and that the team follows up", answer)
	}

	a := newConsoleTab(t, "agent", 390, 844)
	a.signIn(s.origin, "mia@example.com", "correct horse battery")
	a.press("#rows .row")
	a.waitFor("the offered topics and the tap", `[...document.querySelectorAll("#log .msg.bot .topics .cite")].some(e => e.textContent == "Damaged, faulty or wrong items") &&
		[...document.querySelectorAll("#log .msg.shopper")].some(m => m.querySelector(".badge.tapped") && m.querySelector(".b").textContent == "Damaged, faulty or wrong items")`)
	var untapped int
	a.eval(`[...document.querySelectorAll("#log .msg.shopper")].filter(m => m.querySelector(".badge.tapped")).length`, &untapped)
	if untapped != 1 {
		t.Errorf("%d shopper messages marked as a tapped topic; want only the tap", untapped)
	}
	a.axeCheck("console topics")
	a.eval(`document.querySelector("#log .msg.bot .topics").scrollIntoView({block: "center"})`, nil)
	a.consoleShot("topics-phone")
}

// TestBrowserTopicsUnderALessSureAnswer: an answer the bot is less sure of
// shows the other sections it may be about, under their own heading.
func TestBrowserTopicsUnderALessSureAnswer(t *testing.T) {
	s := newShop(t, shopConfig{docs: map[string]string{"care.md": "# Product care\n\n## Washing the linen throw\n\nMachine wash cold on a gentle cycle, then lay it flat to dry.\n\n" +
		"## Storing the linen throw\n\nFold it loosely into the cotton bag it came in and keep it away from sunlight.\n\n" +
		"## Stains on linen\n\nDab fresh stains with cold water; never rub them.\n"}})
	b := newTab(t, "phone", 390, 844, true)
	b.open(s.origin + "/demo")
	b.openWidget()
	b.say("laundry linen throw")
	b.waitFor("the answer and its topics", `R.querySelector(".log > .r:last-child .sg .sgb") && R.querySelector(".log > .r:last-child .src")`)
	var head string
	b.eval(`R.querySelector(".log > .r:last-child .sg .sgl").textContent`, &head)
	if head != "Not what you asked? Try:" {
		t.Errorf("topics under an answer headed %q; want %q", head, "Not what you asked? Try:")
	}
	b.axeCheck("topics under an answer")
	b.shot("topics-under-answer-phone")
}
