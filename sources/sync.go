package sources

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/fetch"
	"kefu/internal/webhook"
	"kefu/knowledge"
)

// Options configure a Syncer; zero fields take defaults.
type Options struct {
	Node       string        // this node's name in leases and run logs; default host-pid-random
	UserAgent  string        // "kefu/VERSION (+PUBLIC_URL)"
	Fetch      fetch.Options // request limits; UserAgent is filled from above
	Lease      time.Duration // how long a node's claim on a source lasts unless renewed; default 1 min
	RunTimeout time.Duration // one run in all; default 1 h
	Workers    int           // pages fetched at once in a run; default 2 (the per-host limit)
	Logger     *slog.Logger
	// FeedMaxBytes bounds a product feed or sitemap (after decompression);
	// default 50 MB (the sitemap protocol's limit).
	FeedMaxBytes int64
	// Hooks hears how each run ended, in the run's closing transaction
	// (webhooks); nil for none.
	Hooks Hooks
}

// Hooks is told how each sync run ended; cmd/kefu passes *webhook.Service.
type Hooks interface {
	KnowledgeSynced(ctx context.Context, tx pgx.Tx, siteID int64, r webhook.SyncReport) error
}

// Syncer stores sources and syncs them.
type Syncer struct {
	db       *pgxpool.Pool
	lib      *knowledge.Library
	commerce *knowledge.Commerce
	client   *fetch.Client
	opts     Options
	logger   *slog.Logger
	wake     chan struct{}
}

// New returns a Syncer writing pages through lib and products through commerce.
func New(db *pgxpool.Pool, lib *knowledge.Library, commerce *knowledge.Commerce, opts Options) *Syncer {
	if opts.Node == "" {
		host, _ := os.Hostname()
		b := make([]byte, 3)
		rand.Read(b)
		opts.Node = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "kefu"
	}
	opts.Fetch.UserAgent = opts.UserAgent
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
	}
	if opts.RunTimeout <= 0 {
		opts.RunTimeout = time.Hour
	}
	if opts.Workers <= 0 {
		opts.Workers = fetch.DefaultPerHost
	}
	if opts.FeedMaxBytes <= 0 {
		opts.FeedMaxBytes = 50 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Syncer{db: db, lib: lib, commerce: commerce, client: fetch.New(opts.Fetch), opts: opts,
		logger: opts.Logger, wake: make(chan struct{}, 1)}
}

// Node is this syncer's node name.
func (s *Syncer) Node() string { return s.opts.Node }

// Wake makes this node's scheduler look for due sources now.
func (s *Syncer) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run syncs due and requested sources, one at a time, until ctx ends: at
// once after a change on this node, and every 30 seconds for the rest.
func (s *Syncer) Run(ctx context.Context) {
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		s.RunDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// RunDue syncs every source that is due (or requested) and free, and
// returns how many runs it started.
func (s *Syncer) RunDue(ctx context.Context) int {
	tried := []int64{}
	n := 0
	for ctx.Err() == nil {
		var id int64
		err := s.db.QueryRow(ctx, `select id from sources
			where ((not paused and next_run_at <= now()) or requested_at is not null)
				and (lease_until is null or lease_until < now()) and not (id = any($1))
			order by coalesce(requested_at, next_run_at) limit 1`, tried).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return n
		}
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Error("find due sources", "error", err)
			}
			return n
		}
		tried = append(tried, id)
		run, err := s.Sync(ctx, id)
		switch {
		case errors.Is(err, ErrBusy), errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			if ctx.Err() == nil {
				s.logger.Error("sync source", "source", id, "error", err)
			}
			continue
		}
		n++
		s.logger.Info("source synced", "source", id, "status", run.Status, "added", run.Added, "changed", run.Changed,
			"removed", run.Removed, "unchanged", run.Unchanged, "failed", run.Failed, "error", run.Error)
	}
	return n
}

// Sync runs one sync of source id now and waits for it. It returns the
// run's log; a run that failed (unreachable site, limits, malformed
// sitemap …) is a Run with Status "failed" and its Error, not an error.
// Errors: ErrNotFound, ErrBusy (another node holds the source's lease).
func (s *Syncer) Sync(ctx context.Context, id int64) (*Run, error) {
	runID, validators, err := s.claim(ctx, id)
	if err != nil {
		return nil, err
	}
	src, err := s.Get(ctx, 0, id)
	if err != nil {
		s.release(id)
		return nil, err
	}
	runCtx, cancel := context.WithTimeout(ctx, s.opts.RunTimeout)
	defer cancel()
	var lost, applying atomic.Bool
	beat := make(chan struct{})
	go func() { defer close(beat); s.heartbeat(runCtx, id, cancel, &lost, &applying) }()

	r := &runner{s: s, src: src, runID: runID, validators: validators, results: map[string]*result{},
		claimed: map[string]string{}, lastFlush: time.Now(), started: time.Now()}
	err = r.execute(runCtx)
	if err == nil {
		// From here the applying transaction's fence holds the source: the
		// heartbeat must not cancel a commit (it would see the lease the
		// commit releases as lost).
		applying.Store(true)
		err = r.apply(runCtx)
	}
	cancel()
	<-beat
	bg, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	if err != nil {
		reason := r.reason(err, runCtx, ctx, &lost)
		r.fail(bg, reason)
	}
	return s.LoadRun(bg, runID)
}

