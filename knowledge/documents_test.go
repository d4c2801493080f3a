package knowledge_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/kefutest"
	"kefu/internal/pgtest"
	"kefu/knowledge"
	"kefu/retrieval"
)

func newSite(t *testing.T, db *pgxpool.Pool, name string) int64 {
	t.Helper()
	var id int64
	err := db.QueryRow(context.Background(), `insert into sites (key, name, secret) values ($1, $1, 's') returning id`, name).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newLibrary(t *testing.T, db *pgxpool.Pool, emb retrieval.Embedder) *knowledge.Library {
	t.Helper()
	lib := knowledge.NewLibrary(db, retrieval.NewIndex(db, emb), nil)
	if err := lib.Index().EnsureModel(context.Background()); err != nil {
		t.Fatal(err)
	}
	return lib
}

// ingest adds a file and processes the queue; it returns the final document.
func ingest(t *testing.T, lib *knowledge.Library, site int64, name, content string) *knowledge.Document {
	t.Helper()
	ctx := context.Background()
	doc, err := lib.Add(ctx, site, name, []byte(content))
	if err != nil {
		t.Fatalf("Add(%s): %v", name, err)
	}
	if err := lib.ProcessAll(ctx); err != nil {
		t.Fatalf("ProcessNext: %v", err)
	}
	got, err := lib.Get(ctx, site, doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.Duplicate = doc.Duplicate
	return got
}

func search(t *testing.T, lib *knowledge.Library, site int64, q string) []knowledge.Hit {
	t.Helper()
	res, err := lib.Search(context.Background(), site, q, 5)
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	return res.Hits
}

const returnsMD = `# Returns

## Damaged items
If your parcel arrives damaged, report it within 7 days with a photo and we send a replacement.

## Refund timing
Refunds go back to the original payment method within 5 to 10 business days.
`

const returnsZH = `# 退换货

## 退货政策
收到商品30天内可以申请退货，商品需保持完好。

## 退款时间
支付宝和微信支付的退款1到3个工作日到账。
`

func TestIngestAndSearch(t *testing.T) {
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	lib := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))

	doc := ingest(t, lib, site, "returns.md", returnsMD)
	if doc.Status != knowledge.StatusReady || doc.Chunks < 2 || doc.Title != "Returns" || doc.Progress != 1 {
		t.Fatalf("ingested doc = %+v; want ready, titled Returns, 2+ chunks, progress 1", doc)
	}
	zh := ingest(t, lib, site, "returns-zh.md", returnsZH)
	if zh.Status != knowledge.StatusReady {
		t.Fatalf("Chinese doc = %+v; want ready", zh)
	}

	tests := []struct{ query, wantHeading string }{
		{"my package came broken", "Returns > Damaged items"},
		{"how long until I get my refund?", "Returns > Refund timing"},
		{"refnd timing", "Returns > Refund timing"}, // typo
		{"退款多久到账", "退换货 > 退款时间"},
		{"可以退货吗", "退换货 > 退货政策"},
	}
	for _, tt := range tests {
		hits := search(t, lib, site, tt.query)
		if len(hits) == 0 || hits[0].Heading != tt.wantHeading {
			t.Errorf("Search(%q) top = %v; want heading %q", tt.query, hits, tt.wantHeading)
			continue
		}
		if hits[0].Title == "" || hits[0].Source == "" || hits[0].Score <= 0 {
			t.Errorf("Search(%q) top hit lacks title/source/score: %+v", tt.query, hits[0])
		}
	}
}

