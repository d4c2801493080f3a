package retrieval

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"
)

// Index is the search index over document chunks: a tsvector per chunk for
// full-text search and one vector per chunk and embedding model.
type Index struct {
	db         *pgxpool.Pool
	emb        Embedder
	exactLimit int64
	candidates int // BM25's first candidate budget; 0: score every matching chunk
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
	return &Index{db: db, emb: emb, exactLimit: DefaultExactLimit, candidates: maxCandidates}
}

// SetExactLimit sets how many chunks a site may have and be searched
// exactly instead of through the HNSW index (0: always the index).
func (ix *Index) SetExactLimit(n int64) { ix.exactLimit = n }

// SetCandidates sets how many chunks BM25 first scores for a query (0:
// every chunk with a query term, no pruning: the reference that measures
// what pruning loses; the default is maxCandidates).
func (ix *Index) SetCandidates(n int) { ix.candidates = n }

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
	return ix.ReplaceMany(ctx, tx, siteID, []DocumentChunks{{DocID: docID, Chunks: chunks, Vectors: vectors}})
}

// DocumentChunks is one document's new chunks and their vectors.
type DocumentChunks struct {
	DocID   int64
	Chunks  []ChunkInput
	Vectors [][]float32
}

// ReplaceMany is Replace for several documents of siteID at once, in one
// statement each for the delete, the insert and the vectors. Why: the BM25
// statistics' triggers run once per statement, and a thousand statements in
// one transaction update the same term rows a thousand times (a 1,000-page
// sync spent 19 s there; one statement takes a fraction of that).
func (ix *Index) ReplaceMany(ctx context.Context, tx pgx.Tx, siteID int64, docs []DocumentChunks) error {
	ids := make([]int64, len(docs))
	n := 0
	for i, d := range docs {
		if len(d.Vectors) != len(d.Chunks) {
			return fmt.Errorf("replace chunks of document %d: %d chunks but %d vectors", d.DocID, len(d.Chunks), len(d.Vectors))
		}
		ids[i] = d.DocID
		n += len(d.Chunks)
	}
	if _, err := tx.Exec(ctx, "delete from chunks where document_id = any($1)", ids); err != nil {
		return fmt.Errorf("delete old chunks: %w", err)
	}
	if n == 0 {
		return nil
	}
	docIDs := make([]int64, 0, n)
	ords, starts, ends, lens := make([]int32, 0, n), make([]int32, 0, n), make([]int32, 0, n), make([]int32, 0, n)
	headings, bodies, sources, headTerms, bodyTerms := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	tfs := make([]map[string]int, 0, n)
	vectors := make([][]float32, 0, n)
	for _, d := range docs {
		for i, c := range d.Chunks {
			a := analyze(c.Heading, c.Text)
			docIDs = append(docIDs, d.DocID)
			ords, starts, ends, lens = append(ords, int32(i)), append(starts, int32(c.Start)), append(ends, int32(c.End)), append(lens, a.length)
			headings, bodies, sources = append(headings, c.Heading), append(bodies, c.Text), append(sources, c.Source)
			headTerms, bodyTerms, tfs = append(headTerms, a.head), append(bodyTerms, a.body), append(tfs, a.tf)
			vectors = append(vectors, d.Vectors[i])
		}
	}
	rows, err := tx.Query(ctx, `insert into chunks (document_id, site_id, ord, heading, body, start_pos, end_pos, source, tsv, terms, tf, analyzer)
		select u.doc, $1, u.ord, u.heading, u.body, u.s, u.e, u.src,
			setweight(to_tsvector('simple', u.hterms), 'A') || to_tsvector('simple', u.bterms), u.len, u.tf, $13
		from unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[], $9::text[], $10::text[], $11::int[], $12::jsonb[])
			as u(doc, ord, heading, body, s, e, src, hterms, bterms, len, tf)
		returning id, document_id, ord`, siteID, docIDs, ords, headings, bodies, starts, ends, sources, headTerms, bodyTerms, lens, tfs, AnalyzerVersion)
	if err != nil {
		return fmt.Errorf("insert chunks: %w", err)
	}
	first := make(map[int64]int, len(docs)) // document → its first chunk's position
	for i, at := 0, 0; i < len(docs); i++ {
		if _, dup := first[docs[i].DocID]; dup {
			return fmt.Errorf("replace chunks: document %d given twice", docs[i].DocID)
		}
		first[docs[i].DocID] = at
		at += len(docs[i].Chunks)
	}
	chunkIDs := make([]int64, n)
	var id, doc int64
	var ord int32
	inserted := 0
	_, err = pgx.ForEachRow(rows, []any{&id, &doc, &ord}, func() error {
		chunkIDs[first[doc]+int(ord)] = id
		inserted++
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert chunks: %w", err)
	}
	if inserted != n {
		return fmt.Errorf("insert chunks: %d of %d inserted", inserted, n)
	}
	model := ix.emb.Model()
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"chunk_embeddings"}, []string{"chunk_id", "site_id", "model", "embedding"},
		pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			return []any{chunkIDs[i], siteID, model, pgvector.NewVector(vectors[i])}, nil
		}))
	if err != nil {
		return fmt.Errorf("store vectors: %w", err)
	}
	return nil
}

