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
	"unicode"
)

// LearnedEmbedder is kefu's trained embedder. A text's vector has three
// parts, each a projection of the text's hashed features (features.go):
//
//   - meaning: each feature's bucket has a learned row; their weighted sum,
//     L2-normalised. The rows were trained (TrainEmbedder, `kefu embedder
//     train`) so that paraphrases and translations land close together:
//     "send it back" near "return an item", "包邮" near "free shipping";
//   - words: the hashing embedder's vector (HashEmbedder: search terms, word
//     pairs and character trigrams hashed with random signs into a few
//     hundred fixed dimensions), so passages that share the query's exact
//     words, names and numbers stay close where learned meaning blurs them;
//   - language: one number, from +1 for Latin-script text to -1 for Chinese,
//     so that of two passages meaning the same, the one in the query's
//     language is nearer (a bilingual shop answers in the shopper's
//     language); among passages of one language it changes no ranking.
//
// The parts are weighted (LexShare for words, LangWeight for language) and
// the whole is L2-normalised: a cosine similarity is (1-LexShare)·meaning +
// LexShare·words + LangWeight²·language agreement, over 1 + LangWeight².
//
// Rows are stored as int8 with one float32 scale per row, and used in place:
// the shipped weights are read from the binary without a copy.
type LearnedEmbedder struct {
	dim        int // learned dimensions
	buckets    uint32
	lexDim     int
	lexShare   float32
	langWeight float32
	scales     []float32
	rows       []byte // buckets × dim int8 values
	model      string
}

// Weights file layout (little endian): magic; format version, feature
// version, dim, buckets, words dimensions (uint32); words share, language
// weight (float32); buckets float32 scales; buckets×dim int8 rows.
const (
	weightsMagic  = "KEFUEMB\x00"
	weightsFormat = 2
	weightsHeader = len(weightsMagic) + 7*4
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
	format, feat, dim, buckets, lexDim := u(0), u(1), u(2), u(3), u(4)
	lexShare, langWeight := math.Float32frombits(u(5)), math.Float32frombits(u(6))
	if format != weightsFormat || feat != featVersion {
		return nil, fmt.Errorf("%w: format %d, features v%d (this kefu reads format %d, features v%d)", ErrWeights, format, feat, weightsFormat, featVersion)
	}
	if dim == 0 || dim > 4096 || buckets == 0 || buckets&(buckets-1) != 0 || buckets > 1<<24 || lexDim > 4096 ||
		!(lexShare >= 0 && lexShare < 1) || !(langWeight >= 0 && langWeight <= 10) || (lexDim == 0) != (lexShare == 0) {
		return nil, fmt.Errorf("%w: dim %d, buckets %d, words %d × %v, language %v", ErrWeights, dim, buckets, lexDim, lexShare, langWeight)
	}
	want := weightsHeader + int(buckets)*4 + int(buckets)*int(dim)
	if len(data) != want {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrWeights, len(data), want)
	}
	e := &LearnedEmbedder{dim: int(dim), buckets: buckets, lexDim: int(lexDim), lexShare: lexShare, langWeight: langWeight,
		scales: make([]float32, buckets)}
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
	e.model = fmt.Sprintf("kefu-embed-v%d-%d-%s", feat, e.Dim(), hex.EncodeToString(sum[:4]))
	return e, nil
}

// Model implements Embedder: kefu-embed-v{feature version}-{dim}-{hash of the weights}.
func (e *LearnedEmbedder) Model() string { return e.model }

// Dim implements Embedder: the learned dimensions, the words' and the
// language's.
func (e *LearnedEmbedder) Dim() int {
	d := e.dim + e.lexDim
	if e.langWeight > 0 {
		d++
	}
	return d
}

// Embed implements Embedder; it never fails.
func (e *LearnedEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var fs []feature
	for i, t := range texts {
		fs = features(fs[:0], t, e.buckets)
		out[i] = e.vector(t, fs)
	}
	return out, nil
}

// Vector embeds one text: a unit vector, or all zeros for a text without
// words.
func (e *LearnedEmbedder) Vector(text string) []float32 {
	return e.vector(text, features(nil, text, e.buckets))
}

func (e *LearnedEmbedder) vector(text string, fs []feature) []float32 {
	v := make([]float32, e.Dim())
	if len(fs) == 0 {
		return v
	}
	meaning, words := v[:e.dim], v[e.dim:e.dim+e.lexDim]
	for _, f := range fs {
		s := e.scales[f.ID] * f.W
		row := e.rows[int(f.ID)*e.dim : int(f.ID+1)*e.dim]
		for j, q := range row {
			meaning[j] += s * float32(int8(q))
		}
	}
	normalize(meaning)
	if e.lexDim > 0 {
		copy(words, NewHashEmbedder(e.lexDim).Vector(text))
	}
	scale(meaning, float32(math.Sqrt(float64(1-e.lexShare))))
	scale(words, float32(math.Sqrt(float64(e.lexShare))))
	if e.langWeight > 0 {
		v[len(v)-1] = e.langWeight * latinShare(text)
		normalize(v)
	}
	return v
}

func scale(v []float32, s float32) {
	for i := range v {
		v[i] *= s
	}
}

// latinShare is +1 for text in Latin letters, -1 for Chinese (or other CJK)
// text and in between for a mix, a CJK character counting as much as three
// letters (about one English word's worth of meaning each way).
func latinShare(text string) float32 {
	var latin, cjk float32
	for _, r := range text {
		switch {
		case IsCJK(r):
			cjk++
		case r < 0x250 && unicode.IsLetter(r):
			latin++
		}
	}
	latin /= 3
	if latin+cjk == 0 {
		return 0
	}
	return (latin - cjk) / (latin + cjk)
}

// Save writes the weights in the format LoadEmbedder reads.
func (e *LearnedEmbedder) Save(w io.Writer) error {
	head := make([]byte, weightsHeader, weightsHeader+4*len(e.scales))
	copy(head, weightsMagic)
	for i, v := range []uint32{weightsFormat, featVersion, uint32(e.dim), e.buckets, uint32(e.lexDim),
		math.Float32bits(e.lexShare), math.Float32bits(e.langWeight)} {
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
