package retrieval

import (
	"fmt"
	"math"
)

// RerankQuery is one evaluation query's fused candidates: their features
// (FeatureNames) and which of them hold the answer (none, for a query the
// knowledge base cannot answer).
type RerankQuery struct {
	Query    string      `json:"query"`
	Features [][]float64 `json:"features"`
	Right    []bool      `json:"right"`
	Weight   float64     `json:"weight,omitempty"` // how much the query counts in training (0 means 1)
}

func (q RerankQuery) weight() float64 {
	if q.Weight > 0 {
		return q.Weight
	}
	return 1
}

// RerankOptions tune TrainReranker; the zero value means the defaults.
type RerankOptions struct {
	L2 float64 // penalty on the weights; default 1e-3 (per query)
}

// TrainReranker learns a Reranker from queries: the weights by pairwise
// logistic regression (each right candidate should outscore each wrong one
// of its query: RankNet's loss, each query weighing its Weight), then the
// calibration by logistic regression of "the best candidate is right" on
// CalibrationNames over every query, the unanswerable ones included (Platt
// scaling with more inputs). Both are fitted by Newton's method from zero:
// deterministic and converged.
func TrainReranker(queries []RerankQuery, opt RerankOptions) (*Reranker, error) {
	if opt.L2 <= 0 {
		opt.L2 = 1e-3
	}
	d := len(FeatureNames)
	var xs [][]float64 // pos − neg
	var ws []float64
	nq := 0
	for _, q := range queries {
		if len(q.Features) != len(q.Right) {
			return nil, fmt.Errorf("query %q: %d feature rows but %d labels", q.Query, len(q.Features), len(q.Right))
		}
		var pos, neg [][]float64
		for i, f := range q.Features {
			if len(f) != d {
				return nil, fmt.Errorf("query %q: %d features, want %d", q.Query, len(f), d)
			}
			if q.Right[i] {
				pos = append(pos, f)
			} else {
				neg = append(neg, f)
			}
		}
		if len(pos) == 0 || len(neg) == 0 {
			continue
		}
		nq++
		for _, p := range pos {
			for _, n := range neg {
				x := make([]float64, d)
				for i := range x {
					x[i] = p[i] - n[i]
				}
				xs = append(xs, x)
				ws = append(ws, q.weight()/float64(len(pos)*len(neg)))
			}
		}
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("no query has both a right and a wrong candidate")
	}
	ys := make([]float64, len(xs))
	for i := range ys {
		ys[i] = 1
	}
	r := &Reranker{Features: append([]string(nil), FeatureNames...)}
	r.Weights = logistic(xs, ys, ws, opt.L2*float64(nq), false)
	// Calibration on every query.
	var cx [][]float64
	var cy, cw []float64
	for _, q := range queries {
		x, right, ok := r.calibrationExample(q)
		if !ok {
			continue
		}
		cx = append(cx, x)
		y := 0.0
		if right {
			y = 1
		}
		cy, cw = append(cy, y), append(cw, q.weight())
	}
	if len(cx) == 0 {
		return nil, fmt.Errorf("no query to calibrate on")
	}
	r.Calibration = logistic(cx, cy, cw, opt.L2*float64(len(cx)), true)
	return r, nil
}

// calibrationExample is q's best candidate's calibration inputs and whether
// it is right.
func (r *Reranker) calibrationExample(q RerankQuery) ([]float64, bool, bool) {
	if len(q.Features) == 0 {
		return nil, false, false
	}
	bi, best, second := 0, math.Inf(-1), math.Inf(-1)
	for i, f := range q.Features {
		s := r.score(f)
		if s > best {
			second, best, bi = best, s, i
		} else if s > second {
			second = s
		}
	}
	lead := 0.0
	if !math.IsInf(second, -1) {
		lead = best - second
	}
	return calibrationInputs(best, lead, q.Features[bi]), q.Right[bi], true
}

