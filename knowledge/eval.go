package knowledge

import (
	"context"
	"encoding/csv"
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

// Evaluate measures hit@1/3/10 and MRR (within the top k) of the hybrid
// search, each retriever alone, and an in-memory BM25 baseline over the same
// chunks.
func (l *Library) Evaluate(ctx context.Context, siteID int64, cases []EvalCase, k int) ([]EvalReport, error) {
	k = max(k, 10)
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
		rank func(q string) ([]string, error)
	}{
		{"hybrid", l.ranker(ctx, siteID, k, retrieval.Hybrid)},
		{"vector", l.ranker(ctx, siteID, k, retrieval.VectorOnly)},
		{"fulltext", l.ranker(ctx, siteID, k, retrieval.TextOnly)},
		{"bm25", func(q string) ([]string, error) {
			var out []string
			for _, i := range bm25.Top(q, k) {
				out = append(out, chunks[i].Source)
			}
			return out, nil
		}},
	}
	reports := make([]EvalReport, 0, len(methods))
	for _, m := range methods {
		rep := EvalReport{Method: m.name, Cases: len(cases)}
		for _, c := range cases {
			sources, err := m.rank(c.Query)
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
		if n := float64(len(cases)); n > 0 {
			rep.Hit1, rep.Hit3, rep.Hit10, rep.MRR = rep.Hit1/n, rep.Hit3/n, rep.Hit10/n, rep.MRR/n
		}
		reports = append(reports, rep)
	}
	return reports, nil
}

func (l *Library) ranker(ctx context.Context, siteID int64, k int, mode retrieval.Mode) func(string) ([]string, error) {
	return func(q string) ([]string, error) {
		res, err := l.index.SearchMode(ctx, siteID, q, k, mode)
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
