package knowledge

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"kefu/knowledge/parse"
	"kefu/retrieval"
)

// englishSentences returns n sentences of 8 tokens each ("Sentence 7 says
// that returns are free."), the i-th numbered i.
func englishSentences(n int) string {
	var s []string
	for i := 1; i <= n; i++ {
		s = append(s, fmt.Sprintf("Sentence %d says that returns are free.", i))
	}
	return strings.Join(s, " ")
}

// chineseSentences returns n sentences of 12 tokens each, the i-th
// ending in 。！？ or ； by turns.
func chineseSentences(n int) string {
	var b strings.Builder
	ends := []string{"。", "！", "？", "；"}
	for i := range n {
		b.WriteString("签收后三十天内可以申请退货" + ends[i%4])
	}
	return b.String()
}

// docOf builds a document with one block per (heading, text) pair, the way
// parse.Parse lays them out: paragraphs separated by a blank line, a
// heading on its own paragraph before the blocks under it (written again
// only when it changes; an empty heading keeps the current one).
func docOf(pairs ...[2]string) *parse.Document {
	var d parse.Document
	n := 0 // runes in d.Text
	write := func(s string) int {
		if n > 0 {
			d.Text += "\n\n"
			n += 2
		}
		start := n
		d.Text += s
		n += utf8.RuneCountInString(s)
		return start
	}
	var heading []string
	for _, p := range pairs {
		if p[0] != "" && (len(heading) == 0 || heading[0] != p[0]) {
			heading = []string{p[0]}
			write(p[0])
		}
		if p[1] != "" {
			d.Blocks = append(d.Blocks, parse.Block{Heading: heading, Text: p[1], Start: write(p[1])})
		}
	}
	return &d
}

// parseOK parses data as name, failing t on an error.
func parseOK(t *testing.T, name string, data []byte) *parse.Document {
	t.Helper()
	p, err := parse.Parse(name, data)
	if err != nil {
		t.Fatalf("parse.Parse(%q) error: %v", name, err)
	}
	return p
}

// diffLines reports got and want side by side when they differ.
func diffLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("%s:\ngot  %d:\n  %s\nwant %d:\n  %s", what, len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
}

func TestChunkBoundsAndOffsets(t *testing.T) {
	long := strings.Repeat("word ", 700)
	tests := []struct {
		desc string
		p    *parse.Document
	}{
		{"English", docOf([2]string{"Returns", englishSentences(200)})},
		{"Chinese", docOf([2]string{"退货", chineseSentences(100)})},
		{"mixed and multi-paragraph", docOf([2]string{"A", englishSentences(30) + "\n\n" + chineseSentences(30) + "\n\n- item one\n- item two"})},
		{"one over-long sentence", docOf([2]string{"", long})},
		{"one over-long Chinese run", docOf([2]string{"", strings.Repeat("退货", 500)})},
		{"symbols and emoji", docOf([2]string{"", strings.Repeat("Price: $25 + tax ★ 🙂 → 100% ok. ", 60)})},
	}
	for _, tt := range tests {
		for _, opts := range []ChunkOptions{{}, {MaxTokens: 50, Overlap: 10}, {MaxTokens: 7, Overlap: 2}, {MaxTokens: 1}, {MaxTokens: 40, Overlap: -1}} {
			chunks := ChunkDocument(tt.p, opts)
			if len(chunks) == 0 {
				t.Fatalf("%s %+v: no chunks", tt.desc, opts)
			}
			checkChunks(t, tt.p, opts, chunks)
		}
	}
}

