package knowledge

import (
	"slices"
	"strings"
	"testing"

	"kefu/knowledge/parse"
	"kefu/retrieval"
)

// checkChunks fails t unless chunks keep ChunkDocument's invariants for p:
// exact offsets, token counts and bounds, one chunk per FAQ row, and every
// token of every block inside some chunk of a block with the same heading.
func checkChunks(t testing.TB, p *parse.Document, opts ChunkOptions, chunks []Chunk) {
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

// chunkFormats are the file names FuzzChunkDocument parses its inputs as.
var chunkFormats = []string{"doc.md", "page.html", "doc.txt", "faq.csv", "faq.json", "doc.pdf"}

// FuzzChunkDocument checks ChunkDocument's invariants, with three chunk
// sizes, on what package parse makes of each input (as the format its
// first argument picks). Package parse fuzzes the parsers themselves; the
// seeds are theirs, and testdata/fuzz/FuzzChunkDocument holds PDF seeds.
func FuzzChunkDocument(f *testing.F) {
	md := []string{
		"# Returns\n\nReturn within **30 days**. See [policy](http://x).\n\n## Damaged items\n\n- one\n- two\n",
		"---\ntitle: T\n---\n# 退货\n\n签收后 30 天内可以退。\n第二行。\n",
		"| a | b |\n|---|---|\n| 1 | 2 |\n\n```go\nfunc main() {}\n```\n",
		"Title\n=====\n\n> quote *x* <span>html</span>\n\n<div>block <b>html</b></div>\n\n1. a\n   - b\n2. c\\\nd",
		"&amp; &#x4e2d; \\* [x][ref]\n\n[ref]: http://example.com\n",
	}
	html := []string{
		"<html><head><title>Returns</title><style>p{}</style></head><body><nav>Home</nav><main><h1>Returns</h1><p>Return within 30 days.</p><h2>Damaged</h2><ul><li>one<li>two</ul></main><footer>©</footer></body></html>",
		"<article><header><h1>退货</h1></header><p>签收后<br>30 天内可以退。</p><table><tr><th>a<td>b</table></article>",
		"<div hidden>x</div><pre>a\n  b</pre><ol start=3><li><p>x</p><p>y</p></li></ol><h3>deep</h3>text &amp; more",
		"<svg><text>no</text></svg><script>var x</script><p>only</p><iframe src=x></iframe>",
	}
	faq := []string{
		"question,answer,category\nHow long is delivery?,3-5 days.,Shipping\n\"Multi\nline?\",\"Yes, \"\"quoted\"\".\",\n",
		"answer;question\n30 天;多久可以退货？\n",
		"问题\t答案\t分类\n怎么退货？\t在订单页申请。\t售后\n,,\n",
		"question,answer\nq,\n",
		"q,a\n\"unterminated,x\n",
		`[{"question": "How long?", "answer": "3 days.", "category": "Shipping"}, {"问题": "退货？", "答案": "30 天。"}]`,
		"[\n {\"question\": \"q\"},\n {\"answer\": 1}\n]",
	}
	for _, seeds := range []struct {
		name   string
		inputs []string
	}{{"doc.md", md}, {"doc.txt", md}, {"page.html", html}, {"faq.csv", faq}, {"faq.json", faq}} {
		for _, s := range seeds.inputs {
			f.Add(uint8(slices.Index(chunkFormats, seeds.name)), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, format uint8, data []byte) {
		p, err := parse.Parse(chunkFormats[int(format)%len(chunkFormats)], data)
		if err != nil {
			return
		}
		for _, opts := range []ChunkOptions{{}, {MaxTokens: 12, Overlap: 4}, {MaxTokens: 1, Overlap: -1}} {
			checkChunks(t, p, opts, ChunkDocument(p, opts))
		}
	})
}
