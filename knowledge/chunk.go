package knowledge

// Chunking: a parsed document (parse.Document) is cut into pieces sized
// for retrieval.
//
// Invariants kept by ChunkDocument (and checked by the fuzz tests):
//   - every chunk's Text equals []rune(p.Text)[c.Start:c.End], so offsets can
//     be used for citations as they are;
//   - Tokens == retrieval.CountTokens(Text) and, except for FAQ chunks,
//     Tokens <= MaxTokens;
//   - a chunk never spans blocks with different heading paths;
//   - an FAQ document gives exactly one chunk per row.

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"kefu/knowledge/parse"
	"kefu/retrieval"
)

// Chunk is a piece of a document sized for retrieval.
type Chunk struct {
	Heading    string // heading path joined with " > "; for FAQ chunks the question, or "category > question"
	Text       string
	Start, End int // character (rune) offsets in parse.Document.Text
	Tokens     int // retrieval.CountTokens(Text)
	Row        int // FAQ row (source becomes "file.csv#row"); 0 otherwise
}

// ChunkOptions sizes chunks, in retrieval.CountTokens tokens (a word, a CJK
// character or a punctuation mark each count one). Zero values take the
// defaults.
type ChunkOptions struct {
	MaxTokens int // largest chunk; default 300
	Overlap   int // about how many tokens a chunk repeats from the previous one; default 40, negative for none, at most MaxTokens/2
}

// Chunk size defaults.
const (
	DefaultMaxTokens = 300
	DefaultOverlap   = 40
)

// ChunkDocument cuts p into chunks.
//
// Each block is chunked on its own, except that consecutive blocks with
// the same heading path (and only whitespace between them) are packed
// together, so short paragraphs under one heading share a chunk. Chunks end
// at a paragraph break when one falls in the second half of the chunk, else
// at the last sentence end (. ! ? ; followed by a space, 。！？；, or a line
// break) that fits, and only a single sentence longer than MaxTokens is cut
// mid-sentence (after a comma, or between words, where possible).
// Consecutive chunks of a block overlap by about Overlap tokens of whole
// sentences (see overlapStart); only when the previous chunk's last
// sentence is much longer than that does the overlap start inside it.
//
// FAQ documents give exactly one chunk per row, never split or merged even
// when the answer is longer than MaxTokens: its text is the question line
// followed by the answer, and Heading is the category and question.
//
// Blocks are read from p.Text by their Start and rune length; blocks out of
// range are skipped.
func ChunkDocument(p *parse.Document, opts ChunkOptions) []Chunk {
	if p == nil {
		return nil
	}
	maxTokens, overlap := opts.MaxTokens, opts.Overlap
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	if overlap == 0 {
		overlap = DefaultOverlap
	}
	overlap = max(0, min(overlap, maxTokens/2))

	text := []rune(p.Text)
	var chunks []Chunk
	for i := 0; i < len(p.Blocks); {
		b := p.Blocks[i]
		start, end, ok := blockSpan(text, b)
		if !ok {
			i++
			continue
		}
		if p.FAQ {
			if c, ok := faqChunk(text, b, start, end); ok {
				chunks = append(chunks, c)
			}
			i++
			continue
		}
		spans := []runeSpan{{start, end}}
		j := i + 1
		for ; j < len(p.Blocks); j++ {
			s, e, ok := blockSpan(text, p.Blocks[j])
			last := spans[len(spans)-1].end
			if !ok || s < last || !equalPaths(p.Blocks[j].Heading, b.Heading) || strings.TrimSpace(string(text[last:s])) != "" {
				break
			}
			spans = append(spans, runeSpan{s, e})
		}
		c := chunker{text: text, max: maxTokens, overlap: overlap}
		for _, ch := range c.chunk(spans) {
			ch.Heading = strings.Join(b.Heading, " > ")
			ch.Row = b.Row
			chunks = append(chunks, ch)
		}
		i = j
	}
	return chunks
}

// runeSpan is a rune range [start, end) of the text.
type runeSpan struct{ start, end int }

// blockSpan returns the rune range of a block in text.
func blockSpan(text []rune, b parse.Block) (start, end int, ok bool) {
	if b.Start < 0 || b.Start >= len(text) {
		return 0, 0, false
	}
	return b.Start, min(len(text), b.Start+utf8.RuneCountInString(b.Text)), true
}

