package chat

import (
	"context"
	"fmt"
	"kefu/internal/account"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Audit actions recorded by kefu. Actions are "noun.verb"; the list is open.
const (
	AuditLogin          = "auth.login"
	AuditClaim          = "conversation.claim"
	AuditTransfer       = "conversation.transfer"
	AuditSettings       = "site.settings"
	AuditKnowledgeAdd   = "knowledge.upload"
	AuditKnowledgeDel   = "knowledge.delete"
	AuditPrivacyExport  = "privacy.export"
	AuditPrivacyErase   = "privacy.erase"
	AuditRetentionPurge = "retention.purge"
)

// Actors that are not console users.
const (
	ActorSystem = "system"
	ActorAdmin  = "admin token" // the bootstrap KEFU_ADMIN_TOKEN
)

// AuditEntry is one row of the audit log: who did what to which target, and when.
type AuditEntry struct {
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

// AuditFilter narrows an audit log listing; zero fields match everything.
type AuditFilter struct {
	SiteID *int64
	UserID *int64
	Actor  string // exact: a user's email, "system", "api token NAME"
	Action string // exact, or a prefix ending in "." ("privacy.")
	Limit  int
}

// Audit is the audit log.
type Audit struct{ db *pgxpool.Pool }

// NewAudit returns the audit log on db.
func NewAudit(db *pgxpool.Pool) *Audit { return &Audit{db: db} }

// Record appends e to the audit log. It returns ErrInvalid without an action or actor.
func (a *Audit) Record(ctx context.Context, e AuditEntry) error {
	return recordAudit(ctx, a.db, e)
}

func recordAudit(ctx context.Context, db interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, e AuditEntry) error {
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
func (a *Audit) List(ctx context.Context, f AuditFilter, cursor string) (Page[AuditEntry], error) {
	limit := pageLimit(f.Limit)
	before, err := idCursor(cursor)
	if err != nil {
		return Page[AuditEntry]{}, err
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
	rows, err := a.db.Query(ctx, `select id, site_id, user_id, actor, action, target, detail, created_at from audit_log
		where `+strings.Join(where, " and ")+` order by id desc limit $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return Page[AuditEntry]{}, fmt.Errorf("list audit log: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := r.Scan(&e.ID, &e.SiteID, &e.UserID, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.At)
		return e, err
	})
	if err != nil {
		return Page[AuditEntry]{}, fmt.Errorf("list audit log: %w", err)
	}
	page := Page[AuditEntry]{Items: list}
	if page.Items == nil {
		page.Items = []AuditEntry{}
	}
	if len(list) > limit {
		page.Items = list[:limit]
		page.Next = strconv.FormatInt(list[limit-1].ID, 10)
	}
	return page, nil
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
