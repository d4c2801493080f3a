package intents

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Perceptron is the baseline intent classifier that kefu's own is measured
// against: a plain multi-class averaged perceptron over the character 1-, 2-
// and 3-grams of the lowercased text (binary, hashed), with no out-of-scope
// handling of its own (an oos training label is one more class). It is
// immutable once trained and safe for concurrent use.
type Perceptron struct {
	labels []string
	rows   map[uint32]int32
	w      []float32 // averaged weights, len(rows) × len(labels)
}

// PerceptronOptions tune the baseline; the zero value means 10 epochs and
// seed 0.
type PerceptronOptions struct {
	Epochs int
	Seed   uint64
}

// charGrams returns the hashed character 1–3-grams of the lowercased text,
// each once.
func charGrams(text string, dst []uint32) []uint32 {
	r := []rune(strings.ToLower(text))
	for n := 1; n <= 3; n++ {
		for i := 0; i+n <= len(r); i++ {
			h := hashByte(fnvOffset, byte(n))
			h = hashString(h, string(r[i:i+n]))
			dst = append(dst, h)
		}
	}
	slices.Sort(dst)
	return slices.Compact(dst)
}

// TrainPerceptron trains the baseline on examples (labels as given).
func TrainPerceptron(ctx context.Context, examples []Example, opt PerceptronOptions) (*Perceptron, error) {
	if opt.Epochs <= 0 {
		opt.Epochs = 10
	}
	if len(examples) == 0 {
		return nil, ErrNoExamples
	}
	texts, ys, labels := splitExamples(examples)
	if len(labels) < 2 {
		return nil, fmt.Errorf("need at least two intents, have %v: %w", labels, ErrBadData)
	}
	k := len(labels)
	rows := map[uint32]int32{}
	xs := make([][]int32, len(texts))
	for i, t := range texts {
		for _, h := range charGrams(t, nil) {
			r, ok := rows[h]
			if !ok {
				r = int32(len(rows))
				rows[h] = r
			}
			xs[i] = append(xs[i], r)
		}
	}
	// Averaging the usual way: w are the current weights, u the updates
	// weighted by the step they were made at; the average is w - u/steps.
	w := make([]float32, len(rows)*k)
	u := make([]float32, len(rows)*k)
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x70657263))
	scores := make([]float32, k)
	step := float32(1)
	for epoch := 0; epoch < opt.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("train perceptron: %w", err)
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			clear(scores)
			for _, r := range xs[i] {
				for c, v := range w[int(r)*k : int(r)*k+k] {
					scores[c] += v
				}
			}
			pred := argmax(scores)
			if y := ys[i]; pred != y {
				for _, r := range xs[i] {
					base := int(r) * k
					w[base+y]++
					u[base+y] += step
					w[base+pred]--
					u[base+pred] -= step
				}
			}
			step++
		}
	}
	for i := range w {
		w[i] -= u[i] / step
	}
	return &Perceptron{labels: labels, rows: rows, w: w}, nil
}

// Classify returns the best label (Other when that is the oos class); the
// perceptron has no probabilities, so Confidence is 1 and Top holds the
// best label alone.
func (p *Perceptron) Classify(text string) Prediction {
	k := len(p.labels)
	scores := make([]float32, k)
	for _, h := range charGrams(text, nil) {
		if r, ok := p.rows[h]; ok {
			for c, v := range p.w[int(r)*k : int(r)*k+k] {
				scores[c] += v
			}
		}
	}
	best := p.labels[argmax(scores)]
	return Prediction{Intent: best, Confidence: 1, Top: []Scored{{Intent: best, P: 1}}, Source: "perceptron"}
}

// Labels returns the labels the perceptron knows.
func (p *Perceptron) Labels() []string { return slices.Clone(p.labels) }
