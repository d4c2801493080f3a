package chat

import (
	"reflect"
	"testing"
)

func TestSentenceStream(t *testing.T) {
	var s sentenceStream
	var got []string
	for _, piece := range []string{"It costs $19", ".95 per order. Free ", "over $129! 运费", "怎么算？满 ¥299 包邮。See lumenloom.example/returns", " now"} {
		got = append(got, s.push(piece)...)
	}
	got = append(got, s.rest())
	want := []string{"It costs $19.95 per order.", " Free over $129!", " 运费怎么算？", "满 ¥299 包邮。", "See lumenloom.example/returns now"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sentences %q; want %q", got, want)
	}
}

func TestUnsupportedFacts(t *testing.T) {
	ev := newEvidencePool(
		"You can return items within 30 days of delivery. Refunds take 3–5 business days to PayPal. Shipping costs $19.95; free over $129.",
		"Order LL-100101 shipped with USPS, tracking 9400118608568491176909. Write to support@lumenloom.example or see lumenloom.example/returns.",
	)
	tests := []struct {
		sentence string
		want     []string
	}{
		{"You have 30 days to return it [1].", nil},
		{"Refunds reach PayPal in 3-5 business days.", nil},
		{"It costs $19.95, or nothing over $129.00.", nil},
		{"You have 60 days to return it.", []string{"60"}},
		{"The throw costs $89.99.", []string{"89.99"}},
		{"Your tracking number is 1Z999AA10123456784.", []string{"1Z999AA10123456784"}},
		{"Your order LL-100101 is on its way (tracking 9400118608568491176909).", nil},
		{"Order LL-999999 shipped.", []string{"LL-999999"}},
		{"Order LL-1001 shipped.", []string{"LL-1001"}}, // a part of LL-100101 is another order
		{"Email help@lumenloom.example.", []string{"help@lumenloom.example"}},
		{"Start at lumenloom.example/returns.", nil},
		{"Visit returns.example.com for a label.", []string{"returns.example.com"}},
		{"退货期限是 45 天。", []string{"45"}},
	}
	for _, tt := range tests {
		if got := ev.unsupported(tt.sentence); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("unsupported(%q) = %q; want %q", tt.sentence, got, tt.want)
		}
	}
}
