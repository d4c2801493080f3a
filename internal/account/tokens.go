package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/page"
)

// APIToken is a shop backend's credential. Only its hash is stored; the
// plaintext is shown once, when it is created.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	SiteID     *int64     `json:"site_id,omitempty"` // nil: every site
	CreatedBy  *int64     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Scope returns the sites the token may act on.
func (t *APIToken) Scope() Scope {
	if t.SiteID == nil {
		return Scope{All: true}
	}
	return Scope{SiteIDs: []int64{*t.SiteID}}
}

// APITokens stores API tokens.
type APITokens struct{ db *pgxpool.Pool }

// NewAPITokens returns the API token store on db.
func NewAPITokens(db *pgxpool.Pool) *APITokens { return &APITokens{db: db} }

// apiTokenPrefix starts every token, so leaked tokens are easy to recognise.
const apiTokenPrefix = "kefu_"

const tokenColumns = "id, name, prefix, site_id, created_by, created_at, last_used_at, revoked_at"

func scanToken(row pgx.Row) (*APIToken, error) {
	var t APIToken
	err := row.Scan(&t.ID, &t.Name, &t.Prefix, &t.SiteID, &t.CreatedBy, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	return &t, err
}

// Create makes a token named name for one site (nil: every site) and
// returns it with its plaintext, which is not kept.
func (a *APITokens) Create(ctx context.Context, name string, siteID, createdBy *int64) (*APIToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return nil, "", fmt.Errorf("token name must have 1 to 100 characters: %w", ErrInvalid)
	}
	plain := apiTokenPrefix + randomHex(24)
	t, err := scanToken(a.db.QueryRow(ctx, `insert into api_tokens (hash, prefix, name, site_id, created_by)
		values ($1, $2, $3, $4, $5) returning `+tokenColumns, hashToken(plain), plain[:len(apiTokenPrefix)+6], name, siteID, createdBy))
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return nil, "", fmt.Errorf("site %v: %w", siteID, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("create token: %w", err)
	}
	return t, plain, nil
}

// Validate returns the live token with plaintext plain and records its use
// (at most once a minute); unknown or revoked tokens are ErrUnauthorized.
func (a *APITokens) Validate(ctx context.Context, plain string) (*APIToken, error) {
	if !strings.HasPrefix(plain, apiTokenPrefix) || len(plain) > 200 {
		return nil, fmt.Errorf("unknown API token: %w", ErrUnauthorized)
	}
	t, err := scanToken(a.db.QueryRow(ctx, "select "+tokenColumns+" from api_tokens where hash = $1 and revoked_at is null",
		hashToken(plain)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("unknown or revoked API token: %w", ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("load token: %w", err)
	}
	if t.LastUsedAt == nil || time.Since(*t.LastUsedAt) > time.Minute {
		if _, err := a.db.Exec(ctx, "update api_tokens set last_used_at = now() where id = $1", t.ID); err != nil {
			return nil, fmt.Errorf("record token use: %w", err)
		}
	}
	return t, nil
}

// Revoke revokes the token at once; revoking twice is a no-op. Unknown ids
// are ErrNotFound.
func (a *APITokens) Revoke(ctx context.Context, id int64) (*APIToken, error) {
	t, err := scanToken(a.db.QueryRow(ctx, `update api_tokens set revoked_at = coalesce(revoked_at, now()) where id = $1
		returning `+tokenColumns, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("revoke token: %w", err)
	}
	return t, nil
}

// List returns tokens, newest first, limit per page, continuing after cursor.
func (a *APITokens) List(ctx context.Context, cursor string, limit int) (Page[APIToken], error) {
	limit = page.Limit(limit)
	before, err := idCursor(cursor)
	if err != nil {
		return Page[APIToken]{}, err
	}
	if before == 0 {
		before = 1<<63 - 1
	}
	rows, err := a.db.Query(ctx, "select "+tokenColumns+" from api_tokens where id < $1 order by id desc limit $2", before, limit+1)
	if err != nil {
		return Page[APIToken]{}, fmt.Errorf("list tokens: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIToken, error) {
		t, err := scanToken(r)
		return *t, err
	})
	if err != nil {
		return Page[APIToken]{}, fmt.Errorf("list tokens: %w", err)
	}
	return page.Of(list, limit, func(x APIToken) string { return strconv.FormatInt(x.ID, 10) }), nil
}
