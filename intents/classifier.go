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
	// Intent is the best label, or Other when the classifier found the text
	// out of scope.
	Intent string `json:"intent"`
	// Confidence is the model's probability for its best label (also when
	// the text was found out of scope).
	Confidence float64 `json:"confidence"`
	// OutOfScope is the calibrated probability that the text is out of
	// scope (classifiers with out-of-scope evidence only).
	OutOfScope float64 `json:"out_of_scope,omitempty"`
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

// Classifier is a trained intent classifier: a softmax regression plus its
// out-of-scope detection, calibrated on cross-validation folds of its own
// training data (see OOSMode). It is immutable and safe for concurrent use.
type Classifier struct {
	m         *linear
	threshold float64   // OOSThreshold: the calibrated threshold
	oos       *oosModel // OOSEvidence: the calibrated combination (nil: reject nothing)
	mem       *memory   // OOSEvidence: the training examples, for the nearest-neighbour evidence
	texts     []string  // … as given, for saving
	memY      []int
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
// use NormalizeIntentLabels to read oos as Other), plus the background
// examples as Other unless opt.NoBackground. With opt.Folds > 1 it first
// calibrates its out-of-scope detection by k-fold cross-validation (see
// OOSMode).
func TrainClassifier(ctx context.Context, examples []Example, opt TrainOptions) (*Classifier, error) {
	opt = opt.withDefaults()
	if len(examples) == 0 {
		return nil, ErrNoExamples
	}
	custom := len(examples)
	if _, _, labels := splitExamples(examples); len(labels) < 2 {
		return nil, fmt.Errorf("need at least two intents, have %v: %w", labels, ErrBadData)
	}
	if !opt.NoBackground {
		bg, err := BackgroundExamples()
		if err != nil {
			return nil, err
		}
		examples = append(slices.Clip(examples), bg...)
	}
	texts, ys, labels := splitExamples(examples)
	if len(labels) < 2 {
		return nil, fmt.Errorf("need at least two intents, have %v: %w", labels, ErrBadData)
	}
	c := &Classifier{other: slices.Index(labels, Other), examples: custom, source: "model"}
	// Each text is featurized once for all the models; the final model
	// trains while the calibration's fold models do.
	feats := featurizeAll(texts)
	var m *linear
	var trainErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		m, trainErr = trainLinearFeats(ctx, feats, ys, labels, opt)
	}()
	var err error
	switch opt.OOS {
	case OOSThreshold:
		if opt.Folds > 1 {
			c.threshold, err = calibrate(ctx, texts, ys, labels, opt)
		}
	case OOSEvidence:
		qs := make([]query, len(texts))
		for i, t := range texts {
			qs[i] = queryOf(t, opt.Embedder)
		}
		if opt.Folds > 1 && len(texts) >= 2*opt.Folds {
			c.oos, err = calibrateEvidence(ctx, feats, qs, ys, custom, labels, opt)
		}
		c.mem, c.texts, c.memY = newMemory(qs, ys, opt.Embedder), texts, ys
	default:
		err = fmt.Errorf("unknown out-of-scope mode %q: %w", opt.OOS, ErrBadData)
	}
	<-done
	if err != nil {
		return nil, err
	}
	if trainErr != nil {
		return nil, trainErr
	}
	c.m = m
	return c, nil
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
	fold := folds(ys, opt.Folds, opt.Seed)
	probs := make([][]float64, len(texts))
	err := eachFold(opt.Folds, func(f int) error {
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
			return err
		}
		for i := range texts {
			if fold[i] == f {
				probs[i] = m.predict(texts[i], nil)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return probs, nil
}

// eachFold runs fn for folds 0…k-1, as many at once as there are
// processors, and returns their errors joined.
func eachFold(k int, fn func(f int) error) error {
	errs := make([]error, k)
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for f := 0; f < k; f++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[f] = fn(f)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
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

func argmax[T float32 | float64](p []T) int {
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
	if c.mem == nil { // OOSThreshold
		p := c.m.predict(text, buf[:0])
		best := argmax(p)
		pred := Prediction{Intent: c.m.labels[best], Confidence: p[best], Source: c.source}
		if best == c.other || p[best] < c.threshold || strings.TrimSpace(text) == "" {
			pred.Intent = Other
		}
		pred.Top = topN(c.m.labels, p, 3)
		return pred
	}
	var stack [256]feat
	feats := featurize(text, c.m.buckets, stack[:0])
	p := buf[:0]
	if cap(p) < len(c.m.labels) {
		p = make([]float64, len(c.m.labels))
	}
	p = p[:len(c.m.labels)]
	unknown := c.m.scores(feats, p)
	best := bestInScope(p, c.other)
	pred := Prediction{Intent: c.m.labels[best], Confidence: p[best], Source: c.source, Top: topN(c.m.labels, p, 3)}
	switch {
	case strings.TrimSpace(text) == "", unknown >= maxUnknown:
		pred.Intent, pred.OutOfScope = Other, 1
	case c.oos != nil:
		s := signals(p, best, c.other, unknown, c.mem.nearest(queryOf(text, c.mem.embed), best, c.other))
		pred.OutOfScope = c.oos.prob(s)
		if pred.OutOfScope > c.oos.Threshold {
			pred.Intent = Other
		}
	case argmax(p) == c.other: // not calibrated: the softmax decides
		pred.Intent = Other
	}
	return pred
}

// maxUnknown is the share of a text's features that training never saw
// from which the classifier calls it Other whatever the rest of the
// evidence says: it has nothing to judge such text by (gibberish, another
// language). Cross-validation cannot learn this, since held-out examples
// share most of their features with the rest.
const maxUnknown = 0.75

// Evidence returns the out-of-scope signals of text by name, the
// calibrated probability that it is out of scope and the threshold above
// which the classifier calls it Other (for tests and error analysis; nil
// without out-of-scope evidence).
func (c *Classifier) Evidence(text string) (evidence map[string]float64, oos, threshold float64) {
	if c.mem == nil || c.oos == nil {
		return nil, 0, 0
	}
	feats := featurize(text, c.m.buckets, nil)
	p := make([]float64, len(c.m.labels))
	unknown := c.m.scores(feats, p)
	best := bestInScope(p, c.other)
	s := signals(p, best, c.other, unknown, c.mem.nearest(queryOf(text, c.mem.embed), best, c.other))
	out := map[string]float64{}
	for i, name := range signalNames {
		out[name] = s[i]
	}
	return out, c.oos.prob(s), c.oos.Threshold
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

// Threshold returns the calibrated threshold: on the out-of-scope
// probability (OOSEvidence; 1 when uncalibrated) or on the best label's
// probability (OOSThreshold).
func (c *Classifier) Threshold() float64 {
	switch {
	case c.oos != nil:
		return c.oos.Threshold
	case c.mem != nil:
		return 1
	}
	return c.threshold
}

// Examples returns how many examples the classifier was trained on.
func (c *Classifier) Examples() int { return c.examples }

// Save writes the classifier as JSON (LoadClassifier reads it back). A
// classifier with out-of-scope evidence also saves its training texts (the
// nearest-neighbour memory) and its calibrated combination.
func (c *Classifier) Save(w io.Writer) error {
	f := c.m.file(kindIntents, c.threshold, c.examples)
	if c.mem != nil {
		f.OOS = c.oos
		f.Memory = &memoryFile{Texts: c.texts, Labels: c.memY}
		if c.mem.embed != nil {
			f.Memory.Embedder = c.mem.embed.Model()
		}
	}
	return writeModel(w, f)
}

// LoadClassifier reads a classifier written by Save (one that was trained
// with the default nearest-neighbour space; see LoadClassifierWith).
func LoadClassifier(r io.Reader) (*Classifier, error) { return LoadClassifierWith(r, nil) }

// LoadClassifierWith reads a classifier written by Save whose
// nearest-neighbour evidence uses embed (nil: the classifier's own
// features); it is an error when embed is not the one it was trained with.
func LoadClassifierWith(r io.Reader, embed Embedder) (*Classifier, error) {
	m, f, err := readModel(r, kindIntents)
	if err != nil {
		return nil, err
	}
	c := &Classifier{m: m, threshold: f.Threshold, other: slices.Index(m.labels, Other), examples: f.Examples, source: "model"}
	if f.Memory == nil {
		return c, nil // OOSThreshold
	}
	name := ""
	if embed != nil {
		name = embed.Model()
	}
	if f.Memory.Embedder != name {
		return nil, fmt.Errorf("read model: its nearest-neighbour evidence uses embedder %q, not %q: %w", f.Memory.Embedder, name, ErrBadData)
	}
	if len(f.Memory.Texts) != len(f.Memory.Labels) || len(f.Memory.Texts) == 0 {
		return nil, fmt.Errorf("read model: %d memory texts and %d labels: %w", len(f.Memory.Texts), len(f.Memory.Labels), ErrBadData)
	}
	for _, y := range f.Memory.Labels {
		if y < 0 || y >= len(m.labels) {
			return nil, fmt.Errorf("read model: memory label %d of %d: %w", y, len(m.labels), ErrBadData)
		}
	}
	if f.OOS != nil {
		if err := f.OOS.valid(); err != nil {
			return nil, fmt.Errorf("read model: %w: %w", err, ErrBadData)
		}
	}
	c.oos, c.texts, c.memY = f.OOS, f.Memory.Texts, f.Memory.Labels
	qs := make([]query, len(c.texts))
	for i, t := range c.texts {
		qs[i] = queryOf(t, embed)
	}
	c.mem = newMemory(qs, c.memY, embed)
	return c, nil
}
