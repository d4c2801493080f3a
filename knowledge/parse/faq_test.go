package parse

import (
	"errors"
	"strings"
	"testing"
)

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
		if err == nil || errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: Parse error = %v; want a reason the file is bad", tt.desc, err)
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
		if err == nil || errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: Parse error = %v; want a reason the file is bad", tt.desc, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Parse error = %q; want it to contain %q", tt.desc, err, w)
			}
		}
	}
}
