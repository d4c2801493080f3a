package retrieval

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/pgtest"
)

// newTestSite makes a site with one document per text (each text one chunk)
// and returns the site's id and the documents' ids.
func newTestSite(t *testing.T, db *pgxpool.Pool, name string, texts []string) (int64, []int64) {
	t.Helper()
	var site int64
	if err := db.QueryRow(context.Background(), `insert into sites (key, name, secret) values ($1, $1, 's') returning id`, name).Scan(&site); err != nil {
		t.Fatal(err)
	}
	chunks := make([]ChunkInput, len(texts))
	for i, text := range texts {
		chunks[i] = ChunkInput{Text: text}
	}
	return site, addDocuments(t, db, site, chunks)
}

// addDocuments adds one document per chunk to site and returns their ids.
func addDocuments(t *testing.T, db *pgxpool.Pool, site int64, chunks []ChunkInput) []int64 {
	t.Helper()
	ctx := context.Background()
	ix := NewIndex(db, NewHashEmbedder(16))
	var docs []DocumentChunks
	var ids []int64
	for _, c := range chunks {
		var id int64
		err := db.QueryRow(ctx, `insert into documents (site_id, title, source, content_type, checksum)
			values ($1, 'd', 'd-' || gen_random_uuid(), 'text', 'x') returning id`, site).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		docs = append(docs, DocumentChunks{DocID: id, Chunks: []ChunkInput{c}, Vectors: [][]float32{make([]float32, 16)}})
	}
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return ix.ReplaceMany(ctx, tx, site, docs) })
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// textSearch runs bm25 for query in a read-only transaction.
func textSearch(t *testing.T, db *pgxpool.Pool, site int64, query string, limit, budget int) []textHit {
	t.Helper()
	ctx := context.Background()
	var hits []textHit
	err := pgx.BeginTxFunc(ctx, db, readOnly, func(tx pgx.Tx) (err error) {
		hits, _, err = bm25(ctx, tx, site, makePlan(Query{Text: query}, TextOnly).terms, limit, budget)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// The database scores BM25 with bm25K1 and bm25B (cast: it once read 1.2
// and 0.75 as integers), and a lone CJK character's repeats count once.
func TestBM25ScoresFollowTheFormula(t *testing.T) {
	db := pgtest.New(t)
	texts := []string{
		"parcel",
		"parcel parcel refund",
		"parcel refund window for damaged items shipped abroad by sea or air",
		"refund refund refund within thirty days",
		"nothing to see here",
		"退款退款退款，退货",
		"款到即发货",
	}
	site, _ := newTestSite(t, db, "a", texts)
	var tfs []map[string]int
	var lens []float64
	df := map[string]int{}
	total := 0.0
	for _, text := range texts {
		a := analyze("", text)
		tfs, lens = append(tfs, a.tf), append(lens, float64(a.length))
		total += float64(a.length)
		for term := range a.tf {
			df[term]++
		}
	}
	n, avgdl := float64(len(texts)), total/float64(len(texts))
	const query = "parcel refund 退款"
	hits := textSearch(t, db, site, query, 10, 0)
	if len(hits) != 6 {
		t.Fatalf("%d hits; want the 6 chunks with a query term", len(hits))
	}
	var ids []int64
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	rows, _ := db.Query(context.Background(), "select id, body from chunks where id = any($1)", ids)
	body := map[int64]string{}
	var id int64
	var b string
	pgx.ForEachRow(rows, []any{&id, &b}, func() error { body[id] = b; return nil })
	for _, h := range hits {
		i := 0
		for texts[i] != body[h.ID] {
			i++
		}
		want := 0.0
		for _, term := range []string{"parcel", "refund", "退款", "退", "款"} {
			tf := float64(tfs[i][term])
			if utf8.RuneCountInString(term) == 1 && IsCJK([]rune(term)[0]) {
				tf = min(tf, 1)
			}
			idf := math.Log(1 + (n-float64(df[term])+0.5)/(float64(df[term])+0.5))
			if tf > 0 {
				want += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*lens[i]/avgdl))
			}
		}
		if math.Abs(h.Score-want) > 1e-9 {
			t.Errorf("%q scores %.6f; BM25 (k1 %.1f, b %.2f, a character's tf at most 1) gives %.6f", texts[i], h.Score, bm25K1, bm25B, want)
		}
	}
}

// zipfText makes text of n characters drawn Zipf-like from chars, so a few
// characters are everywhere and most are rare, as in Chinese.
func zipfText(rng *rand.Rand, chars []rune, n int) string {
	out := make([]rune, n)
	for i := range out {
		out[i] = chars[min(len(chars)-1, int(float64(len(chars))*rng.Float64()*rng.Float64()*rng.Float64()))]
	}
	return string(out)
}

// zipfCorpus makes n chunks of Chinese-like text drawn from distinct
// characters, some with a heading.
func zipfCorpus(rng *rand.Rand, n, distinct int) []ChunkInput {
	var chars []rune
	for r := rune(0x4E00); len(chars) < distinct; r += 7 {
		chars = append(chars, r)
	}
	chunks := make([]ChunkInput, n)
	for i := range chunks {
		chunks[i].Text = zipfText(rng, chars, 5+rng.IntN(80))
		if rng.IntN(3) == 0 {
			chunks[i].Heading = zipfText(rng, chars, 2+rng.IntN(4))
		}
	}
	return chunks
}

// boundViolations counts the (chunk, term) pairs of site whose tf or chunk
// length lies outside the term's stored bounds (a term without bounds
// counts too), and reports whether the site's bounds are in use.
func boundViolations(t *testing.T, db *pgxpool.Pool, site int64) (int, bool) {
	t.Helper()
	ctx := context.Background()
	var bad int
	err := db.QueryRow(ctx, `select count(*) from chunks c cross join lateral jsonb_each_text(c.tf) e
		left join term_stats s on s.site_id = c.site_id and s.term = e.key
		where c.site_id = $1 and (s.max_tf is null or s.min_terms is null or e.value::integer > s.max_tf or c.terms < s.min_terms)`,
		site).Scan(&bad)
	if err != nil {
		t.Fatal(err)
	}
	var bounded bool
	if err := db.QueryRow(ctx, "select bounded from site_stats where site_id = $1", site).Scan(&bounded); err != nil {
		t.Fatal(err)
	}
	return bad, bounded
}

// The pruning bounds hold every term's real contribution through inserts,
// a second analysis that raises term frequencies, and deletes.
func TestTermBoundsHoldEveryContribution(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	rng := rand.New(rand.NewPCG(1, 2))
	site, docs := newTestSite(t, db, "a", []string{"parcel refund", "退款多久到账 refund refund"})
	check := func(when string) {
		t.Helper()
		if bad, bounded := boundViolations(t, db, site); bad != 0 || !bounded {
			t.Errorf("%s: %d (chunk, term) pairs outside their term's bounds; bounds in use: %v", when, bad, bounded)
		}
	}
	check("after the first documents")
	more := addDocuments(t, db, site, zipfCorpus(rng, 60, 300))
	check("after more documents")
	// Chunks of an older analysis (here: made up, every tf 1) are analysed
	// again: their frequencies rise, and so must the bounds.
	addDocuments(t, db, site, []ChunkInput{{Heading: "退款", Text: "退款退款退款 refund refund refund refund"}})
	if _, err := db.Exec(ctx, `update chunks set analyzer = 1, tsv = to_tsvector('simple', 'old words'), terms = 2,
		tf = '{"old": 1, "words": 1}' where site_id = $1`, site); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `update term_stats set max_tf = 1 where site_id = $1`, site); err != nil {
		t.Fatal(err) // as if every chunk had only ever had the old analysis
	}
	if err := NewIndex(db, NewHashEmbedder(16)).Reanalyze(ctx, nil); err != nil {
		t.Fatal(err)
	}
	check("after analysing again")
	if _, err := db.Exec(ctx, "delete from documents where id = any($1)", append(more[:30], docs[0])); err != nil {
		t.Fatal(err)
	}
	check("after deletes")
}

