package web_test

import (
	"context"
	"strings"
	"testing"

	"kefu/internal/account"
)

// An admin keeps answer tests in the console: adds them with the form, runs
// them, and reads for each failed one whether the knowledge states its facts
// (and where) or not at all; on a phone the page does not scroll sideways.
func TestBrowserConsoleAnswerTests(t *testing.T) {
	s, _ := consoleShop(t, shopConfig{demoDocs: true}, account.RoleAdmin)
	a := newConsoleTab(t, "admin", 1280, 800)
	a.signIn(s.origin, "mia@example.com", "correct horse battery")
	a.press(`.top nav a[data-page="answertests"]`)
	a.waitFor("the answer tests page", `document.querySelector("#at-rows") && document.querySelector("#at-question")`)

	add := func(question, facts string) {
		t.Helper()
		a.fill("#at-question", question)
		a.fill("#at-facts-in", facts)
		a.press("#at-add")
		a.waitFor("the test listed", `[...document.querySelectorAll("#at-rows tr")].some(r => r.innerText.includes(`+jsString(question)+`))`)
	}
	add("How long do I have to return something?", "30 days / 30 天")
	add("what is the meaning of life", "30 days")
	add("Do you sell flux capacitors?", "1.21 gigawatts")
	a.press("#at-run")
	a.waitFor("the run's summary", `document.querySelector("#at-status").innerText.includes("1 passed, 2 failed")`)

	row := func(question string) string {
		var text string
		a.eval(`[...document.querySelectorAll("#at-rows tr")].find(r => r.innerText.includes(`+jsString(question)+`)).innerText`, &text)
		return text
	}
	if r := row("How long do I have to return something?"); !strings.Contains(r, "Pass") || strings.Contains(r, "Your knowledge states it") {
		t.Errorf("passing test's row: %q; want Pass and no hint", r)
	}
	// The returns page states 30 days; the bot did not answer from it.
	if r := row("what is the meaning of life"); !strings.Contains(r, "Missing: 30 days") || !strings.Contains(r, "Your knowledge states it in returns-refunds.md") {
		t.Errorf("failing test with its facts in the knowledge: %q; want the passage named", r)
	}
	if r := row("Do you sell flux capacitors?"); !strings.Contains(r, "No passage of your knowledge states it") {
		t.Errorf("failing test with facts nowhere: %q; want to be told to add them", r)
	}
	tests, err := s.opts.AnswerTests.List(context.Background(), s.site.ID)
	if err != nil || len(tests) != 3 {
		t.Fatalf("stored tests: %d, %v; want the three added", len(tests), err)
	}
	a.consoleShot("answertests")

	p := newConsoleTab(t, "phone", 390, 844)
	p.signIn(s.origin, "mia@example.com", "correct horse battery")
	p.press(`.top nav a[data-page="answertests"]`)
	p.waitFor("the results on a phone", `[...document.querySelectorAll("#at-rows .at-found")].length == 2`)
	p.waitFor("no horizontal scrolling", `document.documentElement.scrollWidth <= innerWidth && document.body.scrollWidth <= innerWidth`)
	p.consoleShot("phone-answertests")
}