func equalPaths(a, b []string) bool {
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

// faqChunk makes the one chunk of an FAQ row: the question line before the
// answer (when the text has it there, as parse.Parse writes it) and the answer.
func faqChunk(text []rune, b parse.Block, start, end int) (Chunk, bool) {
	if len(b.Heading) > 0 {
		q := []rune(b.Heading[len(b.Heading)-1])
		qs := start - len(q) - 1
		if qs >= 0 && text[start-1] == '\n' && string(text[qs:start-1]) == string(q) {
			start = qs
		}
	}
	start, end = trimSpan(text, start, end)
	if start >= end {
		return Chunk{}, false
	}
	t := string(text[start:end])
	return Chunk{
		Heading: strings.Join(b.Heading, " > "),
		Text:    t,
		Start:   start,
		End:     end,
		Tokens:  retrieval.CountTokens(t),
		Row:     b.Row,
	}, true
}

// trimSpan narrows [start, end) to exclude surrounding whitespace.
func trimSpan(text []rune, start, end int) (int, int) {
	for start < end && unicode.IsSpace(text[start]) {
		start++
	}
	for end > start && unicode.IsSpace(text[end-1]) {
		end--
	}
	return start, end
}

// Break strengths: how good a place to end a chunk the gap before a token is.
const (
	breakNone      = iota
	breakWord      // whitespace between two tokens
	breakClause    // after a comma, colon or 、
	breakSentence  // after sentence punctuation, or at a line break
	breakParagraph // a blank line or a block boundary
)

// chunkToken is one retrieval.CountTokens token with the text that goes with it:
// [start, end) runs from the token (or a symbol attached before it) to the
// last non-space rune before the next token.
type chunkToken struct {
	start, end int
	brk        int // strength of the break before this token
}

// chunker cuts spans of text into chunks.
type chunker struct {
	text     []rune
	max      int
	overlap  int
	toks     []chunkToken
	spanOfTk []int // index of the span each token belongs to
}

// tokenize lists the tokens of the spans in the way retrieval.CountTokens
// counts them, so that the tokens of any run of whole tokens add up to
// CountTokens of its text.
func (c *chunker) tokenize(spans []runeSpan) {
	for si, sp := range spans {
		first := len(c.toks)
		inWord := false
		for k := sp.start; k < sp.end; k++ {
			r := c.text[k]
			isStart := false
			switch {
			case retrieval.IsCJK(r):
				isStart, inWord = true, false
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				isStart = !inWord
				inWord = true
			default:
				inWord = false
				isStart = unicode.IsPunct(r)
			}
			if isStart {
				c.toks = append(c.toks, chunkToken{start: k})
				c.spanOfTk = append(c.spanOfTk, si)
			}
		}
		if first == len(c.toks) {
			continue
		}
		// Attach symbols (not counted as tokens: "$", "+", emoji) to the
		// token that follows them, or to the span's first token.
		for i := first; i < len(c.toks); i++ {
			lo := sp.start
			if i > first {
				lo = c.toks[i-1].start + 1
			}
			s := c.toks[i].start
			for s > lo && !unicode.IsSpace(c.text[s-1]) && !isTokenRune(c.text[s-1]) {
				s--
			}
			if i == first {
				s, _ = trimSpan(c.text, sp.start, sp.end)
			}
			c.toks[i].start = s
		}
		for i := first; i < len(c.toks); i++ {
			end := sp.end
			if i+1 < len(c.toks) {
				end = c.toks[i+1].start
			}
			_, c.toks[i].end = trimSpan(c.text, c.toks[i].start, end)
		}
		for i := first; i < len(c.toks); i++ {
			if i == first {
				c.toks[i].brk = breakParagraph
				continue
			}
			c.toks[i].brk = c.breakBefore(i)
		}
	}
}

// isTokenRune reports whether r is counted by retrieval.CountTokens.
func isTokenRune(r rune) bool {
	return retrieval.IsCJK(r) || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsPunct(r)
}

// breakBefore classifies the gap before token i (not the first of its span).
func (c *chunker) breakBefore(i int) int {
	prev, cur := c.toks[i-1], c.toks[i]
	gap := c.text[prev.end:cur.start]
	newlines := 0
	for _, r := range gap {
		if r == '\n' {
			newlines++
		}
	}
	switch {
	case newlines >= 2:
		return breakParagraph
	case newlines == 1:
		return breakSentence
	}
	// The last rune of the previous token's text, skipping closing quotes
	// and brackets: `done."` and `好。”` end sentences too.
	k := prev.end - 1
	for k > 0 && strings.ContainsRune(closers, c.text[k]) {
		k--
	}
	last := c.text[k]
	first := c.text[cur.start]
	switch {
	case strings.ContainsRune("。！？；", last):
		// Not inside a run of punctuation ("！！", "？”").
		if !strings.ContainsRune("。！？；…"+closers, first) {
			return breakSentence
		}
	case len(gap) > 0 && strings.ContainsRune("!?;", last):
		return breakSentence
	case len(gap) > 0 && last == '.':
		// "e.g. the" is not a sentence end, nor is the "4." of a numbered
		// list; a capital, digit or CJK after a word and a full stop is.
		if !unicode.IsLower(first) && !c.listNumber(i-1) {
			return breakSentence
		}
	}
	switch {
	case strings.ContainsRune("，、：", last) && !strings.ContainsRune(closers, first):
		return breakClause
	case len(gap) > 0 && strings.ContainsRune(",:", last):
		return breakClause
	case len(gap) > 0:
		return breakWord
	}
	return breakNone
}

// listNumber reports whether token i is the "." of a list item number
// ("4." at the start of a line or of the text).
func (c *chunker) listNumber(i int) bool {
	if i < 1 || c.toks[i].start != c.toks[i-1].end {
		return false
	}
	num := c.toks[i-1]
	for _, r := range c.text[num.start:num.end] {
		if r != '.' && !unicode.IsDigit(r) {
			return false
		}
	}
	return num.brk >= breakSentence || i-1 == 0
}

// closers are closing quotes and brackets that may follow a sentence end.
const closers = "\"'”’)）」』》】]"

// chunk cuts spans (consecutive blocks under one heading) into chunks.
func (c *chunker) chunk(spans []runeSpan) []Chunk {
	c.tokenize(spans)
	n := len(c.toks)
	var out []Chunk
	prevEnd := 0
	for a := 0; a < n; {
		b := n
		if a+c.max < n {
			b = c.cut(a, max(a, prevEnd), a+c.max)
		}
		start, end := c.toks[a].start, c.toks[b-1].end
		t := string(c.text[start:end])
		out = append(out, Chunk{Text: t, Start: start, End: end, Tokens: retrieval.CountTokens(t)})
		if b == n {
			break
		}
		prevEnd = b
		a = c.overlapStart(a, b)
	}
	return out
}

// cut picks where a chunk starting at token a ends: a token index in
// (lo, limit], where lo is the end of the previous chunk (so every chunk
// makes progress).
func (c *chunker) cut(a, lo, limit int) int {
	// A paragraph break in the second half of the chunk.
	for p := limit; p > lo && p >= a+c.max/2; p-- {
		if c.toks[p].brk >= breakParagraph {
			return p
		}
	}
	// The last sentence end (or line break) that fits.
	for p := limit; p > lo; p-- {
		if c.toks[p].brk >= breakSentence {
			return p
		}
	}
	// One over-long sentence: cut after a clause in the second half, else
	// between words near the limit.
	for p := limit; p > lo && p >= a+c.max/2; p-- {
		if c.toks[p].brk >= breakClause {
			return p
		}
	}
	for p := limit; p > lo && p > limit-16; p-- {
		if c.toks[p].brk >= breakWord {
			return p
		}
	}
	return limit
}

// overlapStart returns where the chunk after [a, b) starts, so that it
// repeats about c.overlap tokens of whole sentences: the earliest sentence
// start within the last c.overlap tokens, else (the last sentence is longer)
// the latest sentence start within 2×c.overlap tokens, else the earliest
// clause start (after a comma) within c.overlap tokens, else c.overlap
// tokens back (at a word if one is near). A chunk no longer than c.overlap
// is not repeated. The result is always in (a, b].
func (c *chunker) overlapStart(a, b int) int {
	if c.overlap == 0 || b-a <= c.overlap {
		return b
	}
	from := b - c.overlap
	for p := from; p < b; p++ {
		if c.toks[p].brk >= breakSentence {
			return p
		}
	}
	for p := from - 1; p > a && p >= b-2*c.overlap; p-- {
		if c.toks[p].brk >= breakSentence {
			return p
		}
	}
	for p := from; p < b; p++ {
		if c.toks[p].brk >= breakClause {
			return p
		}
	}
	for p := from; p < b && p < from+8; p++ {
		if c.toks[p].brk >= breakWord && isWordStart(c.text[c.toks[p].start]) {
			return p
		}
	}
	return from
}

// isWordStart reports whether a chunk may start well at r (not at
// punctuation).
func isWordStart(r rune) bool {
	return !unicode.IsPunct(r)
}