// FitLogistic fits P(y=1|x) = σ(w·x + b) to examples weighted by ws,
// with an L2 penalty l2 on w (not b), by Newton's method; it returns w then
// b. Deterministic.
func FitLogistic(xs [][]float64, ys, ws []float64, l2 float64) []float64 {
	return logistic(xs, ys, ws, l2, true)
}

// logistic fits weights (and a last one for the bias when bias is set) of
// P(y=1|x) = σ(w·x) minimising the weighted log loss plus l2/2·|w|² (the bias
// is not penalised), by Newton's method.
func logistic(xs [][]float64, ys, ws []float64, l2 float64, bias bool) []float64 {
	d := len(xs[0])
	if bias {
		d++
	}
	at := func(x []float64, i int) float64 {
		if i == len(x) {
			return 1
		}
		return x[i]
	}
	w := make([]float64, d)
	for it := 0; it < 50; it++ {
		g := make([]float64, d)
		h := make([][]float64, d)
		for i := range h {
			h[i] = make([]float64, d)
		}
		for k, x := range xs {
			z := 0.0
			for i := 0; i < d; i++ {
				z += w[i] * at(x, i)
			}
			p := sigmoid(z)
			e, v := ws[k]*(p-ys[k]), ws[k]*p*(1-p)
			for i := 0; i < d; i++ {
				xi := at(x, i)
				g[i] += e * xi
				for j := 0; j <= i; j++ {
					h[i][j] += v * xi * at(x, j)
				}
			}
		}
		for i := 0; i < d; i++ {
			for j := 0; j < i; j++ {
				h[j][i] = h[i][j]
			}
			if !bias || i < d-1 {
				g[i] += l2 * w[i]
				h[i][i] += l2
			}
			h[i][i] += 1e-9
		}
		step := solve(h, g)
		change := 0.0
		for i := range w {
			w[i] -= step[i]
			change = max(change, math.Abs(step[i]))
		}
		if change < 1e-9 {
			break
		}
	}
	return w
}

// solve returns x with a·x = b (Gaussian elimination with partial pivoting;
// a and b are overwritten).
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		if a[c][c] == 0 {
			continue
		}
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		if a[r][r] != 0 {
			x[r] = s / a[r][r]
		}
	}
	return x
}

// Reliability is one bin of a reliability curve: queries whose confidence
// fell in [Low, High), their mean confidence, and how often the best
// candidate was right.
type Reliability struct {
	Low        float64 `json:"low"`
	High       float64 `json:"high"`
	Queries    int     `json:"queries"`
	Confidence float64 `json:"confidence"`
	Accuracy   float64 `json:"accuracy"`
}

// Evaluate reports r on queries: the share of answerable ones whose best
// candidate is right (hit@1 after reranking), and the reliability curve of
// the confidence in bins of 0.1 over all queries, with its expected
// calibration error.
func (r *Reranker) Evaluate(queries []RerankQuery) (hit1 float64, curve []Reliability, ece float64) {
	curve = make([]Reliability, 10)
	for i := range curve {
		curve[i].Low, curve[i].High = float64(i)/10, float64(i+1)/10
	}
	answerable, n := 0, 0
	for _, q := range queries {
		x, right, ok := r.calibrationExample(q)
		if !ok {
			continue
		}
		p := r.calibrated(x)
		b := min(9, int(p*10))
		curve[b].Queries++
		curve[b].Confidence += p
		n++
		for _, x := range q.Right {
			if x {
				answerable++
				break
			}
		}
		if right {
			curve[b].Accuracy++
			hit1++
		}
	}
	for i := range curve {
		if q := float64(curve[i].Queries); q > 0 {
			ece += math.Abs(curve[i].Confidence-curve[i].Accuracy) / float64(n)
			curve[i].Confidence /= q
			curve[i].Accuracy /= q
		}
	}
	if answerable > 0 {
		hit1 /= float64(answerable)
	}
	return hit1, curve, ece
}
