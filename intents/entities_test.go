package intents_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"kefu/intents"
)

func TestExtractEntities(t *testing.T) {
	x, err := intents.NewExtractor("")
	if err != nil {
		t.Fatal(err)
	}
	type ent struct{ typ, text, value, currency string }
	tests := []struct {
		in   string
		want []ent
	}{
		{"where is LL-100234?", []ent{{intents.EntityOrderNumber, "LL-100234", "LL-100234", ""}}},
		{"order ll100234 and AB-1234567", []ent{{intents.EntityOrderNumber, "ll100234", "LL100234", ""}, {intents.EntityOrderNumber, "AB-1234567", "AB-1234567", ""}}},
		{"订单LL-100234还没到", []ent{{intents.EntityOrderNumber, "LL-100234", "LL-100234", ""}}},
		{"mail me at Ann.Lee+shop@Example.co.uk please", []ent{{intents.EntityEmail, "Ann.Lee+shop@Example.co.uk", "ann.lee+shop@example.co.uk", ""}}},
		{"call +1 415-555-0132 or +44 20 7946 0958", []ent{{intents.EntityPhone, "+1 415-555-0132", "+14155550132", ""}, {intents.EntityPhone, "+44 20 7946 0958", "+442079460958", ""}}},
		{"我的手机号13812345678", []ent{{intents.EntityPhone, "13812345678", "13812345678", ""}}},
		{"手机 138-1234-5678 谢谢", []ent{{intents.EntityPhone, "138-1234-5678", "13812345678", ""}}},
		{"phone (415) 555-0132", []ent{{intents.EntityPhone, "(415) 555-0132", "4155550132", ""}}},
		{"it cost $12.50 and shipping $1,200", []ent{{intents.EntityAmount, "$12.50", "12.50", "USD"}, {intents.EntityAmount, "$1,200", "1200", "USD"}}},
		{"付了¥199，退我199元", []ent{{intents.EntityAmount, "¥199", "199", "CNY"}, {intents.EntityAmount, "199元", "199", "CNY"}}},
		{"refund 12.5 USD or EUR 30", []ent{{intents.EntityAmount, "12.5 USD", "12.5", "USD"}, {intents.EntityAmount, "EUR 30", "30", "EUR"}}},
		{"charged 20 dollars twice", []ent{{intents.EntityAmount, "20 dollars", "20", "USD"}}},
		{"order LL-100234, $30, ann@example.com, +86 138 1234 5678", []ent{
			{intents.EntityOrderNumber, "LL-100234", "LL-100234", ""},
			{intents.EntityAmount, "$30", "30", "USD"},
			{intents.EntityEmail, "ann@example.com", "ann@example.com", ""},
			{intents.EntityPhone, "+86 138 1234 5678", "+8613812345678", ""},
		}},
		{"no entities here, just 3 items on 2026-11-26", nil},
		{"order 12345", nil}, // too short for a phone, no letters for an order number
	}
	for _, tt := range tests {
		got := x.Extract(tt.in)
		if len(got) != len(tt.want) {
			t.Errorf("Extract(%q) = %+v; want %d entities %v", tt.in, got, len(tt.want), tt.want)
			continue
		}
		for i, e := range got {
			w := tt.want[i]
			if e.Type != w.typ || e.Text != w.text || e.Value != w.value || e.Currency != w.currency {
				t.Errorf("Extract(%q)[%d] = %+v; want %+v", tt.in, i, e, w)
			}
			if tt.in[e.Start:e.End] != e.Text {
				t.Errorf("Extract(%q)[%d] offsets [%d:%d] = %q; want %q", tt.in, i, e.Start, e.End, tt.in[e.Start:e.End], e.Text)
			}
		}
	}
}

func TestSiteOrderPattern(t *testing.T) {
	x, err := intents.NewExtractor(`#\d{4,8}`)
	if err != nil {
		t.Fatal(err)
	}
	got := x.Extract("where is #20481 (not LL-100234)")
	if len(got) != 1 || got[0].Type != intents.EntityOrderNumber || got[0].Value != "#20481" {
		t.Errorf("Extract with pattern #\\d{4,8} = %+v; want one order number #20481", got)
	}
	for _, bad := range []string{"[", "a*"} {
		if _, err := intents.NewExtractor(bad); !errors.Is(err, intents.ErrBadData) {
			t.Errorf("NewExtractor(%q) = %v; want ErrBadData", bad, err)
		}
	}
}

func TestDetectLanguage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"where is my order", "en"},
		{"我的订单到哪了", "zh"},
		{"我的order到哪了", "zh"},
		{"my order 到了吗 yet or not please", "en"}, // mostly English
		{"注文はどこですか", "ja"},
		{"주문이 어디에 있나요", "ko"},
		{"12345 !!!", ""},
	}
	for _, tt := range tests {
		if got := intents.DetectLanguage(tt.in); got != tt.want {
			t.Errorf("DetectLanguage(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func ExampleExtractor_Extract() {
	x, _ := intents.NewExtractor("")
	for _, e := range x.Extract("Order LL-100234 was charged ¥199, call 13812345678") {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s %q [%d:%d] %s %s", e.Type, e.Text, e.Start, e.End, e.Value, e.Currency)))
	}
	// Output:
	// order_number "LL-100234" [6:15] LL-100234
	// amount "¥199" [28:33] 199 CNY
	// phone "13812345678" [40:51] 13812345678
}
