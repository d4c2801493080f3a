package sources

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/net/html/charset"

	"kefu/internal/fetch"
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
		claimed: map[string]string{}, lastFlush: time.Now()}
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

// pageTypes are the content types a page source reads: web pages, and the PDF and text files a help center links to.
var pageTypes = []string{"text/html", "application/xhtml+xml", "application/pdf", "text/plain", "text/markdown"}

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

func (r *runner) loadKnown(ctx context.Context) error {
	r.known = map[string]*pageState{}
	rows, err := r.s.db.Query(ctx, `select url, canonical, document_id, etag, last_modified, checksum, links, misses
		from source_pages where source_id = $1`, r.src.ID)
	if err != nil {
		return fmt.Errorf("load pages: %w", err)
	}
	var u string
	var st pageState
	_, err = pgx.ForEachRow(rows, []any{&u, &st.canonical, &st.docID, &st.etag, &st.lm, &st.checksum, &st.links, &st.misses}, func() error {
		c := st
		r.known[u] = &c
		return nil
	})
	if err != nil {
		return fmt.Errorf("load pages: %w", err)
	}
	return nil
}

// pages syncs urls, a few at a time.
func (r *runner) pages(ctx context.Context, urls []string) error {
	if len(urls) > r.src.MaxPages {
		return fatalf("the source lists %d pages; this source syncs at most %d (raise its page limit)", len(urls), r.src.MaxPages)
	}
	r.mu.Lock()
	r.total += len(urls)
	r.mu.Unlock()
	return r.each(ctx, urls, func(ctx context.Context, u string) error {
		_, err := r.page(ctx, u)
		return err
	})
}

