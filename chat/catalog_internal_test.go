package chat

import (
	"slices"
	"testing"

	"kefu/knowledge"
)

func TestListingNeedsWholeWords(t *testing.T) {
	for text, want := range map[string]bool{
		"got any linen sheets?":          true,
		"do you sell iPhone cases":       true,
		"有没有卖猫粮":                         true,
		"candle burn time? how many hrs": false, // "many " is not "any "
		"is the company in Shanghai?":    false,
	} {
		if got := listing(text); got != want {
			t.Errorf("listing(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestAskedHowLong(t *testing.T) {
	if got := asked("how long before paypal gives me my money back"); slices.Contains(got, "length") {
		t.Errorf("a question about when asks %v, want no length", got)
	}
	if got := asked("how long is the cable?"); !slices.Contains(got, "length") {
		t.Errorf("a question about the cable's length asks %v, want length", got)
	}
}

func TestCatalogFactIgnoresTheProductsName(t *testing.T) {
	plug := knowledge.Product{Title: "Smart Plug (2-Pack)"}
	candle := knowledge.Product{Title: "Soy Wax Candle – Cedar & Fig 200 g"}
	for _, c := range []struct {
		text string
		p    knowledge.Product
		want bool
	}{
		{"smart plug reset, how do I do it", plug, false}, // the name says "plug", the question does not ask the plug type
		{"does the smart plug fit a UK socket", plug, true},
		{"candle burn time? how many hrs", candle, true},
		{"how much is the candle", candle, false}, // the price: any mention asks it
	} {
		if got := catalogFact(c.text, c.p); got != c.want {
			t.Errorf("catalogFact(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}
