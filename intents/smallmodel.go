package intents

import (
	"context"
	"embed"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"unicode/utf8"

	"kefu/retrieval"
)

// The small built-in models (sentiment, problem reports) are softmax
// regressions over hashed n-grams plus a few dense cue features, trained at
// start-up on the embedded data in a fraction of a second. Their weights are
// a dense table over a small hashed space, so scoring a text is a few dozen
// array reads.

// Training data of the small built-in models (sentiment, problem reports);
// data/SOURCE.md says where each file comes from. Their held-out test files
// are not embedded.
//
//go:embed data/sentiment_train_en.csv data/sentiment_train_zh.csv data/uci_amazon_dev.txt data/problem_train_en.csv data/problem_train_zh.csv
var smallDataFS embed.FS

// readEmbedded reads labelled examples from an embedded data file.
func readEmbedded(name string) ([]Example, error) {
	f, err := smallDataFS.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	exs, err := ReadExamples(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return exs, nil
}

// smallBits is the size of the small models' hashed feature space (2^18).
const smallBits = 18

// Feature kinds of the small models, hashed in front of the feature text.
const (
	smallBias byte = iota + 64
	smallWord
	smallNegWord // a word in a negator's scope: "not [good]"
	smallBigram
	smallCharGram
	smallCJKChar
	smallCJKBigram
	smallCJKTrigram
	smallCue // a named cue: "?", "if", "sent:neg" …
)

// Group weights of the n-gram features (before the vector is scaled to unit
// length); chosen by cross-validation on training data only.
const (
	smallWeightWord     = 1.0
	smallWeightBigram   = 0.7
	smallWeightCharGram = 0.25
	smallWeightCJK      = 1.0
)

// englishNegators open a negation scope of three words (to the end of the
// clause at most): "not very good" → not, NEG:very, NEG:good.
var englishNegators = map[string]bool{
	"not": true, "no": true, "never": true, "nothing": true, "nobody": true, "none": true, "without": true,
	"don't": true, "doesn't": true, "didn't": true, "isn't": true, "wasn't": true, "aren't": true, "weren't": true,
	"won't": true, "wouldn't": true, "can't": true, "cannot": true, "couldn't": true, "shouldn't": true,
	"haven't": true, "hasn't": true, "hadn't": true, "dont": true, "doesnt": true, "didnt": true, "isnt": true,
	"wasnt": true, "cant": true, "wont": true, "havent": true, "hasnt": true, "neither": true, "nor": true,
}

// clauseBreak reports whether the text between two tokens ends a clause.
func clauseBreak(gap string) bool {
	for _, r := range gap {
		switch r {
		case '.', ',', ';', ':', '!', '?', '。', '，', '；', '：', '！', '？', '、', '\n', '~', '～', '…':
			return true
		}
	}
	return false
}

// ngramFeatures appends the hashed n-gram features of text: word unigrams
// (marked when a negator precedes them in the clause) and bigrams, character
// 3-grams inside longer words (typos, inflections), and CJK characters,
// bigrams and trigrams. The values are scaled to unit length. toks are
// text's tokens (retrieval.Tokenize).
func ngramFeatures(text string, toks []retrieval.Token, mask uint32, dst []feat) []feat {
	start := len(dst)
	dst = append(dst, feat{id: hashByte(fnvOffset, smallBias) & mask, v: 1})
	prev, negLeft, end := "", 0, 0
	for k, t := range toks {
		if t.Start > end && clauseBreak(text[end:t.Start]) {
			prev, negLeft = "", 0
		}
		end = max(end, t.End)
		if t.CJK {
			prev, negLeft = "", 0
			dst = append(dst, feat{id: hashString(hashByte(fnvOffset, smallCJKBigram), t.Text) & mask, v: smallWeightCJK})
			_, n := utf8.DecodeRuneInString(t.Text)
			dst = append(dst, feat{id: hashString(hashByte(fnvOffset, smallCJKChar), t.Text[:n]) & mask, v: smallWeightCJK})
			last := k+1 >= len(toks) || toks[k+1].Start >= t.End
			if last && n < len(t.Text) {
				dst = append(dst, feat{id: hashString(hashByte(fnvOffset, smallCJKChar), t.Text[n:]) & mask, v: smallWeightCJK})
			}
			if !last && toks[k+1].CJK && toks[k+1].Start == t.Start+n {
				dst = append(dst, feat{id: hashString(hashByte(fnvOffset, smallCJKTrigram), text[t.Start:toks[k+1].End]) & mask, v: smallWeightCJK})
			}
			continue
		}
		w := t.Text
		kind := smallWord
		if negLeft > 0 {
			kind = smallNegWord
			negLeft--
		}
		dst = append(dst, feat{id: hashDigitsAsZero(hashByte(fnvOffset, kind), w) & mask, v: smallWeightWord})
		if kind == smallNegWord { // the plain word too, with less weight
			dst = append(dst, feat{id: hashDigitsAsZero(hashByte(fnvOffset, smallWord), w) & mask, v: smallWeightWord / 2})
		}
		if prev != "" {
			h := hashDigitsAsZero(hashByte(fnvOffset, smallBigram), prev)
			dst = append(dst, feat{id: hashDigitsAsZero(hashByte(h, ' '), w) & mask, v: smallWeightBigram})
		}
		if englishNegators[w] {
			negLeft = 3
		}
		prev = w
		if len(w) >= 4 && len(w) <= 24 {
			for i := 0; i+3 <= len(w); i++ {
				dst = append(dst, feat{id: hashString(hashByte(fnvOffset, smallCharGram), w[i:i+3]) & mask, v: smallWeightCharGram})
			}
		}
	}
	var sum float64
	for _, f := range dst[start:] {
		sum += float64(f.v) * float64(f.v)
	}
	scale := float32(1 / math.Sqrt(sum))
	for i := start; i < len(dst); i++ {
		dst[i].v *= scale
	}
	return dst
}

// addCue appends a named dense feature.
func addCue(dst []feat, mask uint32, name string, v float64) []feat {
	if v == 0 {
		return dst
	}
	return append(dst, feat{id: hashString(hashByte(fnvOffset, smallCue), name) & mask, v: float32(v)})
}

// smallModel is a softmax regression over a dense table of hashed feature
// weights. It is immutable once trained.
type smallModel struct {
	labels []string
	mask   uint32
	w      []float32 // (mask+1) × len(labels), row-major
}

// smallOptions tune training of a small model.
type smallOptions struct {
	epochs       int
	l2, rate     float64
	seed         uint64
	classWeights []float64 // per label; nil: all 1
}

// trainSmall fits a softmax regression with AdaGrad and L2 on featurized
// examples (ys index labels). It is deterministic for given data and seed.
func trainSmall(ctx context.Context, xs [][]feat, ys []int, labels []string, opt smallOptions) (*smallModel, error) {
	if len(xs) == 0 || len(xs) != len(ys) {
		return nil, fmt.Errorf("train: %d examples, %d labels: %w", len(xs), len(ys), ErrNoExamples)
	}
	k := len(labels)
	m := &smallModel{labels: slices.Clone(labels), mask: 1<<smallBits - 1}
	m.w = make([]float32, (int(m.mask)+1)*k)
	g2 := make([]float32, len(m.w))
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opt.seed, 0x736d616c))
	p := make([]float64, k)
	lr, l2 := float32(opt.rate), float32(opt.l2)
	for epoch := 0; epoch < opt.epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			x, y := xs[i], ys[i]
			m.scores(x, p)
			softmax(p)
			p[y] -= 1
			cw := float32(1)
			if opt.classWeights != nil {
				cw = float32(opt.classWeights[y])
			}
			for _, f := range x {
				base := int(f.id) * k
				row, acc := m.w[base:base+k], g2[base:base+k]
				for c := range row {
					if math.Abs(p[c]) < minGrad {
						continue
					}
					g := cw*float32(p[c])*f.v + l2*row[c]
					acc[c] += g * g
					row[c] -= lr * g / (float32(math.Sqrt(float64(acc[c]))) + 1e-6)
				}
			}
		}
	}
	return m, nil
}

// scores sets p to the label scores of features x (before the softmax).
func (m *smallModel) scores(x []feat, p []float64) {
	clear(p)
	k := len(m.labels)
	for _, f := range x {
		base := int(f.id&m.mask) * k
		for c, w := range m.w[base : base+k] {
			p[c] += float64(w * f.v)
		}
	}
}

// probs returns the label probabilities of features x in p (reused when
// large enough).
func (m *smallModel) probs(x []feat, p []float64) []float64 {
	if cap(p) < len(m.labels) {
		p = make([]float64, len(m.labels))
	}
	p = p[:len(m.labels)]
	m.scores(x, p)
	softmax(p)
	return p
}
