package intents

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
)

// linear is a multinomial logistic regression (softmax) over hashed
// features. It keeps one row of weights (one per label) for each feature
// bucket that occurred in training; every other bucket weighs zero. A linear
// is immutable once trained, so it is safe for concurrent use.
type linear struct {
	labels  []string
	buckets uint32
	rows    map[uint32]int32 // bucket → row
	w       []float32        // len(rows) × len(labels), row-major
}

// TrainOptions tune training. The zero value means the defaults, which were
// chosen by cross-validation on training data only.
type TrainOptions struct {
	Epochs       int     // passes over the data; default 12
	L2           float64 // L2 penalty per update; default 3e-5
	LearningRate float64 // AdaGrad step size; default 0.2
	Seed         uint64  // shuffling seed; training is deterministic for a seed
	// Folds is the number of cross-validation folds used to calibrate the
	// out-of-scope detection of an intent classifier (with OOSEvidence each
	// fold also holds out a fifth of the intents); default 5, 1 disables
	// calibration (then only what the softmax calls Other is out of scope).
	Folds int
	// OOS is how an intent classifier decides that a text is out of scope:
	// OOSEvidence (the default) or OOSThreshold.
	OOS OOSMode
	// Embedder gives the vectors for the nearest-neighbour evidence;
	// nil: cosine over the classifier's own hashed features.
	Embedder Embedder
	// NoBackground leaves out the built-in background examples (generic
	// out-of-domain text, BackgroundExamples) that an intent classifier
	// otherwise also learns as Other.
	NoBackground bool
}

// OOSMode names a way to detect out-of-scope text.
type OOSMode string

const (
	// OOSEvidence combines the softmax's confidence and margin, the
	// probability of Other (trained with the background examples), the
	// similarity to the nearest training examples and the share of unknown
	// features in a logistic model calibrated by cross-validation, with
	// intents held out as unknown.
	OOSEvidence OOSMode = "evidence"
	// OOSThreshold is kefu's first rule: Other when the best probability is
	// under a threshold calibrated by cross-validation on the examples
	// labelled Other (without them, nothing is rejected).
	OOSThreshold OOSMode = "threshold"
)

func (o TrainOptions) withDefaults() TrainOptions {
	if o.Epochs <= 0 {
		o.Epochs = 12
	}
	if o.L2 <= 0 {
		o.L2 = 3e-5
	}
	if o.LearningRate <= 0 {
		o.LearningRate = 0.2
	}
	if o.OOS == "" {
		o.OOS = OOSEvidence
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	return o
}

// sample is one training example with its features mapped to rows.
type sample struct {
	x []feat // id is the row index; merged and sorted
	y int
}

// featurizeAll returns the features of each text, sorted by bucket with
// repeated ones merged, computed once for all the models trained on them.
func featurizeAll(texts []string) [][]feat {
	out := make([][]feat, len(texts))
	for i, t := range texts {
		out[i] = slices.Clip(mergeFeats(featurize(t, defaultBuckets, nil)))
	}
	return out
}

// mergeFeats sorts x by bucket and adds up repeated ones, in place.
func mergeFeats(x []feat) []feat {
	slices.SortFunc(x, func(a, b feat) int { return cmp.Compare(a.id, b.id) })
	merged := x[:0]
	for _, f := range x {
		if n := len(merged); n > 0 && merged[n-1].id == f.id {
			merged[n-1].v += f.v
			continue
		}
		merged = append(merged, f)
	}
	return merged
}

// encode maps the features' buckets to rows, assigning rows in order of
// first appearance (deterministic for the same data).
func encode(feats [][]feat, ys []int) ([]sample, map[uint32]int32) {
	rows := make(map[uint32]int32)
	samples := make([]sample, len(feats))
	for i, buf := range feats {
		x := make([]feat, 0, len(buf))
		for _, f := range buf {
			r, ok := rows[f.id]
			if !ok {
				r = int32(len(rows))
				rows[f.id] = r
			}
			x = append(x, feat{id: uint32(r), v: f.v})
		}
		samples[i] = sample{x: x, y: ys[i]}
	}
	return samples, rows
}

// minGrad is the smallest logit gradient that updates weights. Why: once a
// class is confidently right or wrong for an example, its updates are
// negligible, and skipping them makes training about twice as fast (five
// times under the race detector) for no loss in cross-validated accuracy.
const minGrad = 1e-3

// trainLinear fits a softmax regression with AdaGrad and L2 on the given
// texts (labels as indexes into labels). It stops early when ctx ends.
func trainLinear(ctx context.Context, texts []string, ys []int, labels []string, opt TrainOptions) (*linear, error) {
	return trainLinearFeats(ctx, featurizeAll(texts), ys, labels, opt)
}

// trainLinearFeats is trainLinear on texts' features (from featurizeAll).
func trainLinearFeats(ctx context.Context, feats [][]feat, ys []int, labels []string, opt TrainOptions) (*linear, error) {
	opt = opt.withDefaults()
	if len(feats) == 0 {
		return nil, errors.New("no training examples")
	}
	if len(labels) < 2 {
		return nil, fmt.Errorf("need at least two labels, have %d", len(labels))
	}
	samples, rows := encode(feats, ys)
	k := len(labels)
	w := make([]float32, len(rows)*k)
	g2 := make([]float32, len(rows)*k) // AdaGrad's sums of squared gradients
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6b656675))
	p := make([]float64, k)
	active := make([]int, 0, k)
	lr, l2 := float32(opt.LearningRate), float32(opt.L2)
	for epoch := 0; epoch < opt.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			s := samples[i]
			logits(w, k, s.x, p)
			softmax(p)
			p[s.y] -= 1 // now the gradient of the loss w.r.t. the logits
			active = active[:0]
			for c, pc := range p {
				if math.Abs(pc) >= minGrad {
					active = append(active, c)
				}
			}
			for _, f := range s.x {
				base := int(f.id) * k
				row, acc := w[base:base+k], g2[base:base+k]
				for _, c := range active {
					g := float32(p[c])*f.v + l2*row[c]
					acc[c] += g * g
					row[c] -= lr * g / (float32(math.Sqrt(float64(acc[c]))) + 1e-6)
				}
			}
		}
	}
	return &linear{labels: slices.Clone(labels), buckets: defaultBuckets, rows: rows, w: w}, nil
}