// each runs fn on every url with Workers at a time; the first error ends it.
func (r *runner) each(ctx context.Context, urls []string, fn func(context.Context, string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan string)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range r.s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				if err := fn(ctx, u); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for _, u := range urls {
		select {
		case work <- u:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// page fetches one page and records its result; only a stopped run is an error.
func (r *runner) page(ctx context.Context, raw string) (*result, error) {
	res := &result{url: raw}
	defer func() { r.record(ctx, res) }()
	st := r.known[raw]
	req := fetch.Request{URL: raw, Accept: pageTypes}
	if st != nil && st.docID != nil && st.misses == 0 {
		req.ETag, req.LastModified = st.etag, st.lm
	}
	resp, err := r.get(ctx, req)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err != nil {
		res.kind, res.reason = resFailed, err.Error()
		return res, nil
	}
	res.etag, res.lm = resp.ETag, resp.LastModified
	switch {
	case resp.NotModified && (req.ETag == "" && req.LastModified == ""):
		res.kind, res.reason = resFailed, "answered 304 Not Modified to a request that was not conditional"
		return res, nil
	case resp.NotModified:
		res.kind, res.canonical, res.checksum, res.links = resUnchanged, st.canonical, st.checksum, st.links
		return res, nil
	case resp.Status == http.StatusNotFound || resp.Status == http.StatusGone:
		res.kind, res.reason = resGone, fmt.Sprintf("HTTP %d", resp.Status)
		return res, nil
	case resp.Status != http.StatusOK:
		res.kind, res.reason = resFailed, fmt.Sprintf("HTTP %d %s", resp.Status, http.StatusText(resp.Status))
		return res, nil
	}
	final, _ := url.Parse(resp.URL)
	start, _ := url.Parse(raw)
	if final == nil || !sameHost(final, start) {
		res.kind, res.reason = resFailed, "redirects to another site ("+resp.URL+")"
		return res, nil
	}
	if name, ok := documentTypes[resp.ContentType]; ok { // a PDF or text file the site links to
		return r.file(ctx, res, st, name, resp.Body, final)
	}
	ex, err := extract(resp.Body, resp.ContentType, final)
	if err != nil {
		res.kind, res.reason = resFailed, err.Error()
		return res, nil
	}
	if !ex.NoFollow {
		res.links = ex.Links
	}
	if ex.NoIndex {
		res.kind, res.reason = resGone, "the page asks not to be indexed (noindex)"
		return res, nil
	}
	res.canonical = ex.Canonical
	if res.canonical == "" {
		res.canonical = normalize(final).String()
	}
	parsed, err := knowledge.ParsePage(ex.Main)
	if err != nil {
		res.kind, res.reason = resFailed, "no text on the page"
		return res, nil
	}
	if parsed.Title == "" {
		parsed.Title = ex.Title
	}
	return r.store(ctx, res, st, parsed, len(ex.Main))
}

// documentTypes are the files besides HTML pages a source may sync, with
// the file name knowledge parses them as.
var documentTypes = map[string]string{"application/pdf": "page.pdf", "text/plain": "page.txt", "text/markdown": "page.md"}

// file syncs a PDF or text file found at res.url.
func (r *runner) file(ctx context.Context, res *result, st *pageState, name string, body []byte, final *url.URL) (*result, error) {
	res.canonical = normalize(final).String()
	parsed, err := knowledge.Parse(name, body)
	if err != nil {
		res.kind, res.reason = resFailed, strings.TrimSuffix(err.Error(), ": "+knowledge.ErrInvalid.Error())
		return res, nil
	}
	if parsed.Title == "" {
		parsed.Title = path.Base(final.Path)
	}
	return r.store(ctx, res, st, parsed, len(body))
}

// store decides what a fetched page's text means: unchanged, stored once
// already (another URL or document has it), or new text to prepare.
func (r *runner) store(ctx context.Context, res *result, st *pageState, parsed *knowledge.Parsed, size int) (*result, error) {
	raw := res.url
	res.checksum = knowledge.TextChecksum(parsed)
	if st != nil && st.docID != nil && st.checksum == res.checksum && st.canonical == res.canonical {
		res.kind = resUnchanged // a server without validators: same text, nothing to embed
		return res, nil
	}
	// Pages with the same content (or one canonical URL) are stored once.
	if other := r.claim(res.canonical, res.checksum, raw); other != "" {
		res.kind = resAlias
		return res, nil
	}
	if id, err := r.s.lib.DocumentByChecksum(ctx, r.src.SiteID, res.checksum, res.canonical); err != nil {
		return res, err
	} else if id != 0 {
		res.kind = resAlias
		return res, nil
	}
	var err error
	res.page, err = r.s.lib.PreparePage(ctx, res.canonical, parsed, size)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err != nil {
		res.kind, res.reason = resFailed, err.Error()
		return res, nil
	}
	res.kind = resStore
	return res, nil
}

// claim records that url holds canonical and checksum in this run and
// returns the URL that already did, if any.
func (r *runner) claim(canonical, checksum, url string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range []string{"c:" + canonical, "s:" + checksum} {
		if other, ok := r.claimed[k]; ok && other != url {
			return other
		}
	}
	r.claimed["c:"+canonical], r.claimed["s:"+checksum] = url, url
	return ""
}

// record keeps a page's result and, now and then, writes progress to the run's row.
func (r *runner) record(ctx context.Context, res *result) {
	if ctx.Err() != nil {
		return
	}
	r.mu.Lock()
	if _, seen := r.results[res.url]; !seen {
		r.order = append(r.order, res.url)
	}
	r.results[res.url] = res
	flush := time.Since(r.lastFlush) > 250*time.Millisecond
	if flush {
		r.lastFlush = time.Now()
	}
	done, total := len(r.results), r.total
	r.mu.Unlock()
	if flush {
		r.s.db.Exec(ctx, "update sync_runs set done = $2, total = $3, requests = $4 where id = $1",
			r.runID, done, total, r.requests.Load())
	}
}

// sitemapTypes are the content types a sitemap may come as.
var sitemapTypes = []string{"application/xml", "text/xml", "application/gzip", "application/x-gzip", "text/plain", "application/octet-stream"}

// sitemap collects the page URLs of the source's sitemap, following
// sitemap indexes (two levels, at most 50 files), on the sitemap's host.
func (r *runner) sitemap(ctx context.Context) ([]string, error) {
	root, _ := url.Parse(r.src.URL)
	type file struct {
		url   string
		depth int
	}
	queue := []file{{r.src.URL, 0}}
	seen := map[string]bool{r.src.URL: true}
	var urls []string
	listed := map[string]bool{}
	for files := 0; len(queue) > 0; files++ {
		if files == 50 {
			return nil, fatalf("the sitemap index lists more than 50 sitemaps")
		}
		f := queue[0]
		queue = queue[1:]
		body, err := r.document(ctx, f.url, sitemapTypes, "sitemap")
		if err != nil {
			return nil, err
		}
		locs, index, err := readSitemap(body)
		if err != nil {
			return nil, fatalf("sitemap %s: %v", f.url, err)
		}
		for _, l := range locs {
			u, err := url.Parse(l)
			if err != nil || !sameHost(u, root) {
				r.fail1(l, "not on the sitemap's host")
				continue
			}
			n := normalize(u).String()
			switch {
			case index && !seen[n] && f.depth < 2:
				seen[n] = true
				queue = append(queue, file{n, f.depth + 1})
			case !index && !listed[n]:
				listed[n] = true
				urls = append(urls, n)
				if len(urls) > r.src.MaxPages {
					return nil, fatalf("the sitemap lists more than %d pages, this source's limit (raise its page limit)", r.src.MaxPages)
				}
			}
		}
	}
	if len(urls) == 0 {
		return nil, fatalf("the sitemap lists no pages")
	}
	return urls, nil
}

// document fetches a sitemap, robots.txt or feed: a failure ends the run.
func (r *runner) document(ctx context.Context, u string, types []string, what string) ([]byte, error) {
	resp, err := r.get(ctx, fetch.Request{URL: u, Accept: types, MaxBytes: r.s.opts.FeedMaxBytes})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fatalf("%s %s: %v", what, u, err)
	}
	if resp.Status != http.StatusOK {
		return nil, fatalf("%s %s answered HTTP %d %s", what, u, resp.Status, http.StatusText(resp.Status))
	}
	body, err := gunzip(resp.Body, r.s.opts.FeedMaxBytes)
	if err != nil {
		return nil, fatalf("%s %s: %v", what, u, err)
	}
	return body, nil
}

// gunzip decompresses gzip data (by its magic number), up to limit bytes.
func gunzip(data []byte, limit int64) ([]byte, error) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("corrupt gzip: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("corrupt gzip: %v", err)
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("larger than %d MB once decompressed (a compressed bomb?)", limit>>20)
	}
	return out, nil
}

// readSitemap returns the <loc> values of a urlset or a sitemap index (or
// the lines of a text sitemap), and whether it is an index.
func readSitemap(data []byte) ([]string, bool, error) {
	t := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(t) > 0 && t[0] != '<' { // a text sitemap: one URL per line
		var out []string
		for _, line := range strings.Split(string(t), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
		return out, false, nil
	}
	dec := xml.NewDecoder(bytes.NewReader(t))
	dec.CharsetReader = charset.NewReaderLabel
	var locs []string
	root := ""
	inLoc := false
	var loc strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("not valid XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
				if root != "urlset" && root != "sitemapindex" {
					return nil, false, fmt.Errorf("root element <%s> is neither <urlset> nor <sitemapindex>", root)
				}
			}
			if el.Name.Local == "loc" {
				inLoc = true
				loc.Reset()
			}
		case xml.CharData:
			if inLoc {
				loc.Write(el)
			}
		case xml.EndElement:
			if el.Name.Local == "loc" && inLoc {
				inLoc = false
				if l := strings.TrimSpace(loc.String()); l != "" {
					locs = append(locs, l)
				}
			}
		}
	}
	if root == "" {
		return nil, false, fmt.Errorf("no XML elements")
	}
	return locs, root == "sitemapindex", nil
}

