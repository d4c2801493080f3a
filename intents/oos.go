package intents

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Out-of-scope evidence. A softmax spreads its probability over the labels
// it knows, so text about something else can still get a confident label.
// The classifier therefore decides "other" with a small logistic model over
// several signals, only some of which come from the softmax:
const (
	sigTop       = iota // the best in-scope label's probability
	sigMargin           // its lead over the second best
	sigOther            // the probability of Other (examples labelled oos, and the background)
	sigNearIn           // cosine similarity to the nearest in-scope training example
	sigNearPred         // … to the nearest example of the best label
	sigNearOther        // … to the nearest Other or background example
	sigUnknown          // share of the text's features never seen in training
	nSignals
)

var signalNames = [nSignals]string{"top", "margin", "other", "near_in", "near_pred", "near_other", "unknown"}

// oosModel is the calibrated combination: P(out of scope) is a logistic
// function of the standardized signals; above Threshold the text is Other.
type oosModel struct {
	Signals   []string  `json:"signals"`
	Mean      []float64 `json:"mean"`
	Scale     []float64 `json:"scale"`
	Weights   []float64 `json:"weights"` // one per signal, then the bias
	Threshold float64   `json:"threshold"`
}

func (o *oosModel) prob(s [nSignals]float64) float64 {
	z := o.Weights[nSignals]
	for i := range nSignals {
		z += o.Weights[i] * (s[i] - o.Mean[i]) / o.Scale[i]
	}
	return 1 / (1 + math.Exp(-z))
}

func (o *oosModel) valid() error {
	if len(o.Signals) != nSignals || len(o.Mean) != nSignals || len(o.Scale) != nSignals || len(o.Weights) != nSignals+1 {
		return fmt.Errorf("out-of-scope model has %d signals; this kefu uses %d", len(o.Signals), nSignals)
	}
	for i, name := range o.Signals {
		if name != signalNames[i] || o.Scale[i] <= 0 {
			return fmt.Errorf("out-of-scope model signal %d is %q (scale %v); want %q", i, name, o.Scale[i], signalNames[i])
		}
	}
	return nil
}

// inScopeRejectRate is the share of in-scope texts the classifier answers
// right that the out-of-scope threshold may reject, as measured on the
// out-of-fold evidence; the threshold rejects as much else as it can within
// that. Chosen on the development halves of HINT3 and BANKING77 with
// unknown intents (docs/benchmarks.md): it keeps in-scope accuracy within
// about a point of a classifier that rejects nothing.
const inScopeRejectRate = 0.02

// signals computes the evidence for one text; p are the label
// probabilities, best the best in-scope label.
func signals(p []float64, best, other int, unknown float64, near nearness) [nSignals]float64 {
	var s [nSignals]float64
	s[sigTop] = p[best]
	second := 0.0
	for c, v := range p {
		if c != best && c != other {
			second = max(second, v)
		}
	}
	s[sigMargin] = p[best] - second
	if other >= 0 {
		s[sigOther] = p[other]
	}
	s[sigNearIn], s[sigNearPred], s[sigNearOther] = near.in, near.pred, near.other
	s[sigUnknown] = unknown
	return s
}

// bestInScope returns the most probable label that is not Other.
func bestInScope(p []float64, other int) int {
	best := -1
	for c, v := range p {
		if c != other && (best < 0 || v > p[best]) {
			best = c
		}
	}
	return best
}

// oofPoint is one out-of-fold observation for the calibration.
type oofPoint struct {
	s       [nSignals]float64
	oos     bool // the text is out of scope for the model that scored it
	pseudo  bool // … because its label was held out (not labelled Other)
	labeled bool // … because it is labelled Other in the given examples (not background)
	correct bool // in scope, and the best in-scope label is its label
}

