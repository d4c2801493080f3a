package retrieval

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
)

//go:embed data/lexicon.txt
var lexicon string

// ShopLexicon returns the team-written shop lexicon (data/lexicon.txt): sets
// of words and phrases shoppers and policies use for the same thing, in
// English and Chinese, as training pairs for the embedder.
func ShopLexicon() [][]string {
	var sets [][]string
	for _, line := range strings.Split(lexicon, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var set []string
		for _, m := range strings.Split(line, "|") {
			if m = strings.TrimSpace(m); m != "" {
				set = append(set, m)
			}
		}
		if len(set) >= 2 {
			sets = append(sets, set)
		}
	}
	return sets
}

//go:embed data/shopqa.txt
var shopQA string

// ShopQuestion is a policy passage and messages shoppers write that it
// answers, from the team-written data/shopqa.txt.
type ShopQuestion struct {
	Passage   string
	Questions []string
}

// ShopQuestions returns the team-written shop questions (data/shopqa.txt):
// blocks of a "P: " passage as a shop's help page words it and the "Q: "
// messages, in shoppers' words and both languages, that it answers; blocks
// are separated by blank lines, and a block without questions is skipped.
func ShopQuestions() []ShopQuestion {
	var out []ShopQuestion
	for _, block := range strings.Split(strings.ReplaceAll(shopQA, "\r\n", "\n"), "\n\n") {
		var q ShopQuestion
		for _, line := range strings.Split(block, "\n") {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, "P:"):
				q.Passage = strings.TrimSpace(strings.TrimPrefix(line, "P:"))
			case strings.HasPrefix(line, "Q:"):
				if t := strings.TrimSpace(strings.TrimPrefix(line, "Q:")); t != "" {
					q.Questions = append(q.Questions, t)
				}
			}
		}
		if q.Passage != "" && len(q.Questions) > 0 {
			out = append(out, q)
		}
	}
	return out
}

// TrainPair is two texts that mean the same: paraphrases, a translation, a
// question and the passage that answers it. Pairs of one non-empty Group
// (an intent, a synonym set) are never each other's negatives.
type TrainPair struct {
	A, B, Group string
}

// TrainOptions configures TrainEmbedder; zero values take the defaults.
type TrainOptions struct {
	Dim         int     // vector dimension; default 256
	Buckets     uint32  // hashed feature rows, a power of two; default 1<<16
	Epochs      int     // default 4
	Batch       int     // pairs per batch (the others are a pair's negatives); default 256
	Temperature float64 // softmax temperature of the contrastive loss; default 0.05
	Rate        float64 // AdaGrad learning rate; default 0.02
	Init        float64 // standard deviation of the rows' random start; default 0.1
	// The vector's fixed parts (see LearnedEmbedder), not trained: hashed
	// words in LexDim dimensions with LexShare of the similarity (0: none),
	// and the language with weight LangWeight (0: none).
	LexDim     int
	LexShare   float64
	LangWeight float64
	Seed       uint64 // the same data and seed give the same weights, byte for byte
	Workers    int    // goroutines for the batch arithmetic; default 1 (results do not depend on it)
	// Progress, when set, is called after each epoch with its mean loss.
	Progress func(epoch int, loss float64)
}