// crawl follows links from the source's URL, breadth first, on its host
// and under its folder, honouring robots.txt, to the source's depth and
// page limits.
func (r *runner) crawl(ctx context.Context) error {
	start, _ := url.Parse(r.src.URL)
	robotsURL := &url.URL{Scheme: start.Scheme, Host: start.Host, Path: "/robots.txt"}
	resp, err := r.get(ctx, fetch.Request{URL: robotsURL.String(), Accept: []string{"text/plain"}, MaxBytes: 500 << 10})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var rules *robots
	switch {
	case err != nil:
		return fatalf("robots.txt: %v", err)
	case resp.Status == http.StatusOK:
		rules = parseRobots(resp.Body, "kefu")
	case resp.Status >= 400 && resp.Status < 500: // no robots.txt: everything allowed (RFC 9309)
		rules = &robots{}
	default: // unreachable robots.txt: nothing allowed (RFC 9309)
		return fatalf("robots.txt answered HTTP %d; crawling waits until it answers", resp.Status)
	}
	allowed := func(u *url.URL) bool { return rules.allowed(u.EscapedPath() + queryOf(u)) }
	if !allowed(start) {
		return fatalf("robots.txt does not allow kefu to fetch %s", r.src.URL)
	}
	visited := map[string]bool{r.src.URL: true}
	level := []string{r.src.URL}
	for depth := 0; len(level) > 0; depth++ {
		r.mu.Lock()
		r.total += len(level)
		r.mu.Unlock()
		var mu sync.Mutex
		var next []string
		err := r.each(ctx, level, func(ctx context.Context, u string) error {
			res, err := r.page(ctx, u)
			if err != nil || depth >= r.src.MaxDepth {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, l := range res.links {
				lu, err := url.Parse(l)
				if err != nil || visited[l] || !inScope(start, lu) {
					continue
				}
				visited[l] = true
				if !allowed(lu) {
					continue
				}
				next = append(next, l)
			}
			return nil
		})
		if err != nil {
			return err
		}
		sort.Strings(next)
		if len(r.results)+len(next) > r.src.MaxPages {
			return fatalf("the crawl found more than %d pages within %d links of %s (endless links?); raise the source's page limit or start from a narrower URL",
				r.src.MaxPages, depth+1, r.src.URL)
		}
		level = next
	}
	return nil
}

func queryOf(u *url.URL) string {
	if u.RawQuery == "" {
		return ""
	}
	return "?" + u.RawQuery
}

// fail1 records a failure that is not a page result (a sitemap entry off the host).
func (r *runner) fail1(u, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failures) < maxFailures {
		r.failures = append(r.failures, Failure{URL: u, Reason: reason})
	}
}

