package main

import "testing"

// An invented fact counts as reaching a shopper when the reply states it
// on its own, not when it is part of a longer number or code.
func TestContainsFact(t *testing.T) {
	for _, c := range []struct {
		text, fact string
		want       bool
	}{
		{"Returns are accepted within 60 days.", "60 days", true},
		{"Your tracking number is 9021.", "9021", true},
		{"| SF Express | SF142857390214 |", "9021", false},
		{"Price: $49.90", "$49.90", true},
		{"Price: US$49.90", "$49.90", true}, // a sign starts the fact: what comes before it does not matter
		{"see LL-100999", "LL-10099", false},
	} {
		if got := containsFact(c.text, c.fact); got != c.want {
			t.Errorf("containsFact(%q, %q) = %v, want %v", c.text, c.fact, got, c.want)
		}
	}
}
