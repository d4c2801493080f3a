package retrieval

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
	"golang.org/x/sync/errgroup"
)

// Hit is one search result.
type Hit struct {
	ChunkID    int64   `json:"chunk_id"`
	DocumentID int64   `json:"document_id"`
	Heading    string  `json:"heading"`
	Text       string  `json:"text"`
	Source     string  `json:"source"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
	Whole      bool    `json:"whole"`      // the chunk is its whole document (no other sections)
	Score      float64 `json:"score"`      // the reranker's score (or the fused score when not reranked)
	Similarity float64 `json:"similarity"` // cosine similarity of the query and chunk vectors
	Coverage   float64 `json:"coverage"`   // IDF-weighted share of the query's words (or their synonyms) in the chunk
	VectorRank int     `json:"vector_rank,omitempty"`
	TextRank   int     `json:"text_rank,omitempty"`

	textScore float64   // BM25
	fused     float64   // reciprocal rank fusion
	features  []float64 // the reranker's inputs (see featureNames)
}

// Features returns the reranker's inputs for the hit, named by FeatureNames
// (nil when the search did not rerank).
func (h *Hit) Features() []float64 { return h.features }

// Result is a ranked list of hits and how sure the index is about them.
type Result struct {
	Hits []Hit `json:"hits"`
	// Confidence is the calibrated probability that the best hit holds the
	// answer. Callers abstain below a threshold instead of guessing.
	Confidence float64 `json:"confidence"`
	// Expansions are the terms the vocabulary added to the query.
	Expansions []string `json:"expansions,omitempty"`
	// Concepts are the query's words with their synonyms and weights, for
	// judging whether a piece of text covers the question (Coverage).
	Concepts []Concept `json:"-"`
}

// Concept is one word of a query: its search term, the synonyms that
// stand for it (each a set of terms that must all be present), how rare it
// is on the site (IDF; a word the site never uses is as rare as can be)
// and how much it counts (1 for the shopper's own words).
type Concept struct {
	Term   string
	Alts   [][]string
	IDF    float64
	Weight float64
	Known  bool // the site's text has the term
}

// Covers reports whether terms (a set of SearchTerms) have the concept or
// one of its synonyms.
func (c Concept) Covers(terms map[string]bool) bool {
	if terms[c.Term] {
		return true
	}
	for _, alt := range c.Alts {
		if allIn(alt, terms) {
			return true
		}
	}
	return false
}

// TermSet is the set of text's search terms.
func TermSet(text string) map[string]bool { return termSet(SearchTerms(text)) }

// Coverage is the IDF-weighted share of the query's concepts that text
// covers, and the concepts it misses (most important first).
func (r *Result) Coverage(text string) (float64, []Concept) {
	terms := TermSet(text)
	covered, total := 0.0, 0.0
	var missing []Concept
	for _, c := range r.Concepts {
		w := c.IDF * c.Weight
		total += w
		if c.Covers(terms) {
			covered += w
		} else {
			missing = append(missing, c)
		}
	}
	sort.SliceStable(missing, func(i, j int) bool { return missing[i].IDF*missing[i].Weight > missing[j].IDF*missing[j].Weight })
	if total == 0 {
		return 0, missing
	}
	return covered / total, missing
}

// Query is what a search looks for.
type Query struct {
	Text string
	// Context is the conversation's current topic that Text continues (the
	// previous question of a follow-up such as "and to Canada?"); its words
	// count, with less weight than Text's.
	Context string
	// Vocabulary adds the words policies use for the shopper's words; nil
	// means the built-in one (BuiltinVocabulary).
	Vocabulary *Vocabulary
}

// Mode selects the parts a search uses; evaluations compare them.
type Mode struct {
	Vector, Text bool // the legs
	Expand       bool // the vocabulary's expansions
	Rerank       bool // the learned reranker over the fused candidates
}

// Search modes.
var (
	Hybrid     = Mode{Vector: true, Text: true, Expand: true, Rerank: true}
	Fused      = Mode{Vector: true, Text: true, Expand: true} // fused by rank, not reranked
	VectorOnly = Mode{Vector: true}
	TextOnly   = Mode{Text: true}
)

// efSearch is HNSW's candidate list size per search (pgvector's default is 40).
const efSearch = 400

// rrfK is reciprocal rank fusion's constant (Cormack et al. use 60).
const rrfK = 60

// Weights of the words that are not the shopper's own.
const (
	expansionWeight = 0.5 // a vocabulary's terms
	contextWeight   = 0.5 // a follow-up's earlier question
)

// rerankDepth is how many fused candidates the reranker orders.
const rerankDepth = 20

// builtinVectorWeight is the hashing embedder's weight in the fusion (full
// text has 1). That embedder hashes the same words BM25 sees, so it mostly
// adds typo and partial-word matches: it should tip close calls, not outvote
// BM25. A semantic embeddings model gets full weight.
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

// Search returns the k best chunks of siteID for query with every part on
// (the built-in vocabulary, both legs, the reranker).
func (ix *Index) Search(ctx context.Context, siteID int64, query string, k int) (*Result, error) {
	return ix.Find(ctx, siteID, Query{Text: query}, k, Hybrid)
}

// SearchMode is Search with a choice of parts.
func (ix *Index) SearchMode(ctx context.Context, siteID int64, query string, k int, mode Mode) (*Result, error) {
	return ix.Find(ctx, siteID, Query{Text: query}, k, mode)
}

// wterm is a query term with its weight.
type wterm struct {
	term   string
	weight float64
}

// concept is one word of the query for coverage: the chunk covers it when it
// has the term, or every term of one of its alternatives (synonyms).
type concept struct {
	term   string
	alts   [][]string
	weight float64 // 1 for the shopper's words, less for a follow-up's context
}

// plan is a query analysed for the legs and the features.
type plan struct {
	terms      []wterm
	concepts   []concept
	vector     string // what the vector leg embeds
	expansions []string
	cjk        float64 // share of the question's letters that are CJK
}

func makePlan(q Query, mode Mode) plan {
	p := plan{cjk: cjkShare(q.Text)}
	vocab := q.Vocabulary
	if vocab == nil {
		vocab = BuiltinVocabulary()
	}
	weights := map[string]float64{}
	var order []string
	add := func(t string, w float64) {
		if _, ok := weights[t]; !ok {
			order = append(order, t)
		}
		weights[t] = max(weights[t], w)
	}
	byTerm := map[string]int{}
	addConcepts := func(text string, w float64) {
		for _, t := range SearchTerms(text) {
			add(t, w)
			if _, ok := byTerm[t]; !ok {
				byTerm[t] = len(p.concepts)
				p.concepts = append(p.concepts, concept{term: t, weight: w})
			}
		}
		if !mode.Expand {
			return
		}
		for _, x := range vocab.Expand(text) {
			covered := SearchTerms(x.Phrase)
			for _, e := range x.Terms {
				et := SearchTerms(e)
				for _, t := range et {
					add(t, w*expansionWeight)
				}
				for _, c := range covered {
					if i, ok := byTerm[c]; ok {
						p.concepts[i].alts = append(p.concepts[i].alts, et)
					}
				}
				if w == 1 {
					p.expansions = append(p.expansions, e)
				}
			}
		}
	}
	addConcepts(q.Text, 1)
	p.vector = q.Text
	if strings.TrimSpace(q.Context) != "" {
		addConcepts(q.Context, contextWeight)
		p.vector = q.Context + "\n" + q.Text
	}
	for _, t := range order {
		p.terms = append(p.terms, wterm{t, weights[t]})
	}
	return p
}

// Find returns the k best chunks of siteID for q: the BM25 top-N over the
// query's terms and its vocabulary expansions, and the vector top-N (HNSW,
// or exact for a small site), fused by reciprocal rank; with mode.Rerank the
// best rerankDepth of those are ordered by the learned reranker, whose best
// score gives the calibrated confidence.
func (ix *Index) Find(ctx context.Context, siteID int64, q Query, k int, mode Mode) (*Result, error) {
	if k <= 0 {
		k = 5
	}
	n := max(4*k, 40)
	p := makePlan(q, mode)
	vecs, err := ix.emb.Embed(ctx, []string{p.vector})
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	depth := k
	if mode.Rerank {
		depth = max(k, rerankDepth)
	}
	// The two retrievers run at once, each in its own read-only snapshot;
	// the hits are then loaded in a third. A document replaced in between
	// shows up in one snapshot and not another: hits the loading snapshot
	// no longer has are dropped, and when that happens the search runs again,
	// so a result is always one consistent version of every document.
	var ranked []*Hit
	var stats termStats
	for attempt := 0; ; attempt++ {
		var hits map[int64]*Hit
		hits, stats, err = ix.retrieve(ctx, siteID, p, vecs[0], n, mode)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		fused := fuse(hits, depth, ix.vectorWeight())
		ranked, err = ix.load(ctx, fused, vecs[0])
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		// Three tries for the whole result; while every hit was dropped
		// (documents being replaced one after another), a few more.
		if len(ranked) == len(fused) || attempt >= 2 && len(ranked) > 0 || attempt == maxSearchAttempts-1 {
			break
		}
	}
	res := &Result{Expansions: p.expansions}
	for i, c := range p.concepts {
		if fix, ok := stats.corrected[c.term]; ok {
			c.alts = append(c.alts, []string{fix})
			p.concepts[i] = c
		}
		idf, known := stats.weight(c.term)
		res.Concepts = append(res.Concepts, Concept{Term: c.term, Alts: c.alts, IDF: idf, Weight: c.weight, Known: known})
	}
	if len(ranked) == 0 {
		return res, nil
	}
	describeHits(ranked, p, stats)
	rr := defaultReranker()
	if mode.Rerank {
		for _, h := range ranked {
			h.Score = rr.score(h.features)
		}
		sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].Score > ranked[j].Score })
	}
	ranked = ranked[:min(k, len(ranked))]
	res.Hits = make([]Hit, len(ranked))
	for i, h := range ranked {
		res.Hits[i] = *h
	}
	res.Confidence = rr.confidence(ranked)
	return res, nil
}

// maxSearchAttempts bounds how often a search runs again because the
// documents it found were replaced before their chunks were loaded.
const maxSearchAttempts = 10

// readOnly is the transaction mode of searches.
var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// retrieve runs the vector and BM25 retrievers concurrently and returns
// their hits by chunk id, with each hit's rank in each list, and the query
// terms' statistics.
func (ix *Index) retrieve(ctx context.Context, siteID int64, p plan, q []float32, n int, mode Mode) (map[int64]*Hit, termStats, error) {
	var vec []Hit
	var text []textHit
	var stats termStats
	g, gctx := errgroup.WithContext(ctx)
	if mode.Vector {
		g.Go(func() (err error) {
			vec, err = ix.nearest(gctx, siteID, q, n)
			return err
		})
	}
	g.Go(func() error { // the statistics are needed for the features even without the BM25 leg
		return pgx.BeginTxFunc(gctx, ix.db, readOnly, func(tx pgx.Tx) (err error) {
			limit := n
			if !mode.Text {
				limit = 0
			}
			text, stats, err = bm25(gctx, tx, siteID, p.terms, limit, ix.candidates)
			return err
		})
	})
	if err := g.Wait(); err != nil {
		return nil, stats, err
	}
	hits := make(map[int64]*Hit, len(vec)+len(text))
	for i := range vec {
		vec[i].VectorRank = i + 1
		hits[vec[i].ChunkID] = &vec[i]
	}
	for i, t := range text {
		if h, ok := hits[t.ID]; ok {
			h.TextRank, h.textScore = i+1, t.Score
		} else {
			hits[t.ID] = &Hit{ChunkID: t.ID, TextRank: i + 1, textScore: t.Score, Similarity: -1}
		}
	}
	return hits, stats, nil
}

// nearest returns the n chunks of siteID closest to q by the index's model:
// exactly for a small site (see DefaultExactLimit), otherwise through HNSW
// with pgvector's iterative scan so the site filter still fills n.
//
// It is one round trip: the read-only transaction, its HNSW settings and
// one statement that takes the exact or the HNSW branch by the site's
// chunk count (the branch not taken is not run) travel together.
func (ix *Index) nearest(ctx context.Context, siteID int64, q []float32, n int) ([]Hit, error) {
	cast, model := fmt.Sprintf("vector(%d)", ix.emb.Dim()), quoteLiteral(ix.emb.Model())
	// OFFSET 0 keeps the planner from ordering the exact branch through the
	// HNSW index: the site's rows come from its btree and are sorted by
	// computed distance.
	query := fmt.Sprintf(`with n as materialized (select coalesce((select chunks from site_stats where site_id = $2), 0) as chunks)
		(select chunk_id, 1 - d from (select e.chunk_id, e.embedding::%[1]s <=> $1::%[1]s as d
			from chunk_embeddings e where e.model = %[2]s and e.site_id = $2 offset 0) s
		where (select chunks from n) <= $4
		order by d limit $3)
		union all
		(select e.chunk_id, 1 - (e.embedding::%[1]s <=> $1::%[1]s)
		from chunk_embeddings e where e.model = %[2]s and e.site_id = $2 and (select chunks from n) > $4
		order by e.embedding::%[1]s <=> $1::%[1]s limit $3)`, cast, model)
	b := &pgx.Batch{}
	b.Queue("begin isolation level repeatable read read only")
	b.Queue("select set_config('hnsw.iterative_scan', 'strict_order', true), set_config('hnsw.ef_search', $1, true)", strconv.Itoa(efSearch))
	b.Queue(query, pgvector.NewVector(q), siteID, n, ix.exactLimit)
	b.Queue("commit")
	conn, err := ix.db.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release() // a connection left inside the transaction (an error) is closed, not reused
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Hit, error) {
		var h Hit
		err := r.Scan(&h.ChunkID, &h.Similarity)
		return h, err
	})
	if err != nil {
		return nil, err
	}
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	return hits, br.Close()
}

// fuse scores hits by reciprocal rank fusion and returns the best k.
func fuse(hits map[int64]*Hit, k int, vectorWeight float64) []*Hit {
	ranked := make([]*Hit, 0, len(hits))
	for _, h := range hits {
		if h.VectorRank > 0 {
			h.fused += vectorWeight / float64(rrfK+h.VectorRank)
		}
		if h.TextRank > 0 {
			h.fused += 1.0 / float64(rrfK+h.TextRank)
		}
		h.Score = h.fused
		ranked = append(ranked, h)
	}
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].fused != ranked[j].fused {
			return ranked[i].fused > ranked[j].fused
		}
		return ranked[i].ChunkID < ranked[j].ChunkID
	})
	return ranked[:min(k, len(ranked))]
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
			coalesce(1 - (e.embedding::vector(%d) <=> $2::vector(%d)), 0),
			not exists (select 1 from chunks o where o.document_id = c.document_id and o.id <> c.id)
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
		whole              bool
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &doc, &heading, &body, &src, &start, &end, &sim, &whole}, func() error {
		h := byID[id]
		found[id] = true
		h.DocumentID, h.Heading, h.Text, h.Source, h.Start, h.End, h.Whole = doc, heading, body, src, int(start), int(end), whole
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

// BM25 parameters: k1 1 and b 0 (no length normalization) are what the
// search has ranked with in effect from the start: until the scoring
// statement cast them, PostgreSQL read the intended 1.2 and 0.75 as
// integers. Robertson's 1.2 and 0.75, measured on the dev halves, moved the
// hybrid MRR by demo -0.004, abcd +0.036, hint3-sofmattress +0.005,
// hint3-curekart -0.006, massive-zh 0, lowered the fused and full-text MRR
// of demo and hint3-curekart by 0.012-0.020 and raised massive-zh's
// full-text MRR by 0.016; the reranker was trained on these scores. So they
// stay until a change of both is measured.
const (
	bm25K1 = 1.0
	bm25B  = 0.0
)

// maxCandidates is how many chunks BM25 first scores for one query; it
// scores more when that could have missed one of the best (see bm25).
const maxCandidates = 600

// exactTop is how many of BM25's best chunks pruning must never change.
const exactTop = 10

// textHit is a BM25 result.
type textHit struct {
	ID    int64
	Score float64
}

// termStats are the site's statistics for the query's terms.
type termStats struct {
	chunks    int64
	idf       map[string]float64 // terms the site has
	corrected map[string]string  // an unseen query term → the site's term it is a typo of
}

// stat is a term's document frequency.
type stat struct {
	Term string
	DF   int64
}

// correctable reports whether an unseen term may be a typo worth fixing: a
// Latin word of four or more letters.
func correctable(t string) bool {
	if len(t) < 4 {
		return false
	}
	for _, r := range t {
		if r > 0x7f || (r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// corrections finds, for each term, the site's term within one edit (two
// for words of eight letters or more) that shares its first letter, the
// most frequent of the closest ones.
func corrections(ctx context.Context, tx pgx.Tx, siteID int64, terms []string) (map[string]stat, error) {
	prefixes := make([]string, 0, len(terms))
	for _, t := range terms {
		prefixes = append(prefixes, t[:1])
	}
	rows, err := tx.Query(ctx, `select term, df from term_stats
		where site_id = $1 and df > 0 and left(term, 1) = any($2) and length(term) between $3 and $4`,
		siteID, prefixes, 3, 40)
	if err != nil {
		return nil, err
	}
	cands, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stat])
	if err != nil {
		return nil, err
	}
	out := map[string]stat{}
	for _, t := range terms {
		limit := 1
		if len(t) >= 8 {
			limit = 2
		}
		best, bestD := stat{}, limit+1
		for _, c := range cands {
			if c.Term[0] != t[0] || abs(len(c.Term)-len(t)) > limit {
				continue
			}
			if d := typoDistance(t, c.Term, limit); d < bestD || (d == bestD && c.DF > best.DF) {
				best, bestD = c, d
			}
		}
		if bestD <= limit {
			out[t] = best
		}
	}
	return out, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// typoDistance is how far an unseen term is from a site's term: their
// edit distance, or that of the term without the "e" or "s" the stemmer
// leaves on a misspelt word but takes off the word itself ("chnage" is
// one swap from "change", stemmed "chang").
func typoDistance(t, term string, limit int) int {
	d := editDistance(t, term, limit)
	for _, end := range []string{"e", "s"} {
		if u, ok := strings.CutSuffix(t, end); ok && len(u) >= 4 && !strings.HasSuffix(term, end) {
			d = min(d, editDistance(u, term, limit))
		}
	}
	return d
}

// editDistance is the optimal string alignment distance of a and b (edits
// and swaps of two neighbours), or limit+1 when it is larger than limit.
func editDistance(a, b string, limit int) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}

// weight is a query term's IDF on the site (that of the word it is a typo
// of, if so), and whether the site has it; see unseenIDF for the others.
func (s termStats) weight(t string) (float64, bool) {
	if idf, ok := s.idf[t]; ok {
		return idf, true
	}
	if fix, ok := s.corrected[t]; ok {
		return s.idf[fix], true
	}
	return s.unseenIDF(t), false
}

// unseenIDF is the weight of a term the site has never seen: as rare as can
// be for a word; half that for a CJK bigram (many are just the seam between
// two words, "货需"); nothing for a lone character.
func (s termStats) unseenIDF(t string) float64 {
	w := math.Log(1 + (float64(s.chunks)+0.5)/0.5)
	if r, n := utf8.DecodeRuneInString(t); IsCJK(r) {
		if n == len(t) {
			return 0
		}
		return w / 2
	}
	return w
}

// bm25 ranks siteID's chunks by Okapi BM25 for weighted query terms (a
// term's weight multiplies its IDF), with document frequencies and lengths
// kept in term_stats and site_stats, and term frequencies in chunks.tf
// (where a heading term counts twice); a lone CJK character's tf counts at
// most once (tfCap). It returns at most limit hits (limit 0: only the
// statistics) and the terms' statistics.
//
// Candidates come from the query's rarest terms, as many as keep the
// candidate set near budget chunks (a search for "the order status" must not
// score half the index); every query term adds to the score. Pruning is
// safe: a chunk without any of the selecting terms scores at most the sum of
// the other terms' largest possible contributions (weight × idf × the tf
// part at the term's largest (capped) tf in the shortest chunk holding it,
// see termBound; weight × idf × (k1+1) where the site has no bounds yet),
// so when the exactTop-th candidate scores more than that, no chunk left out
// could be among the best exactTop. Otherwise the selection grows by every
// term that bound still needs (the exactTop-th score only rises as
// candidates are added), or doubles the budget while there are fewer than
// exactTop candidates, and only the chunks new to the selection are scored.
// budget 0 scores every chunk with any query term (the exhaustive reference
// the pruned search is measured against).
func bm25(ctx context.Context, tx pgx.Tx, siteID int64, terms []wterm, limit, budget int) ([]textHit, termStats, error) {
	stats := termStats{idf: map[string]float64{}}
	weight := map[string]float64{}
	var uniq []string
	for _, t := range terms {
		if _, ok := weight[t.term]; !ok {
			uniq = append(uniq, t.term)
		}
		weight[t.term] = max(weight[t.term], t.weight)
	}
	if len(uniq) == 0 {
		return nil, stats, nil
	}
	// The site's statistics and its terms' in one round trip: the first row
	// is the site's (term null), the others its terms'. A term's bounds
	// (its largest tf and the shortest chunk holding it) count only once the
	// site has them for all its chunks (see migration 0020).
	var length int64
	rows, err := tx.Query(ctx, `select * from (select null::text, chunks, terms, null::integer, null::integer, bounded
			from site_stats where site_id = $1) s
		union all
		select term, df, 0, max_tf, min_terms, null from term_stats where site_id = $1 and term = any($2) and df > 0`, siteID, uniq)
	if err != nil {
		return nil, stats, err
	}
	var dfs []stat
	bounds := map[string]termBound{}
	var term *string
	var df, total int64
	var maxTF, minTerms *int32
	var siteBounded *bool
	bounded := false
	_, err = pgx.ForEachRow(rows, []any{&term, &df, &total, &maxTF, &minTerms, &siteBounded}, func() error {
		if term == nil {
			stats.chunks, length = df, total
			bounded = siteBounded != nil && *siteBounded
			return nil
		}
		dfs = append(dfs, stat{*term, df})
		if maxTF != nil && minTerms != nil {
			bounds[*term] = termBound{float64(*maxTF), float64(*minTerms)}
		}
		return nil
	})
	if err != nil {
		return nil, stats, err
	}
	if !bounded {
		clear(bounds)
	}
	if stats.chunks <= 0 {
		return nil, stats, nil
	}
	// A word the site never uses may be a typo of one it does ("shiping"):
	// the closest such word joins the query with the same weight.
	seen := map[string]bool{}
	for _, s := range dfs {
		seen[s.Term] = true
	}
	var unseen []string
	for _, t := range uniq {
		if !seen[t] && correctable(t) {
			unseen = append(unseen, t)
		}
	}
	if len(unseen) > 0 {
		fixes, err := corrections(ctx, tx, siteID, unseen)
		if err != nil {
			return nil, stats, err
		}
		stats.corrected = map[string]string{}
		for _, t := range unseen {
			if f, ok := fixes[t]; ok {
				// The word may be in the query already, as a synonym
				// ("retrun" brings "return" through the vocabulary): the
				// typo is still read as it, with the shopper's weight.
				stats.corrected[t] = f.Term
				weight[f.Term] = max(weight[f.Term], weight[t])
				if !seen[f.Term] {
					seen[f.Term] = true
					dfs = append(dfs, stat{f.Term, f.DF})
				}
			}
		}
	}
	for _, s := range dfs {
		stats.idf[s.Term] = math.Log(1 + (float64(stats.chunks)-float64(s.DF)+0.5)/(float64(s.DF)+0.5))
	}
	if len(dfs) == 0 || limit <= 0 {
		return nil, stats, nil
	}
	sort.Slice(dfs, func(i, j int) bool {
		if dfs[i].DF != dfs[j].DF {
			return dfs[i].DF < dfs[j].DF
		}
		return dfs[i].Term < dfs[j].Term
	})
	qterms := make([]string, len(dfs))
	idfs := make([]float64, len(dfs)) // weighted
	caps := make([]float64, len(dfs)) // the most tf counts
	for i, s := range dfs {
		qterms[i], idfs[i], caps[i] = s.Term, weight[s.Term]*stats.idf[s.Term], tfCap(s.Term)
	}
	avgdl := float64(length) / float64(stats.chunks)
	// rest[i] is the most a chunk holding none of dfs[:i] can score.
	rest := make([]float64, len(dfs)+1)
	for i := len(dfs) - 1; i >= 0; i-- {
		rest[i] = rest[i+1] + idfs[i]*bounds[dfs[i].Term].most(avgdl, caps[i])
	}
	selected := 0 // dfs[:selected] select the candidates
	scored := 0   // the chunks of dfs[:scored] are scored
	var covered int64
	grow := func(limit int64) {
		for selected < len(dfs) && (selected == 0 || budget <= 0 || covered+dfs[selected].DF <= limit) {
			covered += dfs[selected].DF
			selected++
		}
	}
	grow(int64(budget))
	var best []textHit // the best limit chunks scored so far
	for {
		// Only the chunks not scored yet: those of the new terms without
		// any of the earlier ones.
		match := orQuery(qterms[scored:selected])
		if scored > 0 {
			match = "(" + match + ") & !(" + orQuery(qterms[:scored]) + ")"
		}
		rows, err = tx.Query(ctx, bm25Query,
			siteID, qterms, idfs, match, bm25K1+1, bm25K1, bm25B, avgdl, limit, caps)
		if err != nil {
			return nil, stats, err
		}
		hits, err := pgx.CollectRows(rows, pgx.RowToStructByPos[textHit])
		if err != nil {
			return nil, stats, err
		}
		best = mergeHits(best, hits, limit)
		scored = selected
		if selected == len(dfs) {
			return best, stats, nil
		}
		// (Strictly above, with a margin for rounding: a chunk left out that
		// ties the k-th could take its place in the exhaustive order.)
		k := min(exactTop, limit)
		if len(best) >= k && best[k-1].Score > rest[selected]*(1+1e-9) {
			return best, stats, nil
		}
		before := selected
		if len(best) >= k {
			// The k-th best score only rises as candidates are added: take
			// at once every term it cannot yet exclude.
			for selected < len(dfs) && rest[selected]*(1+1e-9) >= best[k-1].Score {
				covered += dfs[selected].DF
				selected++
			}
		} else {
			// Too few candidates to judge by: double them.
			grow(2 * max(covered, int64(budget)))
		}
		if selected == before { // the next term may alone hold more than double
			covered += dfs[selected].DF
			selected++
		}
	}
}

// mergeHits is the best limit of two lists of hits ordered by score (then
// id), as the database orders them.
func mergeHits(a, b []textHit, limit int) []textHit {
	out := make([]textHit, 0, min(len(a)+len(b), limit))
	for len(out) < limit && (len(a) > 0 || len(b) > 0) {
		if len(b) == 0 || len(a) > 0 && (a[0].Score > b[0].Score || a[0].Score == b[0].Score && a[0].ID < b[0].ID) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

// termBound is what bounds a term's BM25 contribution on a site: its
// largest tf in any chunk and the shortest chunk holding it (zero: unknown).
type termBound struct{ maxTF, minTerms float64 }

// most is the largest factor by which the term's weighted IDF can be
// multiplied in any chunk, its tf counted up to tfCap: BM25's tf part grows
// with tf and shrinks with the chunk's length, so it is largest at the
// largest tf in the shortest chunk (the two need not be the same chunk).
// Without bounds it is the tf part at tfCap in a chunk of length 0, k1+1
// (the limit for an endless tf) when there is no cap.
func (b termBound) most(avgdl, tfCap float64) float64 {
	if b.maxTF <= 0 || b.minTerms <= 0 {
		if math.IsInf(tfCap, 1) {
			return bm25K1 + 1
		}
		return tfPart(tfCap, 0, avgdl)
	}
	return tfPart(min(b.maxTF, tfCap), b.minTerms, avgdl)
}

// tfPart is BM25's tf part for tf in a chunk of length terms, computed as
// bm25Query does.
func tfPart(tf, terms, avgdl float64) float64 {
	return tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*terms/avgdl))
}

// tfCap is the most tf a term's BM25 score counts: 1 for a lone CJK
// character (a character recurs in many different words, so its repeats
// say little; that the chunk has it is what matches a paraphrase, "退钱"
// and "退款"), unbounded for words and bigrams.
func tfCap(term string) float64 {
	if r, n := utf8.DecodeRuneInString(term); IsCJK(r) && n == len(term) {
		return 1
	}
	return math.Inf(1)
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

// cjkShare is the share of text's letters that are CJK characters.
func cjkShare(text string) float64 {
	cjk, letters := 0, 0
	for _, r := range text {
		switch {
		case IsCJK(r):
			cjk++
			letters++
		case unicode.IsLetter(r):
			letters++
		}
	}
	if letters == 0 {
		return 0
	}
	return float64(cjk) / float64(letters)
}

// bm25Query scores the chunks of site $1 matching tsquery $4 by Okapi BM25
// over terms $2 with weighted IDFs $3 and tf caps $10 ($5 = k1+1, $6 = k1,
// $7 = b, $8 = the average chunk length) and returns the best $9.
//
// Each chunk's score is a subquery, not a lateral join: the planner would
// put a Memoize keyed by the whole tf map above a join, which hashes every
// chunk's map and never hits.
const bm25Query = `with q as (select * from unnest($2::text[], $3::float8[], $10::float8[]) as q(term, idf, cap))
	select id, score from (
		select c.id, (
			-- the casts: untyped, k1, b and avgdl would be read as integers (k1 1, b 0)
			select sum(q.idf * x.tf * $5 / (x.tf + $6::float8 * (1 - $7::float8 + $7::float8 * c.terms / $8::float8)))
			from q cross join lateral (select least(t.tf, q.cap) as tf from (select (d.tf ->> q.term)::float8 as tf) t
				where t.tf is not null) x) as score
		from chunks c
		-- tf is stored compressed: decompress it once per chunk, not once per term
		cross join lateral (select c.tf || '{}'::jsonb as tf offset 0) d
		where c.site_id = $1 and c.tsv @@ $4::tsquery) s
	order by score desc, id limit $9`