func TestDuplicateReplaceDelete(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	lib := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))

	first := ingest(t, lib, site, "policy.md", "# Policy\n\nParcels travel by zeppelin across the ocean.\n")
	dup := ingest(t, lib, site, "copy-of-policy.md", "# Policy\n\nParcels travel by zeppelin across the ocean.\n")
	if !dup.Duplicate || dup.ID != first.ID {
		t.Errorf("identical content under another name = %+v; want the existing document %d marked duplicate", dup, first.ID)
	}
	page, _ := lib.List(ctx, site, "", "", 10)
	if len(page.Items) != 1 {
		t.Errorf("after a duplicate upload there are %d documents; want 1", len(page.Items))
	}
	for match, want := range map[string]int{"POLICY": 1, "polic": 1, "nothing-like-it": 0, "%": 0, "_": 0} {
		if page, _ := lib.List(ctx, site, match, "", 10); len(page.Items) != want {
			t.Errorf("List(match %q) = %d documents; want %d", match, len(page.Items), want)
		}
	}

	second := ingest(t, lib, site, "policy.md", "# Policy\n\nParcels travel by submarine under the ocean.\n")
	if second.ID != first.ID || second.Status != knowledge.StatusReady {
		t.Fatalf("re-ingest under the same name = %+v; want document %d replaced and ready", second, first.ID)
	}
	for _, h := range search(t, lib, site, "zeppelin submarine") {
		if strings.Contains(h.Text, "zeppelin") {
			t.Errorf("old content still searchable after replace: %q", h.Text)
		}
	}
	if err := lib.Delete(ctx, site, first.ID); err != nil {
		t.Fatal(err)
	}
	if hits := search(t, lib, site, "submarine"); len(hits) != 0 {
		t.Errorf("deleted document still searchable: %+v", hits)
	}
	if err := lib.Delete(ctx, site, first.ID); !errors.Is(err, knowledge.ErrNotFound) {
		t.Errorf("Delete twice = %v; want ErrNotFound", err)
	}
}

func TestBadDocuments(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	lib := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))

	if _, err := lib.Add(ctx, site, "virus.exe", []byte("MZ")); !errors.Is(err, knowledge.ErrUnsupported) ||
		!errors.Is(err, knowledge.ErrInvalid) || !strings.Contains(err.Error(), ".pdf") {
		t.Errorf("Add(.exe) = %v; want ErrUnsupported (and ErrInvalid) listing the supported types", err)
	}
	page, _ := lib.List(ctx, site, "", "", 10)
	if len(page.Items) != 0 {
		t.Errorf("a refused upload left %d documents", len(page.Items))
	}
	for _, tt := range []struct{ name, content, reason string }{
		{"empty.md", "", "empty file"},
		{"broken.pdf", "%PDF-1.4 this is not really a pdf", "corrupt PDF"},
		{"junk.txt", "\x00\x01\x02\xff\xfe binary", "binary data"},
	} {
		doc := ingest(t, lib, site, tt.name, tt.content)
		if doc.Status != knowledge.StatusFailed || !strings.HasPrefix(doc.Error, tt.reason) || doc.Chunks != 0 {
			t.Errorf("%s: %+v; want failed with the reason %q… and no chunks", tt.name, doc, tt.reason)
		}
	}
	var chunks int
	db.QueryRow(ctx, "select count(*) from chunks").Scan(&chunks)
	if chunks != 0 {
		t.Errorf("failed documents left %d searchable chunks", chunks)
	}
	doc := ingest(t, lib, site, "../../etc/passwd.md", "# Hi\n\nhello there\n")
	if doc.Source != "passwd.md" {
		t.Errorf("path traversal name stored as source %q; want passwd.md", doc.Source)
	}
}

func TestSiteIsolation(t *testing.T) {
	db := pgtest.New(t)
	a, b := newSite(t, db, "a"), newSite(t, db, "b")
	lib := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))
	ingest(t, lib, a, "secret.md", "# Secret\n\nOur wholesale discount code is WOMBAT42.\n")
	if hits := search(t, lib, b, "wholesale discount code WOMBAT42"); len(hits) != 0 {
		t.Errorf("site b sees site a's document: %+v", hits)
	}
	if hits := search(t, lib, a, "wholesale discount code"); len(hits) == 0 {
		t.Errorf("site a cannot find its own document")
	}
}

