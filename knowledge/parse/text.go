package parse

import (
	"strings"
	"unicode/utf8"

	"kefu/retrieval"
)

// parseText reads plain text: paragraphs are separated by blank lines and
// keep their line breaks. A short first line standing alone (no sentence
// punctuation at its end) is the title and the heading of what follows.
func parseText(s string) *Document {
	paras := paragraphs(s)
	var b textBuilder
	title := ""
	if len(paras) > 1 && !strings.Contains(paras[0], "\n") &&
		utf8.RuneCountInString(paras[0]) <= 80 && retrieval.CountTokens(paras[0]) <= 15 && !endsSentence(paras[0]) {
		title = paras[0]
		paras = paras[1:]
		b.heading(1, title)
	}
	for _, p := range paras {
		b.para(p)
	}
	return b.parsed(title)
}
