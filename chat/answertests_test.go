package chat_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"kefu/chat"
	"kefu/internal/kefutest"
)

func TestAnswerTests(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	tests := chat.NewAnswerTests(f.db, f.engine, nil)
	express, err := tests.Add(ctx, f.site.ID, chat.AnswerTest{Question: "how many business days does express delivery take",
		Facts: []chat.Fact{{"2 to 3 business days", "2–3 business days"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tests.Add(ctx, f.site.ID, chat.AnswerTest{Question: "how long do I have to return something",
		Facts: []chat.Fact{{"30 days"}}}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []chat.AnswerTest{
		{Question: "", Facts: []chat.Fact{{"x"}}},
		{Question: "no facts"},
		{Question: "empty wording", Facts: []chat.Fact{{" "}}},
		{Question: strings.Repeat("long ", 1000), Facts: []chat.Fact{{"x"}}},
	} {
		if _, err := tests.Add(ctx, f.site.ID, bad); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("Add(%.30q) = %v; want ErrInvalid", bad.Question, err)
		}
	}
	if _, err := tests.LatestRun(ctx, f.site.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("LatestRun before any run: %v; want ErrNotFound", err)
	}
	run, err := tests.Run(ctx, f.site, "manual")
	if err != nil {
		t.Fatal(err)
	}
	if run.Passed != 2 || run.Failed != 0 || len(run.Regressed) != 0 {
		t.Fatalf("first run: %d passed, %d failed, %d regressed; want 2, 0, 0 (%+v)", run.Passed, run.Failed, len(run.Regressed), run.Results)
	}
	// The shop replaces its shipping page: express now takes longer. The
	// test that passed fails, and the run says it regressed.
	if _, err := f.lib().Add(ctx, f.site.ID, "shipping.md", []byte("# Shipping\n\n## Delivery times\nEvery order takes 10 business days.\n\n## Returns window\nYou can return any item within 30 days of delivery for a full refund.\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.lib().ProcessAll(ctx); err != nil {
		t.Fatal(err)
	}
	run, err = tests.Run(ctx, f.site, "knowledge changed: shipping.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Regressed) != 1 || run.Regressed[0].TestID != express.ID || run.Regressed[0].Passed {
		t.Fatalf("after the change: regressed %+v; want the express test", run.Regressed)
	}
	// No passage states the express test's facts any more: the admin is
	// told to add them, not to help the bot find them.
	if got := run.Regressed[0].FoundIn; len(got) != 0 {
		t.Errorf("express test found in %q; want nowhere", got)
	}
	list, err := tests.List(ctx, f.site.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Last == nil || list[0].Last.Passed || list[1].Last == nil || !list[1].Last.Passed {
		t.Fatalf("list after the runs: %+v; want the express test failing, the returns test passing", list)
	}
	latest, err := tests.LatestRun(ctx, f.site.ID)
	if err != nil || latest.ID != run.ID || len(latest.Regressed) != 1 || len(latest.Results) != 2 {
		t.Fatalf("LatestRun = %+v, %v", latest, err)
	}
	if err := tests.Delete(ctx, f.site.ID, express.ID); err != nil {
		t.Fatal(err)
	}
	// A test the bot fails although a passage states its facts names that
	// passage, in the run and in the list.
	odd, err := tests.Add(ctx, f.site.ID, chat.AnswerTest{Question: "what is the meaning of life", Facts: []chat.Fact{{"30 days"}}})
	if err != nil {
		t.Fatal(err)
	}
	if run, err = tests.Run(ctx, f.site, "manual"); err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, r := range run.Results {
		if r.TestID == odd.ID {
			if r.Passed {
				t.Fatalf("%q passed: %q", odd.Question, r.Reply)
			}
			found = r.FoundIn
		}
	}
	if !slices.Contains(found, "shipping.md › Returns window") {
		t.Errorf("found in %q; want shipping.md › Returns window", found)
	}
	if list, err = tests.List(ctx, f.site.ID); err != nil {
		t.Fatal(err)
	}
	if last := list[len(list)-1].Last; last == nil || !slices.Contains(last.FoundIn, "shipping.md › Returns window") {
		t.Errorf("listed %+v; want the passage kept with the result", last)
	}
	if err := tests.Delete(ctx, f.site.ID, express.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("deleting twice: %v; want ErrNotFound", err)
	}
}

// A knowledge change starts a run by itself, once.
func TestAnswerTestsRunAfterKnowledgeChanges(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	tests := chat.NewAnswerTests(f.db, f.engine, nil)
	if _, err := tests.Add(ctx, f.site.ID, chat.AnswerTest{Question: "how long do I have to return something", Facts: []chat.Fact{{"30 days"}}}); err != nil {
		t.Fatal(err)
	}
	watchCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); tests.Watch(watchCtx, f.lib(), 20*time.Millisecond, 0) }()
	t.Cleanup(func() { stop(); <-done })
	// The fixture ingested documents: that change is tested once.
	latest := waitRun(t, tests, f.site.ID, 0)
	if !strings.HasPrefix(latest.Reason, "knowledge changed") || latest.Passed != 1 {
		t.Fatalf("first run: %+v", latest)
	}
	if _, err := f.lib().AddSynonym(ctx, f.site.ID, "send back => return"); err != nil {
		t.Fatal(err)
	}
	next := waitRun(t, tests, f.site.ID, latest.ID)
	if !strings.Contains(next.Reason, "synonyms") {
		t.Fatalf("run after the vocabulary changed: reason %q", next.Reason)
	}
}

// waitRun waits for a finished run newer than after (polling the database,
// the only place a run shows).
func waitRun(t *testing.T, tests *chat.AnswerTests, siteID, after int64) *chat.AnswerTestRun {
	t.Helper()
	var run *chat.AnswerTestRun
	kefutest.WaitFor(t, func() bool {
		r, err := tests.LatestRun(context.Background(), siteID)
		run = r
		return err == nil && r.ID > after
	}, "a run after %d", after)
	return run
}