func TestChunkSentenceBoundaries(t *testing.T) {
	tests := []struct {
		desc  string
		text  string
		opts  ChunkOptions
		ends  string // every chunk ends with one of these
		begin func(rune) bool
	}{
		{"English", englishSentences(40), ChunkOptions{MaxTokens: 30, Overlap: 10}, ".", unicode.IsUpper},
		{"Chinese", chineseSentences(40), ChunkOptions{MaxTokens: 40, Overlap: 12}, "。！？；", func(r rune) bool { return r == '签' }},
		{"quotes close sentences", strings.Repeat(`He said "Returns are free." `, 30), ChunkOptions{MaxTokens: 20, Overlap: 7}, `"`, unicode.IsUpper},
		{"abbreviations are not sentence ends", strings.Repeat("Pack it, e.g. in the box. ", 30), ChunkOptions{MaxTokens: 30, Overlap: 10}, ".", func(r rune) bool { return r == 'P' }},
		{"list numbers are not sentence ends", strings.Repeat("1. First step here.\n2. Second step here.\n", 20), ChunkOptions{MaxTokens: 20, Overlap: 5}, ".", unicode.IsDigit},
	}
	for _, tt := range tests {
		p := docOf([2]string{"", tt.text})
		chunks := ChunkDocument(p, tt.opts)
		checkChunks(t, p, tt.opts, chunks)
		if len(chunks) < 3 {
			t.Fatalf("%s: %d chunks; want several", tt.desc, len(chunks))
		}
		for i, c := range chunks {
			r := []rune(c.Text)
			if !strings.ContainsRune(tt.ends, r[len(r)-1]) {
				t.Errorf("%s: chunk %d ends mid-sentence: %q", tt.desc, i, c.Text)
			}
			if !tt.begin(r[0]) {
				t.Errorf("%s: chunk %d starts mid-sentence: %q", tt.desc, i, c.Text)
			}
		}
	}
}

func TestChunkOverlap(t *testing.T) {
	tests := []struct {
		desc string
		text string
		opts ChunkOptions
		min  int // tokens of overlap at least
		max  int // and at most
	}{
		{"defaults", englishSentences(120), ChunkOptions{}, 32, 40},
		{"small", englishSentences(60), ChunkOptions{MaxTokens: 50, Overlap: 10}, 8, 10},
		{"Chinese", chineseSentences(80), ChunkOptions{MaxTokens: 100, Overlap: 30}, 24, 30},
		{"long sentence: a tail", strings.Repeat("word ", 400), ChunkOptions{MaxTokens: 100, Overlap: 20}, 20, 20},
	}
	for _, tt := range tests {
		p := docOf([2]string{"", tt.text})
		chunks := ChunkDocument(p, tt.opts)
		checkChunks(t, p, tt.opts, chunks)
		if len(chunks) < 2 {
			t.Fatalf("%s: %d chunks; want several", tt.desc, len(chunks))
		}
		for i := 1; i < len(chunks); i++ {
			prev, c := chunks[i-1], chunks[i]
			if c.Start >= prev.End {
				t.Errorf("%s: chunk %d [%d,%d) does not overlap chunk %d [%d,%d)", tt.desc, i, c.Start, c.End, i-1, prev.Start, prev.End)
				continue
			}
			shared := retrieval.CountTokens(string([]rune(p.Text)[c.Start:prev.End]))
			if shared < tt.min || shared > tt.max {
				t.Errorf("%s: chunks %d and %d share %d tokens; want %d–%d", tt.desc, i-1, i, shared, tt.min, tt.max)
			}
			if c.End <= prev.End {
				t.Errorf("%s: chunk %d [%d,%d) makes no progress after [%d,%d)", tt.desc, i, c.Start, c.End, prev.Start, prev.End)
			}
		}
	}

	// A negative Overlap turns overlap off.
	p := docOf([2]string{"", englishSentences(60)})
	chunks := ChunkDocument(p, ChunkOptions{MaxTokens: 50, Overlap: -1})
	for i := 1; i < len(chunks); i++ {
		if chunks[i].Start < chunks[i-1].End {
			t.Errorf("Overlap -1: chunk %d [%d,%d) overlaps chunk %d ending at %d", i, chunks[i].Start, chunks[i].End, i-1, chunks[i-1].End)
		}
	}
}

