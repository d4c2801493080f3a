// Package webhook tells a shop's other systems what happened in kefu: admins
// subscribe an endpoint per site to event types, and every event is POSTed
// to it, signed, at least once.
//
// Invariants, all kept here:
//   - An event is recorded in the transaction of the change that caused it
//     (Record), as one row in webhook_events and one delivery per subscription
//     that wants it. A committed change always has its event; a rolled-back
//     one never does. Nothing is recorded when no subscription wants it.
//   - Deliveries are claimed under a lease (FOR UPDATE SKIP LOCKED, then
//     lease_until): each claim is a new attempt number, and only the holder of
//     the lease records its outcome, so two nodes never make the same attempt.
//     A node that dies mid-delivery loses nothing: its lease runs out and
//     another node makes the next attempt.
//   - A conversation's deliveries to one subscription go one at a time in the
//     order the events were recorded (the conversation's row lock orders
//     them): a delivery waits while an earlier one of its conversation is
//     pending (being retried).
//   - Failed attempts are retried with exponential backoff for 24 hours; a
//     subscription whose attempts keep failing is disabled and its site's
//     admins are told (Options.OnDisabled).
//   - Events about a conversation go with it: erasing a shopper (or retention)
//     deletes their conversations, and with them the events not sent yet.
//     Callers put only redacted text in Data (chat redacts).
//   - Requests go only to public addresses unless the subscription allows
//     private ones (guard.go), with timeouts and a response size limit.
//
// This package imports nothing else of kefu: chat records events through a
// small interface of its own, and any package (knowledge sync) may call Emit.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Event types a subscription may ask for.
const (
	ConversationCreated   = "conversation.created"
	ConversationEscalated = "conversation.escalated"
	ConversationClaimed   = "conversation.claimed"
	ConversationResolved  = "conversation.resolved"
	ConversationReopened  = "conversation.reopened"
	MessageCreated        = "message.created"
	CSATReceived          = "csat.received"
	KnowledgeSyncFinished = "knowledge.sync_finished"
	KnowledgeSyncFailed   = "knowledge.sync_failed"
	AnswerTestsRegressed  = "answer_tests.regressed"
)

// Types lists every event type, in the order the console shows them.
var Types = []string{ConversationCreated, ConversationEscalated, ConversationClaimed, ConversationResolved,
	ConversationReopened, MessageCreated, CSATReceived, KnowledgeSyncFinished, KnowledgeSyncFailed, AnswerTestsRegressed}

// Errors; web maps them to statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid input")
)

// Event is something that happened on a site, for its subscriptions.
type Event struct {
	Type   string
	SiteID int64
	// ConversationID names the conversation the event is about ("" for
	// site-wide events): its deliveries keep their order, and the event is
	// deleted with the conversation.
	ConversationID string
	// Note marks message.created of an internal note: only subscriptions
	// with include_notes get it.
	Note bool
	// Data is the body's "data": marshalled to JSON as it is, so callers
	// redact text before.
	Data any
}

