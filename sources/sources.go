// Package sources keeps the knowledge base current from the shop's own web:
// a page, a sitemap (indexes and gzip included), a crawl from a start URL,
// or a product feed (Google Merchant Center RSS/Atom, CSV, or DESIGN.md's
// JSON). It owns the tables sources, source_pages, source_products and
// sync_runs; pages become ordinary documents and feed items ordinary
// products, written only through package knowledge.
//
// Invariants:
//   - Every request goes through one guarded client (internal/fetch):
//     private, loopback and link-local addresses are refused unless the
//     source allows them; sizes, times, redirects and pages are bounded.
//   - A run changes the knowledge base in one transaction at its end: a
//     search sees all of a run's pages old or all new, and a run that fails
//     or a node that dies mid-run changes nothing but the run's own log row.
//   - One node syncs a source at a time (a lease in sources, renewed while
//     the run lasts and checked again in the transaction that applies it).
//   - An unchanged page costs one conditional request and no embedding; a
//     page or product is removed only after two runs in a row missed it.
package sources

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"kefu/internal/fetch"
	"kefu/internal/page"
)

// Errors returned by the package; web maps them to statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid input")
	ErrConflict = errors.New("already exists")
	// ErrBusy: another node (or another run on this one) is syncing the source.
	ErrBusy = errors.New("sync already running")
)

// Kinds of source.
const (
	KindPage    = "page"
	KindSitemap = "sitemap"
	KindCrawl   = "crawl"
	KindFeed    = "feed"
)

// Run statuses.
const (
	RunRunning   = "running"
	RunOK        = "ok"
	RunFailed    = "failed"
	RunAbandoned = "abandoned" // its node stopped before finishing; nothing of it was applied
)

// Defaults and bounds.
const (
	DefaultEvery    = 24 * time.Hour
	MinEvery        = 5 * time.Minute
	DefaultMaxPages = 2000
	DefaultMaxDepth = 5
	maxPagesLimit   = 20000
)

// Source is a place kefu syncs knowledge from.
type Source struct {
	ID           int64      `json:"id"`
	SiteID       int64      `json:"site_id"`
	Kind         string     `json:"kind"`
	URL          string     `json:"url"`
	EverySeconds int        `json:"every_seconds"` // 0: manual only
	Schedule     string     `json:"schedule"`      // hourly, daily, weekly, manual, or e.g. "every 36h0m0s"
	AllowPrivate bool       `json:"allow_private"`
	Paused       bool       `json:"paused"`
	MaxPages     int        `json:"max_pages"`
	MaxDepth     int        `json:"max_depth"`
	NextRunAt    *time.Time `json:"next_run_at"`
	Requested    bool       `json:"sync_requested"`
	Due          bool       `json:"due"`                    // scheduled and due: the next free node starts it
	Syncing      string     `json:"syncing_node,omitempty"` // the node holding the lease, while it lasts
	Pages        int        `json:"pages"`                  // pages (or products, for a feed) it keeps
	CreatedAt    time.Time  `json:"created_at"`
	LastRun      *Run       `json:"last_run"`
}

