package parse

import (
	"strings"
	"unicode/utf8"
)

// textBuilder assembles Document.Text and its Blocks. Paragraphs under the same
// heading path are joined into one Block (separated by a blank line);
// headings are written to the text as their own lines but belong to no
// Block, so a heading never ends up inside a chunk's text.
type textBuilder struct {
	text    strings.Builder
	n       int // runes written to text
	blocks  []Block
	stack   []headingLevel
	section []string // paragraphs of the current section, not yet written
}

type headingLevel struct {
	level int
	text  string
}

// write appends s to the text as a new paragraph and returns its rune offset.
func (b *textBuilder) write(s string) int {
	if b.n > 0 {
		b.text.WriteString("\n\n")
		b.n += 2
	}
	start := b.n
	b.text.WriteString(s)
	b.n += utf8.RuneCountInString(s)
	return start
}

// path returns a copy of the current heading path.
func (b *textBuilder) path() []string {
	var p []string
	for _, h := range b.stack {
		p = append(p, h.text)
	}
	return p
}

// para adds a cleaned paragraph to the current section.
func (b *textBuilder) para(s string) {
	if s != "" {
		b.section = append(b.section, s)
	}
}

// flush writes the current section as one Block.
func (b *textBuilder) flush() {
	if len(b.section) == 0 {
		return
	}
	text := strings.Join(b.section, "\n\n")
	b.section = nil
	b.blocks = append(b.blocks, Block{Heading: b.path(), Text: text, Start: b.write(text)})
}

// heading starts a new section: a deeper heading nests under the current
// one, a heading of the same or a shallower level replaces it.
func (b *textBuilder) heading(level int, text string) {
	if text == "" {
		return
	}
	b.flush()
	for len(b.stack) > 0 && b.stack[len(b.stack)-1].level >= level {
		b.stack = b.stack[:len(b.stack)-1]
	}
	b.stack = append(b.stack, headingLevel{level, text})
	b.write(text)
}

// faq writes one question/answer pair as a Block: the question on its own
// line, the answer (the Block's text) right after it.
func (b *textBuilder) faq(row int, category, question, answer string) {
	start := b.write(question + "\n" + answer)
	heading := []string{question}
	if category != "" {
		heading = []string{category, question}
	}
	b.blocks = append(b.blocks, Block{
		Heading: heading,
		Text:    answer,
		Start:   start + utf8.RuneCountInString(question) + 1,
		Row:     row,
	})
}

// parsed finishes the document.
func (b *textBuilder) parsed(title string) *Document {
	b.flush()
	return &Document{Title: title, Text: b.text.String(), Blocks: b.blocks}
}
