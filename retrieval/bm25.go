package retrieval

import (
	"math"
	"sort"
	"unicode/utf8"
)

// BM25 is the textbook baseline that evaluations compare kefu's search
// against: an in-memory Okapi BM25 over stemmed English words without stop
// words and every Chinese character unigram and bigram, nothing else (no
// heading weight, no synonyms, no pruning).
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
		terms := baselineTerms(t)
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
	for _, q := range baselineTerms(query) {
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

// baselineTerms are Terms plus every CJK character as a unigram.
func baselineTerms(text string) []string {
	var out []string
	for _, t := range Terms(text) {
		out = append(out, t)
		if r, n := utf8.DecodeRuneInString(t); IsCJK(r) && n < len(t) {
			out = append(out, t[:n])
		}
	}
	// the last character of each CJK run is only the second half of a bigram
	toks := Tokenize(text)
	for i, t := range toks {
		if t.CJK && (i+1 == len(toks) || !toks[i+1].CJK || toks[i+1].Start >= t.End) {
			if _, n := utf8.DecodeRuneInString(t.Text); n < len(t.Text) {
				out = append(out, t.Text[n:])
			}
		}
	}
	return out
}
