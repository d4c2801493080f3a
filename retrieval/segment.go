package retrieval

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Word segmentation: a Chinese run is split into the most probable
// sequence of dictionary words (each word's probability from its count in
// the list, as jieba does; an unknown character is a word of its own at a
// low probability). Search does not need it (it indexes characters and
// bigrams); judging whether a passage covers a question does: "眼罩拆封了"
// is about 眼罩 and 拆封, not the seam 罩拆.

//go:embed zhwords/words.txt.gz
var zhWordsGz []byte

// zhShopWords are shopping words the general list lacks (顺丰, 包邮 …),
// written by the kefu team; they count as common words.
//
//go:embed zhwords/shop.txt
var zhShopWords string

// zhDict is the word list: words sorted, concatenated, with their offsets
// and log probabilities.
type zhDict struct {
	text    string
	offs    []uint32 // offs[i]:offs[i+1] is word i
	logp    []float32
	unknown float64 // the log probability of an unknown character
}

// shopWordCount is the count a shop word gets: a common word's.
const shopWordCount = 5000

var loadZhDict = sync.OnceValue(func() *zhDict {
	d := &zhDict{}
	z, err := gzip.NewReader(bytes.NewReader(zhWordsGz))
	if err != nil {
		return d // embedded and checked by the tests: cannot happen
	}
	// words.txt.gz is sorted by word; the shop words are merged in order.
	var extra []string
	for _, line := range strings.Split(zhShopWords, "\n") {
		if w := strings.TrimSpace(line); w != "" && !strings.HasPrefix(w, "#") {
			extra = append(extra, w)
		}
	}
	sort.Strings(extra)
	var b strings.Builder
	var counts []float64
	total := 0.0
	add := func(w string, c float64) {
		if n := len(d.offs); n > 0 && b.String()[d.offs[n-1]:] == w {
			counts[n-1] = max(counts[n-1], c)
			return
		}
		d.offs = append(d.offs, uint32(b.Len()))
		b.WriteString(w)
		counts = append(counts, c)
	}
	sc := bufio.NewScanner(z)
	for sc.Scan() {
		w, n, ok := strings.Cut(sc.Text(), "\t")
		c, err := strconv.ParseFloat(n, 64)
		if !ok || err != nil {
			continue
		}
		for len(extra) > 0 && extra[0] <= w {
			add(extra[0], shopWordCount)
			extra = extra[1:]
		}
		add(w, c)
	}
	for _, w := range extra {
		add(w, shopWordCount)
	}
	d.offs = append(d.offs, uint32(b.Len()))
	d.text = b.String()
	for _, c := range counts {
		total += c
	}
	d.logp = make([]float32, len(counts))
	for i, c := range counts {
		d.logp[i] = float32(math.Log(c / total))
	}
	d.unknown = math.Log(0.5/total) - 5
	return d
})

func (d *zhDict) word(i int) string { return d.text[d.offs[i]:d.offs[i+1]] }

// lookup returns w's log probability.
func (d *zhDict) lookup(w string) (float64, bool) {
	n := len(d.logp)
	i := sort.Search(n, func(i int) bool { return d.word(i) >= w })
	if i < n && d.word(i) == w {
		return float64(d.logp[i]), true
	}
	return 0, false
}

// Word is one word of a text: a Chinese dictionary word (or character), or
// a lowercased word of other scripts (Tokenize's). Start and End are byte
// offsets in the text.
type Word struct {
	Text       string
	Start, End int
	CJK        bool
}

// Words splits text into words, Chinese included. Traditional characters
// are read as simplified.
func Words(text string) []Word {
	var out []Word
	toks := Tokenize(text)
	for i := 0; i < len(toks); {
		if !toks[i].CJK {
			out = append(out, Word{Text: toks[i].Text, Start: toks[i].Start, End: toks[i].End})
			i++
			continue
		}
		// one CJK run: its tokens overlap; the run spans first.Start..last.End
		j := i
		for j+1 < len(toks) && toks[j+1].CJK && toks[j+1].Start < toks[j].End {
			j++
		}
		start, end := toks[i].Start, toks[j].End
		out = append(out, segmentRun(text[start:end], start)...)
		i = j + 1
	}
	return out
}

// segmentRun splits one run of CJK characters (base: its offset in the text).
func segmentRun(run string, base int) []Word {
	folded := Simplified(run)
	rs := []rune(folded)
	offs := runeOffsets(run, base) // original offsets, one per rune and the end
	if len(rs) == 1 {
		return []Word{{Text: folded, Start: offs[0], End: offs[1], CJK: true}}
	}
	d := loadZhDict()
	n := len(rs)
	best := make([]float64, n+1)
	from := make([]int, n+1)
	for i := 1; i <= n; i++ {
		best[i] = math.Inf(-1)
		for l := 1; l <= 4 && l <= i; l++ {
			p, ok := d.lookup(string(rs[i-l : i]))
			if !ok {
				if l > 1 {
					continue
				}
				p = d.unknown
			}
			if s := best[i-l] + p; s > best[i] {
				best[i], from[i] = s, i-l
			}
		}
	}
	var out []Word
	for i := n; i > 0; i = from[i] {
		out = append(out, Word{Text: string(rs[from[i]:i]), Start: offs[from[i]], End: offs[i], CJK: true})
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

// IsCJKWord reports whether w is made of CJK characters.
func IsCJKWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return IsCJK(r)
}
