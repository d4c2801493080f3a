package chat_test

import (
	"sync"
	"testing"
	"time"

	"kefu/chat"
)

// A watcher may call the hub from its callback (close its subscription,
// watch another conversation): the hub must not hold its lock while it
// calls watchers. It used to, and such a callback froze the hub.
func TestHubCallsWatchersWithoutItsLock(t *testing.T) {
	hub := chat.NewHub()
	got := make(chan string, 4)
	var sub *chat.Subscription
	sub = hub.WatchConversation("c1", func(ev *chat.Event) bool {
		sub.Close()
		hub.WatchConversation("c2", func(ev *chat.Event) bool { got <- "c2 " + ev.Kind; return true })
		got <- "c1 " + ev.Kind
		return true
	})
	done := make(chan struct{})
	go func() {
		hub.Deliver(chat.Event{Kind: chat.KindTyping, ConversationID: "c1", SiteID: 1})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // a deadlock never ends: this only bounds the wait
		t.Fatal("Deliver never returned: the hub called a watcher under its own lock")
	}
	hub.Deliver(chat.Event{Kind: chat.KindState, ConversationID: "c1", SiteID: 1})
	hub.Deliver(chat.Event{Kind: chat.KindState, ConversationID: "c2", SiteID: 1})
	if a, b := <-got, <-got; a != "c1 typing" || b != "c2 state" {
		t.Errorf("watchers got %q, %q; want c1's typing only (it closed), then c2's state", a, b)
	}
	if n := hub.Subscribers("c1"); n != 0 {
		t.Errorf("c1 has %d subscribers after its only watcher closed; want 0", n)
	}
}

// Events one goroutine publishes reach each watcher in order; a watcher
// that returns false is dropped and hears nothing more; a full channel
// subscriber is closed as slow. Run with -race: watching, closing and
// delivering happen at once.
func TestHubOrderDropAndConcurrency(t *testing.T) {
	hub := chat.NewHub()
	var mu sync.Mutex
	var seen []int
	hub.WatchConversation("c1", func(ev *chat.Event) bool {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, ev.Message.Seq)
		return true
	})
	calls := 0
	hub.WatchConversation("c1", func(*chat.Event) bool { calls++; return false })
	slow := hub.SubscribeConversation("c1", 2)

	var wg sync.WaitGroup
	for range 4 { // others come and go meanwhile
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				s := hub.WatchConversation("c1", func(*chat.Event) bool { return true })
				c := hub.SubscribeSite(1, 1)
				s.Close()
				c.Close()
				c.Close() // twice is fine
			}
		}()
	}
	for seq := 1; seq <= 500; seq++ {
		hub.Deliver(chat.Event{Kind: chat.KindMessage, ConversationID: "c1", SiteID: 1, Message: &chat.Message{Seq: seq}})
	}
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 500 {
		t.Fatalf("the watcher got %d events; want 500", len(seen))
	}
	for i, seq := range seen {
		if seq != i+1 {
			t.Fatalf("event %d has seq %d; want them in the order published", i, seq)
		}
	}
	if calls != 1 {
		t.Errorf("a watcher that returned false was called %d times; want once", calls)
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != 2 || !slow.Dropped() {
		t.Errorf("the slow subscriber got %d events (dropped %v); want its 2 buffered, then closed as dropped", n, slow.Dropped())
	}
	if n := hub.Subscribers("c1"); n != 1 {
		t.Errorf("%d subscribers left; want only the watcher that keeps up", n)
	}
}
