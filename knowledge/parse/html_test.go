package parse

import (
	"strings"
	"testing"
)

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
