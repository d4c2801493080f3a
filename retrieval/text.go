package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
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
	return strings.ToLower(width.Fold.String(w))
}

// IsStopWord reports whether an English word carries no meaning for search.
func IsStopWord(w string) bool { return english.IsStopWord(w) }

// Terms are the search terms of text: words without English stop words,
// stemmed ("refunds" → "refund"), apostrophes dropped, plus CJK bigrams.
func Terms(text string) []string {
	toks := Tokenize(text)
	terms := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.CJK {
			terms = append(terms, t.Text)
			continue
		}
		if IsStopWord(t.Text) {
			continue
		}
		w := strings.ReplaceAll(english.Stem(t.Text, false), "'", "")
		if w != "" {
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
