package chat

import (
	"slices"
	"testing"
)

// What a message asks to do to a product: "washed" names how a shirt is
// made, 灰色 is a colour, "a pair" and "in store" are not what to do;
// "wash", 积灰, 连不上 and "pair them" ask how.
func TestAskedCare(t *testing.T) {
	action := func(word string) int {
		return slices.IndexFunc(careActions, func(a careAction) bool { return slices.Contains(a.asks, word) })
	}
	for _, tt := range []struct {
		text string
		want []int
	}{
		{"how long is the washed linen shirt in M", nil},
		{"有没有灰色的卫衣", nil},
		{"is a pair of loom buds in store?", nil},
		{"who handles customer care for the lamp", nil},
		{"how do I pair them again", []int{action("reset")}},
		{"how do I wash the merino throw", []int{action("wash")}},
		{"亚麻衬衫怎么洗 会不会缩水", []int{action("wash"), action("shrink")}},
		{"灯罩会不会积灰", []int{action("clean")}},
		{"我的耳机右耳连不上了", []int{action("reset")}},
		{"can the mug go in the dishwasher", []int{action("dishwasher")}},
	} {
		if got := askedCare(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("askedCare(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
