package knowledge

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"kefu/retrieval"
)

// checkParsed fails t unless p keeps Parse's invariants: UTF-8 text
// without control characters, blocks in order that index into the text.
func checkParsed(t testing.TB, p *Parsed) {
	t.Helper()
	if !utf8.ValidString(p.Text) {
		t.Fatalf("Parsed.Text is not valid UTF-8: %q", p.Text)
	}
	for _, r := range p.Text {
		if r != '\n' && unicode.IsControl(r) {
			t.Fatalf("Parsed.Text has control character %U: %q", r, p.Text)
		}
	}
	if len(p.Blocks) == 0 {
		t.Fatalf("Parsed has no blocks")
	}
	runes := []rune(p.Text)
	prevEnd := 0
	for i, b := range p.Blocks {
		n := utf8.RuneCountInString(b.Text)
		if b.Start < prevEnd || b.Start+n > len(runes) {
			t.Fatalf("block %d [%d,%d) out of order or range (previous end %d, text length %d)", i, b.Start, b.Start+n, prevEnd, len(runes))
		}
		if got := string(runes[b.Start : b.Start+n]); got != b.Text {
			t.Fatalf("block %d: text at its Start = %q; want %q", i, got, b.Text)
		}
		if strings.TrimSpace(b.Text) == "" {
			t.Fatalf("block %d is empty", i)
		}
		if p.FAQ != (b.Row > 0) {
			t.Fatalf("block %d: Row = %d with FAQ = %v", i, b.Row, p.FAQ)
		}
		prevEnd = b.Start + n
	}
}

// checkChunks fails t unless chunks keep ChunkDocument's invariants for p:
// exact offsets, token counts and bounds, one chunk per FAQ row, and every
// token of every block inside some chunk of a block with the same heading.
func checkChunks(t testing.TB, p *Parsed, opts ChunkOptions, chunks []Chunk) {
	t.Helper()
	maxTokens := opts.MaxTokens
	if maxTokens == 0 {
		maxTokens = DefaultMaxTokens
	}
	runes := []rune(p.Text)
	for i, c := range chunks {
		if c.Start < 0 || c.End > len(runes) || c.Start >= c.End {
			t.Fatalf("chunk %d: offsets [%d,%d) out of range (text length %d)", i, c.Start, c.End, len(runes))
		}
		if got := string(runes[c.Start:c.End]); got != c.Text {
			t.Fatalf("chunk %d: text at [%d,%d) = %q; want %q", i, c.Start, c.End, got, c.Text)
		}
		if got := retrieval.CountTokens(c.Text); got != c.Tokens {
			t.Fatalf("chunk %d: Tokens = %d; CountTokens(Text) = %d", i, c.Tokens, got)
		}
		if !p.FAQ && c.Tokens > maxTokens {
			t.Fatalf("chunk %d: %d tokens > MaxTokens %d: %q", i, c.Tokens, maxTokens, c.Text)
		}
		if c.Tokens == 0 {
			t.Fatalf("chunk %d has no tokens: %q", i, c.Text)
		}
		if strings.TrimSpace(c.Text) != c.Text {
			t.Fatalf("chunk %d has surrounding whitespace: %q", i, c.Text)
		}
	}
	if p.FAQ {
		if len(chunks) != len(p.Blocks) {
			t.Fatalf("FAQ: %d chunks for %d rows", len(chunks), len(p.Blocks))
		}
		for i, c := range chunks {
			if c.Row != p.Blocks[i].Row {
				t.Fatalf("FAQ chunk %d: Row = %d; want %d", i, c.Row, p.Blocks[i].Row)
			}
		}
		return
	}
	// Every token of every block is in a chunk with the block's heading.
	for bi, b := range p.Blocks {
		heading := strings.Join(b.Heading, " > ")
		start := b.Start
		for k, r := range []rune(b.Text) {
			if !isTokenRune(r) {
				continue
			}
			pos := start + k
			found := false
			for _, c := range chunks {
				if c.Start <= pos && pos < c.End {
					if c.Heading != heading {
						t.Fatalf("block %d (%q): rune %d is in a chunk with heading %q", bi, heading, pos, c.Heading)
					}
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("block %d: rune %d (%q) is in no chunk", bi, pos, r)
			}
		}
	}
}

// fuzzParse parses data as name and checks every invariant.
func fuzzParse(t *testing.T, name string, data []byte) {
	p, err := Parse(name, data)
	if err != nil {
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("Parse error %v does not wrap ErrInvalid", err)
		}
		return
	}
	checkParsed(t, p)
	for _, opts := range []ChunkOptions{{}, {MaxTokens: 12, Overlap: 4}, {MaxTokens: 1, Overlap: -1}} {
		checkChunks(t, p, opts, ChunkDocument(p, opts))
	}
}

