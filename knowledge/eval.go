package knowledge

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"kefu/retrieval"
)

// EvalCase is one evaluation query and the sources that answer it (file
// names, or file#row for an FAQ row, separated by "|").
type EvalCase struct {
	Query, Expected string
}

// EvalReport holds retrieval quality over a set of cases.
type EvalReport struct {
	Method string  `json:"method"`
	Cases  int     `json:"cases"`
	Hit1   float64 `json:"hit@1"`
	Hit3   float64 `json:"hit@3"`
	Hit10  float64 `json:"hit@10"`
	MRR    float64 `json:"mrr"`
}

// ReadEvalCases reads a CSV with the header query,expected_source.
func ReadEvalCases(r io.Reader) ([]EvalCase, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read eval CSV: %w: %w", err, ErrInvalid)
	}
	if len(rows) < 2 || len(rows[0]) < 2 || rows[0][0] != "query" || rows[0][1] != "expected_source" {
		return nil, fmt.Errorf("eval CSV needs the header query,expected_source and at least one row: %w", ErrInvalid)
	}
	cases := make([]EvalCase, 0, len(rows)-1)
	for _, r := range rows[1:] {
		cases = append(cases, EvalCase{Query: r[0], Expected: r[1]})
	}
	return cases, nil
}

// matches reports whether a hit's source is one of the expected ones
// (separated by "|"); a bare file name also matches each of its FAQ rows.
func matches(source, expected string) bool {
	for _, e := range strings.Split(expected, "|") {
		if e = strings.TrimSpace(e); source == e || strings.HasPrefix(source, e+"#") {
			return true
		}
	}
	return false
}

// EvalOptions tune an evaluation.
type EvalOptions struct {
	K int // results per query (at least 10)
	// Features, when set, receives one JSON line per query with the fused
	// candidates' reranker features and which are right (RerankQuery), for
	// training the reranker (kefu kb rerank).
	Features io.Writer
}

// Evaluate measures hit@1/3/10 and MRR (within the top k) of the full search
// (reranked), the fused legs before reranking, each leg alone, and a textbook
// BM25 baseline over the same chunks, on the cases that have an expected
// source. A query written "earlier question || query" is searched as a
// follow-up of the earlier question.
func (l *Library) Evaluate(ctx context.Context, siteID int64, cases []EvalCase, opt EvalOptions) ([]EvalReport, error) {
	k := max(opt.K, 10)
	chunks, err := l.index.Chunks(ctx, siteID)
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = retrieval.EmbedText(retrieval.ChunkInput{Heading: c.Heading, Text: c.Text})
	}
	bm25 := retrieval.NewBM25(texts)
	methods := []struct {
		name string
		rank func(q retrieval.Query) ([]string, error)
	}{
		{"hybrid", l.ranker(ctx, siteID, k, retrieval.Hybrid)},
		{"fused", l.ranker(ctx, siteID, k, retrieval.Fused)},
		{"fulltext", l.ranker(ctx, siteID, k, retrieval.TextOnly)},
		{"vector", l.ranker(ctx, siteID, k, retrieval.VectorOnly)},
		{"bm25", func(q retrieval.Query) ([]string, error) {
			var out []string
			for _, i := range bm25.Top(strings.TrimSpace(q.Context+" "+q.Text), k) {
				out = append(out, chunks[i].Source)
			}
			return out, nil
		}},
	}
	reports := make([]EvalReport, 0, len(methods))
	for _, m := range methods {
		rep := EvalReport{Method: m.name}
		for _, c := range cases {
			if strings.TrimSpace(c.Expected) == "" {
				continue // an unanswerable query: only the features (for the confidence) use it
			}
			rep.Cases++
			sources, err := m.rank(c.query())
			if err != nil {
				return nil, err
			}
			for i, s := range sources {
				if !matches(s, c.Expected) {
					continue
				}
				rank := i + 1
				rep.MRR += 1 / float64(rank)
				if rank <= 1 {
					rep.Hit1++
				}
				if rank <= 3 {
					rep.Hit3++
				}
				if rank <= 10 {
					rep.Hit10++
				}
				break
			}
		}
		if n := float64(rep.Cases); n > 0 {
			rep.Hit1, rep.Hit3, rep.Hit10, rep.MRR = rep.Hit1/n, rep.Hit3/n, rep.Hit10/n, rep.MRR/n
		}
		reports = append(reports, rep)
	}
	if opt.Features != nil {
		enc := json.NewEncoder(opt.Features)
		for _, c := range cases {
			res, err := l.index.Find(ctx, siteID, c.query(), k, retrieval.Fused)
			if err != nil {
				return nil, err
			}
			rq := retrieval.RerankQuery{Query: c.Query}
			for _, h := range res.Hits {
				rq.Features = append(rq.Features, h.Features())
				rq.Right = append(rq.Right, c.Expected != "" && matches(h.Source, c.Expected))
			}
			if err := enc.Encode(rq); err != nil {
				return nil, err
			}
		}
	}
	return reports, nil
}

// query is the case's search: "earlier question || query" is a follow-up.
func (c EvalCase) query() retrieval.Query {
	parts := strings.Split(c.Query, " || ")
	return retrieval.Query{Text: parts[len(parts)-1], Context: strings.Join(parts[:len(parts)-1], " ")}
}

func (l *Library) ranker(ctx context.Context, siteID int64, k int, mode retrieval.Mode) func(retrieval.Query) ([]string, error) {
	return func(q retrieval.Query) ([]string, error) {
		res, err := l.index.Find(ctx, siteID, q, k, mode)
		if err != nil {
			return nil, err
		}
		out := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			out[i] = h.Source
		}
		return out, nil
	}
}
