// Package account owns console access: the users who sign in to the
// console (and the sites they work for), their sessions, API tokens for shop
// backends, and which users are online (presence).
package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/page"
)

// Errors of console access; web maps them to statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid input")
	ErrConflict = errors.New("already exists")
	// ErrUnauthorized means the caller is not signed in: wrong password,
	// unknown, expired or revoked session, unknown or revoked API token.
	ErrUnauthorized = errors.New("not signed in")
	// ErrForbidden means the caller is signed in but may not do this.
	ErrForbidden = errors.New("not allowed")
)

// Store bundles the stores of console access.
type Store struct {
	Users    *Users
	Sessions *Sessions
	Tokens   *APITokens
	Presence *Presence
}

// NewStore returns the account stores on db.
func NewStore(db *pgxpool.Pool) *Store {
	return &Store{Users: NewUsers(db), Sessions: NewSessions(db), Tokens: NewAPITokens(db), Presence: NewPresence(db)}
}

// Page is one page of a list and the cursor of the next (empty at the end).
type Page[T any] = page.Page[T]

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

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// NewPassword returns a random password for a new user, to be shown once.
func NewPassword() string { return randomHex(9) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