// claim takes source id's lease for this node and opens its run, marking
// runs that a dead node left as abandoned, in one transaction (a reader
// sees the source requested or its run running, never neither). It
// returns the run and the feed's validators.
func (s *Syncer) claim(ctx context.Context, id int64) (int64, [2]string, error) {
	var v [2]string
	var runID int64
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `update sources set lease_owner = $2, lease_until = now() + make_interval(secs => $3), requested_at = null
			where id = $1 and (lease_until is null or lease_until < now()) returning feed_etag, feed_modified`,
			id, s.opts.Node, s.opts.Lease.Seconds()).Scan(&v[0], &v[1])
		if errors.Is(err, pgx.ErrNoRows) {
			var owner string
			err := tx.QueryRow(ctx, "select lease_owner from sources where id = $1", id).Scan(&owner)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("source %d: %w", id, ErrNotFound)
			}
			return fmt.Errorf("source %d is being synced by node %s; try again when it finishes: %w", id, owner, ErrBusy)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update sync_runs set status = 'abandoned', finished_at = now(),
			error = 'the node running it stopped before it finished; nothing of it was applied'
			where source_id = $1 and status = 'running'`, id); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "insert into sync_runs (source_id, node) values ($1, $2) returning id", id, s.opts.Node).Scan(&runID)
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrBusy) {
		return 0, v, err
	}
	if err != nil {
		return 0, v, fmt.Errorf("claim source %d: %w", id, err)
	}
	return runID, v, nil
}

// release gives up this node's lease on source id (after a failed start).
func (s *Syncer) release(id int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.db.Exec(ctx, "update sources set lease_owner = '', lease_until = null where id = $1 and lease_owner = $2", id, s.opts.Node)
}

// heartbeat renews the lease until ctx ends; when the lease was lost (this
// node stalled longer than the lease, and another took the source), it
// cancels the run.
func (s *Syncer) heartbeat(ctx context.Context, id int64, cancel context.CancelFunc, lost, applying *atomic.Bool) {
	t := time.NewTicker(s.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if applying.Load() {
			return
		}
		tag, err := s.db.Exec(ctx, `update sources set lease_until = now() + make_interval(secs => $3)
			where id = $1 and lease_owner = $2 and lease_until > now()`, id, s.opts.Node, s.opts.Lease.Seconds())
		if err == nil && tag.RowsAffected() == 0 {
			lost.Store(true)
			cancel()
			return
		}
	}
}

// Result kinds of one page.
const (
	resUnchanged = iota // 304, or the same text as stored
	resStore            // new or changed text: store its prepared page
	resAlias            // the same text as another page (this run's or already stored): share its document
	resGone             // 404/410, noindex: a miss
	resFailed           // could not sync now; what is stored stays
)

type result struct {
	url       string
	kind      int
	canonical string
	etag, lm  string
	checksum  string
	links     []string
	page      *knowledge.PreparedPage
	reason    string
}

// pageState is what source_pages remembers of a page.
type pageState struct {
	canonical string
	docID     *int64
	etag, lm  string
	checksum  string
	links     []string
	misses    int
}

// runner is one run of one source.
type runner struct {
	s          *Syncer
	src        *Source
	runID      int64
	started    time.Time
	validators [2]string // the feed's ETag and Last-Modified
	known      map[string]*pageState
	requests   atomic.Int64

	mu        sync.Mutex
	results   map[string]*result
	claimed   map[string]string // canonical URL or checksum → the URL that claimed it this run
	order     []string          // URLs in the order they were listed
	total     int
	failures  []Failure
	lastFlush time.Time

	// feed runs
	products    []knowledge.Product
	feedFails   []Failure
	feedSame    bool // the feed answered 304
	newFeedETag [2]string
}

// runError ends a run with a reason shown in its log.
type runError struct{ msg string }

func (e *runError) Error() string { return e.msg }

func fatalf(format string, args ...any) error { return &runError{msg: fmt.Sprintf(format, args...)} }

func (r *runner) reason(err error, runCtx, callerCtx context.Context, lost *atomic.Bool) string {
	var re *runError
	switch {
	case errors.As(err, &re):
		return re.msg
	case lost.Load():
		return "another node took over the source (this node stalled longer than its lease); nothing of this run was applied"
	case callerCtx.Err() != nil:
		return "stopped before it finished (the node shut down or the sync was cancelled); nothing of this run was applied"
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("took longer than %s; nothing of this run was applied", r.s.opts.RunTimeout)
	}
	r.s.logger.Error("sync run", "source", r.src.ID, "error", err)
	return "internal error (see the server log); nothing of this run was applied"
}

func (r *runner) get(ctx context.Context, req fetch.Request) (*fetch.Response, error) {
	req.AllowPrivate = r.src.AllowPrivate
	r.requests.Add(1)
	return r.s.client.Get(ctx, req)
}

// execute fetches what the source lists and prepares what changed.
func (r *runner) execute(ctx context.Context) error {
	if r.src.Kind == KindFeed {
		return r.feed(ctx)
	}
	if err := r.loadKnown(ctx); err != nil {
		return err
	}
	switch r.src.Kind {
	case KindPage:
		return r.pages(ctx, []string{r.src.URL})
	case KindSitemap:
		urls, err := r.sitemap(ctx)
		if err != nil {
			return err
		}
		return r.pages(ctx, urls)
	case KindCrawl:
		return r.crawl(ctx)
	}
	return fatalf("unknown kind %q", r.src.Kind)
}

// fence checks, inside the applying transaction, that this node still holds
// the source (and that it still exists), and keeps others out until commit.
func (r *runner) fence(ctx context.Context, tx pgx.Tx) error {
	var owner string
	err := tx.QueryRow(ctx, "select lease_owner from sources where id = $1 for update", r.src.ID).Scan(&owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return fatalf("the source was removed while it synced; nothing was applied")
	}
	if err != nil {
		return fmt.Errorf("check lease: %w", err)
	}
	if owner != r.s.opts.Node {
		return fatalf("another node took over the source while this one synced; nothing of this run was applied")
	}
	return nil
}

// finish closes the run as ok, schedules the next and releases the lease, in tx.
func (r *runner) finish(ctx context.Context, tx pgx.Tx, c counts, fails []Failure) error {
	if fails == nil {
		fails = []Failure{}
	}
	r.mu.Lock()
	done, total := len(r.results), max(r.total, len(r.results))
	r.mu.Unlock()
	if r.src.Kind == KindFeed {
		done, total = c.added+c.changed+c.unchanged+c.failed, c.added+c.changed+c.unchanged+c.failed
	}
	_, err := tx.Exec(ctx, `update sync_runs set status = 'ok', finished_at = now(), added = $2, changed = $3, removed = $4,
			unchanged = $5, failed = $6, requests = $7, done = $8, total = $9, failures = $10 where id = $1`,
		r.runID, c.added, c.changed, c.removed, c.unchanged, c.failed, r.requests.Load(), done, total, fails)
	if err != nil {
		return fmt.Errorf("close run: %w", err)
	}
	if err := r.tell(ctx, tx, webhook.SyncReport{Added: c.added, Updated: c.changed, Removed: c.removed, Unchanged: c.unchanged}); err != nil {
		return err
	}
	return r.schedule(ctx, tx)
}

// tell passes how the run ended to the hooks, in tx.
func (r *runner) tell(ctx context.Context, tx pgx.Tx, rep webhook.SyncReport) error {
	if r.s.opts.Hooks == nil {
		return nil
	}
	rep.Source, rep.StartedAt, rep.FinishedAt = r.src.URL, r.started, time.Now()
	if err := r.s.opts.Hooks.KnowledgeSynced(ctx, tx, r.src.SiteID, rep); err != nil {
		return fmt.Errorf("record the sync's event: %w", err)
	}
	return nil
}

func (r *runner) schedule(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `update sources set lease_owner = '', lease_until = null,
		next_run_at = case when every_seconds > 0 then now() + make_interval(secs => every_seconds) end, updated_at = now()
		where id = $1 and lease_owner = $2`, r.src.ID, r.s.opts.Node)
	if err != nil {
		return fmt.Errorf("schedule next run: %w", err)
	}
	return nil
}

// fail closes the run as failed with reason (nothing of it was applied),
// schedules the next and releases the lease.
func (r *runner) fail(ctx context.Context, reason string) {
	r.mu.Lock()
	done, total := len(r.results), max(r.total, len(r.results))
	fails := append([]Failure{}, r.failures...)
	for _, u := range r.order {
		if res := r.results[u]; res.kind == resFailed && len(fails) < maxFailures {
			fails = append(fails, Failure{URL: u, Reason: res.reason})
		}
	}
	fails = append(fails, r.feedFails...)
	r.mu.Unlock()
	if len(fails) > maxFailures {
		fails = fails[:maxFailures]
	}
	err := pgx.BeginFunc(ctx, r.s.db, func(tx pgx.Tx) error {
		// Only a run still open: a commit whose answer was cut off by a
		// cancellation did apply, and its log says so.
		tag, err := tx.Exec(ctx, `update sync_runs set status = 'failed', finished_at = now(), error = $2, failed = $3,
				requests = $4, done = $5, total = $6, failures = $7 where id = $1 and status = 'running'`,
			r.runID, reason, len(fails), r.requests.Load(), done, total, fails)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if err := r.tell(ctx, tx, webhook.SyncReport{Error: reason}); err != nil {
			return err
		}
		return r.schedule(ctx, tx)
	})
	if err != nil {
		r.s.logger.Error("close failed run", "source", r.src.ID, "error", err)
	}
	r.s.logger.Warn("source sync failed", "source", r.src.ID, "reason", reason)
}
