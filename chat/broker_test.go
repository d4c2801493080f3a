package chat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"kefu/chat"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
)

// Two nodes on one database: an event published on one reaches the other's
// hub (large messages by reference), and nobody gets their own back twice.
func TestPGBrokerAcrossNodes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := pgtest.New(t)
	store := chat.NewStore(db)
	site, _ := sites.NewStore(db).Create(ctx, "Shop", nil)
	v, _ := store.NewVisitor(ctx, site.ID, "en")
	conv, _ := store.OpenConversation(ctx, v, "en")

	hubA, hubB := chat.NewHub(), chat.NewHub()
	a, b := chat.NewPGBroker(db, hubA, store, nil), chat.NewPGBroker(db, hubB, store, nil)
	go a.Run(ctx)
	go b.Run(ctx)
	subA, subB := hubA.SubscribeConversation(conv.ID, 16), hubB.SubscribeConversation(conv.ID, 16)
	defer subA.Close()
	defer subB.Close()
	time.Sleep(300 * time.Millisecond) // both listening

	long := strings.Repeat("很长的回复。", 1500) // over NOTIFY's 8000-byte payload
	m, _, _, err := store.Append(ctx, &chat.Message{ConversationID: conv.ID, Role: chat.RoleAgent, Text: long})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []chat.Event{
		{Kind: chat.KindState, ConversationID: conv.ID, SiteID: site.ID, State: chat.StateAgent, AgentName: "Ann"},
		{Kind: chat.KindMessage, ConversationID: conv.ID, SiteID: site.ID, Message: m},
		{Kind: chat.KindDelta, ConversationID: conv.ID, SiteID: site.ID, Delta: "local only"},
	} {
		if err := a.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	var got []*chat.Event
	timeout := time.After(15 * time.Second)
	for len(got) < 2 {
		select {
		case ev := <-subB.C:
			got = append(got, ev)
		case <-timeout:
			t.Fatalf("node B got %d events; want 2", len(got))
		}
	}
	if got[0].Kind != chat.KindState || got[0].AgentName != "Ann" || got[1].Message == nil || got[1].Message.Text != long {
		t.Errorf("node B got %+v, %+v; want the state and the whole long message", got[0], got[1])
	}
	select {
	case ev := <-subB.C:
		t.Errorf("node B got an extra event %+v (deltas stay on their node)", ev)
	case ev := <-subA.C:
		t.Errorf("node A got its own event back: %+v", ev)
	case <-time.After(500 * time.Millisecond):
	}
}

// When a node's listening connection drops, events may be missed: once it
// listens again, its watchers are told to resync from the database.
func TestPGBrokerResyncAfterDrop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := pgtest.New(t)
	hub := chat.NewHub()
	b := chat.NewPGBroker(db, hub, chat.NewStore(db), nil)
	go b.Run(ctx)
	resynced := make(chan bool, 1)
	hub.WatchConversation("c1", func(ev *chat.Event) bool {
		if ev.Kind == chat.KindResync {
			resynced <- true
		}
		return true
	})
	sub := hub.SubscribeSite(1, 4)
	time.Sleep(300 * time.Millisecond)
	if _, err := db.Exec(ctx, `select pg_terminate_backend(pid) from pg_stat_activity
		where datname = current_database() and query like 'listen%' and pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-resynced:
	case <-time.After(10 * time.Second):
		t.Fatal("watcher was not told to resync after the listener reconnected")
	}
	if _, open := <-sub.C; open || !sub.Dropped() {
		t.Error("channel subscriber was not closed for resync")
	}
}
