package retrieval

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
)

// toSimplified maps traditional Chinese characters to simplified ones, one
// character for one (OpenCC's t2s character table), so that offsets into the
// original text stay valid. It is built on first use (a few milliseconds).
var toSimplified = sync.OnceValue(func() map[rune]rune {
	m := map[rune]rune{}
	conv, err := opencc.New("t2s")
	if err != nil {
		return m // OpenCC's tables are embedded: this does not happen
	}
	for _, block := range [][2]rune{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}} {
		for r := block[0]; r <= block[1]; r++ {
			out, err := conv.Convert(string(r))
			if err != nil {
				continue
			}
			if s, n := utf8.DecodeRuneInString(out); n == len(out) && s != r && s != utf8.RuneError {
				m[r] = s
			}
		}
	}
	return m
})

// simplified returns run with its traditional characters made simplified,
// and whether anything changed.
func simplified(run string) (string, bool) {
	m := toSimplified()
	changed := false
	for _, r := range run {
		if _, ok := m[r]; ok {
			changed = true
			break
		}
	}
	if !changed {
		return run, false
	}
	var b strings.Builder
	b.Grow(len(run))
	for _, r := range run {
		if s, ok := m[r]; ok {
			r = s
		}
		b.WriteRune(r)
	}
	return b.String(), true
}

// Simplified folds the traditional Chinese characters of text to simplified
// ones, character by character.
func Simplified(text string) string {
	s, _ := simplified(text)
	return s
}

// runeOffsets returns the byte offset (plus base) of each rune of s, and
// of its end.
func runeOffsets(s string, base int) []int {
	offs := make([]int, 0, len(s)/3+1)
	for i := range s {
		offs = append(offs, base+i)
	}
	return append(offs, base+len(s))
}
