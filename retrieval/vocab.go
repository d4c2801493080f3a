package retrieval

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/kljensen/snowball/english"
)

// Vocabulary maps the words shoppers use to the words shop policies use
// ("send it back" → return, 退钱 → 退款, Germany → European Union), so a
// search finds a passage that never uses the shopper's words. A search adds
// the expansions to the query with less weight than the shopper's own words.
// A Vocabulary is immutable and safe for concurrent use.
type Vocabulary struct {
	words map[string][]int // first word stem of a phrase → rules
	cjk   []int            // rules whose phrase is matched as Chinese characters
	rules []vocabRule
}

type vocabRule struct {
	source string   // the phrase as written
	phrase []string // word stems, or a place's words as written (exactWord); nil for a Chinese phrase
	chars  string   // a Chinese phrase (simplified, lowercased)
	expand []string
}

// Synonym is one line of a vocabulary: phrases a shopper writes and the
// terms a search adds for them.
type Synonym struct {
	Phrases []string `json:"phrases"`
	Terms   []string `json:"terms"`
}

//go:embed vocab/lexicon.txt vocab/places.txt
var vocabFiles embed.FS

// BuiltinVocabulary is kefu's own shop lexicon and place gazetteer
// (retrieval/vocab, written by the kefu team).
var BuiltinVocabulary = sync.OnceValue(func() *Vocabulary {
	return NewVocabulary(embeddedSynonyms("vocab/lexicon.txt")).add(embeddedSynonyms("vocab/places.txt"), exactWord)
})

// embeddedSynonyms are the lines of one of the built-in vocabulary files.
func embeddedSynonyms(name string) []Synonym {
	b, err := vocabFiles.ReadFile(name)
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	syns, err := ParseSynonyms(string(b))
	if err != nil {
		panic(fmt.Sprintf("%s: %v", name, err)) // checked by the tests
	}
	return syns
}

// gazetteer is the names of the built-in place gazetteer: the one-word
// names and Chinese phrases as written (lowercased, Chinese simplified),
// the search terms of the one-word names, and the names of several words
// ("sao paulo"), their words as Tokenize writes them joined by spaces.
type gazetteer struct{ words, terms, phrases map[string]bool }

var places = sync.OnceValue(func() gazetteer {
	g := gazetteer{words: map[string]bool{}, terms: map[string]bool{}, phrases: map[string]bool{}}
	for _, s := range embeddedSynonyms("vocab/places.txt") {
		for _, p := range s.Phrases {
			toks := Tokenize(p)
			switch {
			case len(toks) == 1 && !toks[0].CJK:
				g.words[toks[0].Text] = true // Tokenize has lowercased it and folded its accents
				g.terms[stem(toks[0].Text)] = true
			case IsCJKWord(p):
				g.words[Simplified(p)] = true
				g.terms[Simplified(p)] = true
			case len(toks) > 1 && !slices.ContainsFunc(toks, func(t Token) bool { return t.CJK }):
				words := make([]string, len(toks))
				for i, t := range toks {
					words[i] = t.Text
				}
				g.phrases[strings.Join(words, " ")] = true
			}
		}
	}
	return g
})

// IsPlacePhrase reports whether words, as Tokenize writes them, are a
// place name of several words the built-in gazetteer knows: "sao paulo",
// "new york".
func IsPlacePhrase(words ...string) bool {
	return len(words) > 1 && places().phrases[strings.Join(words, " ")]
}

// IsPlace reports whether word (one word, or a Chinese word) names a place
// the built-in gazetteer knows: "Spain", "nz", "香港". A place is its name
// as written: "kitchen" is not Kitchener, nor "main" Maine, though their
// stems are alike.
func IsPlace(word string) bool {
	w := normalizeWord(word)
	if IsCJKWord(w) {
		return places().words[Simplified(w)]
	}
	return places().words[w]
}

// IsPlaceTerm reports whether a search term (SearchTerms: "germani" for
// Germany) is that of a place the built-in gazetteer knows. Prefer IsPlace
// where the word as written is at hand.
func IsPlaceTerm(term string) bool { return places().terms[term] }

