package chat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Site is one shop front: the widget key its pages embed, the secret that
// signs verified identities, the origins allowed to open the widget, and its
// settings.
type Site struct {
	ID             int64          `json:"id"`
	Key            string         `json:"key"`
	Name           string         `json:"name"`
	Secret         string         `json:"secret,omitempty"`
	AllowedOrigins []string       `json:"allowed_origins"`
	Settings       map[string]any `json:"settings"`
	CreatedAt      time.Time      `json:"created_at"`
}

// Sites stores sites.
type Sites struct{ db *pgxpool.Pool }

// NewSites returns the site store on db.
func NewSites(db *pgxpool.Pool) *Sites { return &Sites{db: db} }

const siteColumns = "id, key, name, secret, allowed_origins, settings, created_at"

func scanSite(row pgx.Row) (*Site, error) {
	var s Site
	if err := row.Scan(&s.ID, &s.Key, &s.Name, &s.Secret, &s.AllowedOrigins, &s.Settings, &s.CreatedAt); err != nil {
		return nil, err
	}
	return &s, nil
}

// Create adds a site with a fresh widget key and identity secret. It returns
// ErrInvalid for an empty name or a malformed origin.
func (s *Sites) Create(ctx context.Context, name string, origins []string) (*Site, error) {
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
func (s *Sites) ByKey(ctx context.Context, key string) (*Site, error) {
	return s.one(ctx, "key = $1", key)
}

// ByName returns the oldest site named name, or ErrNotFound.
func (s *Sites) ByName(ctx context.Context, name string) (*Site, error) {
	return s.one(ctx, "name = $1 order by id limit 1", name)
}

func (s *Sites) one(ctx context.Context, where string, arg any) (*Site, error) {
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
func (s *Sites) List(ctx context.Context) ([]Site, error) {
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
func (s *Sites) RotateSecret(ctx context.Context, key string) (*Site, error) {
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

// UpdateSettings replaces the site's settings (see SiteSettings).
func (s *Sites) UpdateSettings(ctx context.Context, key string, settings map[string]any) (*Site, error) {
	if settings == nil {
		settings = map[string]any{}
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
