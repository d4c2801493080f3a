package chat

import (
	"slices"
	"strings"
	"testing"

	"kefu/knowledge"
)

// TestTopicsFrom: the sections of the likeliest extracts, best first, each
// section and each label once, none under the floor, at most three, and no
// Chinese headings for a shopper who writes English.
func TestTopicsFrom(t *testing.T) {
	at := func(p float64, source, heading string) candidate {
		return candidate{p: p, x: extract{hit: knowledge.Hit{Source: source, Heading: heading, Title: "Returns"}}}
	}
	cands := []candidate{
		at(0.30, "returns.md", "Returns > Size exchanges"),
		at(0.40, "returns.md", "Returns > Change of mind"),
		at(0.35, "returns.md", "Returns > Change of mind"), // the same section again
		at(0.38, "returns-zh.md", "退换货 > 无理由退货"),
		at(0.20, "faq.md", "FAQ > Change of mind"), // the same label, another page
		at(0.25, "returns.md", "Returns"),          // a page's introduction: its title
		at(0.12, "shipping.md", "Shipping > Rates"),
		at(0.05, "privacy.md", "Privacy > Data we keep"), // under the floor
	}
	labels := func(ts []Topic) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Label)
		}
		return out
	}
	if got, want := labels(topicsFrom(cands, "en")), []string{"Change of mind", "Size exchanges", "Returns"}; !slices.Equal(got, want) {
		t.Errorf("en: %q; want %q", got, want)
	}
	if got, want := labels(topicsFrom(cands, "zh")), []string{"Change of mind", "无理由退货", "Size exchanges"}; !slices.Equal(got, want) {
		t.Errorf("zh: %q; want %q", got, want)
	}
	if got := topicsFrom(cands[7:], "en"); len(got) != 0 {
		t.Errorf("only an extract under the floor: %+v; want no topics", got)
	}
	if got := topicsFrom(cands, "en")[0]; got.Source != "returns.md" || got.Heading != "Returns > Change of mind" {
		t.Errorf("first topic %+v; want its section's source and heading", got)
	}
}

// A tapped section that is short is quoted whole, written as extracts
// are, paragraph by paragraph; a long one, or one found in several
// passages, is not.
func TestWholeSection(t *testing.T) {
	h := knowledge.Hit{Source: "returns.md", Heading: "Returns > Size exchanges",
		Text: "We ship the new size as soon as the return is scanned.\n\nYour first size exchange is free. Later ones cost:\n\n- US: $6.95\n- Canada: $12.95\n\nRegion | Days\nEU | 5–8"}
	got, ok := wholeSection([]knowledge.Hit{h})
	want := "We ship the new size as soon as the return is scanned.\n\nYour first size exchange is free. Later ones cost:\n\n- US: $6.95\n- Canada: $12.95\n\nRegion: EU · Days: 5–8"
	if !ok || got != want {
		t.Errorf("wholeSection = %q, %v; want %q", got, ok, want)
	}
	if _, ok := wholeSection([]knowledge.Hit{h, h}); ok {
		t.Error("a section found in two passages is quoted whole; want only its best extract")
	}
	long := h
	long.Text = strings.Repeat("A sentence that goes on for a while. ", 20)
	if _, ok := wholeSection([]knowledge.Hit{long}); ok {
		t.Errorf("a section of %d characters is quoted whole; want at most %d", len(long.Text), maxSection)
	}
}
