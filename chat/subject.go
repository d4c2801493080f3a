package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// What privacy (internal/privacy) asks of chat's tables: find, export and
// erase one shopper's visitors, conversations and messages, and delete what
// outlived a site's retention. Each runs in the caller's transaction, so an
// erasure or a retention batch across packages commits or fails as one.

// SubjectRows are chat's rows of one data subject on a site.
type SubjectRows struct {
	Visitors      []int64
	Conversations []string
}

// VerifiedCustomer returns the customer that the visitor holding token on
// siteID was verified as (nil: none, or no such visitor).
func VerifiedCustomer(ctx context.Context, tx pgx.Tx, siteID int64, token string) (*int64, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, nil
	}
	var id *int64
	err := tx.QueryRow(ctx, "select customer_id from visitors where site_id = $1 and token = $2", siteID, visitorTokenHash(token)).Scan(&id)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("find subject's visitor: %w", err)
	}
	return id, nil
}

// FindSubject returns the visitors of siteID that hold token or were
// verified as one of customers, their conversations, and conversations
// where the shopper left email as their contact.
func FindSubject(ctx context.Context, tx pgx.Tx, siteID int64, token string, customers []int64, email string) (SubjectRows, error) {
	var r SubjectRows
	rows, err := tx.Query(ctx, `select id from visitors where site_id = $1 and (
			($2 <> '' and token = $2) or customer_id = any($3)) order by id`,
		siteID, visitorTokenHash(strings.TrimSpace(token)), customers)
	if err == nil {
		r.Visitors, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil {
		return r, fmt.Errorf("find subject's visitors: %w", err)
	}
	rows, err = tx.Query(ctx, `select id::text from conversations where site_id = $1 and (
			visitor_id = any($2) or ($3 <> '' and lower(contact_email) = lower($3))) order by created_at, id`,
		siteID, r.Visitors, strings.TrimSpace(email))
	if err == nil {
		r.Conversations, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return r, fmt.Errorf("find subject's conversations: %w", err)
	}
	return r, nil
}

// SubjectExport is chat's part of a subject's export: whole rows as JSON,
// so nothing is left out when a column is added.
type SubjectExport struct {
	Visitors      []json.RawMessage
	Conversations []json.RawMessage // CSAT score and comment included
	Messages      []json.RawMessage
	// Events: when the conversations were escalated (and why), taken by a
	// person, handed back, resolved, reopened; which agent is left out.
	Events []json.RawMessage
}

// ExportSubject returns the rows of r.
func ExportSubject(ctx context.Context, tx pgx.Tx, r SubjectRows) (SubjectExport, error) {
	var out SubjectExport
	parts := []struct {
		dst  *[]json.RawMessage
		sql  string
		args []any
	}{
		{&out.Visitors, "select row_to_json(t) from visitors t where id = any($1) order by id", []any{r.Visitors}},
		{&out.Conversations, "select row_to_json(t) from conversations t where id::text = any($1) order by created_at, id", []any{r.Conversations}},
		{&out.Messages, "select row_to_json(t) from messages t where conversation_id::text = any($1) order by conversation_id, seq", []any{r.Conversations}},
		{&out.Events, `select row_to_json(t) from (select conversation_id, kind, reason, at from conversation_events
			where conversation_id::text = any($1) order by at, id) t`, []any{r.Conversations}},
	}
	for _, part := range parts {
		list, err := jsonRows(ctx, tx, part.sql, part.args...)
		if err != nil {
			return out, fmt.Errorf("export subject: %w", err)
		}
		*part.dst = list
	}
	return out, nil
}

// jsonRows collects a query's single JSON column (an empty list, not nil,
// when there are no rows).
func jsonRows(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]json.RawMessage, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (json.RawMessage, error) {
		var b []byte
		err := row.Scan(&b)
		return json.RawMessage(b), err
	})
	if list == nil {
		list = []json.RawMessage{}
	}
	return list, err
}

// SubjectErasure counts what EraseSubject deleted.
type SubjectErasure struct {
	Messages, Conversations, Visitors int64
}

// EraseSubject deletes r's messages, conversations and visitors.
// Conversations of these visitors that r does not name (started since it
// was found) go with them by cascade.
func EraseSubject(ctx context.Context, tx pgx.Tx, r SubjectRows) (SubjectErasure, error) {
	var out SubjectErasure
	steps := []struct {
		n    *int64
		sql  string
		args []any
	}{
		{&out.Messages, "delete from messages where conversation_id::text = any($1)", []any{r.Conversations}},
		{&out.Conversations, "delete from conversations where id::text = any($1)", []any{r.Conversations}},
		{&out.Visitors, "delete from visitors where id = any($1)", []any{r.Visitors}},
	}
	for _, st := range steps {
		tag, err := tx.Exec(ctx, st.sql, st.args...)
		if err != nil {
			return out, fmt.Errorf("erase subject: %w", err)
		}
		*st.n = tag.RowsAffected()
	}
	return out, nil
}

// IdleConversations returns at most limit conversations of siteID not
// updated since before.
func IdleConversations(ctx context.Context, tx pgx.Tx, siteID int64, before time.Time, limit int) ([]string, error) {
	rows, err := tx.Query(ctx, "select id::text from conversations where site_id = $1 and updated_at < $2 limit $3", siteID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("find idle conversations: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("find idle conversations: %w", err)
	}
	return ids, nil
}

// DeleteConversations deletes the conversations ids with their messages
// and history, and returns how many it deleted.
func DeleteConversations(ctx context.Context, tx pgx.Tx, ids []string) (int64, error) {
	tag, err := tx.Exec(ctx, "delete from conversations where id = any($1::uuid[])", ids)
	if err != nil {
		return 0, fmt.Errorf("delete conversations: %w", err)
	}
	return tag.RowsAffected(), nil
}

// ConversationsWithMessagesBefore returns the conversations of siteID that
// have messages older than before.
func ConversationsWithMessagesBefore(ctx context.Context, tx pgx.Tx, siteID int64, before time.Time) ([]string, error) {
	rows, err := tx.Query(ctx, `select c.id::text from conversations c where c.site_id = $1 and c.id in (
		select m.conversation_id from messages m where m.created_at < $2)`, siteID, before)
	if err != nil {
		return nil, fmt.Errorf("find conversations with old messages: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("find conversations with old messages: %w", err)
	}
	return ids, nil
}

// DeleteMessagesBefore deletes at most limit messages of siteID's
// conversations older than before, and returns how many it deleted.
func DeleteMessagesBefore(ctx context.Context, tx pgx.Tx, siteID int64, before time.Time, limit int) (int64, error) {
	tag, err := tx.Exec(ctx, `delete from messages where id in (
		select m.id from messages m join conversations c on c.id = m.conversation_id
		where c.site_id = $1 and m.created_at < $2 limit $3)`, siteID, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old messages: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DeleteIdleVisitors deletes at most limit visitors of siteID unseen since
// before that have no conversation left, and returns how many it deleted.
func DeleteIdleVisitors(ctx context.Context, tx pgx.Tx, siteID int64, before time.Time, limit int) (int64, error) {
	tag, err := tx.Exec(ctx, `delete from visitors where id in (
		select v.id from visitors v where v.site_id = $1 and v.last_seen_at < $2
		and not exists (select 1 from conversations c where c.visitor_id = v.id) limit $3)`, siteID, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete idle visitors: %w", err)
	}
	return tag.RowsAffected(), nil
}
