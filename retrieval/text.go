package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Token is one unit of text: a lowercased word, or a CJK character bigram
// (a lone CJK character stays a unigram). Start and End are byte offsets in
// the text given to Tokenize.
type Token struct {
	Text       string
	Start, End int
	CJK        bool
}

// IsCJK reports whether r is written without spaces between words (Han,
// kana, Hangul), so it is tokenized as character bigrams.
func IsCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func isWordRune(r rune) bool { return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !IsCJK(r) }

// Tokenize splits text into lowercased words (letters and digits, keeping an
// inner apostrophe: "don't") and overlapping CJK bigrams, so Chinese needs
// no dictionary. Full-width forms are folded first ("ＬＬ" → "ll").
// It is the one tokenizer for indexing, querying and classification.
func Tokenize(text string) []Token {
	var toks []Token
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case IsCJK(r):
			start := i
			var runes []int // byte offsets of each rune in the run
			for i < len(text) {
				r, n := utf8.DecodeRuneInString(text[i:])
				if !IsCJK(r) {
					break
				}
				runes = append(runes, i)
				i += n
			}
			runes = append(runes, i)
			// Traditional characters are read as simplified ("運費" = "运费"):
			// token texts come from the folded run, offsets from the original.
			run, offs := text[start:i], runes
			if folded, ok := simplified(run); ok {
				run, offs = folded, runeOffsets(folded, start)
			}
			if len(runes) == 2 {
				toks = append(toks, Token{Text: run, Start: start, End: i, CJK: true})
				continue
			}
			for k := 0; k+2 < len(runes); k++ {
				toks = append(toks, Token{Text: run[offs[k]-start : offs[k+2]-start], Start: runes[k], End: runes[k+2], CJK: true})
			}
		case isWordRune(fold(r)):
			start := i
			for i < len(text) {
				r, n := utf8.DecodeRuneInString(text[i:])
				if isWordRune(fold(r)) {
					i += n
					continue
				}
				// an apostrophe between letters stays inside the word
				if (r == '\'' || r == '’') && i+n < len(text) {
					if next, _ := utf8.DecodeRuneInString(text[i+n:]); unicode.IsLetter(next) && !IsCJK(next) {
						i += n
						continue
					}
				}
				break
			}
			toks = append(toks, Token{Text: normalizeWord(text[start:i]), Start: start, End: i})
		default:
			i += n
		}
	}
	return toks
}

// withoutMarks is w without the accents of its letters: decomposed,
// combining marks dropped, composed again.
func withoutMarks(w string) string {
	out, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), w)
	if err != nil {
		return w
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func fold(r rune) rune {
	if r < utf8.RuneSelf {
		return r
	}
	if f := []rune(width.Fold.String(string(r))); len(f) == 1 {
		return f[0]
	}
	return r
}

func normalizeWord(w string) string {
	w = strings.ReplaceAll(w, "’", "'")
	w = strings.ToLower(width.Fold.String(w))
	if !isASCII(w) {
		w = withoutMarks(w)
	}
	return w
}

// IsStopWord reports whether an English word carries no meaning for search.
func IsStopWord(w string) bool { return english.IsStopWord(w) }

// Terms are the search terms of text: words without English stop words,
// stemmed ("refunds" → "refund"), apostrophes dropped, plus CJK bigrams.
func Terms(text string) []string {
	toks := Tokenize(text)
	terms := make([]string, 0, len(toks))
	for i, t := range toks {
		if t.CJK {
			terms = append(terms, t.Text)
			continue
		}
		if w := wordTerm(text, toks, i); w != "" {
			terms = append(terms, w)
		}
	}
	return terms
}

// CountTokens estimates a model's token count: a word is one token and each
// CJK character is one (CJK text costs about a token per character).
func CountTokens(text string) int {
	n := 0
	inWord := false
	for _, r := range text {
		switch {
		case IsCJK(r):
			n++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				n++
			}
			inWord = true
		default:
			inWord = false
			if unicode.IsPunct(r) {
				n++
			}
		}
	}
	return n
}