// counts is a run's tally.
type counts struct{ added, changed, removed, unchanged, failed int }

// apply writes a page run's results in one transaction, then closes the run.
func (r *runner) apply(ctx context.Context) error {
	if r.src.Kind == KindFeed {
		return r.applyFeed(ctx)
	}
	var c counts
	fails := append([]Failure{}, r.failures...)
	c.failed = len(fails)
	for _, u := range r.order {
		if res := r.results[u]; res.kind == resFailed {
			c.failed++
			if len(fails) < maxFailures {
				fails = append(fails, Failure{URL: u, Reason: res.reason})
			}
		}
	}
	for _, u := range r.order { // listed but gone, and never stored: worth a line in the log
		if res := r.results[u]; res.kind == resGone && r.known[u] == nil && len(fails) < maxFailures {
			fails = append(fails, Failure{URL: u, Reason: res.reason})
		}
	}
	handled := len(r.results)
	if pageFailed := c.failed - len(r.failures); pageFailed > 0 && pageFailed*2 >= handled {
		first := Failure{}
		for _, u := range r.order {
			if res := r.results[u]; res.kind == resFailed {
				first = Failure{URL: u, Reason: res.reason}
				break
			}
		}
		return fatalf("%d of %d pages failed (first: %s: %s); nothing was changed", pageFailed, handled, first.URL, first.Reason)
	}
	return pgx.BeginFunc(ctx, r.s.db, func(tx pgx.Tx) error {
		if err := r.fence(ctx, tx); err != nil {
			return err
		}
		if err := knowledge.LockSite(ctx, tx, r.src.SiteID); err != nil {
			return err
		}
		docs := map[string]int64{} // checksum → document stored this run
		var orphans []int64        // documents a page stopped using
		upsert := func(u string, res *result, doc *int64) error {
			st := r.known[u]
			if st != nil && st.docID != nil && (doc == nil || *st.docID != *doc) {
				orphans = append(orphans, *st.docID)
			}
			_, err := tx.Exec(ctx, `insert into source_pages (source_id, url, canonical, document_id, etag, last_modified, checksum, links, misses, seen_at)
				values ($1, $2, $3, $4, $5, $6, $7, $8, 0, now())
				on conflict (source_id, url) do update set canonical = excluded.canonical, document_id = excluded.document_id,
					etag = excluded.etag, last_modified = excluded.last_modified, checksum = excluded.checksum, links = excluded.links,
					misses = 0, seen_at = now()`,
				r.src.ID, u, res.canonical, doc, res.etag, res.lm, res.checksum, nonNil(res.links))
			return err
		}
		tally := func(u string, res *result) {
			st := r.known[u]
			switch {
			case st == nil || st.docID == nil:
				c.added++
			case st.checksum != res.checksum || st.canonical != res.canonical:
				c.changed++
			default:
				c.unchanged++
			}
		}
		// Pages with new text first, all in one batch, so pages sharing
		// their text find them.
		var stored []string
		var prepared []*knowledge.PreparedPage
		for _, u := range r.order {
			if res := r.results[u]; res.kind == resStore {
				stored, prepared = append(stored, u), append(prepared, res.page)
			}
		}
		ids, err := r.s.lib.StorePages(ctx, tx, r.src.SiteID, prepared)
		if err != nil {
			return err
		}
		for i, u := range stored {
			res := r.results[u]
			docs[res.checksum] = ids[i]
			tally(u, res)
			if err := upsert(u, res, &ids[i]); err != nil {
				return fmt.Errorf("record page: %w", err)
			}
		}
		for _, u := range r.order {
			res := r.results[u]
			switch res.kind {
			case resAlias:
				id, ok := docs[res.checksum]
				if !ok {
					var err error
					if id, err = r.s.lib.DocumentByChecksum(ctx, r.src.SiteID, res.checksum, res.canonical); err != nil {
						return err
					}
				}
				if id == 0 { // the page it matched went away meanwhile: try again next run
					c.failed++
					continue
				}
				tally(u, res)
				if err := upsert(u, res, &id); err != nil {
					return fmt.Errorf("record page: %w", err)
				}
			case resUnchanged:
				c.unchanged++
				_, err := tx.Exec(ctx, `update source_pages set misses = 0, seen_at = now(), links = $3,
						etag = case when $4 <> '' then $4 else etag end, last_modified = case when $5 <> '' then $5 else last_modified end
					where source_id = $1 and url = $2`, r.src.ID, u, nonNil(res.links), res.etag, res.lm)
				if err != nil {
					return fmt.Errorf("record page: %w", err)
				}
			}
		}
		// Misses: pages that answered 404/410 or noindex, and pages no longer
		// listed. A second miss in a row removes the page.
		for u, st := range r.known {
			res, listed := r.results[u]
			if listed && res.kind != resGone {
				continue
			}
			if st.misses+1 < 2 {
				if _, err := tx.Exec(ctx, "update source_pages set misses = misses + 1 where source_id = $1 and url = $2", r.src.ID, u); err != nil {
					return fmt.Errorf("record miss: %w", err)
				}
				if st.docID != nil {
					c.unchanged++ // still searchable until the second miss
				}
				continue
			}
			if _, err := tx.Exec(ctx, "delete from source_pages where source_id = $1 and url = $2", r.src.ID, u); err != nil {
				return fmt.Errorf("remove page: %w", err)
			}
			if st.docID != nil {
				orphans = append(orphans, *st.docID)
				c.removed++
			}
		}
		if err := r.dropOrphans(ctx, tx, orphans); err != nil {
			return err
		}
		return r.finish(ctx, tx, c, fails)
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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

// dropOrphans deletes the documents in ids that no source's page uses any more.
func (r *runner) dropOrphans(ctx context.Context, tx pgx.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `select id from unnest($1::bigint[]) as u(id)
		where not exists (select 1 from source_pages p where p.document_id = u.id)`, ids)
	if err != nil {
		return fmt.Errorf("find unused documents: %w", err)
	}
	gone, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("find unused documents: %w", err)
	}
	return r.s.lib.DeleteIn(ctx, tx, r.src.SiteID, gone)
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
	return r.schedule(ctx, tx)
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
		return r.schedule(ctx, tx)
	})
	if err != nil {
		r.s.logger.Error("close failed run", "source", r.src.ID, "error", err)
	}
	r.s.logger.Warn("source sync failed", "source", r.src.ID, "reason", reason)
}

