// Package sites owns the shop fronts kefu serves (the sites table): their
// widget keys, identity secrets, allowed origins and settings. Settings are
// decoded and validated once, when a site is loaded or saved; a site that
// loads has a Config that means what its admin wrote.
package sites

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors returned by the site store; web maps them to statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid input")
)

// Site is one shop front: the widget key its pages embed, the secret that
// signs verified identities, the origins allowed to open the widget, and its
// settings.
type Site struct {
	ID             int64    `json:"id"`
	Key            string   `json:"key"`
	Name           string   `json:"name"`
	Secret         string   `json:"secret,omitempty"`
	AllowedOrigins []string `json:"allowed_origins"`
	// Settings is the settings document as it was saved, keys kefu does not
	// read included (the widget's "widget", say); Config is what it means.
	Settings  map[string]any `json:"settings"`
	CreatedAt time.Time      `json:"created_at"`

	config *Config // Settings decoded over the defaults when the site was loaded
}

// Config returns the site's settings over the defaults, as decoded and
// validated when the site was loaded. A Site made by hand (not loaded from
// a Store) has the defaults.
func (s *Site) Config() Config {
	if s.config == nil {
		return DefaultConfig()
	}
	return *s.config
}

// Store stores sites.
type Store struct{ db *pgxpool.Pool }

// NewStore returns the site store on db.
func NewStore(db *pgxpool.Pool) *Store { return &Store{db: db} }

const siteColumns = "id, key, name, secret, allowed_origins, settings, created_at"

// scanSite reads a site and decodes its settings; settings that do not
// decode or validate are an error (ErrInvalid), never the defaults.
func scanSite(row pgx.Row) (*Site, error) {
	var s Site
	if err := row.Scan(&s.ID, &s.Key, &s.Name, &s.Secret, &s.AllowedOrigins, &s.Settings, &s.CreatedAt); err != nil {
		return nil, err
	}
	cfg, err := ParseSettings(s.Settings)
	if err != nil {
		return nil, fmt.Errorf("site %s: %w", s.Key, err)
	}
	s.config = &cfg
	return &s, nil
}

// Create adds a site with a fresh widget key and identity secret. It returns
// ErrInvalid for an empty name or a malformed origin.
func (s *Store) Create(ctx context.Context, name string, origins []string) (*Site, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("site name is required: %w", ErrInvalid)
	}
	norm, err := NormalizeOrigins(origins)
	if err != nil {
		return nil, err
	}
	row := s.db.QueryRow(ctx, `insert into sites (key, name, secret, allowed_origins)
		values ($1, $2, $3, $4) returning `+siteColumns,
		"site_"+randomHex(10), name, randomHex(32), norm)
	site, err := scanSite(row)
	if err != nil {
		return nil, fmt.Errorf("create site: %w", err)
	}
	return site, nil
}

// ByKey returns the site with widget key key, or ErrNotFound.
func (s *Store) ByKey(ctx context.Context, key string) (*Site, error) {
	return s.one(ctx, "key = $1", key)
}

// ByID returns the site with id, or ErrNotFound.
func (s *Store) ByID(ctx context.Context, id int64) (*Site, error) {
	return s.one(ctx, "id = $1", id)
}

// ByName returns the oldest site named name, or ErrNotFound.
func (s *Store) ByName(ctx context.Context, name string) (*Site, error) {
	return s.one(ctx, "name = $1 order by id limit 1", name)
}

func (s *Store) one(ctx context.Context, where string, arg any) (*Site, error) {
	site, err := scanSite(s.db.QueryRow(ctx, "select "+siteColumns+" from sites where "+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("site %v: %w", arg, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load site: %w", err)
	}
	return site, nil
}

// List returns every site, oldest first.
func (s *Store) List(ctx context.Context) ([]Site, error) {
	rows, err := s.db.Query(ctx, "select "+siteColumns+" from sites order by id")
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	sites, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Site, error) {
		s, err := scanSite(r)
		if err != nil {
			return Site{}, err
		}
		return *s, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	return sites, nil
}

// RotateSecret gives the site a new identity secret; hashes signed with the
// old one stop verifying at once.
func (s *Store) RotateSecret(ctx context.Context, key string) (*Site, error) {
	site, err := scanSite(s.db.QueryRow(ctx, `update sites set secret = $2, updated_at = now()
		where key = $1 returning `+siteColumns, key, randomHex(32)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("site %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("rotate secret: %w", err)
	}
	return site, nil
}

// NormalizeOrigins checks that each origin is scheme://host[:port] (http or
// https, no path) and returns them lowercased without trailing slashes.
func NormalizeOrigins(origins []string) ([]string, error) {
	out := make([]string, 0, len(origins))
	for _, o := range origins {
		u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(o), "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("origin %q must look like https://shop.example.com: %w", o, ErrInvalid)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out, nil
}

// UpdateSettings replaces the site's settings (see Config). Settings that do
// not decode or validate are ErrInvalid and change nothing; keys kefu does
// not read are kept as they are.
func (s *Store) UpdateSettings(ctx context.Context, key string, settings map[string]any) (*Site, error) {
	if settings == nil {
		settings = map[string]any{}
	}
	if _, err := ParseSettings(settings); err != nil {
		return nil, err
	}
	site, err := scanSite(s.db.QueryRow(ctx, `update sites set settings = $2, updated_at = now()
		where key = $1 returning `+siteColumns, key, settings))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("site %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("update settings: %w", err)
	}
	return site, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
