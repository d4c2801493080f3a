package intents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Prediction is the intent of one text.
type Prediction struct {
	// Intent is the best label, or Other when the model picked Other or its
	// best probability is under the classifier's calibrated threshold.
	Intent string `json:"intent"`
	// Confidence is the model's probability for its best label (also when
	// that label was rejected for being under the threshold).
	Confidence float64 `json:"confidence"`
	// Top holds the three most probable labels, best first.
	Top []Scored `json:"top"`
	// Source is "builtin", "model" (a trained or site model) or "llm".
	Source string `json:"source,omitempty"`
}

// Scored is a label with its probability.
type Scored struct {
	Intent string  `json:"intent"`
	P      float64 `json:"p"`
}

// Classifier is a trained intent classifier: a softmax regression plus the
// out-of-scope threshold calibrated on cross-validation folds of its own
// training data. It is immutable and safe for concurrent use.
type Classifier struct {
	m         *linear
	threshold float64
	other     int // index of Other in m.labels, -1 when not trained on it
	examples  int
	source    string
}

// ErrNoExamples means there was nothing to train on.
var ErrNoExamples = errors.New("no training examples")

// Builtin trains the built-in classifier from the embedded English and
// Chinese examples.
func Builtin(ctx context.Context) (*Classifier, error) {
	exs, err := BuiltinExamples()
	if err != nil {
		return nil, err
	}
	c, err := TrainClassifier(ctx, exs, TrainOptions{})
	if err != nil {
		return nil, fmt.Errorf("train built-in intents: %w", err)
	}
	c.source = "builtin"
	return c, nil
}

// TrainClassifier trains an intent classifier on examples (labels as given;
// use NormalizeIntentLabels to read oos as Other). With opt.Folds > 1 it
// first calibrates the Other threshold by k-fold cross-validation: it picks
// the threshold that maximises accuracy on the out-of-fold predictions.
func TrainClassifier(ctx context.Context, examples []Example, opt TrainOptions) (*Classifier, error) {
	opt = opt.withDefaults()
	if len(examples) == 0 {
		return nil, ErrNoExamples
	}
	texts, ys, labels := splitExamples(examples)
	if len(labels) < 2 {
		return nil, fmt.Errorf("need at least two intents, have %v: %w", labels, ErrBadData)
	}
	var threshold float64
	if opt.Folds > 1 {
		t, err := calibrate(ctx, texts, ys, labels, opt)
		if err != nil {
			return nil, err
		}
		threshold = t
	}
	m, err := trainLinear(ctx, texts, ys, labels, opt)
	if err != nil {
		return nil, err
	}
	return &Classifier{m: m, threshold: threshold, other: slices.Index(labels, Other), examples: len(texts), source: "model"}, nil
}

// splitExamples returns the texts, label indexes and the sorted label set.
func splitExamples(examples []Example) (texts []string, ys []int, labels []string) {
	seen := map[string]bool{}
	for _, ex := range examples {
		if !seen[ex.Label] {
			seen[ex.Label] = true
			labels = append(labels, ex.Label)
		}
	}
	sort.Strings(labels)
	texts = make([]string, len(examples))
	ys = make([]int, len(examples))
	for i, ex := range examples {
		texts[i] = ex.Text
		ys[i], _ = slices.BinarySearch(labels, ex.Label)
	}
	return texts, ys, labels
}

// folds assigns each example to one of k folds, stratified by label and
// shuffled with a fixed seed.
func folds(ys []int, k int, seed uint64) []int {
	byLabel := map[int][]int{}
	for i, y := range ys {
		byLabel[y] = append(byLabel[y], i)
	}
	keys := make([]int, 0, len(byLabel))
	for y := range byLabel {
		keys = append(keys, y)
	}
	sort.Ints(keys)
	rng := rand.New(rand.NewPCG(seed, 0x666f6c64))
	fold := make([]int, len(ys))
	next := 0
	for _, y := range keys {
		idx := byLabel[y]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx {
			fold[i] = next % k
			next++
		}
	}
	return fold
}

