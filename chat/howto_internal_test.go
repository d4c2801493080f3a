package chat

import (
	"slices"
	"testing"

	"kefu/knowledge"
	"kefu/retrieval"
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
		{"best way to get the fuzz balls off my beanie?", []int{action("fuzz")}},
		{"knife marks all over the board, can they be sanded?", []int{action("knife marks")}},
	} {
		if got := askedCare(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("askedCare(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// A section's lines that tell how to do what is asked: "Washed" in a
// product's name does not tell how to wash; a line about the product named
// comes alone.
func TestToldLines(t *testing.T) {
	h := knowledge.Hit{Heading: "Care > Linen (duvet covers, curtains)",
		Text: "- Machine wash at 40 °C.\n- Our Washed Linen Napkins come in sets of four.\n- Blackout curtain panels: wash at 30 °C, don't tumble dry."}
	wash := []int{slices.IndexFunc(careActions, func(a careAction) bool { return slices.Contains(a.asks, "wash") })}
	got := toldLines(h, map[string]bool{"linen": true, "duvet": true, "cover": true}, wash)
	if want := []string{"- Machine wash at 40 °C.", "- Blackout curtain panels: wash at 30 °C, don't tumble dry."}; !slices.Equal(got, want) {
		t.Errorf("duvet cover: %q, want %q", got, want)
	}
	got = toldLines(h, map[string]bool{"linen": true, "blackout": true, "curtain": true}, wash)
	if want := []string{"- Blackout curtain panels: wash at 30 °C, don't tumble dry."}; !slices.Equal(got, want) {
		t.Errorf("blackout curtain: %q, want %q", got, want)
	}
}

// A phrase the vocabulary knows asks what its words ask ("恢复出厂" is
// "重置, reset"), unless the question's own words ask something.
func TestCareAskedReadsTheVocabulary(t *testing.T) {
	vocab := retrieval.BuiltinVocabulary()
	reset := slices.IndexFunc(careActions, func(a careAction) bool { return slices.Contains(a.asks, "reset") })
	if got := careAsked("耳机怎么恢复出厂设置啊", vocab); !slices.Equal(got, []int{reset}) {
		t.Errorf("careAsked(恢复出厂) = %v, want reset (%d)", got, reset)
	}
	if got := careAsked("亚麻衬衫怎么洗 会不会缩水", vocab); !slices.Equal(got, askedCare("亚麻衬衫怎么洗 会不会缩水")) {
		t.Errorf("careAsked = %v, want the question's own %v", got, askedCare("亚麻衬衫怎么洗 会不会缩水"))
	}
	if got := careAsked("where is my order", vocab); got != nil {
		t.Errorf("careAsked(where is my order) = %v, want nothing", got)
	}
}
