package retrieval

import (
	"reflect"
	"slices"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Where is my ORDER LL-100123?", []string{"where", "is", "my", "order", "ll", "100123"}},
		{"I don't like it", []string{"i", "don't", "like", "it"}},
		{"退货政策", []string{"退货", "货政", "政策"}},
		{"我的order到哪了", []string{"我的", "order", "到哪", "哪了"}},
		{"好", []string{"好"}},
		{"ＬＬ－１００", []string{"ll", "100"}},
		{"café, naïve", []string{"cafe", "naive"}}, // accents dropped (AnalyzerVersion 5)
		{"  ... !!! ", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, tok := range Tokenize(tt.in) {
			got = append(got, tok.Text)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenOffsets(t *testing.T) {
	in := "退货 return 政策"
	for _, tok := range Tokenize(in) {
		if got := normalizeWord(in[tok.Start:tok.End]); got != tok.Text {
			t.Errorf("Tokenize(%q): token %q has offsets [%d:%d] = %q", in, tok.Text, tok.Start, tok.End, got)
		}
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"What is the refund policy for damaged items?", []string{"refund", "polici", "damag", "item"}},
		{"Refunds refunded", []string{"refund", "refund"}},
		{"怎么退货", []string{"怎么", "么退", "退货"}},
		{"I can't log in", []string{"cant", "log"}},
		// accents are dropped, so a shopper who types them and a page that
		// does not (or the other way round) still share the word
		{"shipping to São Paulo, Zürich or Montréal", []string{"ship", "sao", "paulo", "zurich", "montreal"}},
		{"CAFÉ", []string{"cafe"}},
		// the root's own double letter stays: "added" meets "add"
		{"add it? codes can't be added, adding items", []string{"add", "code", "cant", "add", "add", "item"}},
		{"shipped, hopping", []string{"ship", "hop"}},
	}
	for _, tt := range tests {
		if got := Terms(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Terms(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestCountTokens(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"hello world", 2},
		{"退货政策", 4},
		{"Hi, 你好", 4},
		{"", 0},
	}
	for _, tt := range tests {
		if got := CountTokens(tt.in); got != tt.want {
			t.Errorf("CountTokens(%q) = %d; want %d", tt.in, got, tt.want)
		}
	}
}

func TestSearchTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"退钱", []string{"退钱", "退", "钱"}},
		{"怎么退货", []string{"怎么", "怎", "么退", "退货", "退", "货"}},
		{"運費 refunds", []string{"运费", "运", "费", "refund"}},
		{"我的", []string{"我的"}}, // function characters are not unigrams
		{"包", []string{"包"}},
		// "US" in capitals is the country ("USA" too); the pronoun and shouting are not
		{"what hours is your US support team on", []string{"hour", "usa", "support", "team"}},
		{"contact us", []string{"contact", "us"}},
		{"CONTACT US NOW", []string{"contact", "us"}},
		{"US women's 8", []string{"usa", "women", "8"}},
		// number words are figures
		{"after three failed attempts", []string{"3", "fail", "attempt"}},
	}
	for _, tt := range tests {
		if got := SearchTerms(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SearchTerms(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestTraditionalFoldsToSimplified(t *testing.T) {
	in := "運費怎麼算 退貨"
	var got []string
	for _, tok := range Tokenize(in) {
		got = append(got, tok.Text)
		if tok.End > len(in) || tok.Start >= tok.End {
			t.Fatalf("token %q has offsets [%d:%d] outside %q", tok.Text, tok.Start, tok.End, in)
		}
	}
	want := []string{"运费", "费怎", "怎么", "么算", "退货"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Tokenize(%q) = %q; want %q", in, got, want)
	}
	if Simplified("頭髮乾燥") != "头发干燥" {
		t.Fatalf("Simplified = %q", Simplified("頭髮乾燥"))
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"眼罩拆封了不想要了可以退吗", []string{"眼罩", "拆封", "了", "不", "想要", "了", "可以", "退", "吗"}},
		{"能帮我刻字吗", []string{"能", "帮", "我", "刻字", "吗"}},
		{"顺丰已经发出了 refund", []string{"顺丰", "已经", "发出", "了", "refund"}},
		{"運費怎麼算", []string{"运费", "怎么", "算"}},
		// product names the general word list splits into characters
		{"磨豆机可以磨花椒吗", []string{"磨豆机", "可以", "磨", "花椒", "吗"}},
		{"充电宝要保修", []string{"充电宝", "要", "保修"}},
		{"毛线帽头围60能戴吗", []string{"毛线帽", "头围", "60", "能", "戴", "吗"}},
	}
	for _, tt := range tests {
		var got []string
		for _, w := range Words(tt.in) {
			got = append(got, w.Text)
			if w.Start < 0 || w.End > len(tt.in) || w.Start >= w.End {
				t.Fatalf("Words(%q): %q has offsets [%d:%d]", tt.in, w.Text, w.Start, w.End)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Words(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkWords(b *testing.B) {
	Words("加载") // the word list loads once
	for b.Loop() {
		Words("顺丰已经发出了，地址写错了能改吗")
	}
}

// A hyphenated pair is one word too, as shoppers write it ("wifi" finds
// "Wi-Fi"); a longer hyphenated phrase is not joined.
func TestSearchTermsJoinHyphenatedPairs(t *testing.T) {
	for text, want := range map[string]string{"2.4 GHz Wi-Fi networks": "wifi", "a T-shirt": "tshirt", "3-D Secure": "3d", "e-mail us": "email"} {
		if got := SearchTerms(text); !slices.Contains(got, want) {
			t.Errorf("SearchTerms(%q) = %q, want %q among them", text, got, want)
		}
	}
	if got := SearchTerms("change-of-mind returns"); slices.Contains(got, "changeof") || slices.Contains(got, "ofmind") {
		t.Errorf("SearchTerms(change-of-mind) = %q: a phrase is not one word", got)
	}
}

// A figure written against its unit is searched as the figure and the unit
// ("my hips are 100cm" finds a chart's "100 cm"); a model name or a band
// with a figure stays one word.
func TestSearchTermsSplitAFigureFromItsUnit(t *testing.T) {
	for glued, spaced := range map[string]string{"hips 100cm": "hips 100 cm", "75kg": "75 kg", "a 12W bulb": "a 12 W bulb",
		"37Wh": "37 Wh", "10mins ago": "10 mins ago", "at 3pm": "at 3 pm", "40in chest": "40 in chest", "1.5L": "1.5 L"} {
		if got, want := SearchTerms(glued), SearchTerms(spaced); !slices.Equal(got, want) {
			t.Errorf("SearchTerms(%q) = %q, want %q as for %q", glued, got, want, spaced)
		}
	}
	for _, word := range []string{"iphone15", "5g", "4k", "2nd", "x2"} {
		if got := SearchTerms(word); !slices.Equal(got, []string{word}) {
			t.Errorf("SearchTerms(%q) = %q, want it whole", word, got)
		}
	}
}

// A fact counts as stated when it stands on its own, not inside a longer
// number or code.
func TestContainsWhole(t *testing.T) {
	for _, c := range []struct {
		text, s string
		want    bool
	}{
		{"Returns are accepted within 60 days.", "60 days", true},
		{"Your tracking number is 9021.", "9021", true},
		{"| SF Express | SF142857390214 |", "9021", false},
		{"Price: US$49.90", "$49.90", true}, // a sign starts it: what comes before does not matter
		{"see ll-100999", "ll-10099", false},
	} {
		if got := ContainsWhole(c.text, c.s); got != c.want {
			t.Errorf("ContainsWhole(%q, %q) = %v, want %v", c.text, c.s, got, c.want)
		}
	}
}

// A word's terms are read where it stands: "US" in capitals is the
// country, "us" the pronoun, "US" among other capitals an initialism.
func TestWordTerms(t *testing.T) {
	for _, c := range []struct {
		text, word string
		want       []string
	}{
		{"what hours is your US support team on", "us", []string{"usa"}},
		{"can your team call us", "us", []string{"us"}},
		{"SHIP TO US ASAP", "us", []string{"us"}},
		{"returns are free", "returns", []string{"return"}},
	} {
		var got []string
		for _, w := range Words(c.text) {
			if w.Text == c.word {
				got = WordTerms(c.text, w)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("WordTerms(%q, %q) = %q; want %q", c.text, c.word, got, c.want)
		}
	}
}