func (o *TrainOptions) defaults() {
	if o.Dim == 0 {
		o.Dim = 256
	}
	if o.Buckets == 0 {
		o.Buckets = 1 << 16
	}
	if o.Epochs == 0 {
		o.Epochs = 4
	}
	if o.Batch == 0 {
		o.Batch = 256
	}
	if o.Temperature == 0 {
		o.Temperature = 0.05
	}
	if o.Rate == 0 {
		o.Rate = 0.02
	}
	if o.Init == 0 {
		o.Init = 0.1
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
}

// ErrTrain reports training options or data that cannot train a model.
var ErrTrain = errors.New("cannot train the embedder")

// TrainEmbedder learns an embedder's rows by contrastive training: for each
// batch of pairs, every A must pick its own B among the batch's Bs and every
// B its own A (symmetric InfoNCE with in-batch negatives), with sparse
// AdaGrad updates of the rows the batch's features touch. pairs(epoch)
// gives each epoch's pairs (callers may sample new ones each epoch); their
// order is shuffled here with the seed.
//
// Training is deterministic: the same pairs, options and seed give the same
// weights, byte for byte, whatever Workers is.
func TrainEmbedder(ctx context.Context, pairs func(epoch int) []TrainPair, opt TrainOptions) (*LearnedEmbedder, error) {
	opt.defaults()
	if opt.Dim < 8 || opt.Dim > 4096 || opt.Buckets < 16 || opt.Buckets&(opt.Buckets-1) != 0 || opt.Buckets > 1<<24 ||
		opt.Batch < 2 || opt.Epochs < 0 || opt.Temperature <= 0 || opt.Rate <= 0 || opt.Init < 0 ||
		opt.LexDim < 0 || opt.LexDim > 4096 || opt.LexShare < 0 || opt.LexShare >= 1 || (opt.LexDim == 0) != (opt.LexShare == 0) ||
		opt.LangWeight < 0 || opt.LangWeight > 10 {
		return nil, fmt.Errorf("%w: options %+v", ErrTrain, opt)
	}
	t := newTrainer(opt)
	for epoch := range opt.Epochs {
		ps := pairs(epoch)
		if len(ps) < 2 {
			return nil, fmt.Errorf("%w: epoch %d has %d pairs, need at least 2", ErrTrain, epoch+1, len(ps))
		}
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(epoch)+1))
		order := rng.Perm(len(ps))
		var loss float64
		batches := 0
		for i := 0; i+1 < len(order); i += opt.Batch {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			idx := order[i:min(i+opt.Batch, len(order))]
			batch := make([]TrainPair, len(idx))
			for k, j := range idx {
				batch[k] = ps[j]
			}
			loss += t.step(batch)
			batches++
		}
		if opt.Progress != nil {
			opt.Progress(epoch+1, loss/float64(batches))
		}
	}
	e := quantize(t.rows, opt.Dim, opt.Buckets)
	e.lexDim, e.lexShare, e.langWeight = opt.LexDim, float32(opt.LexShare), float32(opt.LangWeight)
	var buf bytes.Buffer
	if err := e.Save(&buf); err != nil {
		return nil, err
	}
	return LoadEmbedder(buf.Bytes())
}

type trainer struct {
	opt     TrainOptions
	rows    []float32 // buckets × dim
	sq      []float32 // AdaGrad's sums of squared gradients
	grad    []float32 // the batch's gradient, for touched rows only
	touched []bool
	list    []uint32
	feats   map[string][]feature
}

func newTrainer(opt TrainOptions) *trainer {
	n := int(opt.Buckets) * opt.Dim
	t := &trainer{opt: opt, rows: make([]float32, n), sq: make([]float32, n), grad: make([]float32, n),
		touched: make([]bool, opt.Buckets), feats: map[string][]feature{}}
	rng := rand.New(rand.NewPCG(opt.Seed, 0))
	for i := range t.rows {
		t.rows[i] = float32(rng.NormFloat64() * opt.Init)
	}
	return t
}

func (t *trainer) features(text string) []feature {
	fs, ok := t.feats[text]
	if !ok {
		fs = features(nil, text, t.opt.Buckets)
		t.feats[text] = fs
	}
	return fs
}

// parallel runs f(lo, hi) over [0, n) split among the workers.
func (t *trainer) parallel(n int, f func(lo, hi int)) {
	w := min(t.opt.Workers, n)
	if w <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := range w {
		wg.Add(1)
		go func() { defer wg.Done(); f(k*n/w, (k+1)*n/w) }()
	}
	wg.Wait()
}

