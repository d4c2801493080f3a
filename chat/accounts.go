package chat

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"
)

// Errors of console access; web maps them to 401 and 403.
var (
	// ErrUnauthorized means the caller is not signed in: wrong password,
	// unknown, expired or revoked session, unknown or revoked API token.
	ErrUnauthorized = errors.New("not signed in")
	// ErrForbidden means the caller is signed in but may not do this.
	ErrForbidden = errors.New("not allowed")
)

// Accounts bundles the stores of console access: users and their sites,
// sessions, API tokens, canned responses and presence.
type Accounts struct {
	Users    *Users
	Sessions *Sessions
	Tokens   *APITokens
	Canned   *CannedResponses
	Presence *Presence
}

// NewAccounts returns the account stores on db.
func NewAccounts(db *pgxpool.Pool) *Accounts {
	return &Accounts{Users: NewUsers(db), Sessions: NewSessions(db), Tokens: &APITokens{db: db},
		Canned: &CannedResponses{db: db}, Presence: &Presence{db: db}}
}

// Page is one page of a list and the cursor of the next (empty at the end).
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next_cursor"`
}

func pageLimit(limit int) int {
	if limit <= 0 || limit > 200 {
		return 50
	}
	return limit
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

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// ---- Users: passwords, listing, disabling, sites ----

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
	limit = pageLimit(limit)
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
	page := Page[Member]{Items: list}
	if len(list) > limit {
		page.Items = list[:limit]
		page.Next = strconv.FormatInt(list[limit-1].ID, 10)
	}
	return page, nil
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

// ---- Sessions ----

// Session lifetimes: a session ends after SessionIdle without use, and at
// the latest SessionLifetime after sign-in.
const (
	SessionIdle     = 7 * 24 * time.Hour
	SessionLifetime = 30 * 24 * time.Hour
	// sessionTouch is how stale last_seen_at may get before a use writes it.
	sessionTouch = time.Minute
)

// ConsoleSession is one console sign-in. Its cookie token is never stored;
// ID is the token's SHA-256. (Session is a shopper's widget session.)
type ConsoleSession struct {
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
func (s *Sessions) Create(ctx context.Context, userID int64, userAgent, ip string) (string, *ConsoleSession, error) {
	token := randomHex(32)
	sess := ConsoleSession{ID: hashToken(token), UserID: userID, CSRFToken: randomHex(24)}
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
func (s *Sessions) Validate(ctx context.Context, token string) (*ConsoleSession, *User, error) {
	if token == "" || len(token) > 200 {
		return nil, nil, fmt.Errorf("no session: %w", ErrUnauthorized)
	}
	var sess ConsoleSession
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

// ---- API tokens ----

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
	limit = pageLimit(limit)
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
	page := Page[APIToken]{Items: list}
	if len(list) > limit {
		page.Items = list[:limit]
		page.Next = strconv.FormatInt(list[limit-1].ID, 10)
	}
	return page, nil
}

// ---- Canned responses ----

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
	limit = pageLimit(limit)
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
	page := Page[CannedResponse]{Items: list}
	if len(list) > limit {
		page.Items = list[:limit]
		page.Next = list[limit-1].Shortcut
	}
	return page, nil
}

// ---- Presence ----

// Presence statuses of console users.
const (
	StatusOnline  = "online"
	StatusAway    = "away"
	StatusOffline = "offline"
)

// PresenceTimeout is how long a console socket counts as present after its
// node last refreshed it; a node refreshes well within it (web's agent
// socket does every ping), so only the sockets of a node that died lapse.
const PresenceTimeout = 90 * time.Second

// Presence records which console users are connected, on every node: one
// row per open console socket.
type Presence struct{ db *pgxpool.Pool }

// Set records (or refreshes) socket connID of the user with a status.
func (p *Presence) Set(ctx context.Context, connID string, userID int64, status string) error {
	if status != StatusOnline && status != StatusAway {
		return fmt.Errorf("presence %q must be online or away: %w", status, ErrInvalid)
	}
	_, err := p.db.Exec(ctx, `insert into agent_presence (conn_id, user_id, status) values ($1, $2, $3)
		on conflict (conn_id) do update set status = excluded.status, seen_at = now()`, connID, userID, status)
	if err != nil {
		return fmt.Errorf("set presence: %w", err)
	}
	return nil
}

// Remove forgets socket connID (and rows that lapsed long ago).
func (p *Presence) Remove(ctx context.Context, connID string) error {
	_, err := p.db.Exec(ctx, "delete from agent_presence where conn_id = $1 or seen_at < now() - interval '1 hour'", connID)
	if err != nil {
		return fmt.Errorf("remove presence: %w", err)
	}
	return nil
}

// Of returns the user's status over all their sockets: online if any is
// online, else away if any is away, else offline.
func (p *Presence) Of(ctx context.Context, userID int64) (string, error) {
	m, err := p.statuses(ctx, []int64{userID})
	if err != nil {
		return "", err
	}
	if s, ok := m[userID]; ok {
		return s, nil
	}
	return StatusOffline, nil
}

// Statuses returns the status of each of userIDs that has one (absent:
// offline).
func (p *Presence) Statuses(ctx context.Context, userIDs []int64) (map[int64]string, error) {
	return p.statuses(ctx, userIDs)
}

func (p *Presence) statuses(ctx context.Context, userIDs []int64) (map[int64]string, error) {
	rows, err := p.db.Query(ctx, `select user_id, bool_or(status = 'online') from agent_presence
		where user_id = any($1) and seen_at > now() - $2 * interval '1 second' group by user_id`,
		userIDs, int64(PresenceTimeout.Seconds()))
	if err != nil {
		return nil, fmt.Errorf("load presence: %w", err)
	}
	out := map[int64]string{}
	var id int64
	var online bool
	_, err = pgx.ForEachRow(rows, []any{&id, &online}, func() error {
		out[id] = StatusAway
		if online {
			out[id] = StatusOnline
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load presence: %w", err)
	}
	return out, nil
}

// OnlineCount counts the enabled users online (not away) who work for the
// site, on every node.
func (p *Presence) OnlineCount(ctx context.Context, siteID int64) (int, error) {
	var n int
	err := p.db.QueryRow(ctx, `select count(distinct p.user_id) from agent_presence p join users u on u.id = p.user_id
		where p.status = 'online' and p.seen_at > now() - $2 * interval '1 second' and not u.disabled
		and (u.role = 'admin' or exists (select 1 from user_sites s where s.user_id = u.id and s.site_id = $1))`,
		siteID, int64(PresenceTimeout.Seconds())).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count online agents: %w", err)
	}
	return n, nil
}

// Online is OnlineCount in the shape of Options.AgentsOnline: on an error
// it reports nobody online (the shopper is then asked for an email, which is
// the safe answer).
func (p *Presence) Online(siteID int64) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := p.OnlineCount(ctx, siteID)
	if err != nil {
		return 0
	}
	return n
}

// NewPassword returns a random password for a new user, to be shown once.
func NewPassword() string { return randomHex(9) }