// AnalyzerVersion names the text analysis the index stores (SearchTerms).
// Chunks analysed by an older version are analysed again (Index.Reanalyze).
// 1: words and CJK bigrams; 2: plus CJK unigrams, traditional folded to
// simplified; 3: "US" in capitals is the country ("usa"), number words are
// figures ("three" is "3"); 4: a hyphenated pair is one word too ("wi-fi"
// is also "wifi"); 5: Latin letters without their accents ("são paulo" is
// "sao paulo", "zürich" "zurich", "café" "cafe"); 6: "added" and "adding"
// are "add", not "ad"; 7: a figure written against its unit is the figure
// and the unit ("100cm" is "100 cm").
const AnalyzerVersion = 7

// wordTerm is the search term of the word toks[i] of text: "usa" for the
// country, a figure for a number word, "" for a stop word, else its stem
// without apostrophes.
func wordTerm(text string, toks []Token, i int) string {
	t := toks[i]
	if isCountryUS(text, toks, i) {
		return "usa"
	}
	if d, ok := numberWords[t.Text]; ok {
		return d
	}
	if IsStopWord(t.Text) {
		return ""
	}
	return strings.ReplaceAll(stem(t.Text), "'", "")
}

// numberWords are the English number words a shop writes in full ("after
// three failed attempts") and a shopper in figures ("declined 3 times"), or
// the other way round. "one" is left alone: it is mostly "the blue one".
var numberWords = map[string]string{"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
	"eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20", "thirty": "30",
	"forty": "40", "fifty": "50", "sixty": "60", "ninety": "90", "hundred": "100"}

// WordTerms are the search terms of w, one of Words(text), read where it
// stands: "US" in capitals is the country ("our US team": usa) as
// SearchTerms(text) reads it, though SearchTerms(w.Text) alone sees the
// pronoun.
func WordTerms(text string, w Word) []string {
	if !w.CJK && w.Text == "us" {
		toks := Tokenize(text)
		for i, t := range toks {
			if t.Start == w.Start && isCountryUS(text, toks, i) {
				return []string{"usa"}
			}
		}
	}
	return SearchTerms(w.Text)
}

// isCountryUS reports whether token i of text is "US" the country: written
// in capitals ("our US team", "US men's 10"), not shouted with the words
// around it ("CONTACT US") and not the pronoun.
func isCountryUS(text string, toks []Token, i int) bool {
	t := toks[i]
	if t.Text != "us" || text[t.Start:t.End] != "US" {
		return false
	}
	for _, j := range []int{i - 1, i + 1} {
		if j < 0 || j >= len(toks) || toks[j].CJK {
			continue
		}
		if w := text[toks[j].Start:toks[j].End]; len(w) > 1 && strings.ToUpper(w) == w && strings.ToLower(w) != w {
			return false
		}
	}
	return true
}

// compound is the one-word form of a word joined by a hyphen to the next
// ("Wi-Fi" is also "wifi", "T-shirt" "tshirt", "3-D" "3d"), as shoppers
// write it: only for two parts, not a phrase ("change-of-mind").
func compound(text string, toks []Token, i int) string {
	hyphen := func(j int) bool { // toks[j] and toks[j+1] are joined by one hyphen
		return j >= 0 && j+1 < len(toks) && !toks[j+1].CJK && toks[j+1].Start == toks[j].End+1 && text[toks[j].End] == '-'
	}
	if !hyphen(i) || hyphen(i-1) || hyphen(i+1) {
		return ""
	}
	return strings.ReplaceAll(stem(toks[i].Text+toks[i+1].Text), "'", "")
}