// A new embedding model never reads another model's vectors: until reindex,
// only full-text search finds anything; after it, vectors work again.
func TestModelSeparation(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	old := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))
	ingest(t, old, site, "care.md", "# Care\n\nWash linen sheets cold and dry them flat.\n")

	lib := newLibrary(t, db, retrieval.NewHashEmbedder(64))
	if n, _ := lib.Index().Missing(ctx); n != 1 {
		t.Fatalf("Missing() for a new model = %d; want 1", n)
	}
	res, err := lib.Index().SearchMode(ctx, site, "wash linen sheets", 5, retrieval.VectorOnly)
	if err != nil || len(res.Hits) != 0 {
		t.Fatalf("vector search with a new model before reindex = %+v, %v; want no hits", res, err)
	}
	var calls []string
	if err := lib.Index().Reindex(ctx, func(done, total int) { calls = append(calls, fmt.Sprint(done, "/", total)) }); err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 || calls[len(calls)-1] != "1/1" {
		t.Errorf("reindex progress = %v; want it to end at 1/1", calls)
	}
	res, err = lib.Index().SearchMode(ctx, site, "wash linen sheets", 5, retrieval.VectorOnly)
	if err != nil || len(res.Hits) != 1 {
		t.Errorf("vector search after reindex = %+v, %v; want 1 hit", res, err)
	}
}

// Searches during a replace see the old version or the new one, never a mix
// and never nothing.
func TestReplaceIsAtomic(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	lib := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))
	version := func(word string) string {
		var b strings.Builder
		b.WriteString("# Guide\n\n")
		for i := 0; i < 12; i++ {
			fmt.Fprintf(&b, "## Part %d\n\nThe %s lantern chapter %d explains lantern care in detail.\n\n", i, word, i)
		}
		return b.String()
	}
	ingest(t, lib, site, "guide.md", version("amber"))

	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Value
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			res, err := lib.Search(ctx, site, "lantern chapter amber cobalt", 20)
			if err != nil {
				bad.Store(err.Error())
				return
			}
			amber, cobalt := 0, 0
			for _, h := range res.Hits {
				if strings.Contains(h.Text, "amber") {
					amber++
				}
				if strings.Contains(h.Text, "cobalt") {
					cobalt++
				}
			}
			if (amber > 0 && cobalt > 0) || amber+cobalt == 0 {
				bad.Store(fmt.Sprintf("a search saw %d old and %d new chunks", amber, cobalt))
				return
			}
		}
	}()
	for i, w := range []string{"cobalt", "amber", "cobalt", "amber", "cobalt"} {
		if doc := ingest(t, lib, site, "guide.md", version(w)); doc.Status != knowledge.StatusReady {
			t.Fatalf("replace %d: %+v", i, doc)
		}
	}
	stop.Store(true)
	wg.Wait()
	if msg := bad.Load(); msg != nil {
		t.Fatal(msg)
	}
}