// Run is one sync of a source and its log.
type Run struct {
	ID         int64      `json:"id"`
	SourceID   int64      `json:"source_id"`
	Node       string     `json:"node"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Duration   float64    `json:"duration_seconds"`
	Added      int        `json:"added"`
	Changed    int        `json:"changed"`
	Removed    int        `json:"removed"`
	Unchanged  int        `json:"unchanged"`
	Failed     int        `json:"failed"`
	Requests   int        `json:"requests"`
	Done       int        `json:"done"`  // progress: pages handled so far
	Total      int        `json:"total"` // progress: pages known so far
	Error      string     `json:"error"` // why the run ended early; empty when it finished
	Failures   []Failure  `json:"failures"`
}

// Failure is a page (or feed item) a run could not sync, and why.
type Failure struct {
	URL    string `json:"url"`
	Reason string `json:"reason"`
}

// maxFailures bounds the failures a run's log keeps.
const maxFailures = 100

// ScheduleName names an interval: hourly, daily, weekly, manual (0), or
// "every D".
func ScheduleName(every time.Duration) string {
	switch every {
	case 0:
		return "manual"
	case time.Hour:
		return "hourly"
	case 24 * time.Hour:
		return "daily"
	case 7 * 24 * time.Hour:
		return "weekly"
	}
	return "every " + every.String()
}

// ParseSchedule reads "hourly", "daily", "weekly", "manual" or a Go
// duration ("24h", "90m"; "0" is manual). Errors wrap ErrInvalid.
func ParseSchedule(s string) (time.Duration, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "manual", "0", "never":
		return 0, nil
	case "hourly":
		return time.Hour, nil
	case "daily", "":
		return 24 * time.Hour, nil
	case "weekly":
		return 7 * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("schedule %q must be hourly, daily, weekly, manual or a duration such as 24h: %w", s, ErrInvalid)
	}
	if err := checkEvery(d); err != nil {
		return 0, err
	}
	return d, nil
}

func checkEvery(d time.Duration) error {
	if d != 0 && (d < MinEvery || d > 365*24*time.Hour) {
		return fmt.Errorf("schedule %s must be between %s and a year (or manual): %w", d, MinEvery, ErrInvalid)
	}
	return nil
}

// NewSource is what Add needs.
type NewSource struct {
	SiteID       int64
	Kind         string // page, sitemap, crawl or feed; empty: sitemap for URLs that look like one, else page
	URL          string
	Every        time.Duration // 0: manual only
	AllowPrivate bool          // an admin's explicit permission for private or loopback addresses (callers audit it)
	MaxPages     int           // 0: DefaultMaxPages
	MaxDepth     int           // crawls; 0: DefaultMaxDepth
}

const sourceColumns = `s.id, s.site_id, s.kind, s.url, s.every_seconds, s.allow_private, s.paused, s.max_pages, s.max_depth,
	s.next_run_at, s.requested_at is not null, coalesce(not s.paused and s.next_run_at <= now(), false), case when s.lease_until > now() then s.lease_owner else '' end, s.created_at,
	(select count(*) from source_pages p where p.source_id = s.id) + (select count(*) from source_products p where p.source_id = s.id)`

func scanSource(row pgx.Row) (*Source, error) {
	var s Source
	var pages int64
	err := row.Scan(&s.ID, &s.SiteID, &s.Kind, &s.URL, &s.EverySeconds, &s.AllowPrivate, &s.Paused, &s.MaxPages, &s.MaxDepth,
		&s.NextRunAt, &s.Requested, &s.Due, &s.Syncing, &s.CreatedAt, &pages)
	s.Pages = int(pages)
	s.Schedule = ScheduleName(time.Duration(s.EverySeconds) * time.Second)
	return &s, err
}

// NormalizeURL checks that raw is an http(s) URL without credentials and
// returns it with the scheme and host lowercased, the default port and the
// fragment removed. Errors wrap ErrInvalid.
func NormalizeURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("URL %q must be an http or https address such as https://shop.example.com/help: %w", raw, ErrInvalid)
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL %s must not carry a user name or password: %w", u.Redacted(), ErrInvalid)
	}
	return normalize(u), nil
}

func normalize(u *url.URL) *url.URL {
	n := *u
	n.Scheme = strings.ToLower(n.Scheme)
	n.Host = strings.ToLower(n.Host)
	if p := n.Port(); (p == "80" && n.Scheme == "http") || (p == "443" && n.Scheme == "https") {
		n.Host = n.Hostname()
		if strings.Contains(n.Host, ":") {
			n.Host = "[" + n.Host + "]"
		}
	}
	n.Fragment, n.RawFragment = "", ""
	if n.Path == "" {
		n.Path = "/"
	}
	return &n
}

// checkHost resolves u's host and refuses it when any of its addresses is
// not public, unless allowPrivate. Errors wrap ErrInvalid.
func checkHost(ctx context.Context, u *url.URL, allowPrivate bool) error {
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return fmt.Errorf("cannot resolve %s (%v): check the URL: %w", host, err, ErrInvalid)
		}
	}
	for _, ip := range addrs {
		if err := fetch.CheckIP(ip); err != nil {
			return fmt.Errorf("%s: %v; pass --allow-private (allow_private) to sync a private or loopback host: %w", host, err, ErrInvalid)
		}
	}
	return nil
}

// Add validates ns and stores the source; a scheduled one is due at once.
// Errors: ErrInvalid (bad URL, kind, schedule or limits; a private address
// without AllowPrivate), ErrConflict (the site already has this source).
func (s *Syncer) Add(ctx context.Context, ns NewSource) (*Source, error) {
	u, err := NormalizeURL(ns.URL)
	if err != nil {
		return nil, err
	}
	if ns.Kind == "" {
		ns.Kind = KindPage
		if p := strings.ToLower(u.Path); strings.Contains(p, "sitemap") && (strings.HasSuffix(p, ".xml") || strings.HasSuffix(p, ".xml.gz")) {
			ns.Kind = KindSitemap
		}
	}
	switch ns.Kind {
	case KindPage, KindSitemap, KindCrawl, KindFeed:
	default:
		return nil, fmt.Errorf("kind %q must be page, sitemap, crawl or feed: %w", ns.Kind, ErrInvalid)
	}
	if err := checkEvery(ns.Every); err != nil {
		return nil, err
	}
	if ns.MaxPages == 0 {
		ns.MaxPages = DefaultMaxPages
	}
	if ns.MaxDepth == 0 {
		ns.MaxDepth = DefaultMaxDepth
	}
	if ns.MaxPages < 1 || ns.MaxPages > maxPagesLimit || ns.MaxDepth < 1 || ns.MaxDepth > 50 {
		return nil, fmt.Errorf("max_pages must be 1 to %d and max_depth 1 to 50: %w", maxPagesLimit, ErrInvalid)
	}
	if err := checkHost(ctx, u, ns.AllowPrivate); err != nil {
		return nil, err
	}
	var next *time.Time
	if ns.Every > 0 {
		now := time.Now()
		next = &now
	}
	id := int64(0)
	err = s.db.QueryRow(ctx, `insert into sources (site_id, kind, url, every_seconds, allow_private, max_pages, max_depth, next_run_at)
		values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
		ns.SiteID, ns.Kind, u.String(), int(ns.Every/time.Second), ns.AllowPrivate, ns.MaxPages, ns.MaxDepth, next).Scan(&id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return nil, fmt.Errorf("this site already syncs %s as a %s: %w", u, ns.Kind, ErrConflict)
	}
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return nil, fmt.Errorf("site %d: %w", ns.SiteID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("add source: %w", err)
	}
	s.Wake()
	return s.Get(ctx, 0, id)
}

