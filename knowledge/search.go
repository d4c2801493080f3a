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
}

// SearchResult is a ranked list of hits and the index's confidence in the best.
type SearchResult struct {
	Hits       []Hit   `json:"hits"`
	Confidence float64 `json:"confidence"`
}

// MaxQueryLength bounds a search query (characters); longer input is cut.
const MaxQueryLength = 1000

// Search runs a hybrid search over siteID's documents.
func (l *Library) Search(ctx context.Context, siteID int64, query string, k int) (*SearchResult, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, fmt.Errorf("empty query: %w", ErrInvalid)
	}
	if r := []rune(query); len(r) > MaxQueryLength {
		query = string(r[:MaxQueryLength])
	}
	res, err := l.index.Search(ctx, siteID, query, k)
	if err != nil {
		return nil, err
	}
	out := &SearchResult{Hits: make([]Hit, len(res.Hits)), Confidence: res.Confidence}
	ids := make([]int64, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.DocumentID
		out.Hits[i] = Hit{DocumentID: h.DocumentID, Source: h.Source, Heading: h.Heading, Text: h.Text,
			Score: h.Score, Similarity: h.Similarity, Start: h.Start, End: h.End}
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