// analysis is what the index stores about a chunk's text.
type analysis struct {
	head, body string         // the heading's and the body's search terms, space-separated
	length     int32          // number of terms (BM25's document length)
	tf         map[string]int // term frequencies; a heading term counts twice
}

func analyze(heading, body string) analysis {
	ht, bt := SearchTerms(heading), SearchTerms(body)
	a := analysis{head: strings.Join(ht, " "), body: strings.Join(bt, " "), length: int32(len(ht) + len(bt)), tf: map[string]int{}}
	for _, t := range ht {
		a.tf[t] += 2 // a heading says what the chunk is about
	}
	for _, t := range bt {
		a.tf[t]++
	}
	return a
}

// Reanalyze analyses again, in batches, the chunks an older AnalyzerVersion
// indexed, calling progress(done, total) after each batch; the statistics
// follow through a trigger. Searches keep working meanwhile (a chunk not yet
// analysed again only lacks the new kinds of terms).
func (ix *Index) Reanalyze(ctx context.Context, progress func(done, total int)) error {
	var total int
	if err := ix.db.QueryRow(ctx, "select count(*) from chunks where analyzer < $1", AnalyzerVersion).Scan(&total); err != nil {
		return fmt.Errorf("count chunks to analyse: %w", err)
	}
	done := 0
	var after int64
	for done < total {
		rows, err := ix.db.Query(ctx, `select id, heading, body from chunks where analyzer < $1 and id > $2 order by id limit 500`, AnalyzerVersion, after)
		if err != nil {
			return fmt.Errorf("read chunks to analyse: %w", err)
		}
		var ids []int64
		var heads, bodies []string
		var tfs []map[string]int
		var lens []int32
		var id int64
		var heading, body string
		_, err = pgx.ForEachRow(rows, []any{&id, &heading, &body}, func() error {
			a := analyze(heading, body)
			ids, heads, bodies, lens, tfs = append(ids, id), append(heads, a.head), append(bodies, a.body), append(lens, a.length), append(tfs, a.tf)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read chunks to analyse: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		_, err = ix.db.Exec(ctx, `update chunks c set tsv = setweight(to_tsvector('simple', u.h), 'A') || to_tsvector('simple', u.b),
				terms = u.len, tf = u.tf, analyzer = $6
			from unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::jsonb[]) as u(id, h, b, len, tf)
			where c.id = u.id and c.analyzer < $6`, ids, heads, bodies, lens, tfs, AnalyzerVersion)
		if err != nil {
			return fmt.Errorf("analyse chunks: %w", err)
		}
		after = ids[len(ids)-1]
		done += len(ids)
		if progress != nil {
			progress(min(done, total), total)
		}
	}
	return nil
}

// FillTermBounds computes, in batches, the BM25 pruning bounds (each term's
// largest tf and the shortest chunk holding it) of the sites indexed before
// the index kept them (migration 0020), calling progress(done, total) after
// each batch; the statement triggers keep them from then on. Searches stay
// exact meanwhile: a site's bounds count only once all its chunks are read,
// until then its searches prune with the looser bound (k1+1).
func (ix *Index) FillTermBounds(ctx context.Context, progress func(done, total int)) error {
	rows, err := ix.db.Query(ctx, "select site_id, chunks from site_stats where not bounded order by site_id")
	if err != nil {
		return fmt.Errorf("list sites without term bounds: %w", err)
	}
	type site struct{ id, chunks int64 }
	sites, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (site, error) {
		var s site
		return s, r.Scan(&s.id, &s.chunks)
	})
	if err != nil {
		return fmt.Errorf("list sites without term bounds: %w", err)
	}
	total := 0
	for _, s := range sites {
		total += int(s.chunks)
	}
	done := 0
	for _, s := range sites {
		var after int64
		for {
			// Terms in one order, as the triggers take them: a concurrent
			// ingest waits for the batch instead of deadlocking with it.
			var last *int64
			var n int
			err := ix.db.QueryRow(ctx, `with b as (select id, terms, tf from chunks where site_id = $1 and id > $2 order by id limit 500),
				m as (insert into term_stats (site_id, term, df, max_tf, min_terms)
					select $1, e.key, 0, max(e.value::integer), min(b.terms) from b, jsonb_each_text(b.tf) e
					group by e.key order by e.key
					on conflict (site_id, term) do update set max_tf = greatest(term_stats.max_tf, excluded.max_tf),
						min_terms = least(term_stats.min_terms, excluded.min_terms)
					where term_stats.max_tf is null or term_stats.max_tf < excluded.max_tf
						or term_stats.min_terms is null or term_stats.min_terms > excluded.min_terms)
				select max(id), count(*) from b`, s.id, after).Scan(&last, &n)
			if err != nil {
				return fmt.Errorf("fill term bounds of site %d: %w", s.id, err)
			}
			if n == 0 {
				break
			}
			after = *last
			done += n
			if progress != nil {
				progress(min(done, total), max(total, done))
			}
		}
		if _, err := ix.db.Exec(ctx, "update site_stats set bounded = true where site_id = $1", s.id); err != nil {
			return fmt.Errorf("fill term bounds of site %d: %w", s.id, err)
		}
	}
	return nil
}

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

// TextRecall measures BM25's candidate pruning against exhaustive scoring:
// the share of the exhaustive top k that the pruned search returns, averaged
// over queries (a returned chunk scoring as high as the exhaustive k-th
// counts as found: ties are not misses).
func (ix *Index) TextRecall(ctx context.Context, siteID int64, queries []string, k int) (float64, error) {
	var sum float64
	n := 0
	for _, q := range queries {
		var pruned, exact []textHit
		err := pgx.BeginTxFunc(ctx, ix.db, readOnly, func(tx pgx.Tx) (err error) {
			terms := makePlan(Query{Text: q}, TextOnly).terms
			if pruned, _, err = bm25(ctx, tx, siteID, terms, k, maxCandidates); err != nil {
				return err
			}
			exact, _, err = bm25(ctx, tx, siteID, terms, k, 0)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("text recall: %w", err)
		}
		if len(exact) == 0 {
			continue
		}
		kth := exact[len(exact)-1].Score - 1e-9
		found := 0
		for _, h := range pruned {
			if h.Score >= kth {
				found++
			}
		}
		sum += float64(min(found, len(exact))) / float64(len(exact))
		n++
	}
	if n == 0 {
		return 1, nil
	}
	return sum / float64(n), nil
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