func TestChunkHeadings(t *testing.T) {
	md := "# Returns\n\nShort intro.\n\n## Damaged items\n\nSend photos.\n\n## Refunds\n\n" + englishSentences(12) + "\n\n" + englishSentences(3) + "\n"
	p := parseOK(t, "r.md", []byte(md))
	chunks := ChunkDocument(p, ChunkOptions{MaxTokens: 60, Overlap: 10})
	checkChunks(t, p, ChunkOptions{MaxTokens: 60}, chunks)
	var got []string
	for _, c := range chunks {
		got = append(got, fmt.Sprintf("%s | %d", c.Heading, c.Tokens))
	}
	// Tiny sections stay apart (different heading paths). Under Refunds:
	// sentences 1–7; 7–12 (ending at the paragraph break); 12 and the
	// second paragraph.
	diffLines(t, "chunk headings", got, []string{
		"Returns | 3",
		"Returns > Damaged items | 3",
		"Returns > Refunds | 56",
		"Returns > Refunds | 48",
		"Returns > Refunds | 32",
	})
	if last := chunks[len(chunks)-1].Text; !strings.HasPrefix(last, "Sentence 12 says that returns are free.\n\nSentence 1 ") || !strings.HasSuffix(last, "Sentence 3 says that returns are free.") {
		t.Errorf("last chunk = %q; want sentence 12 and the second paragraph", last)
	}
}

func TestChunkSameHeadingBlocksMerge(t *testing.T) {
	// Consecutive blocks with the same heading path (here, as a PDF gives
	// them across pages) are packed together; a different path is not.
	p := docOf([2]string{"A", "One."}, [2]string{"A", "Two."}, [2]string{"B", "Three."}, [2]string{"A", "Four."})
	if len(p.Blocks) != 4 {
		t.Fatalf("docOf made %d blocks; want 4", len(p.Blocks))
	}
	chunks := ChunkDocument(p, ChunkOptions{})
	checkChunks(t, p, ChunkOptions{}, chunks)
	var got []string
	for _, c := range chunks {
		got = append(got, c.Heading+": "+c.Text)
	}
	diffLines(t, "merged chunks", got, []string{"A: One.\n\nTwo.", "B: Three.", "A: Four."})
}

func TestChunkParagraphPreferred(t *testing.T) {
	// A paragraph break in the second half of the chunk wins over a later
	// sentence end.
	text := englishSentences(4) + "\n\n" + englishSentences(4)
	p := docOf([2]string{"", text})
	chunks := ChunkDocument(p, ChunkOptions{MaxTokens: 40, Overlap: -1})
	checkChunks(t, p, ChunkOptions{MaxTokens: 40}, chunks)
	if len(chunks) != 2 || chunks[0].Tokens != 32 {
		t.Fatalf("chunks = %+v; want 2, the first being the first paragraph (32 tokens)", chunks)
	}
}

func TestChunkHardSplitBetweenWords(t *testing.T) {
	p := docOf([2]string{"", strings.Repeat("refundable ", 250) + "end."})
	opts := ChunkOptions{MaxTokens: 64, Overlap: 8}
	chunks := ChunkDocument(p, opts)
	checkChunks(t, p, opts, chunks)
	runes := []rune(p.Text)
	for i, c := range chunks {
		if c.Start > 0 && !unicode.IsSpace(runes[c.Start-1]) {
			t.Errorf("chunk %d starts mid-word: %q", i, c.Text[:20])
		}
		if c.End < len(runes) && !unicode.IsSpace(runes[c.End]) {
			t.Errorf("chunk %d ends mid-word at %d", i, c.End)
		}
	}
}

