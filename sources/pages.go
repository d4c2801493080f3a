package sources

// Syncing pages: what a page, sitemap or crawl source lists, fetched and
// prepared, then applied in one transaction.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/net/html/charset"

	"kefu/internal/fetch"
	"kefu/knowledge"
	"kefu/knowledge/parse"
)

// pageTypes are the content types a page source reads: web pages, and the
// PDF and text files a help center links to.
var pageTypes = []string{"text/html", "application/xhtml+xml", "application/pdf", "text/plain", "text/markdown"}

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
// the file name package parse reads them as.
var documentTypes = map[string]string{"application/pdf": "page.pdf", "text/plain": "page.txt", "text/markdown": "page.md"}

// file syncs a PDF or text file found at res.url.
func (r *runner) file(ctx context.Context, res *result, st *pageState, name string, body []byte, final *url.URL) (*result, error) {
	res.canonical = normalize(final).String()
	parsed, err := parse.Parse(name, body)
	if err != nil {
		res.kind, res.reason = resFailed, err.Error()
		return res, nil
	}
	if parsed.Title == "" {
		parsed.Title = path.Base(final.Path)
	}
	return r.store(ctx, res, st, parsed, len(body))
}

// store decides what a fetched page's text means: unchanged, stored once
// already (another URL or document has it), or new text to prepare.
func (r *runner) store(ctx context.Context, res *result, st *pageState, parsed *parse.Document, size int) (*result, error) {
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
