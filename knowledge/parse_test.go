package knowledge

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// blockLines renders p's blocks as "Heading > Path: text" lines, for comparing.
func blockLines(p *Parsed) []string {
	var out []string
	for _, b := range p.Blocks {
		s := strings.Join(b.Heading, " > ") + ": " + b.Text
		if b.Row > 0 {
			s = fmt.Sprintf("#%d %s", b.Row, s)
		}
		out = append(out, s)
	}
	return out
}

// parseOK parses data as name, failing t on an error or a broken invariant.
func parseOK(t *testing.T, name string, data []byte) *Parsed {
	t.Helper()
	p, err := Parse(name, data)
	if err != nil {
		t.Fatalf("Parse(%q) error: %v", name, err)
	}
	checkParsed(t, p)
	checkChunks(t, p, ChunkOptions{}, ChunkDocument(p, ChunkOptions{}))
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

func TestParseUnsupported(t *testing.T) {
	for _, name := range []string{"report.docx", "README", "photo.PNG", "archive.tar.gz", "notes.md.bak", `C:\docs\x.xlsx`} {
		_, err := Parse(name, []byte("hello"))
		if !errors.Is(err, ErrUnsupported) || !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) error = %v; want ErrUnsupported and ErrInvalid", name, err)
			continue
		}
		if !strings.Contains(err.Error(), ".md, .markdown, .txt, .html, .htm, .pdf, .csv, .json") {
			t.Errorf("Parse(%q) error = %q; want the supported types listed", name, err)
		}
	}
}

func TestParseContentType(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"a.md", "# A\n\ntext", "markdown"},
		{"A.MARKDOWN", "text", "markdown"},
		{"dir/a.Txt", "text", "text"},
		{`dir\a.HTM`, "<p>text</p>", "html"},
		{"a.html", "<p>text</p>", "html"},
		{"a.CSV", "question,answer\nq?,a.\n", "faq-csv"},
		{"a.json", `[{"question":"q?","answer":"a."}]`, "faq-json"},
		{"a.pdf", string(testPDF(pdfDoc{Pages: []string{pdfText("F1", 11, 72, 700, "text")}})), "pdf"},
	}
	for _, tt := range tests {
		p := parseOK(t, tt.name, []byte(tt.data))
		if p.ContentType != tt.want {
			t.Errorf("Parse(%q).ContentType = %q; want %q", tt.name, p.ContentType, tt.want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	valid := testPDF(pdfDoc{Pages: []string{pdfText("F1", 11, 72, 700, "Some text on the page.")}})
	tests := []struct {
		desc, name string
		data       []byte
		want       string // in the error message
	}{
		{"empty markdown", "a.md", nil, "empty file"},
		{"whitespace text", "a.txt", []byte(" \n\t\r\n "), "empty file"},
		{"empty pdf", "a.pdf", []byte{}, "empty file"},
		{"empty csv", "a.csv", []byte("\n"), "empty file"},
		{"NUL bytes", "a.md", []byte("# Title\x00\x00\x01binary"), "binary data"},
		{"invalid UTF-8", "a.txt", []byte("caf\xe9 \xff\xfe\xfd"), "not valid UTF-8"},
		{"GBK text", "a.txt", []byte{0xc4, 0xe3, 0xba, 0xc3, 0xca, 0xc0, 0xbd, 0xe7}, "not valid UTF-8"},
		{"control characters", "a.html", []byte("\x01\x02\x03\x04<p>x</p>"), "binary data"},
		{"binary junk as csv", "a.csv", []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d}, "binary data"},
		{"not a pdf", "a.pdf", []byte("hello, I am text"), "corrupt PDF"},
		{"garbage pdf", "a.pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("garbage "), 40)...), "corrupt PDF"},
		{"truncated pdf", "a.pdf", valid[:len(valid)/2], "corrupt PDF"},
		{"encrypted pdf", "a.pdf", encryptedPDF(), "encrypted PDF"},
		{"content ends in a hex string", "a.pdf", testPDF(pdfDoc{Pages: []string{"BT /F1 11 Tf 72 700 Td <4142"}}), "corrupt PDF"},
		{"content ends after a bad hex digit", "a.pdf", testPDF(pdfDoc{Pages: []string{"q /X1 Do<Q\n"}}), "corrupt PDF"},
		{"pdf without text", "a.pdf", testPDF(pdfDoc{Pages: []string{"0 0 m 200 200 l S\n", "q 1 0 0 1 0 0 cm Q\n"}}), "no text layer"},
		{"html with only boilerplate", "a.html", []byte("<nav>Home | Shop</nav><script>x()</script><footer>© 2024</footer>"), "no text found"},
		{"markdown with only an image", "a.md", []byte("![](logo.png)\n\n---\n"), "no text found"},
		{"odd UTF-16", "a.txt", []byte{0xff, 0xfe, 'a'}, "truncated UTF-16"},
	}
	for _, tt := range tests {
		p, err := Parse(tt.name, tt.data)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Parse(%q) = %v, %v; want an error wrapping ErrInvalid", tt.desc, tt.name, p, err)
			continue
		}
		if errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: Parse(%q) error %q wraps ErrUnsupported", tt.desc, tt.name, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse(%q) error = %q; want it to contain %q", tt.desc, tt.name, err, tt.want)
		}
	}
}

