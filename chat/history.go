package chat

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// A conversation's history (conversation_events): what happened to it and
// when, written in the transaction of each change (Store.Transition,
// Store.Append), so analytics (internal/analytics) can measure it.

// Conversation event kinds (conversation_events.kind).
const (
	EventEscalated   = "escalated"
	EventClaimed     = "claimed"
	EventTransferred = "transferred"
	EventHandedBack  = "handed_back"
	EventResolved    = "resolved"
	EventReopened    = "reopened"
)

// recordEvent appends one event to the conversation's history, in tx.
func recordEvent(ctx context.Context, tx pgx.Tx, conversationID, kind, reason string, userID *int64) error {
	_, err := tx.Exec(ctx, `insert into conversation_events (conversation_id, site_id, kind, reason, user_id)
		select id, site_id, $2, $3, $4 from conversations where id = $1`, conversationID, kind, reason, userID)
	if err != nil {
		return fmt.Errorf("record %s event: %w", kind, err)
	}
	return nil
}

// recordTransition records the event of a state change that Transition
// applied to a conversation that was in state from.
func recordTransition(ctx context.Context, tx pgx.Tx, id string, from State, ch Change) error {
	switch ch.Action {
	case ActionEscalate:
		if from == StateResolved {
			// Asking for a person after the end starts the conversation again.
			if err := recordEvent(ctx, tx, id, EventReopened, "", nil); err != nil {
				return err
			}
		}
		return recordEvent(ctx, tx, id, EventEscalated, ch.Reason, nil)
	case ActionClaim:
		return recordEvent(ctx, tx, id, EventClaimed, "", ch.UserID)
	case ActionTransfer:
		return recordEvent(ctx, tx, id, EventTransferred, "", ch.UserID)
	case ActionHandback:
		return recordEvent(ctx, tx, id, EventHandedBack, "", ch.UserID)
	case ActionResolve:
		return recordEvent(ctx, tx, id, EventResolved, "", ch.UserID)
	}
	return nil
}
