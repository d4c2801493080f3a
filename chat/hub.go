package chat

import (
	"strconv"
	"sync"
)

// Event kinds, named as the widget protocol's frames.
const (
	KindMessage = "message"
	KindDelta   = "delta"
	KindState   = "state"
	KindTyping  = "typing"
	// KindPresence: a console user went online, away or offline (site events only).
	KindPresence = "presence"
	// KindResync tells a watcher that events may have been missed (a node's
	// link to the others dropped); it should reload from the database.
	KindResync = "resync"
	// KindNotice: something admins of the site should know (a webhook was
	// disabled); Status is its code, Text says it.
	KindNotice = "notice"
)

// Event is something that happened in a conversation, fanned out to every
// socket watching it (the shopper's widget, agents' consoles), on every node.
type Event struct {
	Kind           string   `json:"kind"`
	ConversationID string   `json:"conversation_id"`
	SiteID         int64    `json:"site_id"`
	Message        *Message `json:"message,omitempty"`
	DeltaID        string   `json:"delta_id,omitempty"` // the bot message being streamed
	Delta          string   `json:"delta,omitempty"`
	DeltaReset     bool     `json:"delta_reset,omitempty"` // the streamed draft starts again: drop what came before
	State          State    `json:"state,omitempty"`
	AgentName      string   `json:"agent_name,omitempty"`
	Role           string   `json:"role,omitempty"`    // typing: who types
	UserID         *int64   `json:"user_id,omitempty"` // state: the assigned agent; typing, presence: the console user
	Status         string   `json:"status,omitempty"`  // presence: online, away or offline
	Text           string   `json:"text,omitempty"`    // notice: what happened
	Origin         string   `json:"origin,omitempty"`
}

// Subscription receives the events of one conversation (or one site).
// When the subscriber falls too far behind, the hub closes C instead of
// blocking the broadcast; the client reconnects and resumes with last_seq.
type Subscription struct {
	C       chan *Event // shared by all subscribers: never modify an event
	key     string
	hub     *Hub
	dropped bool
	// fn, when set, receives events instead of C (which is then nil). It
	// runs under the hub's lock: it must not block, and it returns false to
	// be dropped as too slow.
	fn func(*Event) bool
}

// Dropped reports whether the hub closed the subscription for being slow.
func (s *Subscription) Dropped() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.dropped
}

// Close unsubscribes; it is safe to call more than once.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s)
}

// Hub fans events out to this node's subscribers.
type Hub struct {
	mu   sync.Mutex
	subs map[string]map[*Subscription]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[string]map[*Subscription]struct{}{}} }

// conversationKey and siteKey name the two kinds of topics.
func conversationKey(id string) string { return "c:" + id }
func siteKey(id int64) string          { return "s:" + strconv.FormatInt(id, 10) }

// SubscribeConversation returns a subscription to one conversation's events.
func (h *Hub) SubscribeConversation(id string, buffer int) *Subscription {
	return h.subscribe(conversationKey(id), buffer)
}

// WatchConversation calls fn with each event of a conversation until the
// subscription is closed, or fn returns false. Why a callback: a socket
// that owns no goroutine while idle costs a few KB less than one that
// waits on a channel, which matters at tens of thousands of sockets.
func (h *Hub) WatchConversation(id string, fn func(*Event) bool) *Subscription {
	s := &Subscription{key: conversationKey(id), hub: h, fn: fn}
	h.add(s)
	return s
}

// SubscribeSite returns a subscription to every event of a site (consoles).
func (h *Hub) SubscribeSite(siteID int64, buffer int) *Subscription {
	return h.subscribe(siteKey(siteID), buffer)
}

func (h *Hub) subscribe(key string, buffer int) *Subscription {
	s := &Subscription{C: make(chan *Event, buffer), key: key, hub: h}
	h.add(s)
	return s
}

func (h *Hub) add(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[s.key] == nil {
		h.subs[s.key] = map[*Subscription]struct{}{}
	}
	h.subs[s.key][s] = struct{}{}
}

// remove must be called with h.mu held.
func (h *Hub) remove(s *Subscription) {
	set, ok := h.subs[s.key]
	if !ok {
		return
	}
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if s.C != nil {
		close(s.C)
	}
	if len(set) == 0 {
		delete(h.subs, s.key)
	}
}

// Deliver hands ev to this node's subscribers of its conversation and site,
// never blocking: a subscriber whose buffer is full is dropped.
func (h *Hub) Deliver(e Event) {
	ev := &e
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, key := range []string{conversationKey(ev.ConversationID), siteKey(ev.SiteID)} {
		for s := range h.subs[key] {
			if s.fn != nil {
				if !s.fn(ev) {
					s.dropped = true
					h.remove(s)
				}
				continue
			}
			select {
			case s.C <- ev:
			default:
				s.dropped = true
				h.remove(s)
			}
		}
	}
}

// Resync tells every subscriber of this node that events may have been
// missed: callback watchers get a KindResync event, channel subscribers are
// closed as if slow. Either way clients reconnect and reload from the
// database (widgets resume by seq, consoles reload their lists).
func (h *Hub) Resync() {
	h.mu.Lock()
	defer h.mu.Unlock()
	ev := &Event{Kind: KindResync}
	for _, set := range h.subs {
		for s := range set {
			if s.fn != nil {
				s.fn(ev)
			}
			s.dropped = true
			h.remove(s)
		}
	}
}

// Subscribers counts this node's subscriptions to a conversation.
func (h *Hub) Subscribers(conversationID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[conversationKey(conversationID)])
}