func TestParseMarkdown(t *testing.T) {
	tests := []struct {
		desc, in  string
		title     string
		want      []string
		wantInTxt string // a substring of Parsed.Text
	}{
		{
			desc: "heading paths nest and pop",
			in: "# Returns\n\nIntro.\n\n## Damaged items\n\nPhotos please.\n\n### Glass\n\nWrap it.\n\n" +
				"## Refunds\n\nFive days.\n\n# Shipping\n\nFast.\n\n#### Skipped levels\n\nDeep.\n",
			title: "Returns",
			want: []string{
				"Returns: Intro.",
				"Returns > Damaged items: Photos please.",
				"Returns > Damaged items > Glass: Wrap it.",
				"Returns > Refunds: Five days.",
				"Shipping: Fast.",
				"Shipping > Skipped levels: Deep.",
			},
			wantInTxt: "Returns\n\nIntro.\n\nDamaged items\n\nPhotos please.",
		},
		{
			desc:  "text before the first heading and no H1",
			in:    "Preface text.\n\n## Section\n\nBody.",
			title: "",
			want:  []string{": Preface text.", "Section: Body."},
		},
		{
			desc:  "markdown syntax removed",
			in:    "# T\n\nSee **the _policy_** at [our site](https://x.example/p \"t\") or <https://y.example>. Use `code` ~~not~~ \\*stars\\* &amp; &#x4E2D; ![alt text](i.png).",
			title: "T",
			want:  []string{"T: See the policy at our site or https://y.example. Use code not *stars* & 中 alt text."},
		},
		{
			desc:  "soft breaks join, hard breaks keep the line",
			in:    "# T\n\nline one\nline two  \nline three\\\nline four",
			title: "T",
			want:  []string{"T: line one line two\nline three\nline four"},
		},
		{
			desc:  "lists keep one line per item",
			in:    "# T\n\n- one\n- two **bold**\n  - nested\n- [x] done\n\n3. third\n4. fourth\n\n* loose\n\n* list\n",
			title: "T",
			want:  []string{"T: - one\n- two bold\n- nested\n- done\n\n3. third\n4. fourth\n\n- loose\n- list"},
		},
		{
			desc:  "tables as rows of cells",
			in:    "## Sizes\n\n| Size | Chest |\n|------|-------|\n| S | 88–94 |\n| M | 94–100 |\n",
			title: "",
			want:  []string{"Sizes: Size | Chest\nS | 88–94\nM | 94–100"},
		},
		{
			desc:  "code blocks and quotes as text",
			in:    "# T\n\n```sh\ncurl   -X POST\n  /api\n```\n\n    indented code\n\n> quoted **text**\n> more\n",
			title: "T",
			want:  []string{"T: curl -X POST\n/api\n\nindented code\n\nquoted text more"},
		},
		{
			desc:  "front matter and setext headings",
			in:    "---\ntitle: \"From front matter\"\nlang: en\n---\nMain\n====\n\nBody.\n\nSub\n---\n\nMore.",
			title: "Main",
			want:  []string{"Main: Body.", "Main > Sub: More."},
		},
		{
			desc:  "front matter title when there is no H1",
			in:    "---\ntitle: Shipping FAQ\n---\n\n## A\n\nB.",
			title: "Shipping FAQ",
			want:  []string{"A: B."},
		},
		{
			desc:  "HTML blocks give their text",
			in:    "# T\n\n<div class=\"note\">\n<p>Keep the <b>receipt</b>.</p>\n<script>alert(1)</script>\n</div>\n\nAfter.",
			title: "T",
			want:  []string{"T: Keep the receipt.\n\nAfter."},
		},
		{
			desc:  "Chinese with wrapped lines",
			in:    "# 退换货与退款\n\n签收后 **30 天内**，未使用的商品\n都可以退。\n\n## 商品损坏\n\n请在签收后 7 天内联系我们。\n提供订单号和照片。\n",
			title: "退换货与退款",
			want: []string{
				"退换货与退款: 签收后 30 天内，未使用的商品都可以退。",
				"退换货与退款 > 商品损坏: 请在签收后 7 天内联系我们。提供订单号和照片。",
			},
		},
		{
			desc:  "CRLF line endings and tabs",
			in:    "# T\r\n\r\nA\tB  C\r\nD\r\n\r\n## S\r\n\r\nE\r\n",
			title: "T",
			want:  []string{"T: A B C D", "T > S: E"},
		},
	}
	for _, tt := range tests {
		p := parseOK(t, "doc.md", []byte(tt.in))
		if p.Title != tt.title {
			t.Errorf("%s: Title = %q; want %q", tt.desc, p.Title, tt.title)
		}
		diffLines(t, tt.desc, blockLines(p), tt.want)
		if !strings.Contains(p.Text, tt.wantInTxt) {
			t.Errorf("%s: Text = %q; want it to contain %q", tt.desc, p.Text, tt.wantInTxt)
		}
	}
}

