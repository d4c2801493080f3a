package parse

import (
	"strings"
	"testing"
)

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
