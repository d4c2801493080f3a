package retrieval

import (
	"math"
	"sort"
)

// BM25 is an in-memory Okapi BM25 ranker over the same terms as the index.
// kefu does not search with it; it is the baseline that evaluations compare
// the hybrid search against.
type BM25 struct {
	docs  []map[string]int
	lens  []int
	df    map[string]int
	avgdl float64
	K1, B float64
}

// NewBM25 indexes texts (k1 = 1.2, b = 0.75).
func NewBM25(texts []string) *BM25 {
	m := &BM25{df: map[string]int{}, K1: 1.2, B: 0.75}
	total := 0
	for _, t := range texts {
		tf := map[string]int{}
		terms := Terms(t)
		for _, w := range terms {
			tf[w]++
		}
		for w := range tf {
			m.df[w]++
		}
		m.docs = append(m.docs, tf)
		m.lens = append(m.lens, len(terms))
		total += len(terms)
	}
	if len(texts) > 0 {
		m.avgdl = float64(total) / float64(len(texts))
	}
	return m
}

// Top returns the indexes of the k best texts for query, best first.
func (m *BM25) Top(query string, k int) []int {
	n := float64(len(m.docs))
	scores := make([]float64, len(m.docs))
	seen := map[string]bool{}
	for _, q := range Terms(query) {
		if seen[q] || m.df[q] == 0 {
			continue
		}
		seen[q] = true
		idf := math.Log(1 + (n-float64(m.df[q])+0.5)/(float64(m.df[q])+0.5))
		for i, tf := range m.docs {
			if f := float64(tf[q]); f > 0 {
				scores[i] += idf * f * (m.K1 + 1) / (f + m.K1*(1-m.B+m.B*float64(m.lens[i])/m.avgdl))
			}
		}
	}
	idx := make([]int, 0, len(scores))
	for i, s := range scores {
		if s > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx[:min(k, len(idx))]
}