// feedTypes are the content types a product feed may come as.
var feedTypes = []string{"application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "text/csv",
	"text/tab-separated-values", "text/plain", "application/json", "application/gzip", "application/x-gzip", "application/octet-stream"}

// feed fetches and reads a product feed (conditionally: a 304 changes nothing).
func (r *runner) feed(ctx context.Context) error {
	req := fetch.Request{URL: r.src.URL, Accept: feedTypes, MaxBytes: r.s.opts.FeedMaxBytes}
	var stored int
	if err := r.s.db.QueryRow(ctx, "select count(*) from source_products where source_id = $1", r.src.ID).Scan(&stored); err != nil {
		return fmt.Errorf("count products: %w", err)
	}
	if stored > 0 {
		req.ETag, req.LastModified = r.validators[0], r.validators[1]
	}
	resp, err := r.get(ctx, req)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fatalf("feed %s: %v", r.src.URL, err)
	}
	if resp.NotModified {
		r.feedSame = true
		return nil
	}
	if resp.Status != http.StatusOK {
		return fatalf("feed %s answered HTTP %d %s", r.src.URL, resp.Status, http.StatusText(resp.Status))
	}
	body, err := gunzip(resp.Body, r.s.opts.FeedMaxBytes)
	if err != nil {
		return fatalf("feed %s: %v", r.src.URL, err)
	}
	products, fails, err := parseFeed(body, resp.ContentType)
	if err != nil {
		return fatalf("feed %s: %s", r.src.URL, strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()))
	}
	r.feedFails = fails
	if len(products) == 0 {
		return fatalf("the feed lists no valid products (%d items failed); nothing was changed", len(fails))
	}
	if len(products) > r.src.MaxPages*10 {
		return fatalf("the feed lists %d products; this source syncs at most %d", len(products), r.src.MaxPages*10)
	}
	if len(fails)*2 > len(products)+len(fails) {
		return fatalf("%d of %d feed items are invalid (first: %s: %s); nothing was changed",
			len(fails), len(products)+len(fails), fails[0].URL, fails[0].Reason)
	}
	r.products = products
	r.newFeedETag = [2]string{resp.ETag, resp.LastModified}
	return nil
}

