package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Session lifetimes: a session ends after SessionIdle without use, and at
// the latest SessionLifetime after sign-in.
const (
	SessionIdle     = 7 * 24 * time.Hour
	SessionLifetime = 30 * 24 * time.Hour
	// sessionTouch is how stale last_seen_at may get before a use writes it.
	sessionTouch = time.Minute
)

// Session is one console sign-in. Its cookie token is never stored;
// ID is the token's SHA-256.
type Session struct {
	ID         []byte    `json:"-"`
	UserID     int64     `json:"user_id"`
	CSRFToken  string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
}

// Sessions stores console sessions.
type Sessions struct {
	db *pgxpool.Pool
	// Idle and Lifetime default to SessionIdle and SessionLifetime.
	Idle, Lifetime time.Duration
}

// NewSessions returns the session store on db with the default lifetimes.
func NewSessions(db *pgxpool.Pool) *Sessions {
	return &Sessions{db: db, Idle: SessionIdle, Lifetime: SessionLifetime}
}

// Create starts a session for the user and returns the secret token for
// its cookie (shown this once) with the session.
func (s *Sessions) Create(ctx context.Context, userID int64, userAgent, ip string) (string, *Session, error) {
	token := randomHex(32)
	sess := Session{ID: hashToken(token), UserID: userID, CSRFToken: randomHex(24)}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	err := s.db.QueryRow(ctx, `insert into sessions (id, user_id, csrf_token, expires_at, user_agent, ip)
		values ($1, $2, $3, now() + $4 * interval '1 second', $5, $6) returning created_at, expires_at, last_seen_at`,
		sess.ID, userID, sess.CSRFToken, int64(min(s.Idle, s.Lifetime).Seconds()), strings.ToValidUTF8(userAgent, ""), ip).
		Scan(&sess.CreatedAt, &sess.ExpiresAt, &sess.LastSeenAt)
	if err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return token, &sess, nil
}

// Validate returns the live session of token and its user, and slides the
// session's expiry forward (at most once a minute). An unknown, expired or
// revoked session, or one of a disabled user, is ErrUnauthorized.
func (s *Sessions) Validate(ctx context.Context, token string) (*Session, *User, error) {
	if token == "" || len(token) > 200 {
		return nil, nil, fmt.Errorf("no session: %w", ErrUnauthorized)
	}
	var sess Session
	var u User
	err := s.db.QueryRow(ctx, `select s.id, s.user_id, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at,
		u.id, u.email, u.name, u.role, u.disabled, u.created_at
		from sessions s join users u on u.id = s.user_id
		where s.id = $1 and not s.revoked and s.expires_at > now() and not u.disabled`, hashToken(token)).
		Scan(&sess.ID, &sess.UserID, &sess.CSRFToken, &sess.CreatedAt, &sess.ExpiresAt, &sess.LastSeenAt,
			&u.ID, &u.Email, &u.Name, &u.Role, &u.Disabled, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, fmt.Errorf("session expired or signed out: %w", ErrUnauthorized)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load session: %w", err)
	}
	if time.Since(sess.LastSeenAt) > sessionTouch {
		err := s.db.QueryRow(ctx, `update sessions set last_seen_at = now(),
			expires_at = least(created_at + $2 * interval '1 second', now() + $3 * interval '1 second')
			where id = $1 returning expires_at, last_seen_at`, sess.ID, int64(s.Lifetime.Seconds()), int64(s.Idle.Seconds())).
			Scan(&sess.ExpiresAt, &sess.LastSeenAt)
		if err != nil {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return &sess, &u, nil
}

// Revoke ends the session of token (signing out); an unknown token is not an error.
func (s *Sessions) Revoke(ctx context.Context, token string) error {
	if _, err := s.db.Exec(ctx, "update sessions set revoked = true where id = $1", hashToken(token)); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// RevokeUser ends every session of the user and returns how many were live.
func (s *Sessions) RevokeUser(ctx context.Context, userID int64) (int, error) {
	tag, err := s.db.Exec(ctx, "update sessions set revoked = true where user_id = $1 and not revoked and expires_at > now()", userID)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
