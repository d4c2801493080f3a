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
// first argument picks). Package parse fuzzes the parsers themselves; these
// seeds are about chunking: sentence ends, lists, headings, long FAQ
// answers. testdata/fuzz/FuzzChunkDocument holds PDF seeds (written from
// package parse's test PDFs).
func FuzzChunkDocument(f *testing.F) {
	for _, seed := range []struct{ name, data string }{
		{"doc.md", "# Returns\n\nReturn unused items within 30 days. Refunds take five days. Keep the receipt, e.g. the email.\n\n" +
			"## Damaged items\n\n- Send a photo.\n- Keep the box.\n\n1. First step here.\n2. Second step here.\n"},
		{"doc.md", "# 退货\n\n签收后三十天内可以申请退货。退款在五个工作日内到账！需要保留发票吗？需要；请保留。\n\n## 运费\n\n满 299 元包邮，不满收取 10 元运费。"},
		{"doc.txt", "Shipping Policy\n\nWe ship worldwide. Orders ship in 1-2 days.\n\n\"Express,\" she said, \"takes one day.\" Price: $25 + tax ★ 🙂 → 100% ok."},
		{"page.html", "<title>Care</title><main><h1>Care</h1><p>Wash cold. Dry flat.</p><h2>Linen</h2><ul><li>Iron while damp.</li><li>Do not bleach.</li></ul>" +
			"<table><tr><th>Fabric<th>Temp<tr><td>Linen<td>40°C</table></main>"},
		{"faq.csv", "category,question,answer\nShipping,How fast?,\"Every order ships within two days. Express takes one day.\nTracking comes by email.\"\n,Tiny?,Yes.\n"},
		{"faq.json", `[{"question": "退货要多久退款？", "answer": "验货后 3 个工作日内。原路退回。", "category": "售后"}, {"question": "Can I pay by PayPal?", "answer": "Yes."}]`},
	} {
		f.Add(uint8(slices.Index(chunkFormats, seed.name)), []byte(seed.data))
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