func TestParseText(t *testing.T) {
	utf16le := func(s string) []byte {
		b := []byte{0xff, 0xfe}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}
	tests := []struct {
		desc  string
		in    []byte
		title string
		want  []string
	}{
		{
			desc:  "short first line is the title",
			in:    []byte("Shipping Policy\n\nWe ship   worldwide.\nOrders ship in 1-2 days.\n\n\n\nFree over $49."),
			title: "Shipping Policy",
			want:  []string{"Shipping Policy: We ship worldwide.\nOrders ship in 1-2 days.\n\nFree over $49."},
		},
		{
			desc: "a first sentence is not a title",
			in:   []byte("We ship worldwide.\n\nFree over $49."),
			want: []string{": We ship worldwide.\n\nFree over $49."},
		},
		{
			desc: "a single paragraph has no title",
			in:   []byte("Just one line"),
			want: []string{": Just one line"},
		},
		{
			desc:  "Chinese, CRLF, UTF-8 BOM",
			in:    []byte("\xef\xbb\xbf配送说明\r\n\r\n付款后 1–2 个工作日内发货。\r\n满 ¥299 包邮。\r\n"),
			title: "配送说明",
			want:  []string{"配送说明: 付款后 1–2 个工作日内发货。\n满 ¥299 包邮。"},
		},
		{
			desc:  "UTF-16 with BOM",
			in:    utf16le("退货\r\n\r\n30 天内可以退。"),
			title: "退货",
			want:  []string{"退货: 30 天内可以退。"},
		},
		{
			desc: "zero-width and control characters dropped",
			in:   []byte("a\u200bb\x07c\u00a0d\fe"),
			want: []string{": abc d\ne"},
		},
	}
	for _, tt := range tests {
		p := parseOK(t, "doc.txt", tt.in)
		if p.Title != tt.title {
			t.Errorf("%s: Title = %q; want %q", tt.desc, p.Title, tt.title)
		}
		diffLines(t, tt.desc, blockLines(p), tt.want)
	}
}