// Get returns source id of siteID (any site when 0), with its last run.
func (s *Syncer) Get(ctx context.Context, siteID, id int64) (*Source, error) {
	src, err := scanSource(s.db.QueryRow(ctx, "select "+sourceColumns+" from sources s where ($1 = 0 or s.site_id = $1) and s.id = $2", siteID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("source %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load source: %w", err)
	}
	runs, err := s.Runs(ctx, id, "", 1)
	if err != nil {
		return nil, err
	}
	if len(runs.Items) > 0 {
		src.LastRun = &runs.Items[0]
	}
	return src, nil
}

// Page is one page of a list and the cursor of the next (empty at the end).
type Page[T any] = page.Page[T]

func cursorID(cursor string) (int64, error) {
	if cursor == "" {
		return 1<<63 - 1, nil
	}
	c, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || c <= 0 {
		return 0, fmt.Errorf("cursor %q: %w", cursor, ErrInvalid)
	}
	return c, nil
}

// List returns siteID's sources (all sites when 0), newest first, with
// their last runs.
func (s *Syncer) List(ctx context.Context, siteID int64, cursor string, limit int) (Page[Source], error) {
	limit = page.Limit(limit)
	before, err := cursorID(cursor)
	if err != nil {
		return Page[Source]{}, err
	}
	rows, err := s.db.Query(ctx, "select "+sourceColumns+` from sources s where ($1 = 0 or s.site_id = $1) and s.id < $2
		order by s.id desc limit $3`, siteID, before, limit+1)
	if err != nil {
		return Page[Source]{}, fmt.Errorf("list sources: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Source, error) {
		src, err := scanSource(r)
		return *src, err
	})
	if err != nil {
		return Page[Source]{}, fmt.Errorf("list sources: %w", err)
	}
	out := page.Of(list, limit, func(x Source) string { return strconv.FormatInt(x.ID, 10) })
	if err := s.lastRuns(ctx, out.Items); err != nil {
		return Page[Source]{}, err
	}
	return out, nil
}

// lastRuns sets each source's last run, in one query for the page.
func (s *Syncer) lastRuns(ctx context.Context, list []Source) error {
	ids := make([]int64, len(list))
	for i, src := range list {
		ids[i] = src.ID
	}
	rows, err := s.db.Query(ctx, "select distinct on (source_id) "+runColumns+
		" from sync_runs where source_id = any($1) order by source_id, id desc", ids)
	if err != nil {
		return fmt.Errorf("last runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Run, error) { return scanRun(r) })
	if err != nil {
		return fmt.Errorf("last runs: %w", err)
	}
	last := make(map[int64]*Run, len(runs))
	for i := range runs {
		last[runs[i].SourceID] = &runs[i]
	}
	for i := range list {
		list[i].LastRun = last[list[i].ID]
	}
	return nil
}

// Update is a change to a source's schedule or pause; nil fields stay.
type Update struct {
	Every  *time.Duration
	Paused *bool
}

// Update changes source id of siteID (any site when 0). A new schedule
// counts from now.
func (s *Syncer) Update(ctx context.Context, siteID, id int64, u Update) (*Source, error) {
	if u.Every != nil {
		if err := checkEvery(*u.Every); err != nil {
			return nil, err
		}
	}
	var every *int
	if u.Every != nil {
		e := int(*u.Every / time.Second)
		every = &e
	}
	tag, err := s.db.Exec(ctx, `update sources set
			every_seconds = coalesce($3, every_seconds),
			paused = coalesce($4, paused),
			next_run_at = case when coalesce($3, every_seconds) = 0 then null
				when $3::int is not null then now() + make_interval(secs => $3)
				else coalesce(next_run_at, now()) end,
			updated_at = now()
		where ($1 = 0 or site_id = $1) and id = $2`, siteID, id, every, u.Paused)
	if err != nil {
		return nil, fmt.Errorf("update source: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, fmt.Errorf("source %d: %w", id, ErrNotFound)
	}
	s.Wake()
	return s.Get(ctx, siteID, id)
}

// RequestSync asks for a run of source id soon, paused or not: this node's
// scheduler starts it at once unless another node holds its lease (then
// that node, or the next free one, runs it).
func (s *Syncer) RequestSync(ctx context.Context, siteID, id int64) (*Source, error) {
	tag, err := s.db.Exec(ctx, `update sources set requested_at = coalesce(requested_at, now())
		where ($1 = 0 or site_id = $1) and id = $2`, siteID, id)
	if err != nil {
		return nil, fmt.Errorf("request sync: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, fmt.Errorf("source %d: %w", id, ErrNotFound)
	}
	s.Wake()
	return s.Get(ctx, siteID, id)
}

// Remove deletes source id of siteID (any site when 0) together with the
// pages and products it brought in, in one transaction. A run in progress
// finds its source gone and applies nothing.
func (s *Syncer) Remove(ctx context.Context, siteID, id int64) (*Source, error) {
	src, err := s.Get(ctx, siteID, id)
	if err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "select 1 from sources where id = $1 for update", id); err != nil {
			return err
		}
		var docs []int64
		rows, err := tx.Query(ctx, `select distinct p.document_id from source_pages p where p.source_id = $1 and p.document_id is not null
			and not exists (select 1 from source_pages o where o.document_id = p.document_id and o.source_id <> $1)`, id)
		if err != nil {
			return err
		}
		if docs, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, "select sku from source_products where source_id = $1", id)
		if err != nil {
			return err
		}
		skus, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "delete from sources where id = $1", id); err != nil {
			return err
		}
		if err := s.lib.DeleteIn(ctx, tx, src.SiteID, docs); err != nil {
			return err
		}
		return s.commerce.DeleteProductsIn(ctx, tx, src.SiteID, skus)
	})
	if err != nil {
		return nil, fmt.Errorf("remove source %d: %w", id, err)
	}
	return src, nil
}

