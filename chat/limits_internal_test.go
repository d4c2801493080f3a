package chat

import (
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