func TestParseHTML(t *testing.T) {
	page := `<!DOCTYPE html>
<html><head><title>Returns &amp; Refunds | Lumen</title>
<style>body { color: red }</style><script>var tracking = "secret";</script></head>
<body>
<header><a href="/">Lumen &amp; Loom</a><nav><a href="/shop">Shop</a></nav></header>
<aside>Related: Sale!</aside>
<div class="content">
  <h1>Returns &amp; Refunds</h1>
  <p>Return   unused items
     within <b>30 days</b>.</p>
  <h2>Damaged items</h2>
  <p>Send a photo.<br>We reply in 24 hours.</p>
  <ul><li>Order number</li><li>Photo of the <em>box</em></li></ul>
  <h3>Glass</h3>
  <ol><li><p>Wrap it.</p><p>Tape it.</p></li><li>Ship it.</li></ol>
  <h2>Refunds</h2>
  <table><tr><th>Method</th><th>Time</th></tr><tr><td>Card</td><td>5–10 days</td></tr></table>
  <pre>code  line 1
  line 2</pre>
  <form><label>Email</label><input name=e><button>Subscribe</button></form>
  <noscript>Enable JS</noscript><svg><text>icon</text></svg><iframe src="x"></iframe>
  <div hidden>hidden text</div><div style="display: none">also hidden</div><span aria-hidden="true">★</span>
  <p>Questions? Email us.</p>
</div>
<footer>© 2024 Lumen &amp; Loom · Privacy</footer>
</body></html>`
	tests := []struct {
		desc, in string
		title    string
		want     []string
	}{
		{
			desc:  "boilerplate removed, headings nest",
			in:    page,
			title: "Returns & Refunds | Lumen",
			want: []string{
				"Returns & Refunds: Return unused items within 30 days.",
				"Returns & Refunds > Damaged items: Send a photo.\nWe reply in 24 hours.\n\n- Order number\n- Photo of the box",
				"Returns & Refunds > Damaged items > Glass: 1. Wrap it.\nTape it.\n2. Ship it.",
				"Returns & Refunds > Refunds: Method | Time\nCard | 5–10 days\n\ncode line 1\nline 2\n\nQuestions? Email us.",
			},
		},
		{
			desc:  "main is preferred",
			in:    `<body><div>Site banner</div><main><h2>Care</h2><p>Wash cold.</p></main><div>Newsletter</div></body>`,
			title: "",
			want:  []string{"Care: Wash cold."},
		},
		{
			desc:  "role=main",
			in:    `<body><div>Banner</div><div role="main"><p>Main text.</p></div><div>Other</div></body>`,
			title: "",
			want:  []string{": Main text."},
		},
		{
			desc:  "an SVG title is not the page title",
			in:    `<body><svg><title>icon</title></svg><h1>Real title</h1><p>Text.</p></body>`,
			title: "Real title",
			want:  []string{"Real title: Text."},
		},
		{
			desc:  "a single article, with its header kept",
			in:    `<body><header>Site</header><article><header><h1>Warranty</h1></header><p>Two years.</p><footer>Share</footer></article><p>Comments</p></body>`,
			title: "Warranty",
			want:  []string{"Warranty: Two years."},
		},
		{
			desc:  "several articles: the body",
			in:    `<title>Blog</title><article><h2>A</h2><p>One.</p></article><article><h2>B</h2><p>Two.</p></article>`,
			title: "Blog",
			want:  []string{"A: One.", "B: Two."},
		},
		{
			desc:  "Chinese, entities, fragments",
			in:    "<h1>保修政策</h1><p>自签收之日起\n两年内&nbsp;免费维修。</p><p>&lt;注意&gt;：人为损坏除外。</p>",
			title: "保修政策",
			want:  []string{"保修政策: 自签收之日起两年内 免费维修。\n\n<注意>：人为损坏除外。"},
		},
	}
	for _, tt := range tests {
		p := parseOK(t, "page.html", []byte(tt.in))
		if p.Title != tt.title {
			t.Errorf("%s: Title = %q; want %q", tt.desc, p.Title, tt.title)
		}
		diffLines(t, tt.desc, blockLines(p), tt.want)
		for _, junk := range []string{"secret", "Shop", "Sale!", "Subscribe", "Enable JS", "icon", "hidden", "★", "©", "Banner", "Newsletter", "Site", "Comments", "Share"} {
			if strings.Contains(p.Text, junk) {
				t.Errorf("%s: Text contains boilerplate %q: %q", tt.desc, junk, p.Text)
			}
		}
	}
}

