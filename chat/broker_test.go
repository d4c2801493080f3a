package chat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/kefutest"
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
	waitListening(t, db, 2)

	long := strings.Repeat("很长的回复。", 1500) // over NOTIFY's 8000-byte payload
	m, _, _, err := store.Append(ctx, &chat.Message{ConversationID: conv.ID, Role: chat.RoleAgent, Text: long})
	if err != nil {
		t.Fatal(err)
	}
	// A's last event (after the delta) marks the end of what B may get.
	marker := func(name string) chat.Event {
		return chat.Event{Kind: chat.KindState, ConversationID: conv.ID, SiteID: site.ID, State: chat.StateAgent, AgentName: name}
	}
	for _, ev := range []chat.Event{
		{Kind: chat.KindState, ConversationID: conv.ID, SiteID: site.ID, State: chat.StateAgent, AgentName: "Ann"},
		{Kind: chat.KindMessage, ConversationID: conv.ID, SiteID: site.ID, Message: m},
		{Kind: chat.KindDelta, ConversationID: conv.ID, SiteID: site.ID, Delta: "local only"},
		marker("end of A"),
	} {
		if err := a.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	got := receive(t, subB, 3)
	if got[0].Kind != chat.KindState || got[0].AgentName != "Ann" || got[1].Message == nil || got[1].Message.Text != long {
		t.Errorf("node B got %+v, %+v; want the state and the whole long message", got[0], got[1])
	}
	if got[2].AgentName != "end of A" {
		t.Errorf("node B got an extra event %+v before A's last one (deltas stay on their node)", got[2])
	}
	// Notifications arrive in commit order: the first event A gets must be
	// B's, not one of its own back.
	if err := b.Publish(ctx, marker("from B")); err != nil {
		t.Fatal(err)
	}
	if ev := receive(t, subA, 1)[0]; ev.AgentName != "from B" {
		t.Errorf("node A got %+v first; want B's event, not its own back", ev)
	}
}

// waitListening waits until n connections of this database listen for
// events (pg_stat_activity shows their LISTEN done).
func waitListening(t *testing.T, db *pgxpool.Pool, n int) {
	t.Helper()
	kefutest.WaitFor(t, func() bool {
		var got int
		if err := db.QueryRow(context.Background(), `select count(*) from pg_stat_activity
			where datname = current_database() and query = 'listen kefu_events' and state = 'idle'`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got >= n
	}, "%d listening connections", n)
}

// receive takes n events from sub (failing after kefutest.WaitTimeout).
func receive(t *testing.T, sub *chat.Subscription, n int) []*chat.Event {
	t.Helper()
	var got []*chat.Event
	timeout := time.After(kefutest.WaitTimeout)
	for len(got) < n {
		select {
		case ev := <-sub.C:
			got = append(got, ev)
		case <-timeout:
			t.Fatalf("got %d events; want %d", len(got), n)
		}
	}
	return got
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
	waitListening(t, db, 1)
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
