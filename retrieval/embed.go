package retrieval

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
)

// Embedder turns texts into vectors of one model.
type Embedder interface {
	// Model names the vectors' space; vectors are stored and searched by it.
	Model() string
	Dim() int
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// HashEmbedder is the built-in offline embedder: signed feature hashing of
// search terms, word bigrams and character trigrams, with sublinear term
// weights, L2-normalised. Deterministic, needs no model files, and its
// character trigrams make it forgiving of typos that defeat exact-term search.
type HashEmbedder struct{ dim int }

// DefaultDim is the built-in embedder's dimension.
const DefaultDim = 384

// NewHashEmbedder returns the built-in embedder with dim dimensions.
func NewHashEmbedder(dim int) *HashEmbedder { return &HashEmbedder{dim: dim} }

// Model implements Embedder.
func (h *HashEmbedder) Model() string { return fmt.Sprintf("builtin-hash-v1-%d", h.dim) }

// Dim implements Embedder.
func (h *HashEmbedder) Dim() int { return h.dim }

// Embed implements Embedder; it never fails.
func (h *HashEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = h.Vector(t)
	}
	return out, nil
}

// Vector embeds one text.
func (h *HashEmbedder) Vector(text string) []float32 {
	counts := map[string]float64{}
	terms := Terms(text)
	for i, t := range terms {
		counts["w:"+t] += 1
		if i > 0 {
			counts["b:"+terms[i-1]+" "+t] += 0.5
		}
		if r := []rune(t); len(r) >= 4 && !IsCJK(r[0]) {
			padded := append(append([]rune{'<'}, r...), '>')
			for k := 0; k+3 <= len(padded); k++ {
				counts["c:"+string(padded[k:k+3])] += 0.25
			}
		}
	}
	v := make([]float32, h.dim)
	for f, c := range counts {
		x := fnv.New64a()
		x.Write([]byte(f))
		sum := x.Sum64()
		w := 1 + math.Log(c) // sublinear
		if c < 1 {
			w = c
		}
		if sum>>63 == 1 {
			w = -w
		}
		v[int(sum%uint64(h.dim))] += float32(w)
	}
	normalize(v)
	return v
}

func normalize(v []float32) {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range v {
		v[i] *= inv
	}
}