func TestParsePDF(t *testing.T) {
	tests := []struct {
		desc  string
		doc   pdfDoc
		title string
		want  []string
	}{
		{
			desc: "headings by size, paragraphs by gaps, pages",
			doc: pdfDoc{Title: "Returns Guide (2024)", Pages: []string{
				pdfText("F1", 20, 72, 740, "Returns Guide") +
					pdfText("F1", 11, 72, 712, "Return unused items within 30 days of delivery.") +
					pdfText("F1", 11, 72, 698, "Refunds go to the original payment method.") +
					pdfText("F1", 11, 72, 670, "Gift cards cannot be re-") +
					pdfText("F1", 11, 72, 656, "turned.") +
					pdfText("F1", 15, 72, 620, "Damaged items") +
					pdfText("F1", 11, 72, 600, "Send a photo within 7 days.") +
					pdfText("F1", 11, 72, 586, "• Order number") +
					pdfText("F1", 11, 72, 572, "• Photo of the box"),
				pdfText("F1", 11, 72, 740, "We reply within 24 hours.") +
					pdfText("F1", 15, 72, 700, "Refunds") +
					"BT /F1 11 Tf 14 TL 72 680 Td [(Cards)-300(take)-250(5)] TJ ( days.) Tj T* (PayPal takes 3 days.) Tj ET\n",
			}},
			title: "Returns Guide (2024)",
			want: []string{
				"Returns Guide: Return unused items within 30 days of delivery. Refunds go to the original payment method.\n\nGift cards cannot be returned.",
				"Returns Guide > Damaged items: Send a photo within 7 days.\n• Order number\n• Photo of the box\n\nWe reply within 24 hours.",
				"Returns Guide > Refunds: Cards take 5 days. PayPal takes 3 days.",
			},
		},
		{
			desc: "title from the first heading, Chinese text",
			doc: pdfDoc{Pages: []string{
				pdfCJKText(18, 72, 740, "保修政策") +
					pdfCJKText(12, 72, 712, "自签收之日起两年内，") +
					pdfCJKText(12, 72, 696, "非人为损坏免费维修。") +
					pdfCJKText(12, 72, 660, "请保留购买凭证。"),
			}},
			title: "保修政策",
			want:  []string{"保修政策: 自签收之日起两年内，非人为损坏免费维修。\n\n请保留购买凭证。"},
		},
		{
			desc:  "text in a form XObject, title from the first line",
			doc:   pdfDoc{Pages: []string{"q 1 0 0 1 0 -100 cm /X1 Do Q\n"}, Form: pdfText("F1", 11, 72, 700, "Printed from a form.")},
			title: "Printed from a form.",
			want:  []string{": Printed from a form."},
		},
		{
			desc: "running headers, footers and page numbers dropped, office title cleaned",
			doc: pdfDoc{Title: "Microsoft Word - Care guide.docx", Pages: []string{
				pdfText("F1", 9, 72, 770, "Lumen & Loom – Care guide") + pdfText("F1", 11, 72, 700, "Wash linen cold.") + pdfText("F1", 9, 300, 40, "1"),
				pdfText("F1", 9, 72, 770, "Lumen & Loom – Care guide") + pdfText("F1", 11, 72, 700, "Dry flat.") + pdfText("F1", 9, 300, 40, "2"),
				pdfText("F1", 9, 72, 770, "Lumen & Loom – Care guide") + pdfText("F1", 11, 72, 700, "Iron while damp.") + pdfText("F1", 9, 300, 40, "Page 3 of 3"),
			}},
			title: "Care guide",
			want:  []string{": Wash linen cold.\n\nDry flat.\n\nIron while damp."},
		},
		{
			desc:  "PDF 2.0 header",
			doc:   pdfDoc{Version: "2.0", Pages: []string{pdfText("F1", 11, 72, 700, "Version two.")}},
			title: "Version two.",
			want:  []string{": Version two."},
		},
		{
			desc:  "text positioned with Tm and words placed one by one",
			doc:   pdfDoc{Pages: []string{"BT /F1 10 Tf 1 0 0 1 72 700 Tm (Each) Tj 1 0 0 1 100 700 Tm (word) Tj 1 0 0 1 130 700 Tm (placed.) Tj ET\n"}},
			title: "Each word placed.",
			want:  []string{": Each word placed."},
		},
	}
	for _, tt := range tests {
		p := parseOK(t, "doc.pdf", testPDF(tt.doc))
		if p.Title != tt.title {
			t.Errorf("%s: Title = %q; want %q", tt.desc, p.Title, tt.title)
		}
		diffLines(t, tt.desc, blockLines(p), tt.want)
	}
}