func TestChunkFAQ(t *testing.T) {
	huge := strings.Repeat("Every order ships within two days. ", 60)
	csv := "category,question,answer\nShipping,How fast?,\"" + huge + "\"\n,Tiny?,Yes.\n,Also tiny?,No.\n"
	p := parseOK(t, "faq.csv", []byte(csv))
	opts := ChunkOptions{MaxTokens: 50}
	chunks := ChunkDocument(p, opts)
	checkChunks(t, p, opts, chunks)
	tests := []struct {
		heading, prefix string
		row             int
		over            bool // more tokens than MaxTokens
	}{
		{"Shipping > How fast?", "How fast?\nEvery order", 1, true},
		{"Tiny?", "Tiny?\nYes.", 2, false},
		{"Also tiny?", "Also tiny?\nNo.", 3, false},
	}
	if len(chunks) != len(tests) {
		t.Fatalf("%d chunks; want %d (one per row)", len(chunks), len(tests))
	}
	for i, tt := range tests {
		c := chunks[i]
		if c.Heading != tt.heading || c.Row != tt.row || !strings.HasPrefix(c.Text, tt.prefix) || (c.Tokens > opts.MaxTokens) != tt.over {
			t.Errorf("chunk %d = {%q, row %d, %d tokens, %.30q}; want {%q, row %d, text %q…, over max %v}",
				i, c.Heading, c.Row, c.Tokens, c.Text, tt.heading, tt.row, tt.prefix, tt.over)
		}
	}
}

func TestChunkUntrustedInput(t *testing.T) {
	tests := []struct {
		desc string
		p    *parse.Document
		want int
	}{
		{"nil", nil, 0},
		{"no blocks", &parse.Document{Text: "text"}, 0},
		{"start out of range", &parse.Document{Text: "abc", Blocks: []parse.Block{{Text: "abc", Start: 10}, {Text: "x", Start: -1}}}, 0},
		{"text longer than the document", &parse.Document{Text: "abc def", Blocks: []parse.Block{{Text: "abc def ghi", Start: 4}}}, 1},
		{"only symbols", &parse.Document{Text: "★ → ★", Blocks: []parse.Block{{Text: "★ → ★"}}}, 0},
		{"FAQ without a question line", &parse.Document{FAQ: true, Text: "answer", Blocks: []parse.Block{{Heading: []string{"q"}, Text: "answer", Row: 1}}}, 1},
	}
	for _, tt := range tests {
		chunks := ChunkDocument(tt.p, ChunkOptions{})
		if len(chunks) != tt.want {
			t.Errorf("%s: %d chunks; want %d", tt.desc, len(chunks), tt.want)
		}
		if tt.p != nil {
			checkChunkOffsets(t, tt.p, chunks)
		}
	}
}

// checkChunkOffsets checks only that chunk texts are where they say.
func checkChunkOffsets(t *testing.T, p *parse.Document, chunks []Chunk) {
	t.Helper()
	runes := []rune(p.Text)
	for i, c := range chunks {
		if c.Start < 0 || c.End > len(runes) || string(runes[c.Start:c.End]) != c.Text {
			t.Errorf("chunk %d [%d,%d) %q is not at its offsets in %q", i, c.Start, c.End, c.Text, p.Text)
		}
	}
}

func TestChunkDemoDocuments(t *testing.T) {
	// Every demo document parses and chunks within bounds.
	for _, name := range []string{"faq.md", "faq-zh.md", "shipping.md", "shipping-zh.md", "returns-refunds.md", "size-guide.md"} {
		data := readDemo(t, name)
		p := parseOK(t, name, data)
		for _, opts := range []ChunkOptions{{}, {MaxTokens: 80, Overlap: 16}} {
			chunks := ChunkDocument(p, opts)
			checkChunks(t, p, opts, chunks)
			for i, c := range chunks {
				if c.Heading == "" {
					t.Errorf("%s: chunk %d has no heading: %.40q", name, i, c.Text)
				}
			}
		}
	}
}

// readDemo reads a demo knowledge-base document.
func readDemo(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("demo", "docs", name))
	if err != nil {
		t.Fatalf("read demo document: %v", err)
	}
	return data
}
