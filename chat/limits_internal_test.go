package chat

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// A long-running server sees visitors without end: limiters that refilled
// are forgotten, one still holding a visitor back is kept.
func TestLimitersStayBounded(t *testing.T) {
	e := NewEngine(Options{VisitorPerMinute: 60_000_000, SitePerMinute: 60_000_000}) // refills within microseconds
	defer e.Close(t.Context())
	held := rate.NewLimiter(rate.Every(time.Hour), 1)
	held.Allow()
	e.visitors[-1] = held
	for id := range int64(3 * maxLimiters) {
		e.allow(1, id)
	}
	if n := len(e.visitors); n > 2*maxLimiters {
		t.Errorf("%d visitor limiters kept after %d visitors; want at most %d", n, 3*maxLimiters, 2*maxLimiters)
	}
	if e.visitors[-1] != held {
		t.Errorf("the limiter of a visitor being held back was forgotten")
	}
	if e.allow(1, -1) {
		t.Errorf("the held visitor was let through")
	}
}

// One conversation queues at most maxQueuedTurns turns behind a running
// one, and at most MaxTurns turns run at once across conversations.
func TestTurnQueuesAreBounded(t *testing.T) {
	e := NewEngine(Options{MaxTurns: 2})
	defer e.Close(t.Context())
	release := make(chan struct{})
	started := make(chan string, 10)
	var ran atomic.Int32
	block := func(conv string) func(context.Context) {
		return func(context.Context) {
			started <- conv
			<-release
			ran.Add(1)
		}
	}
	e.enqueue("a", block("a"))
	e.enqueue("b", block("b"))
	<-started
	<-started
	e.enqueue("c", block("c")) // waits for a turn slot
	for range maxQueuedTurns + 10 {
		e.enqueue("a", func(context.Context) { ran.Add(1) })
	}
	e.mu.Lock()
	queued := len(e.queues["a"].tasks)
	e.mu.Unlock()
	if queued != maxQueuedTurns {
		t.Errorf("conversation a queued %d turns; want at most %d", queued, maxQueuedTurns)
	}
	if n := len(e.turnSlots); n != 2 {
		t.Errorf("%d turn slots taken; want the 2 of the blocked turns", n)
	}
	select {
	case conv := <-started:
		t.Fatalf("turn of %s started with both slots taken", conv)
	default:
	}
	close(release)
	<-started // c, once a slot frees
	e.Close(t.Context())
	if got, want := ran.Load(), int32(3+maxQueuedTurns); got != want {
		t.Errorf("%d turns ran; want %d (two blocked, c, and the queued ones)", got, want)
	}
}
