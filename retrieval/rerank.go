package retrieval

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
)

// FeatureNames name the reranker's inputs, in order. Each is cheap: it is
// computed from what the two legs returned and the candidate's own text.
var FeatureNames = []string{
	"fused",          // reciprocal rank fusion score × 60 (one leg's rank 1 ≈ 1)
	"text_score",     // BM25 score / the best candidate's BM25 score
	"text_rr",        // 1 / BM25 rank (0 when BM25 did not return it)
	"similarity",     // cosine similarity of query and chunk vectors
	"similarity_gap", // similarity − the best candidate's similarity
	"vector_rr",      // 1 / vector rank (0 when the vector leg did not return it)
	"coverage",       // IDF-weighted share of the query's words (or synonyms) in the chunk
	"rare_coverage",  // share of the query's two rarest words (or synonyms) in the chunk
	"heading",        // IDF-weighted share of the query's words in the heading (an FAQ row's question)
	"faq",            // 1 for an FAQ row
	"unseen",         // IDF-weighted share of the query's words the site has never seen
	"cjk_similarity", // similarity × the query's CJK share (the legs' strengths differ by language)
	"cjk_text_rr",    // text_rr × the query's CJK share
}

// describeHits computes every hit's reranker inputs and coverage.
func describeHits(hits []*Hit, p plan, stats termStats) {
	bestText, bestSim := 0.0, -1.0
	for _, h := range hits {
		if math.IsNaN(h.Similarity) {
			h.Similarity = 0
		}
		bestText = max(bestText, h.textScore)
		bestSim = max(bestSim, h.Similarity)
	}
	// weights of the query's concepts, and its two rarest known ones
	idf := make([]float64, len(p.concepts))
	total, unseen := 0.0, 0.0
	known := make([]bool, len(p.concepts))
	for i, c := range p.concepts {
		w, ok := stats.weight(c.term)
		if !ok && len(c.alts) == 0 {
			unseen += w * c.weight
		}
		known[i] = ok
		idf[i] = w * c.weight
		total += idf[i]
	}
	rare := make([]int, 0, len(p.concepts))
	for i, c := range p.concepts {
		if (known[i] || len(c.alts) > 0) && c.weight == 1 {
			rare = append(rare, i)
		}
	}
	sort.SliceStable(rare, func(a, b int) bool { return idf[rare[a]] > idf[rare[b]] })
	rare = rare[:min(2, len(rare))]
	for _, h := range hits {
		body := termSet(SearchTerms(h.Text))
		head := termSet(SearchTerms(h.Heading))
		covered, inHead, rareHit := 0.0, 0.0, 0.0
		for i, c := range p.concepts {
			if c.covers(body) || c.covers(head) {
				covered += idf[i]
			}
			if c.covers(head) {
				inHead += idf[i]
			}
		}
		for _, i := range rare {
			if p.concepts[i].covers(body) || p.concepts[i].covers(head) {
				rareHit++
			}
		}
		f := make([]float64, len(FeatureNames))
		f[0] = h.fused * rrfK
		if bestText > 0 {
			f[1] = h.textScore / bestText
		}
		if h.TextRank > 0 {
			f[2] = 1 / float64(h.TextRank)
		}
		f[3] = h.Similarity
		f[4] = h.Similarity - bestSim
		if h.VectorRank > 0 {
			f[5] = 1 / float64(h.VectorRank)
		}
		if total > 0 {
			f[6], f[8], f[10] = covered/total, inHead/total, unseen/total
		}
		if len(rare) > 0 {
			f[7] = rareHit / float64(len(rare))
		}
		if strings.Contains(h.Source, "#") {
			f[9] = 1
		}
		f[11], f[12] = p.cjk*f[3], p.cjk*f[2]
		for i, x := range f {
			if math.IsNaN(x) || math.IsInf(x, 0) { // a query without words embeds as a zero vector
				f[i] = 0
			}
		}
		h.Coverage = f[6]
		h.features = f
	}
}

func termSet(terms []string) map[string]bool {
	m := make(map[string]bool, len(terms))
	for _, t := range terms {
		m[t] = true
	}
	return m
}

func (c concept) covers(terms map[string]bool) bool {
	if terms[c.term] {
		return true
	}
	for _, alt := range c.alts {
		if allIn(alt, terms) {
			return true
		}
	}
	return false
}

// Reranker is a logistic model over FeatureNames that scores how likely a
// candidate holds the answer, and a calibration: a logistic model over
// CalibrationNames that turns the best candidate's score, its lead over the
// second and what the query shares with it into the probability that the
// best candidate is right.
type Reranker struct {
	Features    []string  `json:"features"` // must equal FeatureNames
	Weights     []float64 `json:"weights"`
	Calibration []float64 `json:"calibration"` // CalibrationNames' weights, then the bias
	Source      string    `json:"source"`      // how it was trained
}

// CalibrationNames name the confidence's inputs, in order.
var CalibrationNames = []string{"best_score", "lead", "coverage", "similarity", "unseen"}

// calibrationInputs are CalibrationNames' values for a best candidate.
func calibrationInputs(best, lead float64, f []float64) []float64 {
	return []float64{best, lead, f[6], f[3], f[10]}
}

//go:embed rerank.json
var rerankJSON []byte

// DefaultReranker is the reranker kefu ships (retrieval/rerank.json).
func DefaultReranker() *Reranker { return defaultReranker() }

var defaultReranker = sync.OnceValue(func() *Reranker {
	r, err := ParseReranker(rerankJSON)
	if err != nil {
		panic(err) // checked by the tests
	}
	return r
})

// ParseReranker reads a reranker written as JSON (kefu kb rerank train).
func ParseReranker(b []byte) (*Reranker, error) {
	var r Reranker
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read reranker: %w", err)
	}
	if strings.Join(r.Features, ",") != strings.Join(FeatureNames, ",") || len(r.Weights) != len(FeatureNames) {
		return nil, fmt.Errorf("read reranker: features %v do not match this kefu's %v", r.Features, FeatureNames)
	}
	if len(r.Calibration) != len(CalibrationNames)+1 {
		return nil, fmt.Errorf("read reranker: %d calibration weights, want %d", len(r.Calibration), len(CalibrationNames)+1)
	}
	return &r, nil
}

func (r *Reranker) score(f []float64) float64 {
	s := 0.0
	for i, w := range r.Weights {
		s += w * f[i]
	}
	return s
}

// calibrated is the probability that a best candidate with these
// calibration inputs is right.
func (r *Reranker) calibrated(x []float64) float64 {
	z := r.Calibration[len(x)]
	for i, v := range x {
		z += r.Calibration[i] * v
	}
	return sigmoid(z)
}

// confidence is the calibrated probability that the first of hits holds
// the answer.
func (r *Reranker) confidence(hits []*Hit) float64 {
	if len(hits) == 0 {
		return 0
	}
	best := r.score(hits[0].features)
	second := math.Inf(-1)
	for _, h := range hits[1:] {
		second = max(second, r.score(h.features))
	}
	lead := 0.0
	if !math.IsInf(second, -1) {
		lead = best - second
	}
	return r.calibrated(calibrationInputs(best, lead, hits[0].features))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