// The BM25 statistics follow every insert, replace and delete of chunks.
func TestTermStatsStayExact(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	lib := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))
	check := func(when string) {
		t.Helper()
		var bad int
		err := db.QueryRow(ctx, `select count(*)
			from (select term, df from term_stats where site_id = $1 and df <> 0) s
			full join (select u.lexeme as term, count(*) as df from chunks, unnest(tsv) u where site_id = $1 group by 1) c
				on c.term = s.term
			where coalesce(s.df, 0) <> coalesce(c.df, 0)`, site).Scan(&bad)
		if err != nil {
			t.Fatal(err)
		}
		var n, terms, realN, realTerms int64
		db.QueryRow(ctx, "select chunks, terms from site_stats where site_id = $1", site).Scan(&n, &terms)
		db.QueryRow(ctx, "select count(*), coalesce(sum(terms), 0) from chunks where site_id = $1", site).Scan(&realN, &realTerms)
		if bad != 0 || n != realN || terms != realTerms {
			t.Errorf("%s: %d terms with a wrong df; site stats %d/%d, actual %d/%d", when, bad, n, terms, realN, realTerms)
		}
	}
	doc := ingest(t, lib, site, "a.md", returnsMD)
	ingest(t, lib, site, "b.md", returnsZH)
	check("after ingest")
	ingest(t, lib, site, "a.md", "# Returns\n\nA completely different policy about parcels.\n")
	check("after replace")
	// Chunks of an older text analysis (here: a made-up one) are analysed
	// again in place; the update trigger keeps the statistics exact.
	if _, err := db.Exec(ctx, `update chunks set analyzer = 1, tsv = to_tsvector('simple', 'old words'), terms = 2,
		tf = '{"old": 1, "words": 1}' where site_id = $1`, site); err != nil {
		t.Fatal(err)
	}
	check("after an old analysis")
	fulltext := func(q string) []retrieval.Hit {
		res, err := lib.Index().SearchMode(ctx, site, q, 5, retrieval.TextOnly)
		if err != nil {
			t.Fatal(err)
		}
		return res.Hits
	}
	if hits := fulltext("退"); len(hits) != 0 {
		t.Fatalf("the old analysis has no unigrams, yet 退 found %d hits", len(hits))
	}
	if err := lib.Index().Reanalyze(ctx, nil); err != nil {
		t.Fatal(err)
	}
	check("after Reanalyze")
	if hits := fulltext("退"); len(hits) == 0 || !strings.Contains(hits[0].Text, "退") {
		t.Fatalf("after Reanalyze the unigram 退 finds %v", hits)
	}
	var stale int
	db.QueryRow(ctx, "select count(*) from chunks where analyzer <> $1", retrieval.AnalyzerVersion).Scan(&stale)
	if stale != 0 {
		t.Fatalf("%d chunks still have an old analysis", stale)
	}
	if err := lib.Delete(ctx, site, doc.ID); err != nil {
		t.Fatal(err)
	}
	check("after delete")
}

// A small site's vector leg scans its own vectors exactly; a big one goes
// through HNSW. On a few dozen vectors HNSW is exact too, so both paths must
// return the same neighbours at the same similarities, and neither may
// return another site's chunk.
func TestVectorLegExactAndHNSWAgree(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	small, other := newSite(t, db, "small"), newSite(t, db, "other")
	lib := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))
	ingest(t, lib, small, "returns.md", returnsMD)
	ingest(t, lib, small, "returns-zh.md", returnsZH)
	var big strings.Builder
	for i := range 40 {
		fmt.Fprintf(&big, "## Section %d\nRefund parcel delivery number %d: broken items and payment methods, case %d.\n\n", i, i, i*7)
	}
	ingest(t, lib, other, "other.md", "# Other shop\n\n"+big.String())

	ix := lib.Index()
	run := func(q string) []retrieval.Hit {
		res, err := ix.SearchMode(ctx, small, q, 4, retrieval.VectorOnly)
		if err != nil {
			t.Fatal(err)
		}
		return res.Hits
	}
	for _, q := range []string{"my package came broken", "how long until I get my refund?", "退款多久到账", "payment methods"} {
		ix.SetExactLimit(retrieval.DefaultExactLimit)
		exact := run(q)
		ix.SetExactLimit(0)
		hnsw := run(q)
		if len(exact) == 0 || len(exact) != len(hnsw) {
			t.Fatalf("%q: exact %d hits, HNSW %d", q, len(exact), len(hnsw))
		}
		for i := range exact {
			if math.Abs(exact[i].Similarity-hnsw[i].Similarity) > 1e-6 {
				t.Errorf("%q: hit %d similarity exact %.4f, HNSW %.4f", q, i, exact[i].Similarity, hnsw[i].Similarity)
			}
			for _, h := range []retrieval.Hit{exact[i], hnsw[i]} {
				if strings.Contains(h.Text, "Section") || strings.Contains(h.Heading, "Other shop") {
					t.Errorf("%q: another site's chunk: %+v", q, h)
				}
			}
		}
	}
}