// applyFeed upserts the feed's products and removes those missing twice, in one transaction.
func (r *runner) applyFeed(ctx context.Context) error {
	return pgx.BeginFunc(ctx, r.s.db, func(tx pgx.Tx) error {
		if err := r.fence(ctx, tx); err != nil {
			return err
		}
		var c counts
		fails := r.feedFails
		c.failed = len(fails)
		if len(fails) > maxFailures {
			fails = fails[:maxFailures]
		}
		rows, err := tx.Query(ctx, "select sku, checksum, misses from source_products where source_id = $1", r.src.ID)
		if err != nil {
			return fmt.Errorf("load products: %w", err)
		}
		type prev struct {
			sum    string
			misses int
		}
		known := map[string]prev{}
		var sku string
		var p prev
		if _, err := pgx.ForEachRow(rows, []any{&sku, &p.sum, &p.misses}, func() error { known[sku] = p; return nil }); err != nil {
			return fmt.Errorf("load products: %w", err)
		}
		listed := map[string]bool{}
		if r.feedSame { // the feed as last time: what it listed stays, what it lacked misses again
			for sku, old := range known {
				if old.misses == 0 {
					listed[sku] = true
					c.unchanged++
				}
			}
			r.newFeedETag = r.validators
		}
		for _, pr := range r.products {
			if listed[pr.SKU] {
				continue // the first of a repeated id wins
			}
			listed[pr.SKU] = true
			b, _ := json.Marshal(pr)
			sum := sha256.Sum256(b)
			h := hex.EncodeToString(sum[:])
			old, ok := known[pr.SKU]
			switch {
			case ok && old.sum == h:
				c.unchanged++
				if old.misses > 0 {
					if _, err := tx.Exec(ctx, "update source_products set misses = 0 where source_id = $1 and sku = $2", r.src.ID, pr.SKU); err != nil {
						return fmt.Errorf("record product: %w", err)
					}
				}
				continue
			case ok:
				c.changed++
			default:
				c.added++
			}
			if err := r.s.commerce.UpsertProductIn(ctx, tx, r.src.SiteID, pr); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `insert into source_products (source_id, sku, checksum, misses) values ($1, $2, $3, 0)
				on conflict (source_id, sku) do update set checksum = excluded.checksum, misses = 0`, r.src.ID, pr.SKU, h); err != nil {
				return fmt.Errorf("record product: %w", err)
			}
		}
		var gone []string
		for sku, old := range known {
			if listed[sku] {
				continue
			}
			if old.misses+1 < 2 {
				c.unchanged++
				if _, err := tx.Exec(ctx, "update source_products set misses = misses + 1 where source_id = $1 and sku = $2", r.src.ID, sku); err != nil {
					return fmt.Errorf("record miss: %w", err)
				}
				continue
			}
			gone = append(gone, sku)
		}
		if len(gone) > 0 {
			if _, err := tx.Exec(ctx, "delete from source_products where source_id = $1 and sku = any($2)", r.src.ID, gone); err != nil {
				return fmt.Errorf("remove products: %w", err)
			}
			if err := r.s.commerce.DeleteProductsIn(ctx, tx, r.src.SiteID, gone); err != nil {
				return err
			}
			c.removed = len(gone)
		}
		if _, err := tx.Exec(ctx, "update sources set feed_etag = $2, feed_modified = $3 where id = $1",
			r.src.ID, r.newFeedETag[0], r.newFeedETag[1]); err != nil {
			return fmt.Errorf("record feed validators: %w", err)
		}
		return r.finish(ctx, tx, c, fails)
	})
}