// ParseSynonyms reads lines "phrase, phrase, … => term, term, …" ('#' starts
// a comment line). It names the first bad line.
func ParseSynonyms(text string) ([]Synonym, error) {
	var out []Synonym
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := ParseSynonym(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// MaxSynonymLength bounds one synonym line (characters).
const MaxSynonymLength = 2000

// ParseSynonym reads one line "phrase, phrase, … => term, term, …".
func ParseSynonym(line string) (Synonym, error) {
	if len([]rune(line)) > MaxSynonymLength {
		return Synonym{}, fmt.Errorf("longer than %d characters", MaxSynonymLength)
	}
	left, right, ok := strings.Cut(line, "=>")
	if !ok {
		return Synonym{}, fmt.Errorf(`no "=>" between the phrases and the terms`)
	}
	s := Synonym{Phrases: splitList(left), Terms: splitList(right)}
	if len(s.Phrases) == 0 || len(s.Terms) == 0 {
		return Synonym{}, fmt.Errorf(`need at least one phrase before "=>" and one term after it`)
	}
	for _, p := range s.Phrases {
		if len(Tokenize(p)) == 0 {
			return Synonym{}, fmt.Errorf("phrase %q has no words", p)
		}
	}
	return s, nil
}

// String writes s as ParseSynonym reads it.
func (s Synonym) String() string {
	return strings.Join(s.Phrases, ", ") + " => " + strings.Join(s.Terms, ", ")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// NewVocabulary builds a vocabulary from synonym lines.
func NewVocabulary(syns []Synonym) *Vocabulary {
	v := &Vocabulary{words: map[string][]int{}}
	return v.add(syns, phraseWord)
}

// With returns a vocabulary with v's lines and syns (a site's own synonyms).
func (v *Vocabulary) With(syns []Synonym) *Vocabulary {
	if len(syns) == 0 {
		return v
	}
	out := &Vocabulary{words: make(map[string][]int, len(v.words)), cjk: append([]int(nil), v.cjk...), rules: append([]vocabRule(nil), v.rules...)}
	for k, idx := range v.words {
		out.words[k] = append([]int(nil), idx...)
	}
	return out.add(syns, phraseWord)
}

// add adds the lines syns, their Latin words matched as match has them:
// phraseWord (stems) or, for the names of the gazetteer, exactWord.
func (v *Vocabulary) add(syns []Synonym, match func(string) string) *Vocabulary {
	for _, s := range syns {
		for _, p := range s.Phrases {
			r := vocabRule{source: p, expand: s.Terms}
			toks := Tokenize(p)
			// a phrase with Chinese in it is matched as characters, Latin
			// letters and all (T恤)
			if slices.ContainsFunc(toks, func(t Token) bool { return t.CJK }) {
				r.chars = Simplified(strings.ToLower(strings.Join(strings.Fields(p), "")))
				v.cjk = append(v.cjk, len(v.rules))
			} else {
				for _, t := range toks {
					r.phrase = append(r.phrase, match(t.Text))
				}
				v.words[r.phrase[0]] = append(v.words[r.phrase[0]], len(v.rules))
			}
			v.rules = append(v.rules, r)
		}
	}
	return v
}

// stem is w's English stem. The stemmer takes a doubled consonant off
// with the suffix ("hopped" is "hop"), and so the root's own double letter
// when only two letters come before it: "added" and "adding" would be "ad"
// and never meet "add".
func stem(w string) string {
	s := english.Stem(w, false)
	if len(s) == 2 && len(w) > 3 && w[:3] == s+s[1:] {
		return w[:3]
	}
	return s
}

// phraseWord is how a word of a phrase is matched: its stem, with chat
// shorthand read as the word it stands for ("do u keep" is "do you keep").
func phraseWord(w string) string {
	if full, ok := shorthand[w]; ok {
		w = full
	}
	return stem(w)
}

// exactWord is how a word of a place's name is matched: as Tokenize wrote
// it (lowercased, accents folded), marked so that it never equals a stem.
func exactWord(w string) string { return "=" + w }

// shorthand are the short forms shoppers type for whole words.
var shorthand = map[string]string{"u": "you", "ya": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "wat": "what", "bc": "because"}

// Expansion is what a vocabulary adds for one phrase of a text.
type Expansion struct {
	Phrase string   // the phrase of the text it matched (as the rule writes it)
	Terms  []string // the terms the search adds
}

// Expand returns the expansions of text, in the order the rules matched;
// terms the text already contains are left out, and a term is added once.
func (v *Vocabulary) Expand(text string) []Expansion {
	if v == nil {
		return nil
	}
	toks := Tokenize(text)
	var words, exact []string // the Latin words as phraseWord and as exactWord has them
	for i, t := range toks {
		switch {
		case t.CJK:
		case isCountryUS(text, toks, i):
			words, exact = append(words, "usa"), append(exact, exactWord("usa")) // the country, written in capitals; "us" is a pronoun
		default:
			words, exact = append(words, phraseWord(t.Text)), append(exact, exactWord(t.Text))
		}
	}
	var hits []int
	for i := range words {
		for _, ws := range [][]string{words, exact} {
			for _, r := range v.words[ws[i]] {
				p := v.rules[r].phrase
				if i+len(p) <= len(ws) && equalStrings(ws[i:i+len(p)], p) {
					hits = append(hits, r)
				}
			}
		}
	}
	if len(v.cjk) > 0 {
		folded := joinScripts(Simplified(strings.ToLower(text)))
		var bounds map[int]bool // where the words of folded start and end, found at the first match
		for _, r := range v.cjk {
			chars := v.rules[r].chars
			if !strings.Contains(folded, chars) {
				continue
			}
			if bounds == nil {
				bounds = wordBounds(folded)
			}
			if atWord(folded, chars, bounds) {
				hits = append(hits, r)
			}
		}
	}
	if len(hits) == 0 {
		return nil
	}
	have := map[string]bool{}
	for _, t := range SearchTerms(text) {
		have[t] = true
	}
	seen := map[string]bool{}
	var out []Expansion
	for _, r := range hits {
		x := Expansion{Phrase: v.rules[r].source}
		for _, e := range v.rules[r].expand {
			key := strings.ToLower(e)
			if seen[key] {
				continue
			}
			seen[key] = true
			if terms := SearchTerms(e); len(terms) > 0 && !allIn(terms, have) {
				x.Terms = append(x.Terms, e)
			}
		}
		if len(x.Terms) > 0 {
			out = append(out, x)
		}
	}
	return out
}

// ExpandTerms is Expand's terms alone.
func (v *Vocabulary) ExpandTerms(text string) []string {
	var out []string
	for _, x := range v.Expand(text) {
		out = append(out, x.Terms...)
	}
	return out
}

// TermSet is the set of text's search terms and of those of the words the
// vocabulary adds for it ("风扇" → fan). A nil vocabulary adds none.
func (v *Vocabulary) TermSet(text string) map[string]bool {
	terms := TermSet(text)
	for _, x := range v.ExpandTerms(text) {
		for _, t := range SearchTerms(x) {
			terms[t] = true
		}
	}
	return terms
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func allIn(terms []string, set map[string]bool) bool {
	for _, t := range terms {
		if !set[t] {
			return false
		}
	}
	return true
}

// joinScripts drops the spaces beside a Chinese character, as a rule's
// Chinese phrase is matched without them ("chat 记录" is the rule's
// chat记录, and so is what a shopper types with or without the space).
func joinScripts(text string) string {
	rs := []rune(text)
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		j := i
		for j < len(rs) && unicode.IsSpace(rs[j]) {
			j++
		}
		if j > i && i > 0 && j < len(rs) && (IsCJK(rs[i-1]) || IsCJK(rs[j])) {
			i = j - 1 // a space between scripts: left out
			continue
		}
		b.WriteRune(rs[i])
	}
	return b.String()
}

// wordBounds are the byte offsets where the words of text start or end.
func wordBounds(text string) map[int]bool {
	b := map[int]bool{}
	for _, w := range Words(text) {
		b[w.Start], b[w.End] = true, true
	}
	return b
}

// atWord reports whether chars occurs in text starting or ending where a
// word does: 质保 (warranty) is not in 木质保养 (木质 + 保养, wood care),
// while 烘干机 is in 烘干机会 that the segmenter reads as 烘干 + 机会.
func atWord(text, chars string, bounds map[int]bool) bool {
	return occursWhere(text, chars, func(start, end int) bool { return bounds[start] || bounds[end] })
}