// logits sets out[c] to the score of label c for features x (ids are rows).
func logits(w []float32, k int, x []feat, out []float64) {
	clear(out)
	for _, f := range x {
		base := int(f.id) * k
		for c, wc := range w[base : base+k] {
			out[c] += float64(wc * f.v)
		}
	}
}

// softmax turns scores into probabilities in place.
func softmax(p []float64) {
	max := math.Inf(-1)
	for _, v := range p {
		max = math.Max(max, v)
	}
	var sum float64
	for i, v := range p {
		p[i] = math.Exp(v - max)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
}

// predict returns the label probabilities of text (len(m.labels) values).
func (m *linear) predict(text string, p []float64) []float64 {
	var stack [256]feat
	feats := featurize(text, m.buckets, stack[:0])
	if cap(p) < len(m.labels) {
		p = make([]float64, len(m.labels))
	}
	p = p[:len(m.labels)]
	m.scores(feats, p)
	return p
}

// scores sets p (len(m.labels) values) to the label probabilities of a
// text with features feats (from featurize) and returns the share of the
// features' weight (squared, bias excluded) that training never saw: 1 for
// a text of unknown words only, or an empty one.
func (m *linear) scores(feats []feat, p []float64) float64 {
	clear(p)
	k := len(m.labels)
	bias := hashByte(fnvOffset, kindBias) & (m.buckets - 1)
	var seen, total float64
	for _, f := range feats {
		r, ok := m.rows[f.id]
		if f.id != bias {
			total += float64(f.v) * float64(f.v)
			if ok {
				seen += float64(f.v) * float64(f.v)
			}
		}
		if !ok {
			continue
		}
		base := int(r) * k
		for c, wc := range m.w[base : base+k] {
			p[c] += float64(wc * f.v)
		}
	}
	softmax(p)
	if total == 0 {
		return 1
	}
	return 1 - seen/total
}

// modelFile is the JSON form of a saved model. Rows and weights are
// little-endian uint32 and float32 arrays in base64: a readable header and a
// compact body.
type modelFile struct {
	Format         string   `json:"format"`
	Kind           string   `json:"kind"`
	FeatureVersion int      `json:"feature_version"`
	Buckets        uint32   `json:"buckets"`
	Labels         []string `json:"labels"`
	Threshold      float64  `json:"threshold,omitempty"`
	Examples       int      `json:"examples"`
	Rows           string   `json:"rows"`
	Weights        string   `json:"weights"`
	// Intent classifiers with out-of-scope evidence (OOSEvidence) only.
	OOS    *oosModel   `json:"oos,omitempty"`
	Memory *memoryFile `json:"memory,omitempty"`
}

// memoryFile is the nearest-neighbour memory in a saved model: the training
// texts with their label indexes (vectors are recomputed on loading).
type memoryFile struct {
	Embedder string   `json:"embedder,omitempty"` // "": the classifier's own features
	Texts    []string `json:"texts"`
	Labels   []int    `json:"labels"`
}

const modelFormat = "kefu-linear"

// Model kinds in saved files.
const (
	kindIntents   = "intents"
	kindSentiment = "sentiment"
)

func (m *linear) file(kind string, threshold float64, examples int) modelFile {
	k := len(m.labels)
	ids := make([]uint32, 0, len(m.rows))
	for id := range m.rows {
		ids = append(ids, id)
	}
	slices.Sort(ids) // map order is random; files should not be
	rowBytes := make([]byte, 0, 4*len(ids))
	wBytes := make([]byte, 0, 4*len(m.w))
	for _, id := range ids {
		rowBytes = binary.LittleEndian.AppendUint32(rowBytes, id)
		base := int(m.rows[id]) * k
		for _, v := range m.w[base : base+k] {
			wBytes = binary.LittleEndian.AppendUint32(wBytes, math.Float32bits(v))
		}
	}
	return modelFile{
		Format: modelFormat, Kind: kind, FeatureVersion: featureVersion, Buckets: m.buckets,
		Labels: m.labels, Threshold: threshold, Examples: examples,
		Rows:    base64.StdEncoding.EncodeToString(rowBytes),
		Weights: base64.StdEncoding.EncodeToString(wBytes),
	}
}

func writeModel(w io.Writer, f modelFile) error {
	if err := json.NewEncoder(w).Encode(f); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

// readModel reads a saved model of the given kind.
func readModel(r io.Reader, kind string) (*linear, modelFile, error) {
	var f modelFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, f, fmt.Errorf("read model: %w", err)
	}
	switch {
	case f.Format != modelFormat:
		return nil, f, fmt.Errorf("read model: format %q is not %q", f.Format, modelFormat)
	case f.Kind != kind:
		return nil, f, fmt.Errorf("read model: this is a %s model, not a %s model", f.Kind, kind)
	case f.FeatureVersion != featureVersion:
		return nil, f, fmt.Errorf("read model: feature version %d, this kefu uses %d; retrain it", f.FeatureVersion, featureVersion)
	case f.Buckets == 0 || f.Buckets&(f.Buckets-1) != 0:
		return nil, f, fmt.Errorf("read model: bucket count %d is not a power of two", f.Buckets)
	case len(f.Labels) < 2:
		return nil, f, fmt.Errorf("read model: %d labels; want at least 2", len(f.Labels))
	}
	rowBytes, err := base64.StdEncoding.DecodeString(f.Rows)
	if err != nil {
		return nil, f, fmt.Errorf("read model rows: %w", err)
	}
	wBytes, err := base64.StdEncoding.DecodeString(f.Weights)
	if err != nil {
		return nil, f, fmt.Errorf("read model weights: %w", err)
	}
	k := len(f.Labels)
	if len(rowBytes)%4 != 0 || len(wBytes) != len(rowBytes)*k {
		return nil, f, fmt.Errorf("read model: %d row bytes and %d weight bytes do not match %d labels", len(rowBytes), len(wBytes), k)
	}
	m := &linear{labels: f.Labels, buckets: f.Buckets, rows: make(map[uint32]int32, len(rowBytes)/4), w: make([]float32, len(wBytes)/4)}
	for i := 0; i < len(rowBytes)/4; i++ {
		m.rows[binary.LittleEndian.Uint32(rowBytes[4*i:])] = int32(i)
	}
	for i := range m.w {
		m.w[i] = math.Float32frombits(binary.LittleEndian.Uint32(wBytes[4*i:]))
	}
	f.Rows, f.Weights = "", ""
	return m, f, nil
}