// A site indexed before the bounds were kept prunes with the old bound
// until FillTermBounds has read all its chunks, and exactly either way.
func TestSearchUsesTermBoundsOnlyOnceFilled(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	rng := rand.New(rand.NewPCG(3, 4))
	site, _ := newTestSite(t, db, "a", nil)
	corpus := zipfCorpus(rng, 300, 40) // few characters: bigrams recur in a chunk
	addDocuments(t, db, site, corpus)
	// As a site is after the migration: no bounds in use, and what the
	// triggers have gathered since is partial (here: far too low).
	if _, err := db.Exec(ctx, `update term_stats set max_tf = 1, min_terms = 1000 where site_id = $1`, site); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `update site_stats set bounded = false where site_id = $1`, site); err != nil {
		t.Fatal(err)
	}
	queries := spans(rng, corpus, 30)
	same := func(when string) {
		t.Helper()
		for _, q := range queries {
			samePruned(t, when, db, site, q, 10, 5)
		}
	}
	same("before FillTermBounds")
	var calls int
	if err := NewIndex(db, NewHashEmbedder(16)).FillTermBounds(ctx, func(done, total int) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if bad, bounded := boundViolations(t, db, site); bad != 0 || !bounded || calls == 0 {
		t.Fatalf("after FillTermBounds: %d pairs outside their bounds, bounds in use %v, %d progress calls", bad, bounded, calls)
	}
	same("after FillTermBounds")
}

