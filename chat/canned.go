package chat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/page"
)

// CannedResponse is an admin-written reply an agent inserts with /shortcut.
type CannedResponse struct {
	ID        int64     `json:"id"`
	SiteID    int64     `json:"site_id"`
	Shortcut  string    `json:"shortcut"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CannedResponses stores canned responses.
type CannedResponses struct{ db *pgxpool.Pool }

// NewCannedResponses returns the canned response store on db.
func NewCannedResponses(db *pgxpool.Pool) *CannedResponses { return &CannedResponses{db: db} }

var shortcutRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

const cannedColumns = "id, site_id, shortcut, body, created_at, updated_at"

func scanCanned(row pgx.Row) (*CannedResponse, error) {
	var c CannedResponse
	err := row.Scan(&c.ID, &c.SiteID, &c.Shortcut, &c.Text, &c.CreatedAt, &c.UpdatedAt)
	return &c, err
}

// cleanCanned checks a shortcut (a leading "/" is dropped; letters are
// lowercased) and a text.
func cleanCanned(shortcut, text string) (string, string, error) {
	shortcut = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(shortcut), "/"))
	text = strings.TrimSpace(text)
	switch {
	case !shortcutRE.MatchString(shortcut):
		return "", "", fmt.Errorf("shortcut %q must be 1 to 40 letters, digits, - or _: %w", shortcut, ErrInvalid)
	case text == "" || !utf8.ValidString(text):
		return "", "", fmt.Errorf("canned response text is required: %w", ErrInvalid)
	case utf8.RuneCountInString(text) > MaxMessageLength:
		return "", "", fmt.Errorf("canned response longer than %d characters: %w", MaxMessageLength, ErrInvalid)
	}
	return shortcut, text, nil
}

func cannedErr(err error, shortcut string) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("canned response: %w", ErrNotFound)
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return fmt.Errorf("shortcut /%s exists: %w", shortcut, ErrConflict)
	case errors.As(err, &pgErr) && pgErr.Code == "23503":
		return fmt.Errorf("site: %w", ErrNotFound)
	}
	return fmt.Errorf("save canned response: %w", err)
}

// Create adds a canned response; a shortcut taken on the site is ErrConflict.
func (c *CannedResponses) Create(ctx context.Context, siteID int64, shortcut, text string) (*CannedResponse, error) {
	shortcut, text, err := cleanCanned(shortcut, text)
	if err != nil {
		return nil, err
	}
	r, err := scanCanned(c.db.QueryRow(ctx, `insert into canned_responses (site_id, shortcut, body) values ($1, $2, $3)
		returning `+cannedColumns, siteID, shortcut, text))
	if err != nil {
		return nil, cannedErr(err, shortcut)
	}
	return r, nil
}

// Get returns a canned response by id, or ErrNotFound.
func (c *CannedResponses) Get(ctx context.Context, id int64) (*CannedResponse, error) {
	r, err := scanCanned(c.db.QueryRow(ctx, "select "+cannedColumns+" from canned_responses where id = $1", id))
	if err != nil {
		return nil, cannedErr(err, "")
	}
	return r, nil
}

// Update replaces a canned response's shortcut and text.
func (c *CannedResponses) Update(ctx context.Context, id int64, shortcut, text string) (*CannedResponse, error) {
	shortcut, text, err := cleanCanned(shortcut, text)
	if err != nil {
		return nil, err
	}
	r, err := scanCanned(c.db.QueryRow(ctx, `update canned_responses set shortcut = $2, body = $3, updated_at = now()
		where id = $1 returning `+cannedColumns, id, shortcut, text))
	if err != nil {
		return nil, cannedErr(err, shortcut)
	}
	return r, nil
}

// Delete removes a canned response; an unknown id is ErrNotFound.
func (c *CannedResponses) Delete(ctx context.Context, id int64) error {
	tag, err := c.db.Exec(ctx, "delete from canned_responses where id = $1", id)
	if err != nil {
		return fmt.Errorf("delete canned response: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("canned response %d: %w", id, ErrNotFound)
	}
	return nil
}

// List returns a site's canned responses by shortcut, those starting with
// prefix when it is set (the console's /sh… completion), limit per page,
// continuing after cursor (the last shortcut of the previous page).
func (c *CannedResponses) List(ctx context.Context, siteID int64, prefix, cursor string, limit int) (Page[CannedResponse], error) {
	limit = page.Limit(limit)
	prefix = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(prefix), "/"))
	rows, err := c.db.Query(ctx, "select "+cannedColumns+` from canned_responses where site_id = $1 and shortcut > $2
		and starts_with(shortcut, $3) order by shortcut limit $4`, siteID, cursor, prefix, limit+1)
	if err != nil {
		return Page[CannedResponse]{}, fmt.Errorf("list canned responses: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CannedResponse, error) {
		c, err := scanCanned(r)
		return *c, err
	})
	if err != nil {
		return Page[CannedResponse]{}, fmt.Errorf("list canned responses: %w", err)
	}
	return page.Of(list, limit, func(x CannedResponse) string { return x.Shortcut }), nil
}
