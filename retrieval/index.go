package retrieval

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"
	"golang.org/x/sync/errgroup"
)

// Index is the search index over document chunks: a tsvector per chunk for
// full-text search and one vector per chunk and embedding model.
type Index struct {
	db         *pgxpool.Pool
	emb        Embedder
	exactLimit int64
}

// DefaultExactLimit is how many chunks a site may have and still be searched
// exactly. One HNSW graph holds every site's vectors of a model, so finding
// a small site's few vectors in it means walking past everyone else's (with
// a 100k-chunk site beside it, a 2-chunk site's vector leg took most of the
// database's CPU under chat load). Scanning a small site's own vectors is
// cheaper than that, and exact.
const DefaultExactLimit = 10000

// NewIndex returns the index on db, embedding with emb.
func NewIndex(db *pgxpool.Pool, emb Embedder) *Index {
	return &Index{db: db, emb: emb, exactLimit: DefaultExactLimit}
}

// SetExactLimit sets how many chunks a site may have and be searched
// exactly instead of through the HNSW index (0: always the index).
func (ix *Index) SetExactLimit(n int64) { ix.exactLimit = n }

// Embedder returns the index's embedder.
func (ix *Index) Embedder() Embedder { return ix.emb }

// EnsureModel creates the HNSW index for the embedder's model if it is
// missing. Each model gets its own partial expression index, because vectors
// of different models (and dimensions) never share one.
func (ix *Index) EnsureModel(ctx context.Context) error {
	m := ix.emb.Model()
	sum := sha1.Sum([]byte(m))
	name := "chunk_embeddings_hnsw_" + hex.EncodeToString(sum[:6])
	_, err := ix.db.Exec(ctx, fmt.Sprintf(
		`create index if not exists %s on chunk_embeddings using hnsw ((embedding::vector(%d)) vector_cosine_ops) where model = %s`,
		name, ix.emb.Dim(), quoteLiteral(m)))
	if err != nil {
		return fmt.Errorf("create vector index for %s: %w", m, err)
	}
	return nil
}

// ChunkInput is a chunk to index.
type ChunkInput struct {
	Heading    string
	Text       string
	Source     string // file name, or file#row for FAQ rows
	Start, End int
}

// Embed embeds texts in batches, calling progress(done, total) after each.
func (ix *Index) Embed(ctx context.Context, texts []string, progress func(done, total int)) ([][]float32, error) {
	const batch = 64
	out := make([][]float32, 0, len(texts))
	for i := 0; i < len(texts); i += batch {
		vs, err := ix.emb.Embed(ctx, texts[i:min(i+batch, len(texts))])
		if err != nil {
			return nil, fmt.Errorf("embed with %s: %w", ix.emb.Model(), err)
		}
		out = append(out, vs...)
		if progress != nil {
			progress(len(out), len(texts))
		}
	}
	return out, nil
}

// EmbedText returns what is embedded for a chunk: its heading path and text.
func EmbedText(c ChunkInput) string {
	if c.Heading == "" {
		return c.Text
	}
	return c.Heading + "\n" + c.Text
}

