package retrieval

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTokenize checks the tokenizer's invariants on arbitrary text: every
// token is non-empty and names a range of the input (offsets in range, in
// order); a CJK token is exactly its range (one or two CJK runes) and a
// word is its range normalized; words never overlap anything; Terms are
// non-empty, apostrophe-free and no more than the tokens.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"Where is my order LL-100234? I don't know.",
		"签收后三十天内可以退货。退货 refunds 快递",
		"ＬＬ－１００２３４ full-width ｆｏｏ",
		"rock’n’roll it's 'quoted' o'",
		"中",
		"カタカナ ひらがな 한국어 mixed中文text",
		"\xff\xfe invalid \xc3 utf8 \xe4\xb8",
		"Straße İstanbul ǅemal ﬁne",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		toks := Tokenize(text)
		prevStart, wordEnd := 0, 0
		words := 0
		for i, tok := range toks {
			if tok.Text == "" {
				t.Fatalf("token %d is empty", i)
			}
			if tok.Start < 0 || tok.End > len(text) || tok.Start >= tok.End {
				t.Fatalf("token %d %q: offsets [%d,%d) out of range (len %d)", i, tok.Text, tok.Start, tok.End, len(text))
			}
			if tok.Start < prevStart || tok.Start < wordEnd {
				t.Fatalf("token %d %q at %d: out of order (previous start %d, previous word end %d)", i, tok.Text, tok.Start, prevStart, wordEnd)
			}
			src := text[tok.Start:tok.End]
			if tok.CJK {
				if tok.Text != src {
					t.Fatalf("CJK token %d = %q; its range holds %q", i, tok.Text, src)
				}
				n := 0
				for _, r := range src {
					if !IsCJK(r) {
						t.Fatalf("CJK token %d %q has non-CJK rune %q", i, src, r)
					}
					n++
				}
				if n < 1 || n > 2 {
					t.Fatalf("CJK token %d %q has %d runes; want 1 or 2", i, src, n)
				}
			} else {
				words++
				if tok.Text != normalizeWord(src) {
					t.Fatalf("word %d = %q; normalizeWord(%q) = %q", i, tok.Text, src, normalizeWord(src))
				}
				wordEnd = tok.End
			}
			prevStart = tok.Start
		}
		terms := Terms(text)
		if len(terms) > len(toks) {
			t.Fatalf("%d terms from %d tokens", len(terms), len(toks))
		}
		for i, term := range terms {
			if term == "" || strings.Contains(term, "'") {
				t.Fatalf("term %d = %q: empty or with an apostrophe", i, term)
			}
		}
		if utf8.ValidString(text) {
			for i, term := range terms {
				if !utf8.ValidString(term) {
					t.Fatalf("term %d %q of valid text is not valid UTF-8", i, term)
				}
			}
		}
		if n := CountTokens(text); n < 0 {
			t.Fatalf("CountTokens = %d", n)
		}
	})
}