func TestParsePDFHostile(t *testing.T) {
	// Malformed files that could make the library loop or explode must
	// finish quickly, with text or with ErrInvalid.
	tests := []struct {
		desc string
		doc  pdfDoc
		want string // in Text, when Parse succeeds
	}{
		{"page tree contains itself", pdfDoc{Pages: []string{pdfText("F1", 11, 72, 700, "Loop.")}, SelfKid: true}, "Loop."},
		{"form draws itself", pdfDoc{Pages: []string{"/X1 Do\n"}, Form: strings.Repeat("/X1 Do ", 20) + pdfText("F1", 11, 72, 700, "Recursive.")}, "Recursive."},
		{"huge CMap count", pdfDoc{Pages: []string{pdfCJKText(12, 72, 700, "退货") + pdfText("F1", 11, 72, 680, "Latin text.")}, CMap: "999999999 beginbfchar\n<0001> <0041>\nendbfchar\n"}, "Latin text."},
	}
	for _, tt := range tests {
		p, err := Parse("hostile.pdf", testPDF(tt.doc))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: Parse error = %v; want nil or ErrInvalid", tt.desc, err)
			}
			continue
		}
		checkParsed(t, p)
		if !strings.Contains(p.Text, tt.want) {
			t.Errorf("%s: Text = %.200q; want it to contain %q", tt.desc, p.Text, tt.want)
		}
	}
}

func TestParseFAQCSV(t *testing.T) {
	tests := []struct {
		desc, in string
		want     []string
	}{
		{
			desc: "category, quoted multi-line answers, extra columns",
			in: "category,question,answer,internal id\n" +
				"Shipping,How long does delivery take?,\"3–5 business days in the US.\n\nExpress: 1–2 days.\",17\n" +
				",Can I pay by PayPal?,\"Yes, \"\"PayPal\"\" works.\",18\n",
			want: []string{
				"#1 Shipping > How long does delivery take?: 3–5 business days in the US.\nExpress: 1–2 days.",
				"#2 Can I pay by PayPal?: Yes, \"PayPal\" works.",
			},
		},
		{
			desc: "any column order, semicolons, blank rows skipped",
			in:   "Answer;Question\r\nWithin 30 days.;When can I return?\r\n;;\r\n\r\nNo.;Is COD available?\r\n",
			want: []string{"#1 When can I return?: Within 30 days.", "#3 Is COD available?: No."},
		},
		{
			desc: "Chinese headers and text, tabs, BOM",
			in:   "\ufeff问题\t答案\t分类\n多久能收到货？\t付款后 1–2 个工作日内发货。\t配送\n",
			want: []string{"#1 配送 > 多久能收到货？: 付款后 1–2 个工作日内发货。"},
		},
	}
	for _, tt := range tests {
		p := parseOK(t, "faq.csv", []byte(tt.in))
		if !p.FAQ || p.Title != "" {
			t.Errorf("%s: FAQ = %v, Title = %q; want true, \"\"", tt.desc, p.FAQ, p.Title)
		}
		diffLines(t, tt.desc, blockLines(p), tt.want)
	}
}

