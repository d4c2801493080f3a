package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// pgChannel is the LISTEN/NOTIFY channel of conversation events.
const pgChannel = "kefu_events"

// maxNotify stays under PostgreSQL's 8000-byte NOTIFY payload limit; a
// larger event travels as a reference that receivers load from the database.
const maxNotify = 7000

// PGBroker carries events between kefu nodes sharing one database, through
// PostgreSQL LISTEN/NOTIFY. Each node delivers what it receives to its hub.
// Streaming deltas stay on their node (they are many and short-lived; the
// final message crosses nodes).
type PGBroker struct {
	db     *pgxpool.Pool
	hub    *Hub
	store  *Store
	node   string
	logger *slog.Logger
}

// NewPGBroker returns a broker on db delivering into hub.
func NewPGBroker(db *pgxpool.Pool, hub *Hub, store *Store, logger *slog.Logger) *PGBroker {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &PGBroker{db: db, hub: hub, store: store, node: randomHex(8), logger: logger}
}

// wireEvent is an event on the wire; Ref marks a message sent by reference.
type wireEvent struct {
	Event
	Ref bool `json:"ref,omitempty"`
}

// Publish implements Broker.
func (b *PGBroker) Publish(ctx context.Context, ev Event) error {
	if ev.Kind == KindDelta {
		return nil
	}
	ev.Origin = b.node
	payload, err := json.Marshal(wireEvent{Event: ev})
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	if len(payload) > maxNotify && ev.Message != nil {
		ref := ev
		ref.Message = &Message{ID: ev.Message.ID, ConversationID: ev.Message.ConversationID, Seq: ev.Message.Seq}
		if payload, err = json.Marshal(wireEvent{Event: ref, Ref: true}); err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
	}
	// A notification is a transaction of its own with nothing to keep: its
	// commit need not wait for the disk (synchronous_commit off, for it
	// alone). Waiting cost every message a WAL flush, and notifying
	// transactions commit one at a time (PostgreSQL serialises them).
	if _, err := b.db.Exec(ctx, "select set_config('synchronous_commit', 'off', true), pg_notify($1, $2)", pgChannel, string(payload)); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Run listens until ctx ends, reconnecting with backoff when the
// connection drops.
func (b *PGBroker) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for first := true; ctx.Err() == nil; first = false {
		err := b.listen(ctx, !first)
		if ctx.Err() != nil {
			return
		}
		b.logger.Warn("event listener stopped; reconnecting", "error", err, "in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// listen receives events until the connection fails. After a reconnect,
// events sent while it was down are lost to this node: once listening again
// it asks local watchers to resync from the database.
func (b *PGBroker) listen(ctx context.Context, reconnect bool) error {
	conn, err := b.db.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "listen "+pgChannel); err != nil {
		return err
	}
	if reconnect {
		b.logger.Info("event listener back; local clients resync")
		b.hub.Resync()
	}
	// A dropped connection must not go back to the pool still listening.
	defer conn.Conn().Close(context.Background())
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var ev wireEvent
		if err := json.Unmarshal([]byte(n.Payload), &ev); err != nil {
			b.logger.Warn("malformed event", "error", err)
			continue
		}
		if ev.Origin == b.node {
			continue // delivered locally when published
		}
		if ev.Ref && ev.Message != nil {
			msgs, err := b.store.Messages(ctx, ev.ConversationID, ev.Message.Seq-1, 1, true)
			if err != nil || len(msgs) != 1 {
				b.logger.Warn("load referenced message", "error", err)
				continue
			}
			ev.Message = &msgs[0]
		}
		b.hub.Deliver(ev.Event)
	}
}
