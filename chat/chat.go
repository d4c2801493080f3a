// Package chat owns conversations: visitors, messages and their history,
// the bot/queue/agent state machine, escalation, the bot's turn, what agents
// do (and their canned responses), answer tests, and the live fan-out of
// events (hub, broker). It reads sites (internal/sites) and console users
// (internal/account); analytics and privacy read and erase its tables
// through it.
package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"kefu/internal/page"
)

// Errors returned by chat's stores; web maps them to statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid input")
	ErrConflict = errors.New("already exists")
)

// querier is a pool, a connection or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Page is one page of a list and the cursor of the next (empty at the end).
type Page[T any] = page.Page[T]

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
