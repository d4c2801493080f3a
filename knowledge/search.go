package knowledge

import (
	"context"
	"fmt"
	"strings"

	"kefu/retrieval"
)

// Hit is a search result with its document's title.
type Hit struct {
	DocumentID int64   `json:"document_id"`
	Title      string  `json:"title"`
	Source     string  `json:"source"`
	Heading    string  `json:"heading"`
	Text       string  `json:"text"`
	Score      float64 `json:"score"`
	Similarity float64 `json:"similarity"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
	Whole      bool    `json:"whole"` // the passage is its whole document
}

// SearchResult is a ranked list of hits and the index's confidence in the best.
type SearchResult struct {
	Hits       []Hit    `json:"hits"`
	Confidence float64  `json:"confidence"`
	Expansions []string `json:"expansions,omitempty"` // the words the vocabulary added
	// Concepts are the query's words with their synonyms (see Coverage).
	Concepts []retrieval.Concept `json:"-"`
}

// Coverage is the IDF-weighted share of the query's words (or their
// synonyms) that text has, and the words it misses, most important first.
func (r *SearchResult) Coverage(text string) (float64, []retrieval.Concept) {
	return (&retrieval.Result{Concepts: r.Concepts}).Coverage(text)
}

// MaxQueryLength bounds a search query (characters); longer input is cut.
const MaxQueryLength = 1000

// Search runs a hybrid search over siteID's documents.
func (l *Library) Search(ctx context.Context, siteID int64, query string, k int) (*SearchResult, error) {
	return l.Find(ctx, siteID, retrieval.Query{Text: query}, k)
}

// Find runs a hybrid search for q over siteID's documents.
func (l *Library) Find(ctx context.Context, siteID int64, q retrieval.Query, k int) (*SearchResult, error) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Text == "" {
		return nil, fmt.Errorf("empty query: %w", ErrInvalid)
	}
	q.Text, q.Context = truncate(q.Text, MaxQueryLength), truncate(q.Context, MaxQueryLength)
	if q.Vocabulary == nil {
		v, err := l.Vocabulary(ctx, siteID)
		if err != nil {
			return nil, err
		}
		q.Vocabulary = v
	}
	res, err := l.index.Find(ctx, siteID, q, k, retrieval.Hybrid)
	if err != nil {
		return nil, err
	}
	out := &SearchResult{Hits: make([]Hit, len(res.Hits)), Confidence: res.Confidence, Expansions: res.Expansions, Concepts: res.Concepts}
	ids := make([]int64, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.DocumentID
		out.Hits[i] = Hit{DocumentID: h.DocumentID, Source: h.Source, Heading: h.Heading, Text: h.Text,
			Score: h.Score, Similarity: h.Similarity, Start: h.Start, End: h.End, Whole: h.Whole}
	}
	titles := map[int64]string{}
	rows, err := l.db.Query(ctx, "select id, title from documents where id = any($1)", ids)
	if err != nil {
		return nil, fmt.Errorf("load titles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t string
		if err := rows.Scan(&id, &t); err != nil {
			return nil, fmt.Errorf("load titles: %w", err)
		}
		titles[id] = t
	}
	for i := range out.Hits {
		out.Hits[i].Title = titles[out.Hits[i].DocumentID]
	}
	return out, rows.Err()
}

// Index exposes the library's search index (for reindex and model checks).
func (l *Library) Index() *retrieval.Index { return l.index }

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