// step trains on one batch and returns its loss.
func (t *trainer) step(batch []TrainPair) float64 {
	n, d := len(batch), t.opt.Dim
	fs := make([][]feature, 2*n) // A texts, then B texts
	for i, p := range batch {
		fs[i], fs[n+i] = t.features(p.A), t.features(p.B)
	}
	// Forward: unit vectors v and the norms of the raw sums.
	v := make([]float32, 2*n*d)
	norms := make([]float32, 2*n)
	t.parallel(2*n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			vi := v[i*d : (i+1)*d]
			for _, f := range fs[i] {
				row := t.rows[int(f.ID)*d : int(f.ID+1)*d]
				for j := range vi {
					vi[j] += f.W * row[j]
				}
			}
			var s float64
			for _, x := range vi {
				s += float64(x) * float64(x)
			}
			norms[i] = float32(math.Sqrt(s))
			if norms[i] > 0 {
				for j := range vi {
					vi[j] /= norms[i]
				}
			}
		}
	})
	// Similarities of every A to every B, over the temperature; negatives of
	// the same group (or the same text) are masked out.
	inv := float32(1 / t.opt.Temperature)
	sim := make([]float64, n*n)
	masked := make([]bool, n*n)
	t.parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			a := v[i*d : (i+1)*d]
			for j := range n {
				if j != i && (batch[i].Group != "" && batch[i].Group == batch[j].Group ||
					batch[i].A == batch[j].A || batch[i].B == batch[j].B) {
					masked[i*n+j] = true
					continue
				}
				b := v[(n+j)*d : (n+j+1)*d]
				var s float32
				for k := range a {
					s += a[k] * b[k]
				}
				sim[i*n+j] = float64(s * inv)
			}
		}
	})
	// Symmetric InfoNCE: softmax over each row (A picks its B) and each
	// column (B picks its A); g is the loss's gradient by similarity.
	g := make([]float64, n*n)
	var loss float64
	softmax := func(i int, at func(k int) int) {
		m := math.Inf(-1)
		for k := range n {
			if !masked[at(k)] {
				m = max(m, sim[at(k)])
			}
		}
		var z float64
		for k := range n {
			if !masked[at(k)] {
				z += math.Exp(sim[at(k)] - m)
			}
		}
		for k := range n {
			if !masked[at(k)] {
				g[at(k)] += math.Exp(sim[at(k)]-m) / z / float64(2*n)
			}
		}
		loss += (m + math.Log(z) - sim[i*n+i]) / float64(2*n)
	}
	for i := range n {
		softmax(i, func(k int) int { return i*n + k })
		softmax(i, func(k int) int { return k*n + i })
		g[i*n+i] -= 1 / float64(n)
	}
	// Backward to the unit vectors, then through the normalisation to the
	// raw sums: d/ds = (g - (g·v)v)/|s|.
	gv := make([]float32, 2*n*d)
	t.parallel(2*n, func(lo, hi int) {
		for x := lo; x < hi; x++ {
			out := gv[x*d : (x+1)*d]
			for k := range n {
				var c float64
				var other []float32
				if x < n { // an A: its row of g, against the Bs
					c, other = g[x*n+k], v[(n+k)*d:(n+k+1)*d]
				} else { // a B: its column of g, against the As
					c, other = g[k*n+(x-n)], v[k*d:(k+1)*d]
				}
				if c == 0 {
					continue
				}
				cf := float32(c) * inv
				for j := range out {
					out[j] += cf * other[j]
				}
			}
			if norms[x] == 0 {
				clear(out)
				continue
			}
			vx := v[x*d : (x+1)*d]
			var dot float32
			for j := range out {
				dot += out[j] * vx[j]
			}
			for j := range out {
				out[j] = (out[j] - dot*vx[j]) / norms[x]
			}
		}
	})
	// Each feature's row gets its weight times its text's gradient; the
	// rows are then updated by AdaGrad.
	for x := range 2 * n {
		gx := gv[x*d : (x+1)*d]
		for _, f := range fs[x] {
			if !t.touched[f.ID] {
				t.touched[f.ID] = true
				t.list = append(t.list, f.ID)
			}
			row := t.grad[int(f.ID)*d : int(f.ID+1)*d]
			for j := range row {
				row[j] += f.W * gx[j]
			}
		}
	}
	rate := float32(t.opt.Rate)
	t.parallel(len(t.list), func(lo, hi int) {
		for _, id := range t.list[lo:hi] {
			off := int(id) * d
			for j := off; j < off+d; j++ {
				gj := t.grad[j]
				t.sq[j] += gj * gj
				t.rows[j] -= rate * gj / (float32(math.Sqrt(float64(t.sq[j]))) + 1e-8)
				t.grad[j] = 0
			}
			t.touched[id] = false
		}
	})
	t.list = t.list[:0]
	return loss
}
