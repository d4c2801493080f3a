package intents

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
)

// SentimentModel is a sentiment classifier trained on a shop's own labelled
// texts: the same softmax regression and features as the intent classifier.
// Labels are kept as given, except that binary 0|1 data answers negative and
// positive. The built-in analyzer's rules still decide whether a negative
// text is angry. It is immutable and safe for concurrent use.
type SentimentModel struct {
	m        *linear
	examples int
	pos, neg []int // indexes of positive-like and negative-like labels
	rules    *Analyzer
}

// TrainSentiment trains a sentiment model on examples labelled
// negative|neutral|positive or 0|1 (any other labels are kept as they are).
func TrainSentiment(ctx context.Context, examples []Example, opt TrainOptions) (*SentimentModel, error) {
	if len(examples) == 0 {
		return nil, ErrNoExamples
	}
	exs := make([]Example, len(examples))
	for i, ex := range examples {
		exs[i] = Example{Text: ex.Text, Label: strings.ToLower(strings.TrimSpace(ex.Label))}
	}
	texts, ys, labels := splitExamples(exs)
	if len(labels) < 2 {
		return nil, fmt.Errorf("need at least two sentiment labels, have %v: %w", labels, ErrBadData)
	}
	m, err := trainLinear(ctx, texts, ys, labels, opt)
	if err != nil {
		return nil, err
	}
	return newSentimentModel(m, len(texts))
}

func newSentimentModel(m *linear, examples int) (*SentimentModel, error) {
	rules, err := NewAnalyzer()
	if err != nil {
		return nil, err
	}
	s := &SentimentModel{m: m, examples: examples, rules: rules}
	for i, l := range m.labels {
		switch l {
		case Positive, "1", "pos":
			s.pos = append(s.pos, i)
		case Negative, "0", "neg":
			s.neg = append(s.neg, i)
		}
	}
	return s, nil
}

// Analyze returns the model's label; the score is P(positive) − P(negative).
func (s *SentimentModel) Analyze(text string) Sentiment {
	var buf [8]float64
	p := s.m.predict(text, buf[:0])
	best := argmax(p)
	var score float64
	for _, i := range s.pos {
		score += p[i]
	}
	for _, i := range s.neg {
		score -= p[i]
	}
	label := s.m.labels[best]
	switch label {
	case "1", "pos":
		label = Positive
	case "0", "neg":
		label = Negative
	}
	out := Sentiment{Label: label, Score: float64(int(score*1000)) / 1000}
	out.Angry = label == Negative && s.rules.Analyze(text).Angry
	return out
}

// Labels returns the labels the model was trained on.
func (s *SentimentModel) Labels() []string { return append([]string(nil), s.m.labels...) }

// Save writes the model as JSON (LoadSentimentModel reads it back).
func (s *SentimentModel) Save(w io.Writer) error {
	return writeModel(w, s.m.file(kindSentiment, 0, s.examples))
}

// LoadSentimentModel reads a model written by SentimentModel.Save.
func LoadSentimentModel(r io.Reader) (*SentimentModel, error) {
	m, f, err := readModel(r, kindSentiment)
	if err != nil {
		return nil, err
	}
	return newSentimentModel(m, f.Examples)
}

// SplitHoldout splits examples into a training and a held-out part, holding
// out the fraction frac of each label (at least one example of every label
// with two or more), chosen with a fixed seed so the split is reproducible.
func SplitHoldout(examples []Example, frac float64, seed uint64) (train, test []Example) {
	if frac <= 0 {
		return examples, nil
	}
	byLabel := map[string][]int{}
	var labels []string
	for i, ex := range examples {
		if _, ok := byLabel[ex.Label]; !ok {
			labels = append(labels, ex.Label)
		}
		byLabel[ex.Label] = append(byLabel[ex.Label], i)
	}
	sort.Strings(labels)
	rng := rand.New(rand.NewPCG(seed, 0x686f6c64))
	held := make([]bool, len(examples))
	for _, l := range labels {
		idx := byLabel[l]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		n := int(frac*float64(len(idx)) + 0.5)
		if n == 0 && len(idx) >= 2 {
			n = 1
		}
		n = min(n, len(idx)-1)
		for _, i := range idx[:max(n, 0)] {
			held[i] = true
		}
	}
	for i, ex := range examples {
		if held[i] {
			test = append(test, ex)
		} else {
			train = append(train, ex)
		}
	}
	return train, test
}
