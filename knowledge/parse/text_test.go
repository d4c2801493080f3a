package parse

import (
	"testing"
	"unicode/utf16"
)

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