// Replace swaps the chunks of document docID for chunks, with their vectors,
// inside tx: a search sees either the old chunks or the new, never a mix.
func (ix *Index) Replace(ctx context.Context, tx pgx.Tx, siteID, docID int64, chunks []ChunkInput, vectors [][]float32) error {
	if len(vectors) != len(chunks) {
		return fmt.Errorf("replace chunks: %d chunks but %d vectors", len(chunks), len(vectors))
	}
	if _, err := tx.Exec(ctx, "delete from chunks where document_id = $1", docID); err != nil {
		return fmt.Errorf("delete old chunks: %w", err)
	}
	if len(chunks) == 0 {
		return nil
	}
	n := len(chunks)
	ords, starts, ends, lens := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	headings, bodies, sources, headTerms, bodyTerms := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	tfs := make([]map[string]int, n)
	for i, c := range chunks {
		ords[i], starts[i], ends[i] = int32(i), int32(c.Start), int32(c.End)
		headings[i], bodies[i], sources[i] = c.Heading, c.Text, c.Source
		ht, bt := Terms(c.Heading), Terms(c.Text)
		headTerms[i], bodyTerms[i], lens[i] = strings.Join(ht, " "), strings.Join(bt, " "), int32(len(ht)+len(bt))
		tfs[i] = map[string]int{}
		for _, t := range ht {
			tfs[i][t] += 2 // a heading says what the chunk is about
		}
		for _, t := range bt {
			tfs[i][t]++
		}
	}
	rows, err := tx.Query(ctx, `insert into chunks (document_id, site_id, ord, heading, body, start_pos, end_pos, source, tsv, terms, tf)
		select $1, $2, u.ord, u.heading, u.body, u.s, u.e, u.src,
			setweight(to_tsvector('simple', u.hterms), 'A') || to_tsvector('simple', u.bterms), u.len, u.tf
		from unnest($3::int[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[], $9::text[], $10::text[], $11::int[], $12::jsonb[])
			as u(ord, heading, body, s, e, src, hterms, bterms, len, tf)
		returning id, ord`, docID, siteID, ords, headings, bodies, starts, ends, sources, headTerms, bodyTerms, lens, tfs)
	if err != nil {
		return fmt.Errorf("insert chunks: %w", err)
	}
	ids := make([]int64, n)
	var id int64
	var ord int32
	_, err = pgx.ForEachRow(rows, []any{&id, &ord}, func() error { ids[ord] = id; return nil })
	if err != nil {
		return fmt.Errorf("insert chunks: %w", err)
	}
	model := ix.emb.Model()
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"chunk_embeddings"}, []string{"chunk_id", "site_id", "model", "embedding"},
		pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			return []any{ids[i], siteID, model, pgvector.NewVector(vectors[i])}, nil
		}))
	if err != nil {
		return fmt.Errorf("store vectors: %w", err)
	}
	return nil
}

