package chat

import (
	"strings"
	"unicode"
)

// Fact is something a right answer must state, in any of its wordings
// ("30 days", "30 天").
type Fact []string

// ParseFacts reads facts written "fact|fact", each "wording/wording".
func ParseFacts(s string) []Fact {
	var out []Fact
	for _, f := range strings.Split(s, "|") {
		var alts Fact
		for _, a := range strings.Split(f, "/") {
			if a = strings.TrimSpace(a); a != "" {
				alts = append(alts, a)
			}
		}
		if len(alts) > 0 {
			out = append(out, alts)
		}
	}
	return out
}

// String writes f as ParseFacts reads it.
func (f Fact) String() string { return strings.Join(f, " / ") }

// In reports whether text states the fact in one of its wordings, ignoring
// case, Markdown emphasis, the kind of dash and apostrophe, spaces next to
// Chinese and contractions ("don't tumble dry" is "do not tumble dry").
func (f Fact) In(text string) bool {
	t := foldFact(text)
	for _, a := range f {
		if strings.Contains(t, foldFact(a)) {
			return true
		}
	}
	return false
}

// MissingFacts returns the facts text does not state.
func MissingFacts(text string, facts []Fact) []Fact {
	var out []Fact
	for _, f := range facts {
		if !f.In(text) {
			out = append(out, f)
		}
	}
	return out
}

func foldFact(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "*", ""))
	s = strings.Map(func(r rune) rune {
		switch r {
		case '‐', '‑', '‒', '–', '—', '−', '～', '~':
			return '-'
		case '×':
			return 'x'
		case '，':
			return ','
		case '’', '‘':
			return '\''
		}
		return r
	}, s)
	s = contractions.Replace(s)
	rs := []rune(strings.Join(strings.Fields(s), " "))
	var b strings.Builder
	for i, r := range rs {
		if r == ' ' && i > 0 && i < len(rs)-1 && (cjkOrPunct(rs[i-1]) || cjkOrPunct(rs[i+1])) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func cjkOrPunct(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}

// contractions writes English negative contractions out.
var contractions = strings.NewReplacer("can't", "can not", "cannot", "can not", "won't", "will not", "n't", " not")
