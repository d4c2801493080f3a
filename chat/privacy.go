package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"kefu/internal/audit"
	"kefu/internal/sites"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Data-subject requests (GDPR, PIPL): export everything kefu holds about a
// shopper as one JSON document, or erase it.
//
// A subject is found on one site by the shop's customer id, an email, or a
// widget visitor token, and then widened once to the same person's other
// records: the customers with that id or email, every visitor linked to
// those customers (or holding the token), those customers' verified visitors'
// conversations, and conversations where the shopper left that email as
// their contact. Orders are found through the customers. kefu stores no
// embeddings of messages, so there are none to erase.
//
// The audit log records who asked and when, naming the subject only by a
// fingerprint (Subject.Fingerprint), so the log itself keeps no personal data.

// Subject identifies a shopper on a site: exactly one of Email, CustomerID
// (the shop's own customer id) or VisitorToken.
type Subject struct {
	Site         string `json:"site"`
	Email        string `json:"email,omitempty"`
	CustomerID   string `json:"customer_id,omitempty"`
	VisitorToken string `json:"visitor_token,omitempty"`
}

func (s Subject) validate() error {
	n := 0
	for _, v := range []string{s.Email, s.CustomerID, s.VisitorToken} {
		if strings.TrimSpace(v) != "" {
			n++
		}
	}
	if strings.TrimSpace(s.Site) == "" {
		return fmt.Errorf("a site key is required: %w", ErrInvalid)
	}
	if n != 1 {
		return fmt.Errorf("give exactly one of email, customer_id or visitor_token: %w", ErrInvalid)
	}
	return nil
}

// Fingerprint names the subject in the audit log without personal data:
// a truncated SHA-256 of the site and the identifier.
func (s Subject) Fingerprint() string {
	var id string
	switch {
	case s.Email != "":
		id = "email:" + strings.ToLower(strings.TrimSpace(s.Email))
	case s.CustomerID != "":
		id = "customer:" + strings.TrimSpace(s.CustomerID)
	default:
		id = "visitor:" + strings.TrimSpace(s.VisitorToken)
	}
	sum := sha256.Sum256([]byte(s.Site + "\x00" + id))
	return "subject:" + hex.EncodeToString(sum[:8])
}

// Export is everything kefu holds about a subject. Rows are whole database
// rows as JSON, so nothing is left out when a column is added.
type Export struct {
	Subject       Subject           `json:"subject"`
	Site          string            `json:"site"`
	GeneratedAt   time.Time         `json:"generated_at"`
	Customers     []json.RawMessage `json:"customers"`
	Orders        []json.RawMessage `json:"orders"`
	Visitors      []json.RawMessage `json:"visitors"`
	Conversations []json.RawMessage `json:"conversations"` // CSAT score and comment included
	Messages      []json.RawMessage `json:"messages"`
	// Events: when the conversations were escalated (and why), taken by a
	// person, handed back, resolved, reopened; which agent is left out.
	Events []json.RawMessage `json:"conversation_events"`
}

// Erasure counts what Erase deleted.
type Erasure struct {
	Subject       string `json:"subject"` // the fingerprint
	Customers     int64  `json:"customers"`
	Orders        int64  `json:"orders"`
	Visitors      int64  `json:"visitors"`
	Conversations int64  `json:"conversations"`
	Messages      int64  `json:"messages"`
}

// Privacy answers data-subject requests.
type Privacy struct{ db *pgxpool.Pool }

// NewPrivacy returns the data-subject request service on db.
func NewPrivacy(db *pgxpool.Pool) *Privacy { return &Privacy{db: db} }

// querier is a pool, a connection or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// subjectRows are the ids of a subject's rows.
type subjectRows struct {
	siteID        int64
	customers     []int64
	visitors      []int64
	conversations []string
}

