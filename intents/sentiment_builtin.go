package intents

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"kefu/retrieval"
)

// SentimentClassifier is the built-in sentiment analyzer: a softmax
// regression (negative, neutral, positive) whose features are word and
// character n-grams plus what the hand-written lexicon and its rules see
// (score, positive and negative evidence, negation, contrast, questions,
// shouting). It trains at start-up, once per process, on the embedded
// team-written review and shopper sentences and the development half of the
// UCI Amazon review sentences (data/SOURCE.md). The rules still decide
// anger: a text they find angry is negative and angry. It is immutable and
// safe for concurrent use.
type SentimentClassifier struct {
	rules         *Analyzer
	m             *smallModel
	neg, neu, pos int
	examples      int
	took          time.Duration
}

// neutralGate is the probability a negative or positive answer needs when
// the lexicon's rules see no sentiment at all. Why 0.7: a wrong "negative"
// on a plain message counts towards escalation (two in a row escalate by
// default), a missed mild complaint without any sentiment word costs little;
// cross-validation on the review-heavy training data prefers no gate (3-class
// accuracy en 0.910 → 0.884, zh 0.907 → 0.868), binary data is unaffected
// (the score keeps its sign). neutralBand bounds the score of a neutral text.
var neutralGate = 0.7

const neutralBand = 0.149

// sentimentLabels are the classes of the built-in model, sorted.
var sentimentLabels = []string{Negative, Neutral, Positive}

// Training settings of the built-in sentiment model, chosen by
// cross-validation on its training data only.
var sentimentOptions = smallOptions{epochs: 10, l2: 1e-6, rate: 0.1, seed: 1}

// sentimentFeatures appends the features of text: n-grams, then the rules'
// cues, which it returns too.
func sentimentFeatures(a *Analyzer, text string, mask uint32, dst []feat) ([]feat, ruleCues) {
	dst = ngramFeatures(text, retrieval.Tokenize(text), mask, dst)
	_, c := a.analyze(text)
	return cueFeatures(c, mask, dst), c
}

// cueFeatures appends the rules' cues as features.
func cueFeatures(c ruleCues, mask uint32, dst []feat) []feat {
	dst = addCue(dst, mask, "score", 2*c.score)
	switch {
	case c.score <= -0.5:
		dst = addCue(dst, mask, "score<-0.5", 1)
	case c.score <= -labelThreshold:
		dst = addCue(dst, mask, "score<0", 1)
	case c.score >= 0.5:
		dst = addCue(dst, mask, "score>0.5", 1)
	case c.score >= labelThreshold:
		dst = addCue(dst, mask, "score>0", 1)
	default:
		dst = addCue(dst, mask, "score~0", 1)
	}
	dst = addCue(dst, mask, "pos", math.Log1p(c.pos))
	dst = addCue(dst, mask, "neg", math.Log1p(c.neg))
	if c.npos > 0 && c.nneg > 0 {
		dst = addCue(dst, mask, "mixed", 1)
	}
	if c.npos == 0 && c.nneg == 0 {
		dst = addCue(dst, mask, "no-lexicon", 1)
	}
	dst = addCue(dst, mask, "negated", math.Min(float64(c.negated), 2)/2)
	if c.question {
		dst = addCue(dst, mask, "question", 1)
	}
	if c.contrast {
		dst = addCue(dst, mask, "contrast", 1)
	}
	if c.shouting {
		dst = addCue(dst, mask, "shouting", 1)
	}
	dst = addCue(dst, mask, "bangs", math.Min(float64(c.bangs), 3)/3)
	if c.angry {
		dst = addCue(dst, mask, "angry", 1)
	}
	return dst
}

// sentimentLabel reads a training label: negative|neutral|positive, or 0|1.
func sentimentLabel(label string) (int, bool) {
	switch label {
	case Negative, "0":
		return 0, true
	case Neutral:
		return 1, true
	case Positive, "1":
		return 2, true
	}
	return 0, false
}

// trainSentimentClassifier trains the built-in model on exs (labels
// negative|neutral|positive or 0|1).
func trainSentimentClassifier(ctx context.Context, rules *Analyzer, exs []Example) (*SentimentClassifier, error) {
	start := time.Now()
	mask := uint32(1<<smallBits - 1)
	xs := make([][]feat, len(exs))
	ys := make([]int, len(exs))
	for i, ex := range exs {
		y, ok := sentimentLabel(ex.Label)
		if !ok {
			return nil, fmt.Errorf("sentiment example %d: label %q is not negative, neutral, positive, 0 or 1: %w", i+1, ex.Label, ErrBadData)
		}
		xs[i], _ = sentimentFeatures(rules, ex.Text, mask, nil)
		ys[i] = y
	}
	m, err := trainSmall(ctx, xs, ys, sentimentLabels, sentimentOptions)
	if err != nil {
		return nil, err
	}
	return &SentimentClassifier{rules: rules, m: m, neg: 0, neu: 1, pos: 2, examples: len(exs), took: time.Since(start)}, nil
}