func TestParseFAQCSVBad(t *testing.T) {
	tests := []struct {
		desc, in string
		want     []string // in the error message
	}{
		{"missing answer", "question,answer\nq1?,a1.\nq2?,\nq3?,a3.\n", []string{"line 3: missing answer"}},
		{"missing question after a multi-line row", "question,answer\nq1?,\"a\nb\"\n,a2.\n", []string{"line 4: missing question"}},
		{"several bad rows", "question,answer\n,x\ny,\n,z\n", []string{"line 2: missing question", "line 3: missing answer", "line 4: missing question"}},
		{"many bad rows", "question,answer\n" + strings.Repeat("q,\n", 8), []string{"line 2", "line 6", "(and 3 more)"}},
		{"header without answer", "question,reply\nq?,a.\n", []string{"line 1", "question and answer"}},
		{"no header at all", "How long?,3 days\n", []string{"line 1", "question and answer"}},
		{"bad quoting", "question,answer\nq1?,a1.\nq2?,\"unterminated\n", []string{"line 3"}},
		{"header only", "question,answer\n", []string{"no question/answer rows"}},
	}
	for _, tt := range tests {
		_, err := Parse("faq.csv", []byte(tt.in))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Parse error = %v; want ErrInvalid", tt.desc, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Parse error = %q; want it to contain %q", tt.desc, err, w)
			}
		}
	}
}

func TestParseFAQJSON(t *testing.T) {
	in := `[
  {"question": "How long does delivery take?", "answer": "3–5 business days.", "category": "Shipping"},
  {"Question": "退货要多久退款？", "Answer": "验货后 3 个工作日内。", "category": null, "id": 7}
]`
	p := parseOK(t, "faq.json", []byte(in))
	diffLines(t, "FAQ JSON", blockLines(p), []string{
		"#1 Shipping > How long does delivery take?: 3–5 business days.",
		"#2 退货要多久退款？: 验货后 3 个工作日内。",
	})
	if !p.FAQ || p.ContentType != "faq-json" {
		t.Errorf("FAQ = %v, ContentType = %q; want true, faq-json", p.FAQ, p.ContentType)
	}
}

func TestParseFAQJSONBad(t *testing.T) {
	tests := []struct {
		desc, in string
		want     []string
	}{
		{"missing answer", "[\n {\"question\": \"q1\", \"answer\": \"a1\"},\n {\"question\": \"q2\"}\n]", []string{"item 2 (line 3): missing answer"}},
		{"answer not a string", "[{\"question\": \"q\", \"answer\": 42}]", []string{"item 1 (line 1)", "answer is not a string"}},
		{"item not an object", "[\"just text\"]", []string{"item 1 (line 1): not an object"}},
		{"not an array", `{"question": "q", "answer": "a"}`, []string{"must be an array"}},
		{"syntax error", "[\n{\"question\": \"q\",\n \"answer\": \"a\"\n},\n{\"question\" \"q\"}\n]", []string{"line 5"}},
		{"truncated", "[{\"question\": \"q\", \"answer\": \"a\"}", []string{"unexpected end"}},
		{"trailing data", "[{\"question\": \"q\", \"answer\": \"a\"}]\n[]", []string{"line 2", "after the array"}},
		{"empty array", "[]", []string{"no question/answer items"}},
	}
	for _, tt := range tests {
		_, err := Parse("faq.json", []byte(tt.in))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Parse error = %v; want ErrInvalid", tt.desc, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Parse error = %q; want it to contain %q", tt.desc, err, w)
			}
		}
	}
}

// ---- PDF generation for tests ----

// pdfDoc describes a small PDF written by testPDF.
type pdfDoc struct {
	Version string   // header version; default 1.4
	Title   string   // Info Title, if set
	Pages   []string // content streams, one per page
	Form    string   // content of form XObject /X1 (fonts: F1)
	CMap    string   // the ToUnicode CMap of F2, instead of one for the codes used
	Encrypt bool     // add an /Encrypt dictionary whose password is not empty
	SelfKid bool     // the page tree lists itself among its kids
}

