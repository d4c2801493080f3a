package chat_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kefu/chat"
)

// A node took a shopper's message and died before the bot's turn: once the
// lease runs out, exactly one of the nodes that sweep answers it, once.
func TestAnswerUnansweredOnce(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	v := f.visitor("en")
	convID := v.sess.Conversation.ID
	if _, _, _, err := f.store.Append(ctx, &chat.Message{ConversationID: convID, Role: chat.RoleShopper,
		Text: "How long does express delivery take?", ClientID: "taken-by-a-dead-node"}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.engine.AnswerUnanswered(ctx); n != 0 || err != nil {
		t.Fatalf("while the lease runs: %d answered (%v); want 0", n, err)
	}
	lapse := func(ago string) {
		t.Helper()
		if _, err := f.db.Exec(ctx, "update conversations set turn_lease = now() - $2::interval where id = $1", convID, ago); err != nil {
			t.Fatal(err)
		}
	}
	lapse("1 second")

	// Two more nodes sweep at the same moment.
	nodes := []*chat.Engine{f.engine, chat.NewEngine(f.opts), chat.NewEngine(f.opts)}
	for _, e := range nodes[1:] {
		t.Cleanup(func() { e.Close(ctx) })
	}
	var wg sync.WaitGroup
	counts := make([]int, len(nodes))
	for i, e := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := e.AnswerUnanswered(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if counts[0]+counts[1]+counts[2] != 1 {
		t.Fatalf("nodes took %v; want exactly one message in all", counts)
	}
	bots := replies(v.collect(8*time.Second), chat.RoleBot)
	if len(bots) != 1 || !strings.Contains(bots[0].Text, "2 to 3 business days") {
		t.Fatalf("bot replies after recovery: %+v; want one answer from the shipping page", bots)
	}

	// Answered now: nothing more to do, however the lease stands.
	lapse("1 second")
	if n, _ := f.engine.AnswerUnanswered(ctx); n != 0 {
		t.Errorf("after the reply: %d answered; want 0", n)
	}
	var stored int
	if err := f.db.QueryRow(ctx, "select count(*) from messages where conversation_id = $1 and role = 'bot'", convID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 1 {
		t.Errorf("%d bot messages stored; want 1", stored)
	}

	// A message answered the normal way is never taken again.
	w := f.visitor("en")
	if bots := replies(w.say("How long does standard delivery take?"), chat.RoleBot); len(bots) != 1 {
		t.Fatalf("normal turn: %d replies", len(bots))
	}
	if _, err := f.db.Exec(ctx, "update conversations set turn_lease = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.engine.AnswerUnanswered(ctx); n != 0 {
		t.Errorf("answered conversations: %d taken; want 0", n)
	}

	// Too old to answer: left alone (a person sees it in the inbox).
	x := f.visitor("en")
	if _, _, _, err := f.store.Append(ctx, &chat.Message{ConversationID: x.sess.Conversation.ID, Role: chat.RoleShopper, Text: "Hello?"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(ctx, "update conversations set turn_lease = now() - interval '11 minutes' where id = $1", x.sess.Conversation.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.engine.AnswerUnanswered(ctx); n != 0 {
		t.Errorf("a message older than the window: %d taken; want 0", n)
	}
}

// Shutting down while shoppers still write: Close stops new turns without
// racing the posts (the race detector watches), and every message is stored.
func TestCloseWhilePosting(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	e := chat.NewEngine(f.opts)
	sess, err := e.Hello(ctx, f.site, "", "en", nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 40 {
			if _, _, err := e.Post(ctx, sess, "c"+strconv.Itoa(i), "hello "+strconv.Itoa(i)); err != nil {
				t.Error(err)
			}
		}
	}()
	e.Close(ctx)
	wg.Wait()
	var n int
	if err := f.db.QueryRow(ctx, "select count(*) from messages where conversation_id = $1 and role = 'shopper'", sess.Conversation.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 40 {
		t.Errorf("%d shopper messages stored; want 40", n)
	}
}

// A message that cannot be loaded does not cost the others their answer:
// recovery used to mark every claimed conversation recovered before loading
// their messages, so one failure left the rest unanswered for good.
func TestAnswerUnansweredPastABadMessage(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	bad, good := f.visitor("en"), f.visitor("en")
	for i, v := range []*visitor{bad, good} {
		if _, _, _, err := f.store.Append(ctx, &chat.Message{ConversationID: v.sess.Conversation.ID, Role: chat.RoleShopper,
			Text: "How long does express delivery take?", ClientID: "dead-node-" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The bad conversation's lease lapsed first, and its message cannot be
	// read back (citations that are not a list).
	if _, err := f.db.Exec(ctx, `update messages set citations = '{"not": "a list"}' where conversation_id = $1`, bad.sess.Conversation.ID); err != nil {
		t.Fatal(err)
	}
	for id, ago := range map[string]string{bad.sess.Conversation.ID: "5 seconds", good.sess.Conversation.ID: "1 second"} {
		if _, err := f.db.Exec(ctx, "update conversations set turn_lease = now() - $2::interval where id = $1", id, ago); err != nil {
			t.Fatal(err)
		}
	}
	n, err := f.engine.AnswerUnanswered(ctx)
	if err == nil || !strings.Contains(err.Error(), bad.sess.Conversation.ID) {
		t.Errorf("AnswerUnanswered error %v; want one naming the bad conversation", err)
	}
	if n != 1 {
		t.Fatalf("started %d turns; want 1 (the good conversation)", n)
	}
	if bots := replies(good.collect(8*time.Second), chat.RoleBot); len(bots) != 1 {
		t.Fatalf("the good conversation got %d replies; want 1", len(bots))
	}
}
