package chat_test

import (
	"context"
	"strings"
	"testing"

	"kefu/chat"
)

// TestOffersTopicsWhenNotSure: a question the bot is not sure about gets
// the sections of its best guesses as topics; tapping one (its label sent
// as the next message) answers the question from that section.
func TestOffersTopicsWhenNotSure(t *testing.T) {
	f := newFixture(t, false)
	f.addDoc("care.md", "# Product care\n\n## Washing the linen throw\n\nMachine wash cold on a gentle cycle, then lay it flat to dry.\n\n"+
		"## Storing the linen throw\n\nFold it loosely into the cotton bag it came in and keep it away from sunlight.\n")
	v := f.visitor("en")
	first := replies(v.say("linen throw stain"), chat.RoleBot)
	if len(first) != 1 || first[0].Answered == nil || *first[0].Answered {
		t.Fatalf("replies %+v; want one reply that is not sure", first)
	}
	var labels []string
	for _, tp := range first[0].Topics {
		labels = append(labels, tp.Label)
	}
	if len(labels) == 0 || len(labels) > 3 {
		t.Fatalf("topics %q; want one to three", labels)
	}
	i := -1
	for k, l := range labels {
		if l == "Washing the linen throw" {
			i = k
		}
	}
	if i < 0 {
		t.Fatalf("topics %q lack the washing section", labels)
	}
	tap := replies(v.say(labels[i]), chat.RoleBot)
	if len(tap) != 1 || !strings.Contains(tap[0].Text, "Machine wash cold") || len(tap[0].Citations) != 1 || tap[0].Citations[0].Source != "care.md" {
		t.Fatalf("after the tap: %+v; want the washing section, cited", tap)
	}
	if len(tap[0].Topics) != 0 {
		t.Errorf("an answer offers topics %+v; want none", tap[0].Topics)
	}
	// Asked from the other section offered, the same question is answered
	// from it (as the command line and answer tests ask a topic).
	ask := func(pick *chat.Topic) *chat.AskResult {
		res, err := f.engine.Ask(context.Background(), f.site, chat.AskRequest{Text: "linen throw stain", Pick: pick})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := ask(nil); res.Answered || len(res.Topics) != len(labels) {
		t.Fatalf("asked alone: answered %v, topics %+v; want not sure, the same topics", res.Answered, res.Topics)
	}
	var storing chat.Topic
	for _, tp := range first[0].Topics {
		if tp.Label == "Storing the linen throw" {
			storing = tp
		}
	}
	if res := ask(&storing); !res.Answered || !strings.Contains(res.Reply, "Fold it loosely") {
		t.Errorf("asked from %q: %q; want the storing section", storing.Label, res.Reply)
	}
	if res := ask(&chat.Topic{Label: "Returns", Source: "returns.md", Heading: "Returns"}); res.Answered {
		t.Errorf("asked from a section the site lacks: %q; want not sure", res.Reply)
	}
}

// TestTopicsWhileWaiting: while a conversation waits for a person and
// nobody is online, a question the bot is not sure about still gets the
// topics it may be about, and a tap is answered from that section with
// the note that the team will follow up.
func TestTopicsWhileWaiting(t *testing.T) {
	f := newFixture(t, false)
	f.opts.AgentsOnline = func(int64) int { return 0 }
	eng := chat.NewEngine(f.opts)
	t.Cleanup(func() { eng.Close(context.Background()) })
	f.engine = eng
	f.addDoc("care.md", "# Product care\n\n## Washing the linen throw\n\nMachine wash cold on a gentle cycle, then lay it flat to dry.\n\n"+
		"## Storing the linen throw\n\nFold it loosely into the cotton bag it came in and keep it away from sunlight.\n")
	v := f.visitor("en")
	v.say("a person please")
	if c := v.conversation(); c.State != chat.StateQueued {
		t.Fatalf("state %s; want queued", c.State)
	}
	unsure := replies(v.say("linen throw stain"), chat.RoleBot)
	if len(unsure) != 1 || unsure[0].Answered == nil || *unsure[0].Answered || !strings.Contains(unsure[0].Text, "follow up") {
		t.Fatalf("while waiting: %+v; want one reply that is not sure and says the team follows up", unsure)
	}
	label := ""
	for _, tp := range unsure[0].Topics {
		if tp.Label == "Washing the linen throw" {
			label = tp.Label
		}
	}
	if label == "" {
		t.Fatalf("topics while waiting %+v; want the washing section among them", unsure[0].Topics)
	}
	tap := replies(v.say(label), chat.RoleBot)
	if len(tap) != 1 || !strings.Contains(tap[0].Text, "Machine wash cold") || !strings.Contains(tap[0].Text, "follow up") ||
		len(tap[0].Citations) != 1 || tap[0].Citations[0].Source != "care.md" {
		t.Fatalf("tap while waiting: %+v; want the washing section, cited, and that the team follows up", tap)
	}
	if c := v.conversation(); c.State != chat.StateQueued {
		t.Errorf("state %s after the tap; want still queued for the team", c.State)
	}
}

// TestLessSureAnswerOffersOtherTopics: an answer the bot is less sure of
// comes with the other sections its guesses came from (not its own); a
// tap answers from the tapped one. A sure answer comes alone.
func TestLessSureAnswerOffersOtherTopics(t *testing.T) {
	f := newFixture(t, false)
	f.addDoc("care.md", "# Product care\n\n## Washing the linen throw\n\nMachine wash cold on a gentle cycle, then lay it flat to dry.\n\n"+
		"## Storing the linen throw\n\nFold it loosely into the cotton bag it came in and keep it away from sunlight.\n\n"+
		"## Stains on linen\n\nDab fresh stains with cold water; never rub them.\n")
	v := f.visitor("en")
	first := replies(v.say("linen throw care please"), chat.RoleBot)
	if len(first) != 1 || first[0].Answered == nil || !*first[0].Answered || len(first[0].Citations) != 1 {
		t.Fatalf("replies %+v; want one cited answer", first)
	}
	answered := first[0].Citations[0].Heading
	var other string
	for _, tp := range first[0].Topics {
		if strings.HasSuffix(answered, tp.Label) {
			t.Errorf("the answer offers its own section %q as a topic", tp.Label)
		}
		if tp.Label == "Washing the linen throw" {
			other = tp.Label
		}
	}
	if other == "" {
		t.Fatalf("answer from %q offers topics %+v; want the washing section among them", answered, first[0].Topics)
	}
	tap := replies(v.say(other), chat.RoleBot)
	if len(tap) != 1 || !strings.Contains(tap[0].Text, "Machine wash cold") {
		t.Fatalf("after the tap: %+v; want the washing section", tap)
	}
	sure, err := f.engine.Ask(context.Background(), f.site, chat.AskRequest{Text: "how to keep the linen throw"})
	if err != nil {
		t.Fatal(err)
	}
	if !sure.Answered || len(sure.Topics) != 0 {
		t.Errorf("a sure answer: answered %v, topics %+v; want an answer alone", sure.Answered, sure.Topics)
	}
}

// TestTopicTappedWithAPersonOnline: when the reply that is not sure also
// sends the conversation to an online team's queue, a tap on one of its
// topics is still answered (a button that does nothing looks broken),
// saying a person will reply shortly.
func TestTopicTappedWithAPersonOnline(t *testing.T) {
	f := newFixture(t, false) // an agent is online
	f.configure(map[string]any{"escalation": map[string]any{"no_answer_streak": 1}})
	f.addDoc("care.md", "# Product care\n\n## Washing the linen throw\n\nMachine wash cold on a gentle cycle, then lay it flat to dry.\n\n"+
		"## Storing the linen throw\n\nFold it loosely into the cotton bag it came in and keep it away from sunlight.\n")
	v := f.visitor("en")
	unsure := replies(v.say("linen throw stain"), chat.RoleBot)
	if c := v.conversation(); c.State != chat.StateQueued || len(unsure) != 1 || len(unsure[0].Topics) == 0 {
		t.Fatalf("state %s, replies %+v; want a reply that is not sure, with topics, and the conversation queued", c.State, unsure)
	}
	tap := replies(v.say(unsure[0].Topics[0].Label), chat.RoleBot)
	if len(tap) != 1 || len(tap[0].Citations) != 1 || !strings.Contains(tap[0].Text, "reply here shortly") {
		t.Fatalf("tap with a person online: %+v; want the section, cited, and that a person replies shortly", tap)
	}
	if bot := replies(v.say("and what about stains?"), chat.RoleBot); len(bot) != 0 {
		t.Errorf("with a person online the bot answered an ordinary message: %+v", bot)
	}
}