// pdfText shows text in a simple font at (x, y), encoded in WinAnsi.
func pdfText(font string, size, x, y float64, text string) string {
	winAnsi := map[rune]string{'•': `\225`, '–': `\226`, '’': `\222`, 'é': `\351`}
	var esc strings.Builder
	for _, r := range text {
		switch {
		case r == '\\' || r == '(' || r == ')':
			esc.WriteString(`\` + string(r))
		case winAnsi[r] != "":
			esc.WriteString(winAnsi[r])
		default:
			esc.WriteRune(r)
		}
	}
	return fmt.Sprintf("BT /%s %g Tf %g %g Td (%s) Tj ET\n", font, size, x, y, esc.String())
}

// pdfCJKText shows text in the Type0 font F2, whose codes are the
// characters' UTF-16 code units (testPDF writes a ToUnicode map for them).
func pdfCJKText(size, x, y float64, text string) string {
	var hex strings.Builder
	for _, u := range utf16.Encode([]rune(text)) {
		fmt.Fprintf(&hex, "%04X", u)
	}
	return fmt.Sprintf("BT /F2 %g Tf %g %g Td <%s> Tj ET\n", size, x, y, hex.String())
}

var hexString = regexp.MustCompile(`<([0-9A-F]{4})+>`)

// testPDF writes doc as a PDF file with a correct cross-reference table:
// Helvetica as F1, a CJK Type0 font as F2, and a form XObject X1.
func testPDF(doc pdfDoc) []byte {
	codes := map[string]bool{}
	for _, c := range append(slices.Clone(doc.Pages), doc.Form) {
		for _, h := range hexString.FindAllString(c, -1) {
			for i := 1; i+4 <= len(h)-1; i += 4 {
				codes[h[i:i+4]] = true
			}
		}
	}
	var cmap strings.Builder
	cmap.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CMapName /Test-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	sorted := slices.Sorted(func(yield func(string) bool) {
		for c := range codes {
			if !yield(c) {
				return
			}
		}
	})
	for len(sorted) > 0 {
		n := min(len(sorted), 100)
		fmt.Fprintf(&cmap, "%d beginbfchar\n", n)
		for _, c := range sorted[:n] {
			fmt.Fprintf(&cmap, "<%s> <%s>\n", c, c)
		}
		cmap.WriteString("endbfchar\n")
		sorted = sorted[n:]
	}
	cmap.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	cmapText := cmap.String()
	if doc.CMap != "" {
		cmapText = doc.CMap
	}

	stream := func(dict, data string) string {
		return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
	}
	const firstPage = 9
	var kids []string
	if doc.SelfKid {
		kids = append(kids, "2 0 R")
	}
	for i := range doc.Pages {
		kids = append(kids, fmt.Sprintf("%d 0 R", firstPage+2*i))
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(doc.Pages)),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H /DescendantFonts [5 0 R] /ToUnicode 6 0 R >>",
		"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /DW 1000 >>",
		stream("", cmapText),
		fmt.Sprintf("<< /Title (%s) /Producer (kefu tests) >>", doc.Title),
		stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /XObject << /X1 8 0 R >> >>", doc.Form),
	}
	for i, content := range doc.Pages {
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> /XObject << /X1 8 0 R >> >> /Contents %d 0 R >>", firstPage+2*i+1),
			stream("", content))
	}

	var b bytes.Buffer
	version := doc.Version
	if version == "" {
		version = "1.4"
	}
	fmt.Fprintf(&b, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", version)
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	trailer := fmt.Sprintf("/Size %d /Root 1 0 R", len(objs)+1)
	if doc.Title != "" {
		trailer += " /Info 7 0 R"
	}
	if doc.Encrypt {
		o, u := strings.Repeat("O", 32), strings.Repeat("U", 32)
		trailer += fmt.Sprintf(" /ID [(0123456789abcdef) (0123456789abcdef)] /Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /O (%s) /U (%s) /P -4 >>", o, u)
	}
	fmt.Fprintf(&b, "trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n", trailer, xref)
	return b.Bytes()
}

// encryptedPDF is a password-protected PDF (the empty password does not open it).
func encryptedPDF() []byte {
	return testPDF(pdfDoc{Pages: []string{pdfText("F1", 11, 72, 700, "Secret text.")}, Encrypt: true})
}