// builtinSentimentFiles are the embedded training files of the built-in
// sentiment model (data/SOURCE.md says where each comes from).
var builtinSentimentFiles = []string{"data/sentiment_train_en.csv", "data/sentiment_train_zh.csv", "data/uci_amazon_dev.txt"}

// BuiltinSentimentExamples returns the training examples of the built-in
// sentiment model.
// They are the sentiment files plus, as neutral, the built-in intent
// examples of intents that carry no feeling of their own (questions and
// requests: neutralIntents) on which the lexicon's rules find no sentiment:
// thousands of ordinary shopper messages, so that a message without
// sentiment cues stays neutral.
func BuiltinSentimentExamples() ([]Example, error) {
	var all []Example
	for _, name := range builtinSentimentFiles {
		exs, err := readEmbedded(name)
		if err != nil {
			return nil, fmt.Errorf("built-in sentiment examples: %w", err)
		}
		all = append(all, exs...)
	}
	intentExs, err := BuiltinExamples()
	if err != nil {
		return nil, fmt.Errorf("built-in sentiment examples: %w", err)
	}
	rules, err := NewAnalyzer()
	if err != nil {
		return nil, err
	}
	for _, ex := range intentExs {
		if neutralIntents[ex.Label] && rules.Analyze(ex.Text).Label == Neutral {
			all = append(all, Example{Text: ex.Text, Label: Neutral})
		}
	}
	return all, nil
}

// neutralIntents are the built-in intents whose examples are questions and
// requests without a feeling of their own (not complaint, feedback, thanks,
// goodbye, delivery_problem or payment_issue).
var neutralIntents = map[string]bool{
	Greeting: true, HumanAgent: true, OrderStatus: true, CancelOrder: true, ChangeOrder: true,
	ShippingAddress: true, DeliveryInfo: true, ReturnRefund: true, Exchange: true, RefundStatus: true,
	PaymentMethods: true, Discount: true, Invoice: true, Account: true, ProductQuestion: true, Stock: true, Other: true,
}

var builtinSentiment = sync.OnceValues(func() (*SentimentClassifier, error) {
	rules, err := NewAnalyzer()
	if err != nil {
		return nil, err
	}
	exs, err := BuiltinSentimentExamples()
	if err != nil {
		return nil, err
	}
	return trainSentimentClassifier(context.Background(), rules, exs)
})

// BuiltinSentiment returns the built-in sentiment analyzer, trained on the
// first call (about a tenth of a second) and shared afterwards.
func BuiltinSentiment() (*SentimentClassifier, error) { return builtinSentiment() }

// Analyze labels text negative, neutral or positive; the score is
// P(positive) − P(negative), within (−0.15, 0.15) for a neutral text.
func (s *SentimentClassifier) Analyze(text string) Sentiment {
	out, _ := s.analyze(text)
	return out
}

// analyze is Analyze, also returning the rules' cues (which the problem
// detector uses too).
func (s *SentimentClassifier) analyze(text string) (Sentiment, ruleCues) {
	var stack [384]feat
	var pbuf [3]float64
	x, c := sentimentFeatures(s.rules, text, s.m.mask, stack[:0])
	p := s.m.probs(x, pbuf[:0])
	best := argmax(p)
	out := Sentiment{Label: sentimentLabels[best], Score: math.Round((p[s.pos]-p[s.neg])*1000) / 1000}
	if best != s.neu && p[best] < neutralGate && c.npos == 0 && c.nneg == 0 && !c.angry && !c.shouting {
		// Nothing the lexicon knows, and the n-grams are not sure: most
		// shopper messages are plain requests, so this one is too.
		out.Label = Neutral
	}
	if out.Label == Neutral {
		// The score keeps its sign (binary data is scored by it) but stays
		// in the neutral band, as the rules' scores do.
		out.Score = math.Copysign(math.Min(math.Abs(out.Score), neutralBand), out.Score)
	}
	if c.angry {
		out.Label, out.Angry = Negative, true
		out.Score = math.Min(out.Score, c.score)
	}
	return out, c
}

// Examples returns how many texts the model was trained on.
func (s *SentimentClassifier) Examples() int { return s.examples }

// TrainingTime returns how long training took.
func (s *SentimentClassifier) TrainingTime() time.Duration { return s.took }