func FuzzParseMarkdown(f *testing.F) {
	for _, s := range []string{
		"# Returns\n\nReturn within **30 days**. See [policy](http://x).\n\n## Damaged items\n\n- one\n- two\n",
		"---\ntitle: T\n---\n# 退货\n\n签收后 30 天内可以退。\n第二行。\n",
		"| a | b |\n|---|---|\n| 1 | 2 |\n\n```go\nfunc main() {}\n```\n",
		"Title\n=====\n\n> quote *x* <span>html</span>\n\n<div>block <b>html</b></div>\n\n1. a\n   - b\n2. c\\\nd",
		"&amp; &#x4e2d; \\* [x][ref]\n\n[ref]: http://example.com\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, "doc.md", data) })
}

func FuzzParseHTML(f *testing.F) {
	for _, s := range []string{
		"<html><head><title>Returns</title><style>p{}</style></head><body><nav>Home</nav><main><h1>Returns</h1><p>Return within 30 days.</p><h2>Damaged</h2><ul><li>one<li>two</ul></main><footer>©</footer></body></html>",
		"<article><header><h1>退货</h1></header><p>签收后<br>30 天内可以退。</p><table><tr><th>a<td>b</table></article>",
		"<div hidden>x</div><pre>a\n  b</pre><ol start=3><li><p>x</p><p>y</p></li></ol><h3>deep</h3>text &amp; more",
		"<svg><text>no</text></svg><script>var x</script><p>only</p><iframe src=x></iframe>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, "page.html", data) })
}

func FuzzParsePDF(f *testing.F) {
	f.Add(testPDF(pdfDoc{Title: "Guide", Pages: []string{
		pdfText("F1", 18, 72, 720, "Returns Guide") + pdfText("F1", 11, 72, 690, "Return items within 30 days.") +
			pdfText("F1", 11, 72, 676, "Refunds take five days."),
		"BT /F1 11 Tf 14 TL 72 700 Td [(Hello)-333(world)] TJ T* (next line) Tj ET",
	}}))
	f.Add(testPDF(pdfDoc{Pages: []string{pdfCJKText(12, 72, 700, "签收后三十天内可以退货。")}}))
	f.Add(testPDF(pdfDoc{Pages: []string{"q 1 0 0 1 10 10 cm /X1 Do Q"}, Form: pdfText("F1", 11, 72, 700, "In a form.")}))
	f.Add(encryptedPDF())
	f.Add([]byte("%PDF-1.4\n%%EOF\n"))
	f.Add([]byte("BT /F1 12 Tf 1 0 0 1 72 700 Tm (Hello) Tj T* [(a)-300(b)] TJ ET q 2 0 0 2 0 0 cm /X1 Do Q"))
	f.Add([]byte(pdfCJKText(12, 72, 700, "签收后") + "BT /F2 9 Tf 0 -20 Td <4E2D> Tj ET"))
	// Each input is tried as a whole file and, so that mutations reach the
	// text extraction, as the content stream of an otherwise valid PDF.
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, "doc.pdf", data)
		fuzzParse(t, "doc.pdf", testPDF(pdfDoc{Pages: []string{string(data)}, Form: string(data)}))
	})
}

// FuzzParseCSV fuzzes both FAQ formats (.csv and .json) with each input.
func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{
		"question,answer,category\nHow long is delivery?,3-5 days.,Shipping\n\"Multi\nline?\",\"Yes, \"\"quoted\"\".\",\n",
		"answer;question\n30 天;多久可以退货？\n",
		"问题\t答案\t分类\n怎么退货？\t在订单页申请。\t售后\n,,\n",
		"question,answer\nq,\n",
		"q,a\n\"unterminated,x\n",
		`[{"question": "How long?", "answer": "3 days.", "category": "Shipping"}, {"问题": "退货？", "答案": "30 天。"}]`,
		"[\n {\"question\": \"q\"},\n {\"answer\": 1}\n]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, "faq.csv", data)
		fuzzParse(t, "faq.json", data)
	})
}
