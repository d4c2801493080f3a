// Package privacy answers data-subject requests (GDPR, PIPL): export
// everything kefu holds about a shopper as one JSON document, or erase it;
// and it runs the retention job, which deletes what outlived each site's
// retention settings. It owns no table: the tables' owners (chat,
// knowledge, analytics, audit) find, export and delete their own rows, in
// one transaction that privacy opens.
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
package privacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/analytics"
	"kefu/internal/audit"
	"kefu/internal/sites"
	"kefu/knowledge"
)

// ErrInvalid means a malformed subject.
var ErrInvalid = errors.New("invalid input")

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

// Requests answers data-subject requests.
type Requests struct {
	db    *pgxpool.Pool
	sites *sites.Store
}

// NewRequests returns the data-subject request service on db.
func NewRequests(db *pgxpool.Pool) *Requests { return &Requests{db: db, sites: sites.NewStore(db)} }

// subject is where a subject's rows are: the site, the customers
// (knowledge) and chat's visitors and conversations.
type subject struct {
	siteID    int64
	customers []int64
	chat      chat.SubjectRows
}

// find finds s's rows in tx; each owner looks in its own tables.
func find(ctx context.Context, tx pgx.Tx, site *sites.Site, s Subject) (*subject, error) {
	verified, err := chat.VerifiedCustomer(ctx, tx, site.ID, s.VisitorToken)
	if err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	r := &subject{siteID: site.ID}
	if r.customers, err = knowledge.FindCustomers(ctx, tx, site.ID, s.CustomerID, s.Email, verified); err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	if r.chat, err = chat.FindSubject(ctx, tx, site.ID, s.VisitorToken, r.customers, s.Email); err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	return r, nil
}

// site checks s and loads its site: ErrInvalid for a malformed subject,
// sites.ErrNotFound for an unknown site.
func (p *Requests) site(ctx context.Context, s Subject) (*sites.Site, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	return p.sites.ByKey(ctx, s.Site)
}

// Export returns everything kefu holds about s and records who asked
// (by's Actor and UserID) in the audit log. It returns ErrInvalid for a
// malformed subject and sites.ErrNotFound for an unknown site; a subject
// kefu knows nothing about gets an export with empty lists.
func (p *Requests) Export(ctx context.Context, s Subject, by audit.Entry) (*Export, error) {
	site, err := p.site(ctx, s)
	if err != nil {
		return nil, err
	}
	out := &Export{Subject: s, Site: s.Site, GeneratedAt: time.Now().UTC()}
	err = pgx.BeginFunc(ctx, p.db, func(tx pgx.Tx) error {
		// One snapshot: the export is consistent even while the shopper chats.
		if _, err := tx.Exec(ctx, "set transaction isolation level repeatable read, read only"); err != nil {
			return err
		}
		r, err := find(ctx, tx, site, s)
		if err != nil {
			return err
		}
		if out.Customers, out.Orders, err = knowledge.ExportCustomers(ctx, tx, r.customers); err != nil {
			return fmt.Errorf("privacy: %w", err)
		}
		c, err := chat.ExportSubject(ctx, tx, r.chat)
		if err != nil {
			return fmt.Errorf("privacy: %w", err)
		}
		out.Visitors, out.Conversations, out.Messages, out.Events = c.Visitors, c.Conversations, c.Messages, c.Events
		return nil
	})
	if err != nil {
		return nil, err
	}
	by.Action, by.Target, by.SiteID = audit.PrivacyExport, s.Fingerprint(), &site.ID
	if by.Actor == "" {
		by.Actor = audit.ActorSystem
	}
	if err := audit.New(p.db).Record(ctx, by); err != nil {
		return nil, err
	}
	return out, nil
}

// Erase deletes everything kefu holds about s (messages, conversations,
// visitors, orders and customers) in one transaction, with an audit record
// of who asked. It returns ErrInvalid for a malformed subject and
// sites.ErrNotFound for an unknown site; erasing an unknown subject deletes
// nothing.
func (p *Requests) Erase(ctx context.Context, s Subject, by audit.Entry) (*Erasure, error) {
	site, err := p.site(ctx, s)
	if err != nil {
		return nil, err
	}
	out := &Erasure{Subject: s.Fingerprint()}
	err = pgx.BeginFunc(ctx, p.db, func(tx pgx.Tx) error {
		r, err := find(ctx, tx, site, s)
		if err != nil {
			return err
		}
		// Analytics keep the conversations' anonymous facts.
		if err := analytics.Archive(ctx, tx, time.Now(), r.chat.Conversations); err != nil {
			return fmt.Errorf("privacy: erase: %w", err)
		}
		c, err := chat.EraseSubject(ctx, tx, r.chat)
		if err != nil {
			return fmt.Errorf("privacy: %w", err)
		}
		out.Messages, out.Conversations, out.Visitors = c.Messages, c.Conversations, c.Visitors
		if out.Customers, out.Orders, err = knowledge.EraseCustomers(ctx, tx, r.customers); err != nil {
			return fmt.Errorf("privacy: %w", err)
		}
		by.Action, by.Target = audit.PrivacyErase, out.Subject
		by.Detail = map[string]any{"customers": out.Customers, "orders": out.Orders, "visitors": out.Visitors,
			"conversations": out.Conversations, "messages": out.Messages}
		by.SiteID = &r.siteID
		if by.Actor == "" {
			by.Actor = audit.ActorSystem
		}
		return audit.RecordIn(ctx, tx, by)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
