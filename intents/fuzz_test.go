package intents_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"kefu/intents"
)

var (
	fuzzAmount = regexp.MustCompile(`^\d+(\.\d{1,2})?$`)
	fuzzPhone  = regexp.MustCompile(`^\+?\d{7,15}$`)
	fuzzISO    = map[string]bool{"USD": true, "EUR": true, "GBP": true, "CNY": true, "HKD": true, "JPY": true}
)

// FuzzExtract checks the entity extractor on arbitrary messages and order
// number patterns. Properties: a pattern is either accepted or refused
// with ErrBadData; entities point at their exact text (offsets in range),
// come in order and never overlap; each value is the normalized form its
// type promises (order number in capitals, e-mail in lower case, phone as
// 7–15 digits with an optional +, amount as a decimal with an ISO currency).
func FuzzExtract(f *testing.F) {
	for _, s := range []struct{ text, pattern string }{
		{"where is LL-100234? mail ann@example.com", ""},
		{"order LL-100234, $30, ann@example.com, +86 138 1234 5678", ""},
		{"付了¥199，退我199元 手机 138-1234-5678", ""},
		{"refund 12.5 USD or EUR 30 or 20 dollars, US$1,200.99", ""},
		{"phone (415) 555-0132 or 0044 20 7946 0958", ""},
		{"my order is #A7 12345", `#[A-Z]\d \d{5}`},
		{"zero width", `\b`},
		{"bad pattern", `(`},
		{"empty match", `x*`},
		{"12 uſd and ＵＳＤ 5 and 3 HK$ 4", ""},
		{"ſſ-12345", `(?i)ſ+`},
	} {
		f.Add(s.text, s.pattern)
	}
	f.Fuzz(func(t *testing.T, text, pattern string) {
		x, err := intents.NewExtractor(pattern)
		if err != nil {
			if !errors.Is(err, intents.ErrBadData) {
				t.Fatalf("NewExtractor(%q) = %v; want an error wrapping ErrBadData", pattern, err)
			}
			return
		}
		prevEnd := 0
		for i, e := range x.Extract(text) {
			if e.Start < prevEnd || e.End > len(text) || e.Start >= e.End {
				t.Fatalf("entity %d %+v: offsets out of range or overlapping (previous end %d, len %d)", i, e, prevEnd, len(text))
			}
			prevEnd = e.End
			if e.Text != text[e.Start:e.End] {
				t.Fatalf("entity %d: Text %q; its range holds %q", i, e.Text, text[e.Start:e.End])
			}
			if e.Type != intents.EntityAmount && e.Currency != "" {
				t.Fatalf("entity %d %+v: a currency on a %s", i, e, e.Type)
			}
			switch e.Type {
			case intents.EntityOrderNumber:
				if e.Value != strings.ToUpper(e.Text) {
					t.Fatalf("order number %+v: value not the text in capitals", e)
				}
			case intents.EntityEmail:
				if e.Value != strings.ToLower(e.Text) || !strings.Contains(e.Value, "@") {
					t.Fatalf("e-mail %+v: value not the text in lower case", e)
				}
			case intents.EntityPhone:
				if !fuzzPhone.MatchString(e.Value) {
					t.Fatalf("phone %+v: value not 7–15 digits", e)
				}
			case intents.EntityAmount:
				if !fuzzAmount.MatchString(e.Value) || !fuzzISO[e.Currency] {
					t.Fatalf("amount %+v: value not a decimal with an ISO currency", e)
				}
			default:
				t.Fatalf("entity %d has unknown type %q", i, e.Type)
			}
		}
	})
}
