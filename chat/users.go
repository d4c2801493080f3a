package chat

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"
)

// Roles of console users.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// MinPasswordLength is the shortest password a user may have.
const MinPasswordLength = 8

// User is a console account.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// Users stores console accounts; passwords are kept only as bcrypt hashes.
type Users struct{ db *pgxpool.Pool }

// NewUsers returns the user store on db.
func NewUsers(db *pgxpool.Pool) *Users { return &Users{db: db} }

// Create adds a user. It returns ErrInvalid for a bad email, role or short
// password and ErrConflict when the email is taken.
func (u *Users) Create(ctx context.Context, email, name, role, password string) (*User, error) {
	addr, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || addr.Name != "" {
		return nil, fmt.Errorf("email %q is not an address: %w", email, ErrInvalid)
	}
	if role != RoleAdmin && role != RoleAgent {
		return nil, fmt.Errorf("role %q must be admin or agent: %w", role, ErrInvalid)
	}
	if len(password) < MinPasswordLength {
		return nil, fmt.Errorf("password must have at least %d characters: %w", MinPasswordLength, ErrInvalid)
	}
	if strings.TrimSpace(name) == "" {
		name = strings.Split(addr.Address, "@")[0]
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	var user User
	err = u.db.QueryRow(ctx, `insert into users (email, name, role, password_hash) values ($1, $2, $3, $4)
		returning id, email, name, role, disabled, created_at`, addr.Address, strings.TrimSpace(name), role, string(hash)).
		Scan(&user.ID, &user.Email, &user.Name, &user.Role, &user.Disabled, &user.CreatedAt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return nil, fmt.Errorf("user %s: %w", addr.Address, ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return &user, nil
}

// ByEmail returns the user with that email (case-insensitive), or ErrNotFound.
func (u *Users) ByEmail(ctx context.Context, email string) (*User, error) {
	var user User
	err := u.db.QueryRow(ctx, `select id, email, name, role, disabled, created_at from users
		where lower(email) = lower($1)`, strings.TrimSpace(email)).
		Scan(&user.ID, &user.Email, &user.Name, &user.Role, &user.Disabled, &user.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("user %s: %w", email, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	return &user, nil
}
