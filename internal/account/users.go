package account

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"kefu/internal/page"
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

// dummyHash is compared against when the email is unknown, so a login for
// an unknown address costs about as long as one with a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("kefu: no such user"), bcrypt.DefaultCost)
	return h
})

const userColumns = "id, email, name, role, disabled, created_at"

func scanUser(row pgx.Row) (*User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Disabled, &u.CreatedAt)
	return &u, err
}

// Authenticate checks an email and password. It returns ErrUnauthorized for
// an unknown email or a wrong password (the same error, after the same
// bcrypt work) and ErrForbidden for a disabled account.
func (u *Users) Authenticate(ctx context.Context, email, password string) (*User, error) {
	var user User
	var hash string
	err := u.db.QueryRow(ctx, `select `+userColumns+`, password_hash from users where lower(email) = lower($1)`,
		strings.TrimSpace(email)).Scan(&user.ID, &user.Email, &user.Name, &user.Role, &user.Disabled, &user.CreatedAt, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, fmt.Errorf("email or password is wrong: %w", ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return nil, fmt.Errorf("email or password is wrong: %w", ErrUnauthorized)
	}
	if user.Disabled {
		return nil, fmt.Errorf("account %s is disabled: %w", user.Email, ErrForbidden)
	}
	return &user, nil
}

// ByID returns the user with id, or ErrNotFound.
func (u *Users) ByID(ctx context.Context, id int64) (*User, error) {
	user, err := scanUser(u.db.QueryRow(ctx, "select "+userColumns+" from users where id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	return user, nil
}

// Member is a user with the sites they work for (admins: every site).
type Member struct {
	User
	SiteIDs []int64 `json:"site_ids"`
}

// List returns users by id, limit per page, continuing after cursor.
func (u *Users) List(ctx context.Context, cursor string, limit int) (Page[Member], error) {
	limit = page.Limit(limit)
	after, err := idCursor(cursor)
	if err != nil {
		return Page[Member]{}, err
	}
	rows, err := u.db.Query(ctx, `select `+userColumns+`,
		array(select site_id from user_sites s where s.user_id = users.id order by site_id)
		from users where id > $1 order by id limit $2`, after, limit+1)
	if err != nil {
		return Page[Member]{}, fmt.Errorf("list users: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Member, error) {
		var m Member
		err := r.Scan(&m.ID, &m.Email, &m.Name, &m.Role, &m.Disabled, &m.CreatedAt, &m.SiteIDs)
		return m, err
	})
	if err != nil {
		return Page[Member]{}, fmt.Errorf("list users: %w", err)
	}
	return page.Of(list, limit, func(x Member) string { return strconv.FormatInt(x.ID, 10) }), nil
}

// SetDisabled disables or re-enables a user. Disabling ends the user's
// sessions at once. The last enabled admin cannot be disabled (ErrConflict):
// nobody could sign in to undo it.
func (u *Users) SetDisabled(ctx context.Context, id int64, disabled bool) (*User, error) {
	var user *User
	err := pgx.BeginFunc(ctx, u.db, func(tx pgx.Tx) error {
		var err error
		user, err = scanUser(tx.QueryRow(ctx, "select "+userColumns+" from users where id = $1 for update", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if disabled && user.Role == RoleAdmin && !user.Disabled {
			// Lock every admin row so two admins disabling each other serialise.
			var others int
			if err := tx.QueryRow(ctx, `select count(*) from (select id from users where role = 'admin' and not disabled
				and id <> $1 for update) a`, id).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return fmt.Errorf("%s is the last admin and cannot be disabled: %w", user.Email, ErrConflict)
			}
		}
		if _, err := tx.Exec(ctx, "update users set disabled = $2 where id = $1", id, disabled); err != nil {
			return err
		}
		user.Disabled = disabled
		if disabled {
			if _, err := tx.Exec(ctx, "update sessions set revoked = true where user_id = $1 and not revoked", id); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, "delete from agent_presence where user_id = $1", id)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("disable user: %w", err)
	}
	return user, nil
}

// AddToSite makes the user an agent of the site (adding twice is a no-op).
func (u *Users) AddToSite(ctx context.Context, userID, siteID int64) error {
	_, err := u.db.Exec(ctx, "insert into user_sites (user_id, site_id) values ($1, $2) on conflict do nothing", userID, siteID)
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return fmt.Errorf("user %d or site %d: %w", userID, siteID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add user to site: %w", err)
	}
	return nil
}

// RemoveFromSite ends the user's membership of the site.
func (u *Users) RemoveFromSite(ctx context.Context, userID, siteID int64) error {
	if _, err := u.db.Exec(ctx, "delete from user_sites where user_id = $1 and site_id = $2", userID, siteID); err != nil {
		return fmt.Errorf("remove user from site: %w", err)
	}
	return nil
}

// SetSites replaces the sites the user works for.
func (u *Users) SetSites(ctx context.Context, userID int64, siteIDs []int64) error {
	err := pgx.BeginFunc(ctx, u.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "delete from user_sites where user_id = $1", userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `insert into user_sites (user_id, site_id) select $1, unnest($2::bigint[]) on conflict do nothing`,
			userID, siteIDs)
		return err
	})
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return fmt.Errorf("user %d or one of its sites: %w", userID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("set user sites: %w", err)
	}
	return nil
}

// SitesOf returns the ids of the sites the user is a member of. Admins work
// for every site whatever this says (see CanAccess).
func (u *Users) SitesOf(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := u.db.Query(ctx, "select site_id from user_sites where user_id = $1 order by site_id", userID)
	if err != nil {
		return nil, fmt.Errorf("load user sites: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("load user sites: %w", err)
	}
	return ids, nil
}

// Scope is the set of sites a console user may see: every site for an
// admin, their member sites for an agent.
type Scope struct {
	All     bool
	SiteIDs []int64
}

// Allows reports whether the scope includes siteID.
func (s Scope) Allows(siteID int64) bool {
	if s.All {
		return true
	}
	for _, id := range s.SiteIDs {
		if id == siteID {
			return true
		}
	}
	return false
}

// ScopeOf returns the sites user may see.
func (u *Users) ScopeOf(ctx context.Context, user *User) (Scope, error) {
	if user.Role == RoleAdmin {
		return Scope{All: true}, nil
	}
	ids, err := u.SitesOf(ctx, user.ID)
	return Scope{SiteIDs: ids}, err
}

// Agents returns the enabled users who work for the site (its agents and
// every admin), by name: whom a conversation may be transferred to.
func (u *Users) Agents(ctx context.Context, siteID int64) ([]User, error) {
	rows, err := u.db.Query(ctx, `select `+userColumns+` from users where not disabled and (role = 'admin'
		or exists (select 1 from user_sites s where s.user_id = users.id and s.site_id = $1)) order by lower(name), id limit 500`, siteID)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) {
		u, err := scanUser(r)
		return *u, err
	})
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return list, nil
}

// Names returns the names of the users with ids (ids of no user are left out).
func (u *Users) Names(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := u.db.Query(ctx, "select id, name from users where id = any($1)", ids)
	if err != nil {
		return nil, fmt.Errorf("load user names: %w", err)
	}
	var id int64
	var name string
	if _, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error { out[id] = name; return nil }); err != nil {
		return nil, fmt.Errorf("load user names: %w", err)
	}
	return out, nil
}