// A document a dead node left 'processing' is taken over by a node that is
// already running (it used to be queued again only when a node started).
func TestRunningNodeTakesOverStaleDocuments(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	lib := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))
	lib.SetStaleAfter(time.Minute)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); lib.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	// The loop is running: its first document is ingested.
	first, err := lib.Add(ctx, site, "first.md", []byte(returnsMD))
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, lib, site, first.ID)
	// Now another node's document shows up that it claimed an hour ago and
	// never finished (written straight to the tables: nothing wakes the loop).
	var doc knowledge.Document
	err = db.QueryRow(ctx, `insert into documents (site_id, title, source, content_type, checksum, status, updated_at)
		values ($1, 'returns', 'returns.md', 'markdown', 'x', 'processing', now() - interval '1 hour') returning id`, site).Scan(&doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "insert into document_files (document_id, data) values ($1, $2)", doc.ID, []byte(returnsMD)); err != nil {
		t.Fatal(err)
	}
	waitReady(t, lib, site, doc.ID)
}

// waitReady waits until a document is ingested (the ingestion loop runs on
// its own; its result shows in the database).
func waitReady(t *testing.T, lib *knowledge.Library, site, id int64) {
	t.Helper()
	kefutest.WaitFor(t, func() bool {
		got, err := lib.Get(context.Background(), site, id)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status == knowledge.StatusReady
	}, "document %d to be ready", id)
}

func TestPassageURL(t *testing.T) {
	for _, tc := range []struct{ source, passage, want string }{
		{"https://shop.test/help/returns", "- You can return unworn items within 30 days, no questions.\nMore.",
			"https://shop.test/help/returns#:~:text=You%20can%20return%20unworn%20items%20within"},
		{"https://shop.test/help#old", "Free-shipping over $50", "https://shop.test/help#:~:text=Free%2Dshipping%20over%20%2450"},
		{"https://shop.test/zh", "退货政策：30天内可退", "https://shop.test/zh#:~:text=%E9%80%80%E8%B4%A7%E6%94%BF%E7%AD%96%EF%BC%9A30%E5%A4%A9%E5%86%85%E5%8F%AF%E9%80%80"},
		{"returns.md", "You can return", "returns.md"},
		{"https://shop.test/t", "| a | b |", "https://shop.test/t"}, // a table row: cells are not one run of text on the page
	} {
		if got := knowledge.PassageURL(tc.source, tc.passage); got != tc.want {
			t.Errorf("PassageURL(%q, %q) = %q; want %q", tc.source, tc.passage, got, tc.want)
		}
	}
}

// Candidate pruning grows until it cannot have missed one of the best ten,
// even when the next term alone holds more than twice the candidates so far
// (it used to stop growing there and search forever), and finds what an
// exhaustive search finds.
func TestPrunedSearchFindsWhatExhaustiveFinds(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	lib := newLibrary(t, db, retrieval.NewHashEmbedder(retrieval.DefaultDim))
	var b strings.Builder
	b.WriteString("# Guide\n\n")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "## Part %d\n\nThe parcel section number %d talks about parcels.\n\n", i, i)
	}
	b.WriteString("## Rare\n\nA zeppelin.\n")
	ingest(t, lib, site, "guide.md", b.String())
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	search := func(budget int) []int64 {
		t.Helper()
		lib.Index().SetCandidates(budget)
		res, err := lib.Index().SearchMode(ctx, site, "zeppelin parcel", 10, retrieval.TextOnly)
		if err != nil {
			t.Fatalf("search with a candidate budget of %d: %v", budget, err)
		}
		var ids []int64
		for _, h := range res.Hits {
			ids = append(ids, h.ChunkID)
		}
		return ids
	}
	exhaustive := search(0)
	pruned := search(5) // "zeppelin" selects 1 chunk; "parcel" alone holds 30
	if len(exhaustive) != 10 || fmt.Sprint(pruned) != fmt.Sprint(exhaustive) {
		t.Fatalf("pruned %v; exhaustive %v; want the same ten", pruned, exhaustive)
	}
}
