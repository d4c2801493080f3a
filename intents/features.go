package intents

import (
	"math"
	"unicode/utf8"

	"kefu/retrieval"
)

// featureVersion names the feature set a model was trained with; a saved
// model with another version is refused, since its weights would be read
// against the wrong features.
const featureVersion = 1

// defaultBuckets is the size of the hashed feature space (2^20). Models store
// only the buckets their training data touched, so a large space costs
// nothing but avoids collisions.
const defaultBuckets = 1 << 20

// feat is one hashed feature and its value.
type feat struct {
	id uint32
	v  float32
}

// Feature kinds, hashed in front of the feature text so that the word "ab"
// and the character bigram "ab" are different features.
const (
	kindBias byte = iota + 1
	kindWord
	kindWordBigram
	kindCharGram
	kindCJKChar
	kindCJKBigram
	kindCJKTrigram
)

// Group weights: words and CJK n-grams count most, character n-grams (many
// per word, there to catch typos and inflections) count less. Chosen by
// 5-fold cross-validation on the built-in and BANKING77 training sets.
const (
	weightWord     = 1.0
	weightBigram   = 0.8
	weightCharGram = 0.35
	weightCJKChar  = 1.0
	weightCJK      = 1.0
)

const (
	fnvOffset uint32 = 2166136261
	fnvPrime  uint32 = 16777619
)

func hashByte(h uint32, b byte) uint32 { return (h ^ uint32(b)) * fnvPrime }

func hashString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * fnvPrime
	}
	return h
}

// hashDigitsAsZero hashes s with every ASCII digit read as '0', so that
// order number 100234 and 100873 share their features.
func hashDigitsAsZero(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '1' && c <= '9' {
			c = '0'
		}
		h = (h ^ uint32(c)) * fnvPrime
	}
	return h
}

// featurize appends the hashed features of text to dst: a bias, word
// unigrams and bigrams, character 2–4-grams inside each word (with boundary
// marks), and for CJK runs the characters, the bigrams (retrieval's tokens)
// and trigrams. Values are scaled so the vector has unit length; repeated
// features appear repeatedly and add up.
func featurize(text string, buckets uint32, dst []feat) []feat {
	mask := buckets - 1
	start := len(dst)
	dst = append(dst, feat{id: hashByte(fnvOffset, kindBias) & mask, v: 1})
	toks := retrieval.Tokenize(text)
	prevWord := ""
	for k, t := range toks {
		if t.CJK {
			prevWord = ""
			dst = append(dst, feat{id: hashString(hashByte(fnvOffset, kindCJKBigram), t.Text) & mask, v: weightCJK})
			// Characters: the first of each bigram, plus the last of the run.
			_, n := utf8.DecodeRuneInString(t.Text)
			dst = append(dst, feat{id: hashString(hashByte(fnvOffset, kindCJKChar), t.Text[:n]) & mask, v: weightCJKChar})
			last := k+1 >= len(toks) || toks[k+1].Start >= t.End
			if last && n < len(t.Text) {
				dst = append(dst, feat{id: hashString(hashByte(fnvOffset, kindCJKChar), t.Text[n:]) & mask, v: weightCJKChar})
			}
			if !last && toks[k+1].CJK && toks[k+1].Start == t.Start+n {
				// overlapping bigrams ab, bc → trigram abc
				dst = append(dst, feat{id: hashString(hashByte(fnvOffset, kindCJKTrigram), text[t.Start:toks[k+1].End]) & mask, v: weightCJK})
			}
			continue
		}
		w := t.Text
		dst = append(dst, feat{id: hashDigitsAsZero(hashByte(fnvOffset, kindWord), w) & mask, v: weightWord})
		if prevWord != "" {
			h := hashDigitsAsZero(hashByte(fnvOffset, kindWordBigram), prevWord)
			h = hashDigitsAsZero(hashByte(h, ' '), w)
			dst = append(dst, feat{id: h & mask, v: weightBigram})
		}
		prevWord = w
		dst = appendCharGrams(dst, w, mask)
	}
	var sum float64
	for _, f := range dst[start:] {
		sum += float64(f.v) * float64(f.v)
	}
	if sum > 0 {
		scale := float32(1 / math.Sqrt(sum))
		for i := start; i < len(dst); i++ {
			dst[i].v *= scale
		}
	}
	return dst
}

// appendCharGrams appends the character 2-, 3- and 4-grams of "<w>".
func appendCharGrams(dst []feat, w string, mask uint32) []feat {
	// Rune start offsets in "<" + w + ">", without building that string.
	var offs [34]int
	n := 0
	offs[n] = -1 // '<'
	n++
	for i := range w {
		if n == len(offs)-1 {
			return dst // very long "words" (URLs, garbage) get no n-grams
		}
		offs[n] = i
		n++
	}
	offs[n] = len(w) // '>'
	n++
	for size := 2; size <= 4; size++ {
		for i := 0; i+size <= n; i++ {
			h := hashByte(fnvOffset, kindCharGram)
			from, to := offs[i], offs[i+size-1] // to: start of the last rune
			if from < 0 {
				h = hashByte(h, '<')
				from = 0
			}
			end := to
			closing := to == len(w)
			if !closing {
				_, sz := utf8.DecodeRuneInString(w[to:])
				end = to + sz
			}
			h = hashDigitsAsZero(h, w[from:end])
			if closing {
				h = hashByte(h, '>')
			}
			dst = append(dst, feat{id: h & mask, v: weightCharGram})
		}
	}
	return dst
}