// Subscription is an endpoint that receives a site's events.
type Subscription struct {
	ID             int64      `json:"id"`
	Site           string     `json:"site"` // the site's key
	URL            string     `json:"url"`
	Events         []string   `json:"events"`
	IncludeNotes   bool       `json:"include_notes"`
	AllowPrivate   bool       `json:"allow_private"`
	Description    string     `json:"description"`
	Enabled        bool       `json:"enabled"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	Failures       int        `json:"failures"` // consecutive failed attempts
	CreatedAt      time.Time  `json:"created_at"`
	// Secret signs the deliveries; it is shown when the subscription is
	// created and when it is rotated, never listed.
	Secret string `json:"secret,omitempty"`
}

// Input is what an admin gives to create or change a subscription.
type Input struct {
	URL          string   `json:"url"`
	Events       []string `json:"events"`
	IncludeNotes bool     `json:"include_notes"`
	AllowPrivate bool     `json:"allow_private"`
	Description  string   `json:"description"`
}

// Limits of subscriptions.
const (
	MaxPerSite     = 20
	maxURLLength   = 2000
	maxDescription = 200
)

// Service keeps subscriptions and their deliveries, and records events.
type Service struct {
	db  *pgxpool.Pool
	now func() time.Time
	// resolve looks up a host's addresses when a subscription is saved.
	resolve func(ctx context.Context, host string) ([]net.IP, error)
}

// NewService returns the webhook service on db; now is the clock (nil: time.Now).
func NewService(db *pgxpool.Pool, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now, resolve: lookupIP}
}

func lookupIP(ctx context.Context, host string) ([]net.IP, error) {
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	out := make([]net.IP, len(addrs))
	for i, a := range addrs {
		out[i] = a.IP
	}
	return out, nil
}

// validate checks in and normalises it; errors wrap ErrInvalid.
func (s *Service) validate(ctx context.Context, in *Input) error {
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	if len(in.URL) > maxURLLength {
		return fmt.Errorf("url longer than %d characters: %w", maxURLLength, ErrInvalid)
	}
	u, err := url.Parse(in.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("url %q must be an absolute https:// URL without credentials or fragment: %w", in.URL, ErrInvalid)
	}
	if u.Scheme == "http" && !in.AllowPrivate {
		return fmt.Errorf("url %q must use https (plain http only for a private receiver, with allow_private): %w", in.URL, ErrInvalid)
	}
	if !in.AllowPrivate {
		// The dialer checks every connection (guard.go); this only catches
		// the obvious mistake at once, with a clear message.
		host := u.Hostname()
		ips := []net.IP{net.ParseIP(host)}
		if ips[0] == nil {
			ips, _ = s.resolve(ctx, host) // an unknown host may exist later: checked when delivering
		}
		for _, ip := range ips {
			if why := blocked(ip); why != "" {
				return fmt.Errorf("url %q points to %s (%s); allow private addresses to use it: %w", in.URL, ip, why, ErrInvalid)
			}
		}
	}
	if len(in.Events) == 0 {
		return fmt.Errorf("choose at least one event of %s: %w", strings.Join(Types, ", "), ErrInvalid)
	}
	seen := map[string]bool{}
	var events []string
	for _, e := range in.Events {
		e = strings.TrimSpace(e)
		if !slices.Contains(Types, e) {
			return fmt.Errorf("unknown event %q (known: %s): %w", e, strings.Join(Types, ", "), ErrInvalid)
		}
		if !seen[e] {
			seen[e] = true
			events = append(events, e)
		}
	}
	in.Events = events
	if utf8.RuneCountInString(in.Description) > maxDescription || !utf8.ValidString(in.Description) || strings.ContainsRune(in.Description, 0) {
		return fmt.Errorf("description must be text of at most %d characters: %w", maxDescription, ErrInvalid)
	}
	return nil
}

func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

const subColumns = `w.id, s.key, w.url, w.events, w.include_notes, w.allow_private, w.description, w.enabled,
	w.disabled_reason, w.disabled_at, w.failures, w.created_at`

func scanSub(row pgx.Row) (*Subscription, error) {
	var w Subscription
	err := row.Scan(&w.ID, &w.Site, &w.URL, &w.Events, &w.IncludeNotes, &w.AllowPrivate, &w.Description, &w.Enabled,
		&w.DisabledReason, &w.DisabledAt, &w.Failures, &w.CreatedAt)
	return &w, err
}

// Create subscribes in's endpoint to siteID's events and returns the
// subscription with its secret (shown this once).
func (s *Service) Create(ctx context.Context, siteID int64, in Input) (*Subscription, error) {
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	secret := newSecret()
	var out *Subscription
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, "select count(*) from webhook_subscriptions where site_id = $1", siteID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxPerSite {
			return fmt.Errorf("a site has at most %d webhooks: %w", MaxPerSite, ErrInvalid)
		}
		var err error
		out, err = scanSub(tx.QueryRow(ctx, `with w as (insert into webhook_subscriptions
				(site_id, url, secret, events, include_notes, allow_private, description)
				values ($1, $2, $3, $4, $5, $6, $7) returning *)
			select `+subColumns+` from w join sites s on s.id = w.site_id`,
			siteID, in.URL, secret, in.Events, in.IncludeNotes, in.AllowPrivate, in.Description))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return nil, err
		}
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	out.Secret = secret
	return out, nil
}

// List returns siteID's subscriptions (every site's when siteID is 0).
func (s *Service) List(ctx context.Context, siteID int64) ([]Subscription, error) {
	rows, err := s.db.Query(ctx, `select `+subColumns+` from webhook_subscriptions w join sites s on s.id = w.site_id
		where $1 = 0 or w.site_id = $1 order by w.id`, siteID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Subscription, error) {
		w, err := scanSub(r)
		return *w, err
	})
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	if out == nil {
		out = []Subscription{}
	}
	return out, nil
}

// Get returns subscription id, or ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (*Subscription, error) {
	w, err := scanSub(s.db.QueryRow(ctx, `select `+subColumns+` from webhook_subscriptions w join sites s on s.id = w.site_id
		where w.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load webhook: %w", err)
	}
	return w, nil
}

// SiteOf returns the site id of subscription id, or ErrNotFound.
func (s *Service) SiteOf(ctx context.Context, id int64) (int64, error) {
	var site int64
	err := s.db.QueryRow(ctx, "select site_id from webhook_subscriptions where id = $1", id).Scan(&site)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("load webhook: %w", err)
	}
	return site, nil
}

// Update replaces the subscription's endpoint, events and options.
func (s *Service) Update(ctx context.Context, id int64, in Input) (*Subscription, error) {
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	tag, err := s.db.Exec(ctx, `update webhook_subscriptions set url = $2, events = $3, include_notes = $4, allow_private = $5,
		description = $6, updated_at = now() where id = $1`, id, in.URL, in.Events, in.IncludeNotes, in.AllowPrivate, in.Description)
	if err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	return s.Get(ctx, id)
}