// withUnit splits a figure written against its unit of measure ("100cm",
// "75kg", "12w", "10mins") into the figure and the unit's term, as the
// words are read with a space between them ("100 cm"; "40in" is "40", "in"
// being a stop word). Other words with a figure ("iphone15", "2nd", "4k")
// stay whole.
func withUnit(word string) (terms []string, ok bool) {
	i := strings.IndexFunc(word, func(r rune) bool { return !unicode.IsDigit(r) })
	if i <= 0 || !units[word[i:]] {
		return nil, false
	}
	terms = []string{word[:i]}
	if !IsStopWord(word[i:]) {
		terms = append(terms, stem(word[i:]))
	}
	return terms, true
}

// units are the units of measure shoppers write against a figure.
var units = map[string]bool{
	"cm": true, "mm": true, "km": true, "in": true, "inch": true, "inches": true, "ft": true,
	"kg": true, "lb": true, "lbs": true, "oz": true, "ml": true, "l": true,
	"w": true, "wh": true, "mah": true, "v": true, "hz": true,
	"min": true, "mins": true, "h": true, "hr": true, "hrs": true, "am": true, "pm": true,
	"pcs": true, "pc": true, "usd": true, "eur": true, "gbp": true, "rmb": true, "cad": true, "aud": true,
}

// cjkStopChars are function characters left out of the unigrams: they occur
// in nearly every Chinese sentence and only cost candidate lookups.
var cjkStopChars = map[rune]bool{
	'的': true, '了': true, '吗': true, '呢': true, '吧': true, '啊': true, '呀': true, '哦': true, '嘛': true,
	'么': true, '着': true, '之': true, '我': true, '你': true, '您': true, '他': true, '她': true, '它': true,
	'们': true, '这': true, '那': true, '是': true, '在': true, '和': true, '就': true, '都': true, '也': true,
	'很': true, '个': true,
}

// SearchTerms are what the search index stores and a query looks for:
// Terms, plus every CJK character of a longer run on its own except a few
// function characters. Unigrams match Chinese paraphrases that share
// characters but not bigrams ("退钱" and "退款" share 退).
func SearchTerms(text string) []string {
	toks := Tokenize(text)
	terms := make([]string, 0, 2*len(toks))
	for i, t := range toks {
		if !t.CJK {
			if ws, ok := withUnit(t.Text); ok {
				terms = append(terms, ws...)
				continue
			}
			if w := wordTerm(text, toks, i); w != "" {
				terms = append(terms, w)
			}
			if c := compound(text, toks, i); c != "" {
				terms = append(terms, c)
			}
			continue
		}
		terms = append(terms, t.Text)
		first, n := utf8.DecodeRuneInString(t.Text)
		if n == len(t.Text) {
			continue // a lone character is already a unigram
		}
		if !cjkStopChars[first] {
			terms = append(terms, t.Text[:n])
		}
		// the run's last character: the second of its last bigram
		if last := i+1 >= len(toks) || !toks[i+1].CJK || toks[i+1].Start >= t.End; last {
			if r, _ := utf8.DecodeRuneInString(t.Text[n:]); !cjkStopChars[r] {
				terms = append(terms, t.Text[n:])
			}
		}
	}
	return terms
}

// ContainsWhole reports whether text states s on its own, not as part of
// a longer code or number: LL-1001 is not in LL-100101, 9021 not in
// SF142857390214. An edge of s that is not a letter or digit ("$49.90")
// needs no boundary.
func ContainsWhole(text, s string) bool {
	alnum := func(b byte) bool { return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
	return s != "" && occursWhere(text, s, func(start, end int) bool {
		return (start == 0 || !alnum(text[start-1]) || !alnum(s[0])) && (end == len(text) || !alnum(text[end]) || !alnum(s[len(s)-1]))
	})
}

// occursWhere reports whether s occurs in text at a place (its byte
// offsets) that ok accepts.
func occursWhere(text, s string, ok func(start, end int) bool) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], s)
		if j < 0 {
			return false
		}
		j += i
		if ok(j, j+len(s)) {
			return true
		}
		i = j + 1
	}
}
