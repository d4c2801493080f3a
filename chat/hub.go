package chat

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
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

// Subscription receives the events of one conversation (or one site):
// through a callback (Watch…) or a channel (Subscribe…). Events are shared
// by all subscribers: never modify one.
type Subscription struct {
	// C carries a channel subscription's events. When the subscriber
	// falls too far behind, the hub closes C instead of blocking the
	// broadcast; the client reconnects and resumes with last_seq.
	C       chan *Event
	key     string
	hub     *Hub
	fn      func(*Event) bool
	dropped atomic.Bool

	// mu orders a channel subscription's sends and the close of C: the hub
	// sends without its own lock, so a send could otherwise meet a closed C.
	mu     sync.Mutex
	closed bool
}

// Dropped reports whether the hub closed the subscription (too slow, or
// told to resync).
func (s *Subscription) Dropped() bool { return s.dropped.Load() }

// Close unsubscribes; it is safe to call more than once, and from a
// callback. A Deliver already under way may still call the callback once.
func (s *Subscription) Close() {
	s.hub.remove(s)
	if s.C != nil {
		s.mu.Lock()
		if !s.closed {
			s.closed = true
			close(s.C)
		}
		s.mu.Unlock()
	}
}

func (s *Subscription) drop() {
	s.dropped.Store(true)
	s.Close()
}

// send is a channel subscription's callback: false when C is full.
func (s *Subscription) send(ev *Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	select {
	case s.C <- ev:
		return true
	default:
		return false
	}
}

// Hub fans events out to this node's subscribers. It never calls a
// subscriber while holding its lock (as centrifuge's hub): a callback may
// call the hub, and a subscriber's own locks never meet the hub's.
type Hub struct {
	mu sync.Mutex
	// subs holds each topic's subscribers. A slice is never changed once
	// stored (add and remove store a new one), so Deliver takes it under
	// the lock and calls its subscribers after letting the lock go.
	subs map[string][]*Subscription
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[string][]*Subscription{}} }

// conversationKey and siteKey name the two kinds of topics.
func conversationKey(id string) string { return "c:" + id }
func siteKey(id int64) string          { return "s:" + strconv.FormatInt(id, 10) }

// WatchConversation calls fn with each event of a conversation until the
// subscription is closed, or fn returns false (it is then dropped as too
// slow). fn runs on the publisher's goroutine: it must not block. Events
// one goroutine delivers reach fn in that order. Why a callback: a socket
// that owns no goroutine while idle costs a few KB less than one that
// waits on a channel, which matters at tens of thousands of sockets.
func (h *Hub) WatchConversation(id string, fn func(*Event) bool) *Subscription {
	return h.add(&Subscription{key: conversationKey(id), hub: h, fn: fn})
}

// WatchSite calls fn with every event of a site (consoles), as WatchConversation.
func (h *Hub) WatchSite(siteID int64, fn func(*Event) bool) *Subscription {
	return h.add(&Subscription{key: siteKey(siteID), hub: h, fn: fn})
}

// SubscribeConversation returns a subscription to one conversation's
// events on a channel of buffer events.
func (h *Hub) SubscribeConversation(id string, buffer int) *Subscription {
	return h.subscribe(conversationKey(id), buffer)
}

// SubscribeSite returns a subscription to every event of a site on a channel.
func (h *Hub) SubscribeSite(siteID int64, buffer int) *Subscription {
	return h.subscribe(siteKey(siteID), buffer)
}

func (h *Hub) subscribe(key string, buffer int) *Subscription {
	s := &Subscription{C: make(chan *Event, buffer), key: key, hub: h}
	s.fn = s.send
	return h.add(s)
}

func (h *Hub) add(s *Subscription) *Subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.subs[s.key]
	h.subs[s.key] = append(old[:len(old):len(old)], s) // a new array: Deliver may be reading the old one
	return s
}

func (h *Hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.subs[s.key]
	i := slices.Index(old, s)
	switch {
	case i < 0:
	case len(old) == 1:
		delete(h.subs, s.key)
	default:
		h.subs[s.key] = slices.Delete(slices.Clone(old), i, i+1)
	}
}

// Deliver hands ev to this node's subscribers of its conversation and site,
// never blocking: a subscriber that cannot take it is dropped.
func (h *Hub) Deliver(e Event) {
	ev := &e
	h.mu.Lock()
	conv, site := h.subs[conversationKey(ev.ConversationID)], h.subs[siteKey(ev.SiteID)]
	h.mu.Unlock()
	for _, subs := range [2][]*Subscription{conv, site} {
		for _, s := range subs {
			if !s.fn(ev) {
				s.drop()
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
	var all []*Subscription
	for _, subs := range h.subs {
		all = append(all, subs...)
	}
	h.mu.Unlock()
	ev := &Event{Kind: KindResync}
	for _, s := range all {
		if s.C == nil {
			s.fn(ev)
		}
		s.drop()
	}
}

// Subscribers counts this node's subscriptions to a conversation.
func (h *Hub) Subscribers(conversationID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[conversationKey(conversationID)])
}