// Hit is one search result.
type Hit struct {
	ChunkID    int64   `json:"chunk_id"`
	DocumentID int64   `json:"document_id"`
	Heading    string  `json:"heading"`
	Text       string  `json:"text"`
	Source     string  `json:"source"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
	Score      float64 `json:"score"`      // reciprocal rank fusion score
	Similarity float64 `json:"similarity"` // cosine similarity of the query and chunk vectors
	Coverage   float64 `json:"coverage"`   // IDF-weighted share of the query's words in the chunk
	VectorRank int     `json:"vector_rank,omitempty"`
	TextRank   int     `json:"text_rank,omitempty"`
}

// Result is a ranked list of hits and how sure the index is about them.
type Result struct {
	Hits []Hit `json:"hits"`
	// Confidence in [0, 1] that the best hit answers the query: its cosine
	// similarity, raised when full-text search ranked it too. Callers abstain
	// below a threshold instead of guessing.
	Confidence float64 `json:"confidence"`
}

// efSearch is HNSW's candidate list size per search (pgvector's default is 40).
const efSearch = 400

// rrfK is reciprocal rank fusion's constant (Cormack et al. use 60).
const rrfK = 60

// builtinVectorWeight is the built-in embedder's weight in the fusion (full text
// has 1). That embedder hashes the same words BM25 sees, so it mostly adds
// typo and partial-word matches: it should tip close calls, not outvote
// BM25. A semantic embeddings model gets full weight.
// Weights 1, 0.5 and 0.25 were compared on the demo evaluation set; see
// docs/benchmarks.md for what that means for the reported numbers.
const builtinVectorWeight = 0.25

// learnedVectorWeight is the trained built-in embedder's weight in the
// fusion. It has learned which different words mean the same, so unlike the
// hashing embedder it brings what BM25 cannot see. 0.25, 0.5, 0.75, 1, 1.5
// and 2 were compared on the development halves of five evaluation sets
// (docs/benchmarks.md, "Built-in embedder"): the English sets' mean MRR is
// flat from 0.75 to 1.5 and the Chinese set's rises with the weight; 1 is
// the middle of the flat part.
const learnedVectorWeight = 1.0

func (ix *Index) vectorWeight() float64 {
	switch ix.emb.(type) {
	case *HashEmbedder:
		return builtinVectorWeight
	case *LearnedEmbedder:
		return learnedVectorWeight
	}
	return 1
}

// Mode selects the retrievers a search uses.
type Mode int

// Search modes: both retrievers fused (the default), or one alone (for
// evaluation).
const (
	Hybrid Mode = iota
	VectorOnly
	TextOnly
)

// Search returns the k best chunks of siteID for query: vector top-N (HNSW,
// with pgvector's iterative scan so the site filter still fills N) and
// full-text top-N, fused by reciprocal rank.
func (ix *Index) Search(ctx context.Context, siteID int64, query string, k int) (*Result, error) {
	return ix.SearchMode(ctx, siteID, query, k, Hybrid)
}

// SearchMode is Search with a choice of retrievers.
func (ix *Index) SearchMode(ctx context.Context, siteID int64, query string, k int, mode Mode) (*Result, error) {
	if k <= 0 {
		k = 5
	}
	n := max(4*k, 40)
	vecs, err := ix.emb.Embed(ctx, []string{query})
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	// The two retrievers run at once, each in its own read-only snapshot;
	// the hits are then loaded in a third. A document replaced in between
	// shows up in one snapshot and not another: hits the loading snapshot
	// no longer has are dropped, and when that happens the search runs again,
	// so a result is always one consistent version of every document.
	var ranked []*Hit
	for attempt := 0; ; attempt++ {
		hits, err := ix.retrieve(ctx, siteID, query, vecs[0], n, mode)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		fused := fuse(hits, k, ix.vectorWeight())
		ranked, err = ix.load(ctx, fused, vecs[0])
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		if len(ranked) == len(fused) || attempt == 2 {
			break
		}
	}
	res := &Result{Hits: make([]Hit, len(ranked))}
	for i, h := range ranked {
		res.Hits[i] = *h
	}
	if len(ranked) > 0 {
		res.Confidence = confidence(ranked[0])
	}
	return res, nil
}

// readOnly is the transaction mode of searches.
var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// retrieve runs the vector and BM25 retrievers concurrently and returns
// their hits by chunk id, with each hit's rank in each list.
func (ix *Index) retrieve(ctx context.Context, siteID int64, query string, q []float32, n int, mode Mode) (map[int64]*Hit, error) {
	var vec []Hit
	var text []textHit
	g, gctx := errgroup.WithContext(ctx)
	if mode != TextOnly {
		g.Go(func() error {
			return pgx.BeginTxFunc(gctx, ix.db, readOnly, func(tx pgx.Tx) (err error) {
				vec, err = ix.nearest(gctx, tx, siteID, q, n)
				return err
			})
		})
	}
	if mode != VectorOnly {
		g.Go(func() error {
			return pgx.BeginTxFunc(gctx, ix.db, readOnly, func(tx pgx.Tx) (err error) {
				text, err = bm25(gctx, tx, siteID, Terms(query), n)
				return err
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	hits := make(map[int64]*Hit, len(vec)+len(text))
	for i := range vec {
		vec[i].VectorRank = i + 1
		hits[vec[i].ChunkID] = &vec[i]
	}
	for i, t := range text {
		if h, ok := hits[t.ID]; ok {
			h.TextRank, h.Coverage = i+1, t.Coverage
		} else {
			hits[t.ID] = &Hit{ChunkID: t.ID, TextRank: i + 1, Coverage: t.Coverage, Similarity: -1}
		}
	}
	return hits, nil
}

// nearest returns the n chunks of siteID closest to q by the index's model:
// exactly for a small site (see DefaultExactLimit), otherwise through HNSW
// with pgvector's iterative scan so the site filter still fills n.
func (ix *Index) nearest(ctx context.Context, tx pgx.Tx, siteID int64, q []float32, n int) ([]Hit, error) {
	var chunks int64
	if err := tx.QueryRow(ctx, "select coalesce((select chunks from site_stats where site_id = $1), 0)", siteID).Scan(&chunks); err != nil {
		return nil, err
	}
	cast := fmt.Sprintf("vector(%d)", ix.emb.Dim())
	// OFFSET 0 keeps the planner from ordering through the HNSW index: the
	// site's rows come from its btree and are sorted by computed distance.
	query := fmt.Sprintf(`select chunk_id, 1 - d from (select e.chunk_id, e.embedding::%[1]s <=> $1::%[1]s as d
		from chunk_embeddings e where e.model = %[2]s and e.site_id = $2 offset 0) s
		order by d limit $3`, cast, quoteLiteral(ix.emb.Model()))
	if chunks > ix.exactLimit {
		if _, err := tx.Exec(ctx, "set local hnsw.iterative_scan = strict_order; set local hnsw.ef_search = "+strconv.Itoa(efSearch)); err != nil {
			return nil, err
		}
		query = fmt.Sprintf(`select e.chunk_id, 1 - (e.embedding::%[1]s <=> $1::%[1]s)
		from chunk_embeddings e where e.model = %[2]s and e.site_id = $2
		order by e.embedding::%[1]s <=> $1::%[1]s limit $3`, cast, quoteLiteral(ix.emb.Model()))
	}
	rows, err := tx.Query(ctx, query, pgvector.NewVector(q), siteID, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Hit, error) {
		var h Hit
		err := r.Scan(&h.ChunkID, &h.Similarity)
		return h, err
	})
}

// fuse scores hits by reciprocal rank fusion and returns the best k.
func fuse(hits map[int64]*Hit, k int, vectorWeight float64) []*Hit {
	ranked := make([]*Hit, 0, len(hits))
	for _, h := range hits {
		if h.VectorRank > 0 {
			h.Score += vectorWeight / float64(rrfK+h.VectorRank)
		}
		if h.TextRank > 0 {
			h.Score += 1.0 / float64(rrfK+h.TextRank)
		}
		ranked = append(ranked, h)
	}
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].Score != ranked[j].Score {
			return ranked[i].Score > ranked[j].Score
		}
		return ranked[i].ChunkID < ranked[j].ChunkID
	})
	return ranked[:min(k, len(ranked))]
}

// confidence blends the top hit's cosine similarity, the share of the
// query's (IDF-weighted) words it contains, and agreement of the two
// retrievers.
func confidence(h *Hit) float64 {
	c := (max(h.Similarity, 0) + h.Coverage) / 2
	if h.TextRank > 0 && h.VectorRank > 0 {
		c = min(1, c+0.1)
	}
	return c
}

// load fills the chunk fields of hits (and the similarity of full-text-only
// hits, so every hit has one); it returns the hits that still exist, in order.
func (ix *Index) load(ctx context.Context, hits []*Hit, q []float32) ([]*Hit, error) {
	if len(hits) == 0 {
		return hits, nil
	}
	ids := make([]int64, len(hits))
	byID := map[int64]*Hit{}
	for i, h := range hits {
		ids[i] = h.ChunkID
		byID[h.ChunkID] = h
	}
	rows, err := ix.db.Query(ctx, fmt.Sprintf(`select c.id, c.document_id, c.heading, c.body, c.source, c.start_pos, c.end_pos,
			coalesce(1 - (e.embedding::vector(%d) <=> $2::vector(%d)), 0)
		from chunks c left join chunk_embeddings e on e.chunk_id = c.id and e.model = %s
		where c.id = any($1)`, ix.emb.Dim(), ix.emb.Dim(), quoteLiteral(ix.emb.Model())), ids, pgvector.NewVector(q))
	if err != nil {
		return nil, fmt.Errorf("load hits: %w", err)
	}
	found := map[int64]bool{}
	var (
		id, doc            int64
		heading, body, src string
		start, end         int32
		sim                float64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &doc, &heading, &body, &src, &start, &end, &sim}, func() error {
		h := byID[id]
		found[id] = true
		h.DocumentID, h.Heading, h.Text, h.Source, h.Start, h.End = doc, heading, body, src, int(start), int(end)
		if h.Similarity < 0 {
			h.Similarity = sim
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load hits: %w", err)
	}
	out := hits[:0]
	for _, h := range hits {
		if found[h.ChunkID] {
			out = append(out, h)
		}
	}
	return out, nil
}

// BM25 parameters (Robertson's usual values).
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// maxCandidates bounds how many chunks BM25 scores for one query.
const maxCandidates = 600

// bm25 ranks siteID's chunks for terms by Okapi BM25, with document
// frequencies and lengths kept in term_stats and site_stats, and term
// frequencies in chunks.tf (where a heading term counts twice).
// textHit is a BM25 result with the share of the query it covers.
type textHit struct {
	ID       int64
	Coverage float64 // IDF-weighted share of the query's terms the chunk contains
}

func bm25(ctx context.Context, tx pgx.Tx, siteID int64, terms []string, limit int) ([]textHit, error) {
	seen := map[string]bool{}
	var uniq []string
	for _, t := range terms {
		if !seen[t] {
			seen[t] = true
			uniq = append(uniq, t)
		}
	}
	if len(uniq) == 0 {
		return nil, nil
	}
	var chunks, length int64
	err := tx.QueryRow(ctx, "select chunks, terms from site_stats where site_id = $1", siteID).Scan(&chunks, &length)
	if errors.Is(err, pgx.ErrNoRows) || chunks <= 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, "select term, df from term_stats where site_id = $1 and term = any($2) and df > 0", siteID, uniq)
	if err != nil {
		return nil, err
	}
	type stat struct {
		Term string
		DF   int64
	}
	stats, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stat])
	if err != nil || len(stats) == 0 {
		return nil, err
	}
	// Candidates come from the rarest terms, as many as keep the candidate
	// set near maxCandidates; the other terms only add to the score. (A
	// search for "the order status" must not score half the index.)
	sort.Slice(stats, func(i, j int) bool { return stats[i].DF < stats[j].DF })
	var qterms, selectors []string
	var idfs []float64
	var covered int64
	// Words the site has never seen count fully against coverage: a question
	// about the weather shares no words with a shop's help pages. Unseen CJK
	// bigrams count half: many are just the seam between two words ("货需").
	known := make(map[string]bool, len(stats))
	for _, s := range stats {
		known[s.Term] = true
	}
	total := 0.0
	for _, t := range uniq {
		if known[t] {
			continue
		}
		w := math.Log(1 + (float64(chunks)+0.5)/0.5)
		if r, _ := utf8.DecodeRuneInString(t); IsCJK(r) {
			w /= 2
		}
		total += w
	}
	for _, s := range stats {
		qterms = append(qterms, s.Term)
		idfs = append(idfs, math.Log(1+(float64(chunks)-float64(s.DF)+0.5)/(float64(s.DF)+0.5)))
		total += idfs[len(idfs)-1]
		if len(selectors) == 0 || covered+s.DF <= maxCandidates {
			selectors = append(selectors, s.Term)
			covered += s.DF
		}
	}
	avgdl := float64(length) / float64(chunks)
	rows, err = tx.Query(ctx, `with q as (select * from unnest($2::text[], $3::float8[]) as q(term, idf))
		select c.id, s.matched / $10 from chunks c
		cross join lateral (
			select sum(q.idf * x.tf * $5 / (x.tf + $6 * (1 - $7 + $7 * c.terms / $8))) as score, sum(q.idf) as matched
			from q cross join lateral (select (c.tf ->> q.term)::float8 as tf) x
			where x.tf is not null) s
		where c.site_id = $1 and c.tsv @@ $4::tsquery
		order by s.score desc, c.id limit $9`,
		siteID, qterms, idfs, orQuery(selectors), bm25K1+1, bm25K1, bm25B, avgdl, limit, total)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[textHit])
}

// orQuery is a tsquery matching any of terms, each quoted as a lexeme.
func orQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = "'" + strings.ReplaceAll(strings.ReplaceAll(t, `\`, `\\`), "'", "''") + "'"
	}
	return strings.Join(parts, " | ")
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Reindex embeds every chunk with the current model, in batches, calling
// progress(done, total) after each; other models' vectors are left alone
// (a search only ever reads the current model's).
func (ix *Index) Reindex(ctx context.Context, progress func(done, total int)) error {
	return ix.reembed(ctx, false, progress)
}

// EmbedMissing embeds the chunks that have no vector of the current model
// (after a model change), in batches, calling progress(done, total) after
// each. Until a chunk has its vector, searches find it by full text only.
func (ix *Index) EmbedMissing(ctx context.Context, progress func(done, total int)) error {
	return ix.reembed(ctx, true, progress)
}

func (ix *Index) reembed(ctx context.Context, missingOnly bool, progress func(done, total int)) error {
	if err := ix.EnsureModel(ctx); err != nil {
		return err
	}
	var total int
	var err error
	if missingOnly {
		total, err = ix.Missing(ctx)
	} else {
		err = ix.db.QueryRow(ctx, "select count(*) from chunks").Scan(&total)
	}
	if err != nil {
		return fmt.Errorf("count chunks: %w", err)
	}
	const batch = 256
	var after int64
	done := 0
	for {
		rows, err := ix.db.Query(ctx, `select c.id, c.site_id, c.heading, c.body from chunks c
			where c.id > $1 and not ($3 and exists (select 1 from chunk_embeddings e where e.chunk_id = c.id and e.model = $4))
			order by c.id limit $2`, after, batch, missingOnly, ix.emb.Model())
		if err != nil {
			return fmt.Errorf("read chunks: %w", err)
		}
		type row struct {
			id, site int64
			text     string
		}
		var list []row
		var r row
		var heading, body string
		if _, err := pgx.ForEachRow(rows, []any{&r.id, &r.site, &heading, &body}, func() error {
			r.text = EmbedText(ChunkInput{Heading: heading, Text: body})
			list = append(list, r)
			return nil
		}); err != nil {
			return fmt.Errorf("read chunks: %w", err)
		}
		if len(list) == 0 {
			return nil
		}
		texts := make([]string, len(list))
		for i, r := range list {
			texts[i] = r.text
		}
		vecs, err := ix.Embed(ctx, texts, nil)
		if err != nil {
			return err
		}
		// A chunk deleted meanwhile (its document replaced) gets no vector.
		b := &pgx.Batch{}
		for i, r := range list {
			b.Queue(`insert into chunk_embeddings (chunk_id, site_id, model, embedding)
				select $1, $2, $3, $4 where exists (select 1 from chunks where id = $1)
				on conflict (chunk_id, model) do update set embedding = excluded.embedding`,
				r.id, r.site, ix.emb.Model(), pgvector.NewVector(vecs[i]))
		}
		if err := ix.db.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("store vectors: %w", err)
		}
		after = list[len(list)-1].id
		done += len(list)
		if progress != nil {
			progress(done, max(total, done))
		}
	}
}

// Missing counts chunks without a vector of the current model (after a model
// change, until reindex).
func (ix *Index) Missing(ctx context.Context) (int, error) {
	var n int
	err := ix.db.QueryRow(ctx, `select count(*) from chunks c where not exists
		(select 1 from chunk_embeddings e where e.chunk_id = c.id and e.model = $1)`, ix.emb.Model()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count chunks without vectors: %w", err)
	}
	return n, nil
}

// Chunks returns every chunk of siteID (for evaluations such as the BM25
// baseline), in document order.
func (ix *Index) Chunks(ctx context.Context, siteID int64) ([]Hit, error) {
	rows, err := ix.db.Query(ctx, `select id, document_id, heading, body, source, start_pos, end_pos
		from chunks where site_id = $1 order by document_id, ord`, siteID)
	if err != nil {
		return nil, fmt.Errorf("list chunks: %w", err)
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Hit, error) {
		var h Hit
		err := r.Scan(&h.ChunkID, &h.DocumentID, &h.Heading, &h.Text, &h.Source, &h.Start, &h.End)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("list chunks: %w", err)
	}
	return hits, nil
}

// Recall measures the HNSW index against exact search: the share of the
// exact vector top-k that the index returns, averaged over queries. A
// returned chunk as close to the query as the exact k-th counts as found
// (hashed vectors of short queries tie often; ties are not misses).
func (ix *Index) Recall(ctx context.Context, siteID int64, queries []string, k int) (float64, error) {
	vecs, err := ix.emb.Embed(ctx, queries)
	if err != nil {
		return 0, err
	}
	cast := fmt.Sprintf("vector(%d)", ix.emb.Dim())
	q := fmt.Sprintf(`select embedding::%[2]s <=> $1::%[2]s from chunk_embeddings where model = %[1]s and site_id = $2
		order by embedding::%[2]s <=> $1::%[2]s limit $3`, quoteLiteral(ix.emb.Model()), cast)
	var sum float64
	for _, v := range vecs {
		var approx, exact []float64
		err := pgx.BeginTxFunc(ctx, ix.db, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "set local hnsw.iterative_scan = strict_order; set local hnsw.ef_search = "+strconv.Itoa(efSearch)); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, q, pgvector.NewVector(v), siteID, k)
			if err != nil {
				return err
			}
			if approx, err = pgx.CollectRows(rows, pgx.RowTo[float64]); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "set local enable_indexscan = off; set local enable_bitmapscan = off"); err != nil {
				return err
			}
			rows, err = tx.Query(ctx, q, pgvector.NewVector(v), siteID, k)
			if err != nil {
				return err
			}
			exact, err = pgx.CollectRows(rows, pgx.RowTo[float64])
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("recall: %w", err)
		}
		if len(exact) == 0 {
			continue
		}
		kth := exact[len(exact)-1] + 1e-9
		found := 0
		for _, d := range approx {
			if d <= kth {
				found++
			}
		}
		sum += float64(min(found, len(exact))) / float64(len(exact))
	}
	return sum / float64(len(vecs)), nil
}