// outOfFold trains one model per fold on the other folds (in parallel) and
// returns each example's predicted probabilities from the model that did not
// see it.
func outOfFold(ctx context.Context, texts []string, ys []int, labels []string, opt TrainOptions) ([][]float64, error) {
	k := opt.Folds
	fold := folds(ys, k, opt.Seed)
	probs := make([][]float64, len(texts))
	errs := make([]error, k)
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for f := 0; f < k; f++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var trT []string
			var trY []int
			for i := range texts {
				if fold[i] != f {
					trT = append(trT, texts[i])
					trY = append(trY, ys[i])
				}
			}
			m, err := trainLinear(ctx, trT, trY, labels, opt)
			if err != nil {
				errs[f] = err
				return
			}
			for i := range texts {
				if fold[i] == f {
					probs[i] = m.predict(texts[i], nil)
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return probs, nil
}

// calibrate returns the Other threshold that maximises out-of-fold accuracy.
// Without Other examples no threshold beats zero, and zero it is.
func calibrate(ctx context.Context, texts []string, ys []int, labels []string, opt TrainOptions) (float64, error) {
	other := slices.Index(labels, Other)
	if other < 0 {
		return 0, nil
	}
	if n := len(texts); n < 2*opt.Folds {
		return 0, nil // too few examples to hold any out
	}
	probs, err := outOfFold(ctx, texts, ys, labels, opt)
	if err != nil {
		return 0, fmt.Errorf("calibrate: %w", err)
	}
	type point struct {
		top     float64
		correct bool // the top label is right
		isOther bool // the gold label is Other
	}
	var pts []point
	base := 0 // correct predictions at threshold 0
	for i, p := range probs {
		best := argmax(p)
		if best == other {
			if ys[i] == other {
				base++
			}
			continue // rejected whatever the threshold
		}
		pt := point{top: p[best], correct: best == ys[i], isOther: ys[i] == other}
		if pt.correct {
			base++
		}
		pts = append(pts, pt)
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].top < pts[j].top })
	// Raising the threshold past pts[i].top rejects pts[0..i]: each rejected
	// correct prediction costs one, each rejected Other example gains one.
	bestScore, bestT, score := base, 0.0, base
	for i, pt := range pts {
		if pt.correct {
			score--
		}
		if pt.isOther {
			score++
		}
		if score > bestScore && (i+1 == len(pts) || pts[i+1].top > pt.top) {
			next := 1.0
			if i+1 < len(pts) {
				next = pts[i+1].top
			}
			bestScore, bestT = score, (pt.top+next)/2
		}
	}
	return bestT, nil
}

func argmax(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// Classify returns the intent of text. It never fails: an empty text is Other.
func (c *Classifier) Classify(text string) Prediction {
	var buf [32]float64
	p := c.m.predict(text, buf[:0])
	best := argmax(p)
	pred := Prediction{Intent: c.m.labels[best], Confidence: p[best], Source: c.source}
	if best == c.other || p[best] < c.threshold || strings.TrimSpace(text) == "" {
		pred.Intent = Other
	}
	pred.Top = topN(c.m.labels, p, 3)
	return pred
}

func topN(labels []string, p []float64, n int) []Scored {
	n = min(n, len(p))
	top := make([]Scored, 0, n)
	used := make([]bool, len(p))
	for len(top) < n {
		best := -1
		for i, v := range p {
			if !used[i] && (best < 0 || v > p[best]) {
				best = i
			}
		}
		used[best] = true
		top = append(top, Scored{Intent: labels[best], P: p[best]})
	}
	return top
}

// Labels returns the intents the classifier knows.
func (c *Classifier) Labels() []string { return slices.Clone(c.m.labels) }

// Threshold returns the calibrated Other threshold.
func (c *Classifier) Threshold() float64 { return c.threshold }

// Examples returns how many examples the classifier was trained on.
func (c *Classifier) Examples() int { return c.examples }

// Save writes the classifier as JSON (LoadClassifier reads it back).
func (c *Classifier) Save(w io.Writer) error {
	return writeModel(w, c.m.file(kindIntents, c.threshold, c.examples))
}

// LoadClassifier reads a classifier written by Save.
func LoadClassifier(r io.Reader) (*Classifier, error) {
	m, f, err := readModel(r, kindIntents)
	if err != nil {
		return nil, err
	}
	return &Classifier{m: m, threshold: f.Threshold, other: slices.Index(m.labels, Other), examples: f.Examples, source: "model"}, nil
}