// SetEnabled turns a subscription on or off. Turning it on forgets its
// failures; its deliveries still pending (within their 24 hours) go on.
func (s *Service) SetEnabled(ctx context.Context, id int64, on bool) (*Subscription, error) {
	tag, err := s.db.Exec(ctx, `update webhook_subscriptions set enabled = $2, updated_at = now(),
		failures = case when $2 then 0 else failures end, failing_since = case when $2 then null else failing_since end,
		disabled_reason = case when $2 then '' else 'disabled by an admin' end,
		disabled_at = case when $2 then null else $3::timestamptz end
		where id = $1`, id, on, s.now())
	if err != nil {
		return nil, fmt.Errorf("enable webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	return s.Get(ctx, id)
}

// RotateSecret gives the subscription a new secret and returns it.
func (s *Service) RotateSecret(ctx context.Context, id int64) (*Subscription, error) {
	secret := newSecret()
	tag, err := s.db.Exec(ctx, "update webhook_subscriptions set secret = $2, updated_at = now() where id = $1", id, secret)
	if err != nil {
		return nil, fmt.Errorf("rotate webhook secret: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	w, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	w.Secret = secret
	return w, nil
}

// Delete removes a subscription with its deliveries.
func (s *Service) Delete(ctx context.Context, id int64) error {
	tag, err := s.db.Exec(ctx, "delete from webhook_subscriptions where id = $1", id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	// Events nobody will deliver any more.
	if _, err := s.db.Exec(ctx, `delete from webhook_events e where not exists
		(select 1 from webhook_deliveries d where d.event_id = e.id)`); err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return nil
}

// Retry is how long an event's delivery is retried.
const Retry = 24 * time.Hour

// Querier is a transaction, a connection or a pool.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Record records ev in tx, the transaction of the change that caused it,
// for every enabled subscription of its site that wants it; with none, it
// writes nothing. Data must marshal to JSON.
func (s *Service) Record(ctx context.Context, tx pgx.Tx, ev Event) error {
	return s.record(ctx, tx, ev)
}

// Emit records ev in a transaction of its own: for events that follow a
// change already committed (a knowledge sync that finished or failed).
func (s *Service) Emit(ctx context.Context, ev Event) error {
	return s.record(ctx, s.db, ev)
}

func (s *Service) record(ctx context.Context, q Querier, ev Event) error {
	if !slices.Contains(Types, ev.Type) {
		return fmt.Errorf("webhook event type %q: %w", ev.Type, ErrInvalid)
	}
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return fmt.Errorf("webhook event %s: %w", ev.Type, err)
	}
	var conv *string
	if ev.ConversationID != "" {
		conv = &ev.ConversationID
	}
	now := s.now().UTC()
	// One statement: nothing is written unless a subscription wants it.
	_, err = q.Exec(ctx, `with subs as (
			select id from webhook_subscriptions
			where site_id = $1 and enabled and $2 = any(events) and (not $3 or include_notes)
		), ev as (
			insert into webhook_events (site_id, type, conversation_id, data, created_at)
			select $1, $2, $4::uuid, $5, $6 where exists (select 1 from subs)
			returning id
		)
		insert into webhook_deliveries (event_id, subscription_id, order_key, next_attempt_at, deadline, created_at)
		select ev.id, subs.id, coalesce($4::uuid::text, ''), $6, $6 + $7 * interval '1 second', $6 from ev, subs`,
		ev.SiteID, ev.Type, ev.Note, conv, data, now, int64(Retry.Seconds()))
	if err != nil {
		return fmt.Errorf("record webhook event %s: %w", ev.Type, err)
	}
	return nil
}

// SyncReport is the data of knowledge.sync_finished and
// knowledge.sync_failed: what a knowledge sync (issue 18) did.
type SyncReport struct {
	Source     string    `json:"source"` // what was synced: a site map, a feed, a folder …
	Added      int       `json:"added"`
	Updated    int       `json:"updated"`
	Removed    int       `json:"removed"`
	Unchanged  int       `json:"unchanged"`
	Error      string    `json:"error,omitempty"` // why it failed
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// KnowledgeSynced is the hook a knowledge sync calls when it ends: it
// records knowledge.sync_finished, or knowledge.sync_failed when r.Error is
// set, for siteID's subscriptions. With tx it is recorded in that
// transaction (the sync's own, ideally); with a nil tx in one of its own.
// A package below chat declares the method in a small interface of its own
// and cmd/kefu passes this Service.
func (s *Service) KnowledgeSynced(ctx context.Context, tx pgx.Tx, siteID int64, r SyncReport) error {
	ev := Event{Type: KnowledgeSyncFinished, SiteID: siteID, Data: r}
	if r.Error != "" {
		ev.Type = KnowledgeSyncFailed
	}
	if tx == nil {
		return s.Emit(ctx, ev)
	}
	return s.Record(ctx, tx, ev)
}