func (p *Privacy) resolve(ctx context.Context, q querier, s Subject) (*subjectRows, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	r := &subjectRows{}
	err := q.QueryRow(ctx, "select id from sites where key = $1", s.Site).Scan(&r.siteID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("site %s: %w", s.Site, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("privacy: load site: %w", err)
	}
	email := strings.TrimSpace(s.Email)
	ids := func(dst any, sql string, args ...any) error {
		rows, err := q.Query(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("privacy: find subject: %w", err)
		}
		switch d := dst.(type) {
		case *[]int64:
			*d, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		case *[]string:
			*d, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil {
			return fmt.Errorf("privacy: find subject: %w", err)
		}
		return nil
	}
	// Customers: by id or email, or the customer a visitor token was verified as.
	if err := ids(&r.customers, `select id from customers where site_id = $1 and (
			($2 <> '' and external_id = $2) or ($3 <> '' and lower(email) = lower($3))
			or id = (select customer_id from visitors where site_id = $1 and $4 <> '' and token = $4))
		order by id`, r.siteID, strings.TrimSpace(s.CustomerID), email, visitorTokenHash(strings.TrimSpace(s.VisitorToken))); err != nil {
		return nil, err
	}
	if err := ids(&r.visitors, `select id from visitors where site_id = $1 and (
			($2 <> '' and token = $2) or customer_id = any($3)) order by id`,
		r.siteID, visitorTokenHash(strings.TrimSpace(s.VisitorToken)), r.customers); err != nil {
		return nil, err
	}
	if err := ids(&r.conversations, `select id::text from conversations where site_id = $1 and (
			visitor_id = any($2) or ($3 <> '' and lower(contact_email) = lower($3))) order by created_at, id`,
		r.siteID, r.visitors, email); err != nil {
		return nil, err
	}
	return r, nil
}

// Export returns everything kefu holds about s and records who asked
// (by's Actor and UserID) in the audit log. It returns ErrInvalid for a
// malformed subject and ErrNotFound for an unknown site; a subject kefu
// knows nothing about gets an export with empty lists.
func (p *Privacy) Export(ctx context.Context, s Subject, by audit.Entry) (*Export, error) {
	var out *Export
	err := pgx.BeginFunc(ctx, p.db, func(tx pgx.Tx) error {
		// One snapshot: the export is consistent even while the shopper chats.
		if _, err := tx.Exec(ctx, "set transaction isolation level repeatable read, read only"); err != nil {
			return err
		}
		r, err := p.resolve(ctx, tx, s)
		if err != nil {
			return err
		}
		out = &Export{Subject: s, Site: s.Site, GeneratedAt: time.Now().UTC()}
		parts := []struct {
			dst  *[]json.RawMessage
			sql  string
			args []any
		}{
			{&out.Customers, "select row_to_json(t) from customers t where id = any($1) order by id", []any{r.customers}},
			{&out.Orders, "select row_to_json(t) from orders t where customer_id = any($1) order by created_at, id", []any{r.customers}},
			{&out.Visitors, "select row_to_json(t) from visitors t where id = any($1) order by id", []any{r.visitors}},
			{&out.Conversations, "select row_to_json(t) from conversations t where id::text = any($1) order by created_at, id", []any{r.conversations}},
			{&out.Messages, "select row_to_json(t) from messages t where conversation_id::text = any($1) order by conversation_id, seq", []any{r.conversations}},
			{&out.Events, `select row_to_json(t) from (select conversation_id, kind, reason, at from conversation_events
				where conversation_id::text = any($1) order by at, id) t`, []any{r.conversations}},
		}
		for _, part := range parts {
			rows, err := tx.Query(ctx, part.sql, part.args...)
			if err != nil {
				return fmt.Errorf("privacy: export: %w", err)
			}
			list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (json.RawMessage, error) {
				var b []byte
				err := row.Scan(&b)
				return json.RawMessage(b), err
			})
			if err != nil {
				return fmt.Errorf("privacy: export: %w", err)
			}
			if list == nil {
				list = []json.RawMessage{}
			}
			*part.dst = list
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	by.Action, by.Target = audit.PrivacyExport, s.Fingerprint()
	by.SiteID = nil
	if err := p.auditFor(ctx, p.db, s.Site, by); err != nil {
		return nil, err
	}
	return out, nil
}

// Erase deletes everything kefu holds about s (messages, conversations,
// visitors, orders and customers) in one transaction, with an audit record
// of who asked. It returns ErrInvalid for a malformed subject and
// ErrNotFound for an unknown site; erasing an unknown subject deletes nothing.
func (p *Privacy) Erase(ctx context.Context, s Subject, by audit.Entry) (*Erasure, error) {
	out := &Erasure{Subject: s.Fingerprint()}
	err := pgx.BeginFunc(ctx, p.db, func(tx pgx.Tx) error {
		r, err := p.resolve(ctx, tx, s)
		if err != nil {
			return err
		}
		// Analytics keep the conversations' anonymous facts (analytics.go).
		if err := archiveFacts(ctx, tx, time.Now(), r.conversations); err != nil {
			return fmt.Errorf("privacy: erase: %w", err)
		}
		steps := []struct {
			n    *int64
			sql  string
			args []any
		}{
			{&out.Messages, "delete from messages where conversation_id::text = any($1)", []any{r.conversations}},
			{&out.Conversations, "delete from conversations where id::text = any($1)", []any{r.conversations}},
			// Conversations of these visitors that the lookup did not see
			// (started concurrently) go with them by cascade.
			{&out.Visitors, "delete from visitors where id = any($1)", []any{r.visitors}},
			{&out.Orders, "delete from orders where customer_id = any($1)", []any{r.customers}},
			{&out.Customers, "delete from customers where id = any($1)", []any{r.customers}},
		}
		for _, st := range steps {
			tag, err := tx.Exec(ctx, st.sql, st.args...)
			if err != nil {
				return fmt.Errorf("privacy: erase: %w", err)
			}
			*st.n = tag.RowsAffected()
		}
		by.Action, by.Target = audit.PrivacyErase, out.Subject
		by.Detail = map[string]any{"customers": out.Customers, "orders": out.Orders, "visitors": out.Visitors,
			"conversations": out.Conversations, "messages": out.Messages}
		by.SiteID = &r.siteID
		if by.Actor == "" {
			by.Actor = audit.ActorSystem
		}
		return audit.New(p.db).RecordIn(ctx, tx, by)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// auditFor records e against the site with key siteKey.
func (p *Privacy) auditFor(ctx context.Context, q querier, siteKey string, e audit.Entry) error {
	var id int64
	if err := q.QueryRow(ctx, "select id from sites where key = $1", siteKey).Scan(&id); err == nil {
		e.SiteID = &id
	}
	if e.Actor == "" {
		e.Actor = audit.ActorSystem
	}
	return audit.New(p.db).Record(ctx, e)
}

// ModelData says plainly which data leaves the server for the configured
// model endpoint (the settings page shows it).
type ModelData struct {
	Configured bool     `json:"configured"`
	Sent       []string `json:"sent"`
	Masked     []string `json:"masked"`
	NeverSent  []string `json:"never_sent"`
}

// ModelDataFor describes what a site sends to the model; with no model
// configured nothing leaves the server.
func ModelDataFor(configured bool, cfg sites.Config) ModelData {
	never := []string{"payment card numbers, passwords and one-time codes (masked before they are stored)",
		"the shop's identity secret and API tokens", "other shoppers' conversations and orders",
		"agents' internal notes"}
	if !configured {
		return ModelData{Sent: []string{}, Masked: []string{}, NeverSent: append([]string{"anything: no model endpoint is configured, replies are drafted on this server"}, never...)}
	}
	out := ModelData{Configured: true,
		Sent: []string{"the shop's persona and rules", "the shopper's messages and recent history (older turns as a summary)",
			"knowledge passages retrieved for the question", "agents' and the bot's replies in the history",
			"the verified shopper's own orders, when the model asks for them (status, items, totals, carrier, tracking)",
			"product search results"},
		Masked: []string{"card numbers, passwords and one-time codes"}, NeverSent: never}
	if cfg.MaskContacts {
		out.Masked = append(out.Masked, "shoppers' email addresses and phone numbers")
	} else {
		out.Sent = append(out.Sent, "email addresses and phone numbers that shoppers type (turn on mask_contacts to mask them)")
	}
	return out
}
