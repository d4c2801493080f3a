package retrieval

import (
	"math"
	"slices"
	"unicode/utf8"
)

// The learned embedder's features. A text is read with Tokenize (so it sees
// what search sees: folded widths, simplified Chinese) into
//   - word terms, as Terms makes them (stemmed, no stop words), and pairs of
//     consecutive terms ("send back" from "send it back");
//   - character 3-, 4- and 5-grams of each Latin word with its boundaries
//     ("<refnd>" shares "<re", "ref", "nd>" with "<refund>"), so typos and
//     word forms land near the word;
//   - CJK characters, character bigrams and trigrams.
//
// Each feature hashes to one of the model's buckets. A feature that occurs
// c times counts 1 + ln c (sublinear), and a word's character n-grams
// share one word's weight between them.

// feature is a hashed feature (its bucket) and its weight in one text.
type feature struct {
	ID uint32
	W  float32
}

// Feature kinds, hashed in front of the feature's bytes.
const (
	kindTerm    = 'w'
	kindPair    = 'p'
	kindChar    = 'c'
	kindCJK1    = '1'
	kindCJK2    = '2'
	kindCJK3    = '3'
	featVersion = 1 // bump when features change: old weights no longer fit
)

// FNV-1a, 64 bits.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashStart(kind byte) uint64 { return (fnvOffset ^ uint64(kind)) * fnvPrime }

func hashAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// bucket mixes h (splitmix64's finaliser) and maps it to one of n buckets
// (n a power of two).
func bucket(h uint64, n uint32) uint32 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return uint32(h) & (n - 1)
}

// features appends text's features, merged by bucket and sorted, to dst.
func features(dst []feature, text string, buckets uint32) []feature {
	start := len(dst)
	toks := Tokenize(text)
	var memo map[string]string // a long text's words, stemmed once each
	if len(toks) > 32 {
		memo = make(map[string]string, len(toks)/2)
	}
	var prev string // the previous Latin term, for pairs
	var run []rune  // the current CJK run (folded), for n-grams
	lastEnd := -1   // end of the previous CJK token, to find runs
	flush := func() {
		for i := range run {
			for n := 1; n <= 3 && i+n <= len(run); n++ {
				h := hashStart(byte(kindCJK1 + n - 1))
				var buf [12]byte
				b := buf[:0]
				for _, r := range run[i : i+n] {
					b = utf8.AppendRune(b, r)
				}
				dst = append(dst, feature{bucket(hashAdd(h, string(b)), buckets), 1})
			}
		}
		run = run[:0]
	}
	for _, t := range toks {
		if t.CJK {
			prev = ""
			r := []rune(t.Text)
			if len(run) > 0 && t.Start < lastEnd {
				run = append(run, r[len(r)-1]) // overlapping bigram: one new character
			} else {
				flush()
				run = append(run, r...)
			}
			lastEnd = t.End
			continue
		}
		flush()
		dst = wordFeatures(dst, t.Text, &prev, buckets, memo)
	}
	flush()
	return mergeFeatures(dst, start)
}

// wordFeatures appends a Latin word's term, its pair with the previous
// term, and its character n-grams. memo, when not nil, keeps words' terms.
func wordFeatures(dst []feature, word string, prev *string, buckets uint32, memo map[string]string) []feature {
	term, ok := memo[word]
	if !ok {
		if ts := Terms(word); len(ts) == 1 {
			term = ts[0]
		}
		if memo != nil {
			memo[word] = term
		}
	}
	if term != "" {
		dst = append(dst, feature{bucket(hashAdd(hashStart(kindTerm), term), buckets), 1})
		if *prev != "" {
			h := hashAdd(hashAdd(hashStart(kindPair), *prev), " ")
			dst = append(dst, feature{bucket(hashAdd(h, term), buckets), 1})
		}
		*prev = term
	}
	if isNumber(word) {
		return dst
	}
	padded := "<" + word + ">"
	var buf [64]int
	runes := buf[:0] // rune starts, then the end
	for i := range padded {
		runes = append(runes, i)
	}
	runes = append(runes, len(padded))
	first := len(dst)
	for n := 3; n <= 5; n++ {
		for i := 0; i+n < len(runes); i++ {
			dst = append(dst, feature{bucket(hashAdd(hashStart(kindChar), padded[runes[i]:runes[i+n]]), buckets), 1})
		}
	}
	if k := len(dst) - first; k > 0 {
		w := 1 / float32(k)
		if term == "" {
			w /= 4 // a stop word's shape says little
		}
		for i := first; i < len(dst); i++ {
			dst[i].W = w
		}
	}
	return dst
}

func isNumber(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// mergeFeatures sorts dst[start:] by bucket, sums the weights of each
// bucket and makes them sublinear.
func mergeFeatures(dst []feature, start int) []feature {
	fs := dst[start:]
	slices.SortFunc(fs, func(a, b feature) int { return int(a.ID) - int(b.ID) })
	out := fs[:0]
	for _, f := range fs {
		if n := len(out); n > 0 && out[n-1].ID == f.ID {
			out[n-1].W += f.W
			continue
		}
		out = append(out, f)
	}
	for i := range out {
		if out[i].W > 1 {
			out[i].W = 1 + float32(math.Log(float64(out[i].W)))
		}
	}
	return dst[:start+len(out)]
}