// Pruning finds the best exactTop exactly as exhaustive scoring does, in order,
// on Chinese-like text (many frequent characters of low weight), also once
// deletes have left the bounds above the real maxima.
func TestPrunedSearchIsExact(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	rng := rand.New(rand.NewPCG(5, 6))
	site, _ := newTestSite(t, db, "a", nil)
	corpus := zipfCorpus(rng, 600, 300)
	docs := addDocuments(t, db, site, corpus)
	run := func(when string) {
		t.Helper()
		for _, q := range spans(rng, corpus, 40) {
			for _, limit := range []int{10, 40} {
				samePruned(t, when, db, site, q, limit, 1, 20, maxCandidates)
			}
		}
	}
	run("after ingest")
	if _, err := db.Exec(ctx, "delete from documents where id = any($1)", docs[:300]); err != nil {
		t.Fatal(err)
	}
	run("after deleting half")
}

// spans are n pieces of the corpus's texts, 4 to 11 characters long, as
// queries.
func spans(rng *rand.Rand, corpus []ChunkInput, n int) []string {
	out := make([]string, n)
	for i := range out {
		r := []rune(corpus[rng.IntN(len(corpus))].Text)
		j := rng.IntN(max(1, len(r)-10))
		out[i] = string(r[j:min(len(r), j+4+rng.IntN(8))])
	}
	return out
}

// samePruned fails the test unless the search for q with each candidate
// budget returns what exhaustive scoring returns, in order, as far as
// pruning promises (the best exactTop; what comes after may differ).
func samePruned(t *testing.T, when string, db *pgxpool.Pool, site int64, q string, limit int, budgets ...int) {
	t.Helper()
	exact := textSearch(t, db, site, q, limit, 0)
	exact = exact[:min(exactTop, len(exact))]
	for _, budget := range budgets {
		pruned := textSearch(t, db, site, q, limit, budget)
		if pruned = pruned[:min(exactTop, len(pruned))]; fmt.Sprint(pruned) != fmt.Sprint(exact) {
			t.Fatalf("%s: %q (limit %d, budget %d) pruned %v; exhaustive %v", when, q, limit, budget, pruned, exact)
		}
	}
}

// A typo of a word the query already has through a synonym ("retrun",
// which the vocabulary expands to "return") is still read as that word:
// its concept has the word as an alternative and weighs what the word
// does, not what a word the site never uses does.
func TestTypoOfAWordTheQueryHas(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site, _ := newTestSite(t, db, "a", []string{"You can return most items within 30 days.", "Return shipping is free for faulty items.",
		"We ship worldwide.", "Gift cards never expire.", "Track your parcel online.", "Orders leave within two days."})
	syns, err := ParseSynonyms("retrun => return\n")
	if err != nil {
		t.Fatal(err)
	}
	res, err := NewIndex(db, NewHashEmbedder(16)).Find(ctx, site, Query{Text: "can i retrun items", Vocabulary: NewVocabulary(syns)}, 3, Fused)
	if err != nil {
		t.Fatal(err)
	}
	var typo, word Concept
	for _, c := range res.Concepts {
		switch c.Term {
		case "retrun":
			typo = c
		case "item":
			word = c
		}
	}
	if !typo.Known || !typo.Covers(map[string]bool{"return": true}) || typo.IDF >= 2*word.IDF {
		t.Errorf("concept of the typo %+v (of the word item: %+v); want it known, covered by return, weighed as return", typo, word)
	}
}
