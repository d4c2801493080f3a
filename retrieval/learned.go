package retrieval

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
)

// LearnedEmbedder is kefu's trained embedder: a dense projection of hashed
// features (see features.go). Each feature's bucket has a learned row of Dim
// numbers; a text's vector is the weighted sum of its features' rows,
// L2-normalised. The rows were trained (TrainEmbedder, `kefu embedder
// train`) so that paraphrases and translations land close together: "send it
// back" near "return an item", "包邮" near "free shipping".
//
// Rows are stored as int8 with one float32 scale per row, and used in place:
// the shipped weights are read from the binary without a copy.
type LearnedEmbedder struct {
	dim     int
	buckets uint32
	scales  []float32
	rows    []byte // buckets × dim int8 values
	model   string
}

// Weights file layout (little endian): magic, format version, feature
// version, dim, buckets, buckets float32 scales, buckets×dim int8 rows.
const (
	weightsMagic  = "KEFUEMB\x00"
	weightsFormat = 1
	weightsHeader = len(weightsMagic) + 4*4
)

// ErrWeights reports a weights file that is not one this kefu can use.
var ErrWeights = errors.New("not a usable kefu embedder weights file")

//go:embed data/embedder.bin
var builtinWeights []byte

var builtin = sync.OnceValues(func() (*LearnedEmbedder, error) { return LoadEmbedder(builtinWeights) })

// BuiltinEmbedder returns the embedder whose weights ship in the binary
// (retrieval/data/embedder.bin; its SOURCE.md says what trained them). It is
// loaded once and shared.
func BuiltinEmbedder() (*LearnedEmbedder, error) { return builtin() }

// LoadEmbedder reads weights written by (*LearnedEmbedder).Save. data is
// used in place and must not change afterwards.
func LoadEmbedder(data []byte) (*LearnedEmbedder, error) {
	if len(data) < weightsHeader || string(data[:len(weightsMagic)]) != weightsMagic {
		return nil, fmt.Errorf("%w: bad header", ErrWeights)
	}
	u := func(i int) uint32 { return binary.LittleEndian.Uint32(data[len(weightsMagic)+4*i:]) }
	format, feat, dim, buckets := u(0), u(1), u(2), u(3)
	if format != weightsFormat || feat != featVersion {
		return nil, fmt.Errorf("%w: format %d, features v%d (this kefu reads format %d, features v%d)", ErrWeights, format, feat, weightsFormat, featVersion)
	}
	if dim == 0 || dim > 4096 || buckets == 0 || buckets&(buckets-1) != 0 || buckets > 1<<24 {
		return nil, fmt.Errorf("%w: dim %d, buckets %d", ErrWeights, dim, buckets)
	}
	want := weightsHeader + int(buckets)*4 + int(buckets)*int(dim)
	if len(data) != want {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrWeights, len(data), want)
	}
	e := &LearnedEmbedder{dim: int(dim), buckets: buckets, scales: make([]float32, buckets)}
	off := weightsHeader
	for i := range e.scales {
		e.scales[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[off+4*i:]))
		if f := float64(e.scales[i]); math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return nil, fmt.Errorf("%w: row %d has scale %v", ErrWeights, i, f)
		}
	}
	e.rows = data[off+4*int(buckets):]
	sum := sha256.Sum256(data)
	// The name changes with the weights: vectors of other weights are never
	// mixed with these, and new weights are re-embedded like a new model.
	e.model = fmt.Sprintf("kefu-embed-v%d-%d-%s", feat, dim, hex.EncodeToString(sum[:4]))
	return e, nil
}

// Model implements Embedder: kefu-embed-v{feature version}-{dim}-{hash of the weights}.
func (e *LearnedEmbedder) Model() string { return e.model }

// Dim implements Embedder.
func (e *LearnedEmbedder) Dim() int { return e.dim }

// Embed implements Embedder; it never fails.
func (e *LearnedEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var fs []feature
	for i, t := range texts {
		fs = features(fs[:0], t, e.buckets)
		out[i] = e.sum(fs)
	}
	return out, nil
}

// Vector embeds one text: a unit vector, or all zeros for a text without
// words.
func (e *LearnedEmbedder) Vector(text string) []float32 {
	return e.sum(features(nil, text, e.buckets))
}

func (e *LearnedEmbedder) sum(fs []feature) []float32 {
	v := make([]float32, e.dim)
	for _, f := range fs {
		s := e.scales[f.ID] * f.W
		row := e.rows[int(f.ID)*e.dim : int(f.ID+1)*e.dim]
		for j, q := range row {
			v[j] += s * float32(int8(q))
		}
	}
	normalize(v)
	return v
}

// Save writes the weights in the format LoadEmbedder reads.
func (e *LearnedEmbedder) Save(w io.Writer) error {
	head := make([]byte, weightsHeader, weightsHeader+4*len(e.scales))
	copy(head, weightsMagic)
	for i, v := range []uint32{weightsFormat, featVersion, uint32(e.dim), e.buckets} {
		binary.LittleEndian.PutUint32(head[len(weightsMagic)+4*i:], v)
	}
	for _, s := range e.scales {
		head = binary.LittleEndian.AppendUint32(head, math.Float32bits(s))
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("write weights: %w", err)
	}
	if _, err := w.Write(e.rows); err != nil {
		return fmt.Errorf("write weights: %w", err)
	}
	return nil
}

// quantize makes an embedder of float32 rows (buckets × dim): each row is
// stored as int8 with the scale max|x|/127.
func quantize(rows []float32, dim int, buckets uint32) *LearnedEmbedder {
	e := &LearnedEmbedder{dim: dim, buckets: buckets, scales: make([]float32, buckets), rows: make([]byte, len(rows))}
	for b := range int(buckets) {
		row := rows[b*dim : (b+1)*dim]
		var m float32
		for _, x := range row {
			m = max(m, float32(math.Abs(float64(x))))
		}
		if m == 0 {
			continue
		}
		s := m / 127
		e.scales[b] = s
		for j, x := range row {
			e.rows[b*dim+j] = byte(int8(math.Round(float64(x / s))))
		}
	}
	return e
}
