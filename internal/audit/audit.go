// Package audit owns the audit log (the audit_log table): who did what to
// which target, and when. Any package records through a Log, or with
// RecordIn in its own transaction; privacy's retention job expires old
// entries with Expire.
package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"kefu/internal/account"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/page"
)

// ErrInvalid means an entry or a listing's cursor is malformed.
var ErrInvalid = errors.New("invalid input")

// Actions recorded by kefu. Actions are "noun.verb"; the list is open.
const (
	Login          = "auth.login"
	Claim          = "conversation.claim"
	Transfer       = "conversation.transfer"
	Settings       = "site.settings"
	KnowledgeAdd   = "knowledge.upload"
	KnowledgeDel   = "knowledge.delete"
	PrivacyExport  = "privacy.export"
	PrivacyErase   = "privacy.erase"
	RetentionPurge = "retention.purge"
)

// Actors that are not console users.
const (
	ActorSystem = "system"
	ActorAdmin  = "admin token" // the bootstrap KEFU_ADMIN_TOKEN
)

// Entry is one row of the audit log: who did what to which target, and when.
type Entry struct {
	ID     int64  `json:"id"`
	SiteID *int64 `json:"site_id,omitempty"`
	UserID *int64 `json:"user_id,omitempty"`
	// Actor names who acted: the user's email, "system", "admin token" or
	// "api token NAME"; it outlives the user.
	Actor  string         `json:"actor"`
	Action string         `json:"action"`
	Target string         `json:"target,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`
	At     time.Time      `json:"at"`
}

// ActorUser names a console user as an actor.
func ActorUser(u *account.User) (id *int64, actor string) {
	if u == nil {
		return nil, ActorSystem
	}
	return &u.ID, u.Email
}

// ActorToken names an API token as an actor.
func ActorToken(t *account.APIToken) string { return "api token " + t.Name }

// Filter narrows an audit log listing; zero fields match everything.
type Filter struct {
	SiteID *int64
	UserID *int64
	Actor  string // exact: a user's email, "system", "api token NAME"
	Action string // exact, or a prefix ending in "." ("privacy.")
	Limit  int
}

// Log is the audit log.
type Log struct{ db *pgxpool.Pool }

// New returns the audit log on db.
func New(db *pgxpool.Pool) *Log { return &Log{db: db} }

// Record appends e to the audit log. It returns ErrInvalid without an action or actor.
func (l *Log) Record(ctx context.Context, e Entry) error {
	return record(ctx, l.db, e)
}

// RecordIn appends e in tx, so the entry commits (or rolls back) with the
// change it records.
func RecordIn(ctx context.Context, tx pgx.Tx, e Entry) error {
	return record(ctx, tx, e)
}

// Expire deletes, in tx, at most limit entries older than before, and
// returns how many it deleted (privacy's retention job calls it).
func Expire(ctx context.Context, tx pgx.Tx, before time.Time, limit int) (int64, error) {
	tag, err := tx.Exec(ctx, "delete from audit_log where id in (select id from audit_log where created_at < $1 limit $2)", before, limit)
	if err != nil {
		return 0, fmt.Errorf("expire audit entries: %w", err)
	}
	return tag.RowsAffected(), nil
}

func record(ctx context.Context, db interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, e Entry) error {
	if strings.TrimSpace(e.Action) == "" || strings.TrimSpace(e.Actor) == "" {
		return fmt.Errorf("audit entry needs an action and an actor: %w", ErrInvalid)
	}
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	var id int64
	if err := db.QueryRow(ctx, `insert into audit_log (site_id, user_id, actor, action, target, detail)
		values ($1, $2, $3, $4, $5, $6) returning id`, e.SiteID, e.UserID, e.Actor, e.Action, e.Target, e.Detail).Scan(&id); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	return nil
}

// List returns entries matching f, newest first, continuing after cursor.
func (l *Log) List(ctx context.Context, f Filter, cursor string) (Page[Entry], error) {
	limit := page.Limit(f.Limit)
	before, err := idCursor(cursor)
	if err != nil {
		return Page[Entry]{}, err
	}
	if before == 0 {
		before = 1<<63 - 1
	}
	where := []string{"id < $1"}
	args := []any{before}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.SiteID != nil {
		add("site_id = ?", *f.SiteID)
	}
	if f.UserID != nil {
		add("user_id = ?", *f.UserID)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			add("starts_with(action, ?)", f.Action)
		} else {
			add("action = ?", f.Action)
		}
	}
	args = append(args, limit+1)
	rows, err := l.db.Query(ctx, `select id, site_id, user_id, actor, action, target, detail, created_at from audit_log
		where `+strings.Join(where, " and ")+` order by id desc limit $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return Page[Entry]{}, fmt.Errorf("list audit log: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := r.Scan(&e.ID, &e.SiteID, &e.UserID, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.At)
		return e, err
	})
	if err != nil {
		return Page[Entry]{}, fmt.Errorf("list audit log: %w", err)
	}
	return page.Of(list, limit, func(x Entry) string { return strconv.FormatInt(x.ID, 10) }), nil
}

// idCursor parses a cursor that is a row id (0 when empty).
func idCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("cursor %q: %w", cursor, ErrInvalid)
	}
	return id, nil
}

// Page is one page of a list and the cursor of the next (empty at the end).
type Page[T any] = page.Page[T]