const runColumns = `id, source_id, node, status, started_at, finished_at, added, changed, removed, unchanged, failed, requests,
	done, total, error, failures, extract(epoch from coalesce(finished_at, now()) - started_at)`

func scanRun(row pgx.Row) (Run, error) {
	var r Run
	err := row.Scan(&r.ID, &r.SourceID, &r.Node, &r.Status, &r.StartedAt, &r.FinishedAt, &r.Added, &r.Changed, &r.Removed,
		&r.Unchanged, &r.Failed, &r.Requests, &r.Done, &r.Total, &r.Error, &r.Failures, &r.Duration)
	if r.Failures == nil {
		r.Failures = []Failure{}
	}
	return r, err
}

// Runs returns source id's sync log, newest first.
func (s *Syncer) Runs(ctx context.Context, id int64, cursor string, limit int) (Page[Run], error) {
	limit = page.Limit(limit)
	before, err := cursorID(cursor)
	if err != nil {
		return Page[Run]{}, err
	}
	rows, err := s.db.Query(ctx, "select "+runColumns+" from sync_runs where source_id = $1 and id < $2 order by id desc limit $3",
		id, before, limit+1)
	if err != nil {
		return Page[Run]{}, fmt.Errorf("list runs: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Run, error) { return scanRun(r) })
	if err != nil {
		return Page[Run]{}, fmt.Errorf("list runs: %w", err)
	}
	return page.Of(list, limit, func(x Run) string { return strconv.FormatInt(x.ID, 10) }), nil
}

// LoadRun returns one run of the log.
func (s *Syncer) LoadRun(ctx context.Context, runID int64) (*Run, error) {
	r, err := scanRun(s.db.QueryRow(ctx, "select "+runColumns+" from sync_runs where id = $1", runID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("run %d: %w", runID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load run: %w", err)
	}
	return &r, nil
}
