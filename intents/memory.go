package intents

import (
	"math"
	"slices"
	"sync"

	"kefu/retrieval"
)

// Embedder gives the vectors in which the classifier looks for a message's
// nearest training examples (one piece of out-of-scope evidence). Any
// func(text string) []float32 can be one (EmbedFunc); retrieval's
// embedders with a Vector method are too. Without one, the classifier uses
// cosine similarity over its own hashed features.
type Embedder interface {
	// Model names the vector space; a saved classifier records it and
	// must be loaded with the same embedder.
	Model() string
	// Vector embeds one text; vectors are compared by cosine similarity.
	Vector(text string) []float32
}

// EmbedFunc makes an Embedder of a function.
func EmbedFunc(model string, f func(text string) []float32) Embedder { return embedFunc{model, f} }

type embedFunc struct {
	model string
	f     func(string) []float32
}

func (e embedFunc) Model() string                { return e.model }
func (e embedFunc) Vector(text string) []float32 { return e.f(text) }

// memory holds the training examples for nearest-neighbour look-ups: sparse
// unit vectors (termFeatures) in an inverted index, or dense unit vectors
// from an Embedder. It is immutable once built.
type memory struct {
	ys []int32 // label index of each example
	// sparse (embed == nil): feature (termFeatures) → postings
	post map[uint32][]posting
	// dense (embed != nil): n × dim, row-major, unit length
	embed Embedder
	dim   int
	vecs  []float32
}

type posting struct {
	ex int32
	v  float32
}

// termFeatures returns the sparse vector of text in the memory's default
// space: the exact (unhashed-to-few-dimensions) form of retrieval's
// built-in embedder, so that nearness is about content words: search terms
// (stemmed, without stop words; CJK bigrams) with sublinear weights, term
// bigrams at half weight and character trigrams of longer words at a
// quarter, merged and scaled to unit length.
func termFeatures(text string) []feat {
	terms := retrieval.Terms(text)
	out := make([]feat, 0, 4*len(terms))
	for i, t := range terms {
		out = append(out, feat{id: hashString(hashByte(fnvOffset, 'w'), t), v: 1})
		if i > 0 {
			out = append(out, feat{id: hashString(hashByte(hashString(hashByte(fnvOffset, 'b'), terms[i-1]), ' '), t), v: 0.5})
		}
		if r := []rune(t); len(r) >= 4 && !retrieval.IsCJK(r[0]) {
			padded := append(append([]rune{'<'}, r...), '>')
			for k := 0; k+3 <= len(padded); k++ {
				out = append(out, feat{id: hashString(hashByte(fnvOffset, 'c'), string(padded[k:k+3])), v: 0.25})
			}
		}
	}
	// Merge repeats (in id order, so that sums, and so training, are the
	// same every time) with sublinear weights.
	merged := mergeFeats(out)
	var sum float64
	for i, f := range merged {
		if f.v > 1 {
			merged[i].v = float32(1 + math.Log(float64(f.v)))
		}
		sum += float64(merged[i].v) * float64(merged[i].v)
	}
	if sum > 0 {
		s := float32(1 / math.Sqrt(sum))
		for i := range merged {
			merged[i].v *= s
		}
	}
	return merged
}

func unitVector(v []float32) []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	out := slices.Clone(v)
	if sum > 0 {
		s := float32(1 / math.Sqrt(sum))
		for i := range out {
			out[i] *= s
		}
	}
	return out
}

// query is a text in the memory's space: sparse termFeatures, or a dense
// unit vector from the Embedder.
type query struct {
	terms []feat
	vec   []float32
}

// queryOf puts text into the space of embed (nil: termFeatures).
func queryOf(text string, embed Embedder) query {
	if embed != nil {
		return query{vec: unitVector(embed.Vector(text))}
	}
	return query{terms: termFeatures(text)}
}

// newMemory indexes the examples qs (labels ys, all in the space of embed)
// for look-ups.
func newMemory(qs []query, ys []int, embed Embedder) *memory {
	m := &memory{ys: make([]int32, len(qs)), embed: embed}
	for i, y := range ys {
		m.ys[i] = int32(y)
	}
	if embed != nil {
		for i, q := range qs {
			if i == 0 {
				m.dim = len(q.vec)
				m.vecs = make([]float32, 0, len(qs)*m.dim)
			}
			v := q.vec
			if len(v) != m.dim {
				v = make([]float32, m.dim) // a malformed vector matches nothing
			}
			m.vecs = append(m.vecs, v...)
		}
		return m
	}
	m.post = map[uint32][]posting{}
	for i, q := range qs {
		for _, f := range q.terms {
			m.post[f.id] = append(m.post[f.id], posting{ex: int32(i), v: f.v})
		}
	}
	return m
}

// scratch holds the buffers of one look-up: a similarity per example, and
// which examples a sparse look-up touched.
type scratch struct {
	sims    []float32
	touched []int32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// nearness is what a look-up finds: the highest cosine similarity to an
// example of an in-scope label, of the label pred, and of Other.
type nearness struct {
	in, pred, other float64
}

// nearest compares q with every example. other is the index of Other
// (-1: none).
func (m *memory) nearest(q query, pred, other int) nearness {
	n := len(m.ys)
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	if cap(sc.sims) < n {
		sc.sims = make([]float32, n)
	}
	sims := sc.sims[:n]
	var r nearness
	see := func(i int, v float64) {
		switch y := int(m.ys[i]); {
		case y == other:
			r.other = max(r.other, v)
		default:
			r.in = max(r.in, v)
			if y == pred {
				r.pred = max(r.pred, v)
			}
		}
	}
	if m.embed != nil {
		if len(q.vec) == m.dim {
			for i := range sims {
				var s float32
				for j, x := range m.vecs[i*m.dim : (i+1)*m.dim] {
					s += x * q.vec[j]
				}
				see(i, float64(s))
			}
		}
		return r
	}
	// Sparse: only the examples sharing a feature with q; sims is all
	// zeros between look-ups.
	touched := sc.touched[:0]
	for _, f := range q.terms {
		for _, p := range m.post[f.id] {
			if sims[p.ex] == 0 {
				touched = append(touched, p.ex)
			}
			sims[p.ex] += f.v * p.v
		}
	}
	for _, i := range touched {
		see(int(i), float64(sims[i]))
		sims[i] = 0
	}
	sc.touched = touched
	return r
}