// calibrateEvidence fits the out-of-scope model on out-of-fold evidence.
// Each of k folds trains on the other folds' examples minus the in-scope
// labels of one class group (about 1/k of the labels), then scores its own
// fold's examples (in scope; Other examples are out of scope) and every
// example of the held-out labels (out of scope for that model: unknown
// intents, the kind of out-of-scope text a site's customers actually send).
// It returns nil when there is nothing out of scope to learn from.
// Examples from position given on are the background.
func calibrateEvidence(ctx context.Context, feats [][]feat, qs []query, ys []int, given int, labels []string, opt TrainOptions) (*oosModel, error) {
	k := opt.Folds
	other := slices.Index(labels, Other)
	fold := folds(ys, k, opt.Seed)
	group := classGroups(labels, other, k, opt.Seed)
	pts := make([][]oofPoint, k)
	err := eachFold(k, func(f int) error {
		var err error
		pts[f], err = foldEvidence(ctx, feats, qs, ys, given, labels, other, fold, group, f, opt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("calibrate: %w", err)
	}
	var all []oofPoint
	for _, p := range pts {
		all = append(all, p...)
	}
	return fitOOS(all, inScopeRejectRate), nil
}

// classGroups assigns each in-scope label to one of k groups (shuffled with
// the seed); Other gets -1. With fewer than three in-scope labels none is
// held out.
func classGroups(labels []string, other, k int, seed uint64) []int {
	group := make([]int, len(labels))
	var in []int
	for c := range labels {
		group[c] = -1
		if c != other {
			in = append(in, c)
		}
	}
	if len(in) < 3 {
		return group
	}
	rng := rand.New(rand.NewPCG(seed, 0x636c6173))
	rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	for i, c := range in {
		group[c] = i % k
	}
	return group
}

// foldEvidence trains fold f's model and scores what it did not see.
func foldEvidence(ctx context.Context, feats [][]feat, qs []query, ys []int, given int, labels []string, other int, fold, group []int, f int, opt TrainOptions) ([]oofPoint, error) {
	var trF [][]feat
	var trQ []query
	var trY []int
	for i := range feats {
		if group[ys[i]] == f {
			continue
		}
		if fold[i] != f {
			trF = append(trF, feats[i])
			trQ = append(trQ, qs[i])
			trY = append(trY, ys[i])
		}
	}
	// The fold model knows only the labels it has examples of (at least
	// two); its probabilities are mapped back, zero for the held-out ones.
	seen := map[int]bool{}
	for _, y := range trY {
		seen[y] = true
	}
	if len(seen) < 2 {
		return nil, nil
	}
	var sub []string
	idx := map[int]int{} // label → index in sub
	for c, l := range labels {
		if seen[c] {
			idx[c] = len(sub)
			sub = append(sub, l)
		}
	}
	subY := make([]int, len(trY))
	for i, y := range trY {
		subY[i] = idx[y]
	}
	// Fold models train for two thirds of the epochs: the calibration
	// comes out the same (checked on the development halves) and start-up
	// is faster.
	fo := opt
	fo.Epochs = max(1, opt.Epochs*2/3)
	m, err := trainLinearFeats(ctx, trF, subY, sub, fo)
	if err != nil {
		return nil, err
	}
	mem := newMemory(trQ, trY, opt.Embedder)
	var out []oofPoint
	ps := make([]float64, len(sub))
	p := make([]float64, len(labels))
	for i := range feats {
		pseudo := group[ys[i]] == f
		if !pseudo && fold[i] != f {
			continue
		}
		unknown := m.scores(feats[i], ps)
		clear(p)
		for c, j := range idx {
			p[c] = ps[j]
		}
		best := bestInScope(p, other)
		near := mem.nearest(qs[i], best, other)
		pt := oofPoint{s: signals(p, best, other, unknown, near), oos: pseudo || ys[i] == other, pseudo: pseudo,
			labeled: ys[i] == other && i < given}
		pt.correct = !pt.oos && best == ys[i]
		out = append(out, pt)
	}
	return out, nil
}

// fitOOS fits the logistic model on the points (in-scope and out-of-scope
// points weigh half each in total; among out-of-scope ones, held-out labels
// and Other examples share their half) and sets the threshold. When the
// examples labelled some texts out of scope, the threshold maximises the
// out-of-fold accuracy on the in-scope points and those (the examples say
// how out-of-scope messages look and how many there are). Otherwise it
// rejects rejectRate of the in-scope points answered right. nil: no
// out-of-scope or no in-scope points.
func fitOOS(pts []oofPoint, rejectRate float64) *oosModel {
	var nIn, nPseudo, nReal int
	for _, p := range pts {
		switch {
		case !p.oos:
			nIn++
		case p.pseudo:
			nPseudo++
		default:
			nReal++
		}
	}
	if nIn == 0 || nPseudo+nReal == 0 {
		return nil
	}
	w := make([]float64, len(pts))
	for i, p := range pts {
		switch {
		case !p.oos:
			w[i] = 0.5 / float64(nIn)
		case nPseudo == 0:
			w[i] = 0.5 / float64(nReal)
		case nReal == 0:
			w[i] = 0.5 / float64(nPseudo)
		case p.pseudo:
			w[i] = 0.25 / float64(nPseudo)
		default:
			w[i] = 0.25 / float64(nReal)
		}
	}
	o := &oosModel{Signals: signalNames[:], Mean: make([]float64, nSignals), Scale: make([]float64, nSignals)}
	for j := range nSignals {
		var sum, sq float64
		for _, p := range pts {
			sum += p.s[j]
		}
		mean := sum / float64(len(pts))
		for _, p := range pts {
			sq += (p.s[j] - mean) * (p.s[j] - mean)
		}
		o.Mean[j], o.Scale[j] = mean, math.Sqrt(sq/float64(len(pts)))
		if o.Scale[j] < 1e-9 {
			o.Scale[j] = 1
		}
	}
	x := make([][nSignals + 1]float64, len(pts))
	y := make([]float64, len(pts))
	for i, p := range pts {
		for j := range nSignals {
			x[i][j] = (p.s[j] - o.Mean[j]) / o.Scale[j]
		}
		x[i][nSignals] = 1
		if p.oos {
			y[i] = 1
		}
	}
	o.Weights = newton(x, y, w)
	if t, ok := accuracyThreshold(o, pts); ok {
		o.Threshold = t
		return o
	}
	// Threshold: the score under which all but rejectRate of the in-scope
	// points answered right lie.
	var right []float64
	for _, p := range pts {
		if p.correct {
			right = append(right, o.prob(p.s))
		}
	}
	o.Threshold = 1
	if allowed := int(rejectRate * float64(len(right))); len(right) > 0 && allowed < len(right) {
		sort.Sort(sort.Reverse(sort.Float64Slice(right)))
		// between the last rejected score and the first kept one
		o.Threshold = right[allowed]
		if allowed > 0 {
			o.Threshold = (right[allowed-1] + right[allowed]) / 2
		}
	}
	return o
}

// accuracyThreshold returns the threshold that maximises out-of-fold
// accuracy on the in-scope points and the ones labelled out of scope;
// false when none is labelled.
func accuracyThreshold(o *oosModel, pts []oofPoint) (float64, bool) {
	type scored struct {
		p    float64
		gain int // +1 rejecting it is right, -1 wrong, 0 neither
	}
	var sc []scored
	labeled := false
	for _, p := range pts {
		switch {
		case p.labeled:
			labeled = true
			sc = append(sc, scored{o.prob(p.s), 1})
		case p.correct:
			sc = append(sc, scored{o.prob(p.s), -1})
		case !p.oos:
			sc = append(sc, scored{o.prob(p.s), 0})
		}
	}
	if !labeled {
		return 0, false
	}
	sort.Slice(sc, func(i, j int) bool { return sc[i].p > sc[j].p })
	best, score, t := 0, 0, 1.0
	for i, s := range sc {
		score += s.gain
		if score > best && (i+1 == len(sc) || sc[i+1].p < s.p) {
			next := 0.0
			if i+1 < len(sc) {
				next = sc[i+1].p
			}
			best, t = score, (s.p+next)/2
		}
	}
	return t, true
}

// newton fits weighted logistic regression with a small L2 penalty by
// Newton's method (few signals, so the Hessian is tiny).
func newton(x [][nSignals + 1]float64, y, w []float64) []float64 {
	const d = nSignals + 1
	const l2 = 1e-4
	beta := make([]float64, d)
	for iter := 0; iter < 25; iter++ {
		var g [d]float64
		var h [d][d]float64
		for i := range x {
			z := 0.0
			for j := range d {
				z += beta[j] * x[i][j]
			}
			p := 1 / (1 + math.Exp(-z))
			r := w[i] * (p - y[i])
			q := w[i] * p * (1 - p)
			for j := range d {
				g[j] += r * x[i][j]
				for l := range d {
					h[j][l] += q * x[i][j] * x[i][l]
				}
			}
		}
		for j := range d {
			g[j] += l2 * beta[j]
			h[j][j] += l2
		}
		step := solve(h, g)
		var norm float64
		for j := range d {
			beta[j] -= step[j]
			norm += step[j] * step[j]
		}
		if norm < 1e-12 {
			break
		}
	}
	return beta
}

// solve returns a with h·a = g by Gaussian elimination with pivoting.
func solve(h [nSignals + 1][nSignals + 1]float64, g [nSignals + 1]float64) []float64 {
	const d = nSignals + 1
	for c := 0; c < d; c++ {
		piv := c
		for r := c + 1; r < d; r++ {
			if math.Abs(h[r][c]) > math.Abs(h[piv][c]) {
				piv = r
			}
		}
		h[c], h[piv] = h[piv], h[c]
		g[c], g[piv] = g[piv], g[c]
		if math.Abs(h[c][c]) < 1e-15 {
			continue
		}
		for r := c + 1; r < d; r++ {
			f := h[r][c] / h[c][c]
			for l := c; l < d; l++ {
				h[r][l] -= f * h[c][l]
			}
			g[r] -= f * g[c]
		}
	}
	a := make([]float64, d)
	for c := d - 1; c >= 0; c-- {
		if math.Abs(h[c][c]) < 1e-15 {
			continue
		}
		s := g[c]
		for l := c + 1; l < d; l++ {
			s -= h[c][l] * a[l]
		}
		a[c] = s / h[c][c]
	}
	return a
}
