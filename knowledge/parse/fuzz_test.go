package parse

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkDocument fails t unless p keeps Parse's invariants (see the package
// comment): UTF-8 text without control characters, blocks in order that
// index into the text.
func checkDocument(t testing.TB, p *Document) {
	t.Helper()
	if !utf8.ValidString(p.Text) {
		t.Fatalf("Document.Text is not valid UTF-8: %q", p.Text)
	}
	for _, r := range p.Text {
		if r != '\n' && unicode.IsControl(r) {
			t.Fatalf("Document.Text has control character %U: %q", r, p.Text)
		}
	}
	if len(p.Blocks) == 0 {
		t.Fatalf("Document has no blocks")
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

// fuzzParse parses data as name and checks every invariant. Every input
// either parses or is refused with a reason; a supported name never gets
// ErrUnsupported. (Package knowledge fuzzes chunking on parsed documents.)
func fuzzParse(t *testing.T, name string, data []byte) {
	p, err := Parse(name, data)
	if err != nil {
		if errors.Is(err, ErrUnsupported) || err.Error() == "" {
			t.Fatalf("Parse(%q) error %q; want a reason the file is bad", name, err)
		}
		return
	}
	checkDocument(t, p)
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
