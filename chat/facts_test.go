package chat

import "testing"

func TestFacts(t *testing.T) {
	facts := ParseFacts("30 days/30 天| original packaging/原包装 ")
	if len(facts) != 2 || len(facts[0]) != 2 || facts[1][1] != "原包装" {
		t.Fatalf("ParseFacts = %q", facts)
	}
	tests := []struct {
		text    string
		missing int
	}{
		{"You have **30 days** to return it in its original packaging.", 0},
		{"签收后 30天内可退，需保持原包装。", 0},
		{"You have 14 days.", 2},
		{"Within 30 DAYS, but packaging is not needed.", 1},
	}
	for _, tt := range tests {
		if got := MissingFacts(tt.text, facts); len(got) != tt.missing {
			t.Errorf("MissingFacts(%q) = %q; want %d missing", tt.text, got, tt.missing)
		}
	}
	if !(Fact{"3–5 business days"}).In("3-5 business days") {
		t.Error("dashes should not matter")
	}
	for _, tt := range []struct{ fact, text string }{
		{"don't tumble dry", "Care: Wash 30 °C, do not tumble dry."},
		{"do not tumble dry", "Don’t tumble dry."},
		{"can't be returned", "Opened earbuds cannot be returned."},
		{"won't ship", "We will not ship to P.O. boxes."},
	} {
		if !(Fact{tt.fact}).In(tt.text) {
			t.Errorf("%q should state %q: contractions and apostrophes should not matter", tt.text, tt.fact)
		}
	}
	if (Fact{"do not tumble dry"}).In("Tumble dry low.") {
		t.Error("a text without the fact states it")
	}
}
