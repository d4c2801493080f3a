package intents

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"kefu/retrieval"
)

// Problem-report labels of the training data.
const (
	labelAsk     = "ask"     // asks how something works, or requests something
	labelProblem = "problem" // reports that something went wrong
)

// ProblemDetector tells a shopper reporting a problem ("my card was charged
// twice", "my parcel is 2 weeks late") from one asking how something works or
// asking for something ("will my card be charged in pounds?", "what happens
// if my parcel is late?", "cancel my order"). It is independent of the
// intent: both messages of each pair have the same intent. It is a logistic
// regression over the same kind of n-grams as the sentiment model plus
// question and condition cues and the sentiment rules' evidence, trained at
// start-up, once per process, on team-written English and Chinese examples
// (data/problem_train_{en,zh}.csv). It is immutable and safe for concurrent
// use.
type ProblemDetector struct {
	rules    *Analyzer
	m        *smallModel
	problem  int // index of labelProblem
	examples int
	took     time.Duration
}

// ProblemThreshold is the probability at or above which a message reports a
// problem.
const ProblemThreshold = 0.5

// problemOptions were chosen by cross-validation on the training data.
var problemOptions = smallOptions{epochs: 10, l2: 1e-6, rate: 0.2, seed: 1}

var (
	questionOpeners = map[string]bool{
		"what": true, "how": true, "when": true, "where": true, "which": true, "who": true, "will": true,
		"would": true, "can": true, "could": true, "do": true, "does": true, "is": true, "are": true,
		"should": true, "may": true, "shall": true, "any": true,
	}
	conditionWords  = map[string]bool{"if": true, "whether": true, "unless": true}
	zhQuestionWords = []string{"怎么", "如何", "能不能", "可不可以", "可以", "什么", "多久", "多少", "几天", "哪", "是否", "有没有", "会不会", "要不要"}
	zhConditions    = []string{"如果", "万一", "要是", "假如", "的话", "怎么办", "怎么处理", "会怎样", "会怎么样"}
)

// problemFeatures appends the features of text: n-grams, then cues, among
// them the sentiment rules' cues c (of text).
func problemFeatures(c ruleCues, text string, mask uint32, dst []feat) []feat {
	trimmed := strings.TrimSpace(text)
	toks := retrieval.Tokenize(trimmed)
	dst = ngramFeatures(trimmed, toks, mask, dst)
	last, _ := utf8.DecodeLastRuneInString(trimmed)
	switch {
	case last == '?' || last == '？':
		dst = addCue(dst, mask, "ends?", 1)
	case strings.ContainsAny(trimmed, "?？"):
		dst = addCue(dst, mask, "has?", 1)
	}
	if strings.HasSuffix(strings.TrimRightFunc(trimmed, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) }), "吗") ||
		strings.HasSuffix(trimmed, "呢") {
		dst = addCue(dst, mask, "zh-particle", 1)
	}
	if len(toks) > 0 && !toks[0].CJK && questionOpeners[toks[0].Text] {
		dst = addCue(dst, mask, "opens-question", 1)
	}
	for _, t := range toks {
		if !t.CJK && conditionWords[t.Text] {
			dst = addCue(dst, mask, "condition", 1)
			break
		}
	}
	for _, w := range zhQuestionWords {
		if strings.Contains(trimmed, w) {
			dst = addCue(dst, mask, "zh-question", 1)
			break
		}
	}
	for _, w := range zhConditions {
		if strings.Contains(trimmed, w) {
			dst = addCue(dst, mask, "condition", 1)
			break
		}
	}
	dst = addCue(dst, mask, "score", c.score)
	if c.score <= -labelThreshold {
		dst = addCue(dst, mask, "negative", 1)
	}
	if c.negated > 0 {
		dst = addCue(dst, mask, "negated", 1)
	}
	if c.bangs > 0 || c.shouting {
		dst = addCue(dst, mask, "emphasis", 1)
	}
	return dst
}

// trainProblemDetector trains the detector on examples labelled ask or
// problem.
func trainProblemDetector(ctx context.Context, rules *Analyzer, exs []Example) (*ProblemDetector, error) {
	start := time.Now()
	labels := []string{labelAsk, labelProblem}
	mask := uint32(1<<smallBits - 1)
	xs := make([][]feat, len(exs))
	ys := make([]int, len(exs))
	for i, ex := range exs {
		switch ex.Label {
		case labelAsk:
			ys[i] = 0
		case labelProblem:
			ys[i] = 1
		default:
			return nil, fmt.Errorf("problem example %d: label %q is not ask or problem: %w", i+1, ex.Label, ErrBadData)
		}
		_, c := rules.analyze(ex.Text)
		xs[i] = problemFeatures(c, ex.Text, mask, nil)
	}
	m, err := trainSmall(ctx, xs, ys, labels, problemOptions)
	if err != nil {
		return nil, err
	}
	return &ProblemDetector{rules: rules, m: m, problem: 1, examples: len(exs), took: time.Since(start)}, nil
}

// BuiltinProblemExamples returns the training examples of the built-in
// problem detector (English, then Chinese).
func BuiltinProblemExamples() ([]Example, error) {
	var all []Example
	for _, name := range []string{"data/problem_train_en.csv", "data/problem_train_zh.csv"} {
		exs, err := readEmbedded(name)
		if err != nil {
			return nil, fmt.Errorf("built-in problem examples: %w", err)
		}
		all = append(all, exs...)
	}
	return all, nil
}

var builtinProblem = sync.OnceValues(func() (*ProblemDetector, error) {
	rules, err := NewAnalyzer()
	if err != nil {
		return nil, err
	}
	exs, err := BuiltinProblemExamples()
	if err != nil {
		return nil, err
	}
	return trainProblemDetector(context.Background(), rules, exs)
})

// BuiltinProblem returns the built-in problem detector, trained on the first
// call (a few hundredths of a second) and shared afterwards.
func BuiltinProblem() (*ProblemDetector, error) { return builtinProblem() }

// Detect reports whether text reports a problem, with the model's
// probability that it does. An empty text reports nothing.
func (d *ProblemDetector) Detect(text string) (problem bool, p float64) {
	if strings.TrimSpace(text) == "" {
		return false, 0
	}
	_, c := d.rules.analyze(text)
	return d.detect(text, c)
}

// detect is Detect with the sentiment rules' cues of text already known.
func (d *ProblemDetector) detect(text string, c ruleCues) (bool, float64) {
	if strings.TrimSpace(text) == "" {
		return false, 0
	}
	var stack [384]feat
	var pbuf [2]float64
	p := d.m.probs(problemFeatures(c, text, d.m.mask, stack[:0]), pbuf[:0])[d.problem]
	return p >= ProblemThreshold, p
}

// Examples returns how many texts the detector was trained on.
func (d *ProblemDetector) Examples() int { return d.examples }

// TrainingTime returns how long training took.
func (d *ProblemDetector) TrainingTime() time.Duration { return d.took }
