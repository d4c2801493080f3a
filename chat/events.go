package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"kefu/internal/webhook"
)

// What a shop's other systems hear about (webhooks). The store records each
// event in the transaction of the change that caused it, so a committed
// change always has its event and a rolled-back one never does; the
// recipient (internal/webhook's Service) delivers it later, from the outbox.
//
// Text in events is redacted as for storage (card numbers, passwords,
// codes; agents' text too), and contact details are masked when the site
// masks them for the model. Internal notes are marked (Event.Note) so that
// only subscriptions that ask for notes get them; system notices are not
// sent.

// Events records events in the caller's transaction.
type Events interface {
	// Record adds ev to the outbox in tx; an error rolls the change back.
	Record(ctx context.Context, tx pgx.Tx, ev webhook.Event) error
}

// SetEvents makes the store record webhook events through ev. Call it
// before the store is used (wiring); nil records nothing.
func (s *Store) SetEvents(ev Events) { s.events = ev }

func (s *Store) emit(ctx context.Context, tx pgx.Tx, ev webhook.Event) error {
	if s.events == nil {
		return nil
	}
	return s.events.Record(ctx, tx, ev)
}

// HookConversation is a conversation as webhook events describe it.
type HookConversation struct {
	ID               string     `json:"id"`
	State            State      `json:"state"`
	Priority         int        `json:"priority"`
	EscalationReason string     `json:"escalation_reason,omitempty"`
	AssignedUserID   *int64     `json:"assigned_user_id,omitempty"`
	Locale           string     `json:"locale,omitempty"`
	CustomerID       string     `json:"customer_id,omitempty"` // the shop's own id of the verified customer
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	ResolvedAt       *time.Time `json:"resolved_at,omitempty"`
}

// HookUser names a console user in an event.
type HookUser struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// HookMessage is a message as message.created describes it.
type HookMessage struct {
	ID    string    `json:"id"`
	Seq   int       `json:"seq"`
	Role  string    `json:"role"` // shopper, bot, agent, note
	Text  string    `json:"text"`
	Agent *HookUser `json:"agent,omitempty"` // agent messages and notes
	At    time.Time `json:"at"`
}

// hookSite is what redaction needs to know about a conversation's site.
type hookSite struct {
	id           int64
	maskContacts bool
}

func (h hookSite) text(s string) string {
	s = Redact(s)
	if h.maskContacts {
		s = RedactContacts(s)
	}
	return s
}

// hookConversation loads conversation id as events describe it, in tx.
func hookConversation(ctx context.Context, tx pgx.Tx, id string) (*HookConversation, hookSite, error) {
	var c HookConversation
	var site hookSite
	var customer *string
	err := tx.QueryRow(ctx, `select c.id, c.state, c.priority, c.escalation_reason, c.assigned_user_id, c.locale, cu.external_id,
			c.created_at, c.updated_at, c.resolved_at, c.site_id, coalesce((s.settings->>'mask_contacts')::boolean, false)
		from conversations c join sites s on s.id = c.site_id join visitors v on v.id = c.visitor_id
		left join customers cu on cu.id = v.customer_id where c.id = $1`, id).
		Scan(&c.ID, &c.State, &c.Priority, &c.EscalationReason, &c.AssignedUserID, &c.Locale, &customer, &c.CreatedAt,
			&c.UpdatedAt, &c.ResolvedAt, &site.id, &site.maskContacts)
	if err != nil {
		return nil, site, fmt.Errorf("describe conversation for webhooks: %w", err)
	}
	if customer != nil {
		c.CustomerID = *customer
	}
	return &c, site, nil
}

// hookUser names user id, in tx (nil when id is nil).
func hookUser(ctx context.Context, tx pgx.Tx, id *int64) (*HookUser, error) {
	if id == nil {
		return nil, nil
	}
	u := HookUser{ID: *id}
	if err := tx.QueryRow(ctx, "select name from users where id = $1", *id).Scan(&u.Name); err != nil {
		return nil, fmt.Errorf("name user for webhooks: %w", err)
	}
	return &u, nil
}

// conversationEvent records a conversation.* event with the conversation
// as it is now in tx, plus more fields of data.
func (s *Store) conversationEvent(ctx context.Context, tx pgx.Tx, typ, id string, more map[string]any) error {
	if s.events == nil {
		return nil
	}
	c, site, err := hookConversation(ctx, tx, id)
	if err != nil {
		return err
	}
	data := map[string]any{"conversation": c}
	for k, v := range more {
		if text, ok := v.(string); ok {
			v = site.text(text)
		}
		data[k] = v
	}
	return s.emit(ctx, tx, webhook.Event{Type: typ, SiteID: site.id, ConversationID: id, Data: data})
}

// messageEvents records what appending m (the conversation's message
// m.Seq, in a conversation that was in state from and is now in to) tells
// subscribers: a new conversation, a reopened one, and the message.
func (s *Store) messageEvents(ctx context.Context, tx pgx.Tx, m *Message, site hookSite, from, to State) error {
	if s.events == nil {
		return nil
	}
	if m.Seq == 1 {
		if err := s.conversationEvent(ctx, tx, webhook.ConversationCreated, m.ConversationID, nil); err != nil {
			return err
		}
	}
	if from == StateResolved && to != StateResolved {
		if err := s.conversationEvent(ctx, tx, webhook.ConversationReopened, m.ConversationID, nil); err != nil {
			return err
		}
	}
	if m.Role == RoleSystem {
		return nil
	}
	hm := HookMessage{ID: m.ID, Seq: m.Seq, Role: m.Role, Text: site.text(m.Text), At: m.At}
	if m.Role == RoleAgent || m.Role == RoleNote {
		var err error
		if hm.Agent, err = hookUser(ctx, tx, m.UserID); err != nil {
			return err
		}
	}
	return s.emit(ctx, tx, webhook.Event{Type: webhook.MessageCreated, SiteID: site.id, ConversationID: m.ConversationID,
		Note: m.Role == RoleNote, Data: map[string]any{"conversation_id": m.ConversationID, "message": hm}})
}

// transitionEvents records the events of a state change Transition applied
// to conversation id, which was in state from.
func (s *Store) transitionEvents(ctx context.Context, tx pgx.Tx, id string, from State, ch Change) error {
	if s.events == nil {
		return nil
	}
	switch ch.Action {
	case ActionEscalate:
		if from == StateResolved {
			if err := s.conversationEvent(ctx, tx, webhook.ConversationReopened, id, nil); err != nil {
				return err
			}
		}
		return s.conversationEvent(ctx, tx, webhook.ConversationEscalated, id,
			map[string]any{"reason": ch.Reason, "priority": ch.Priority, "summary": ch.Summary})
	case ActionClaim, ActionTransfer:
		agent, err := hookUser(ctx, tx, ch.UserID)
		if err != nil {
			return err
		}
		return s.conversationEvent(ctx, tx, webhook.ConversationClaimed, id,
			map[string]any{"agent": agent, "transferred": ch.Action == ActionTransfer})
	case ActionResolve:
		by, err := hookUser(ctx, tx, ch.UserID)
		if err != nil {
			return err
		}
		return s.conversationEvent(ctx, tx, webhook.ConversationResolved, id, map[string]any{"resolved_by": by})
	}
	return nil
}
