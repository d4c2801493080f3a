package retrieval

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestBuiltinVocabularyExpands(t *testing.T) {
	v := BuiltinVocabulary()
	tests := []struct {
		in   string
		want []string // each must be among the expansions
		not  []string // none of these may be
	}{
		{"how long do I have to send it back", []string{"return"}, nil},
		{"when do I get my money back?", []string{"refund"}, nil},
		{"how long do i have to send stuff back", []string{"return"}, nil},
		{"How much is shipping to Germany?", []string{"european union"}, []string{"united kingdom"}},
		{"运费到德国多少", []string{"欧盟"}, nil},
		{"do you ship to Norway?", []string{"europe", "rest of the world"}, []string{"european union"}}, // in Europe, not in the EU
		// policies word the rest of the world as "all other countries" too
		{"do i pay customs in brazil", []string{"rest of the world", "other countries"}, []string{"european union"}},
		{"運費到德國多少", []string{"欧盟"}, nil}, // traditional characters
		{"退钱要多久", []string{"退款"}, nil},
		{"卖完的东西一般多久补货", []string{"stock"}, nil},
		{"美国的order退货 是寄回reno还是上海", []string{"里诺", "shanghai"}, nil}, // a city named as the other language names it
		{"ordered from the reno warehouse", []string{"united states", "里诺"}, nil},
		{"should i charge the power bank before i put it away", []string{"storage", "battery"}, nil},
		{"tracking 显示 delivered 了 但是门口啥都没有", []string{"lost", "签收"}, nil},
		{"礼拜天有人工客服吗", []string{"周日", "sunday"}, nil},
		{"退货的话 当初付的运费也一起退吗", []string{"原运费"}, nil},
		{"我在台北，寄过来运费多少", []string{"台湾", "港澳台"}, nil}, // as a table row names the region
		{"tried my card like 4 times and now it wont even let me try again", []string{"failed attempts", "paused"}, nil},
		{"刷卡试了三次都不行 现在不让我付了", []string{"暂停"}, nil},
		{"if i return stuff do i get the shipping i paid back too", []string{"original shipping"}, nil},
		{"do you ship on saturdays", []string{"周六"}, []string{"sunday"}},
		{"the sweater doesn't fit", []string{"size", "exchange"}, nil},
		{"shipping to Texas", []string{"contiguous"}, []string{"alaska"}},
		{"contact us please", nil, []string{"united states"}},                      // "us" is a pronoun, not a country
		{"How long does shipping to the US take?", []string{"united states"}, nil}, // … "US" is the country
		{"the weather is nice", nil, []string{"return", "refund"}},
		// a phrase matches stems: "customs" and "customer" are both "custom"
		{"can I talk to customer service?", nil, []string{"duties", "taxes"}},
		{"do I have to pay customs?", []string{"duties"}, nil},
		// what a shopper types in the chat is a chat conversation the privacy policy keeps
		{"how long do u keep what i type in this chat", []string{"chat conversations", "retain"}, nil},
		{"账号注销了还能恢复吗", []string{"账户"}, nil},
		{"want to get rid of my account completely", []string{"delete account"}, nil},
		// locked out is the account locked
		{"typed my password wrong 5 times and now im locked out", []string{"account locked"}, nil},
		// not liking it is a change of mind (无理由退货)
		{"东西不喜欢能退吗 收到两周了", []string{"无理由退货", "change of mind"}, nil},
		// 还能保吗 asks about the warranty
		{"台灯用了一年半坏了 还能保吗", []string{"保修", "warranty"}, nil},
		// instalments are PayPal's Pay Later; an eye cover is an eye mask
		{"can i pay in installments", []string{"pay later"}, nil},
		{"like an eye cover thing", []string{"eye mask"}, nil},
		// an order on its way has shipped; a card that failed three times is paused
		{"wanna delete my account but theres an order still on its way", []string{"shipped"}, nil},
		{"付款 fail 了三次 现在说 card paused 要等多久", []string{"failed attempts"}, nil},
		// amex is American Express; ads are advertising
		{"how long till the refund shows on my amex", []string{"american express"}, nil},
		{"do u use those creepy ad cookies", []string{"advertising"}, nil},
		// to complain is to make a complaint (the stems differ)
		{"how do i complain about how this was handled", []string{"complaint"}, nil},
		// switching an order to another card is changing its payment method
		{"can u switch it to my other card", []string{"payment method", "change"}, nil},
		// an actual person is a real person; the bot is the chat assistant
		{"how do i reach an actual person not a bot", []string{"real person", "assistant"}, nil},
		// being hit with a fee is paying it
		{"am i gonna get hit with import fees when dhl shows up", []string{"pay", "customs"}, nil},
		// a number to call is the phone support the contact page denies; a
		// phone is not an email
		{"is there a phone number i can call", []string{"phone support"}, nil},
		{"你们有客服电话吗", []string{"phone support"}, []string{"email"}},
		// a phrase of both scripts matches with or without a space between them
		{"chat 记录 你们会存多久", []string{"chat conversations"}, nil},
		{"chat记录会存多久", []string{"chat conversations"}, nil},
		{"客服 email 是多少", []string{"邮件"}, nil},
		// accidents, however the shopper tells them
		{"knocked the diffuser off the shelf", []string{"accidental damage"}, nil},
		{"dropped my earbuds in the pool lol", []string{"liquid damage", "accidental damage"}, nil},
		{"耳机掉水里了", []string{"liquid damage"}, nil},
		// repeated tries are what a payment policy calls failed attempts
		{"card keeps getting declined, tried 3 times", []string{"failed attempts"}, nil},
		{"试了三次都付不了", []string{"failed attempts"}, nil},
		// … and then not even let try: paused, though "declined 3 times" already added those words
		{"card declined 3 times and now it wont even let me try", []string{"failed attempts", "payments paused"}, nil},
		// a Chinese phrase matches where a word starts or ends: 质保 is not
		// in 木质保养 (木质 + 保养)
		{"实木砧板的木质保养要注意什么", nil, []string{"warranty"}},
		{"这个有质保吗", []string{"warranty"}, nil},
		{"can i take the power bank on a plane", []string{"carry-on"}, nil},
		{"is there a phone number i can call", []string{"contact"}, nil},
		{"who handles a bulk order for my company", []string{"wholesale"}, nil},
		{"two plates arrived chipped", []string{"damaged"}, nil},
		{"台灯质保多久", []string{"warranty"}, nil},
		// a phrase of Latin letters and Chinese characters matches as written
		{"亚麻衬衫和有机棉T恤哪个便宜点", []string{"tee"}, nil},
		{"有没有 phone charger 之类的东西", []string{"charging"}, nil},
		// a city names its country, which a list of where a shop does not
		// ship names; not words any shipping text has ("do not ship")
		{"do you deliver to moscow", []string{"russia"}, []string{"do not ship", "belarus"}},
		{"what about minsk", []string{"belarus"}, []string{"russia"}},
		{"how much is shiping to tucson", []string{"contiguous"}, []string{"canada"}},
		{"im in saskatoon", []string{"canada"}, nil},
		{"sending it to cork ireland", []string{"european union"}, []string{"united kingdom"}},
		{"寄到布里斯班多久", []string{"australia"}, nil},
		{"shipping to são paulo?", []string{"rest of the world"}, nil},     // accents as the shopper types them
		{"do you have a queen size duvet", nil, []string{"united states"}}, // the bed size is not the borough
		// shoppers' words for what a policy calls something else
		{"usps has it but can it be stopped", []string{"intercept"}, nil},
		{"how long do you keep my data", []string{"retain"}, nil},
		{"how long do u keep what i type in chat", []string{"retain"}, nil}, // chat shorthand: "u" is "you"
		{"do you guys save my credit card?", []string{"card numbers"}, nil},
		{"can i pay with bitcoin or eth", []string{"cryptocurrency"}, nil},
		{"id rather have store credit, is there any perk", []string{"bonus"}, nil},
		{"ordered 20 min ago, can i fix it myself", []string{"edit"}, nil},
		{"will it leave today if i pay now", []string{"cut-off"}, nil},
		{"my earbuds are out of warranty, any options", []string{"after the warranty ends"}, nil},
		{"如果今天能发出的话", []string{"cut-off"}, nil},
		{"满多少包邮啊", []string{"free shipping"}, nil},
		{"满多少包由啊", []string{"包邮"}, nil},                                // a pinyin input slip
		{"退货 return window 是多久啊", []string{"天", "business days"}, nil}, // a Chinese duration is in days
		{"双十一下的单 啥时候发或", []string{"发货"}, nil},
		{"地址输错了", nil, []string{"locked"}}, // a typo'd address locks nothing
		// a size chart's columns, asked in Chinese of an English chart
		{"卫衣中号衣长多少", []string{"body length", "medium"}, nil},
		{"衬衫袖长是多少", []string{"sleeve length"}, nil},
		{"客服邮箱是多少", []string{"邮件", "support"}, nil}, // the FAQ says 发邮件到 support@
		{"forgot to put my promo code in, can u add it now?", []string{"after ordering"}, nil},
		{"can i switch my order to a different card", []string{"payment method"}, nil},
		{"付款的时候用错卡了 能换另一张卡吗", []string{"支付方式"}, nil},
		{"need my company VAT number on the invoice, i ordered last week", []string{"forgot"}, nil}, // what the checkout step missed
	}
	for _, tt := range tests {
		got := v.ExpandTerms(tt.in)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("Expand(%q) = %q; want %q among them", tt.in, got, w)
			}
		}
		for _, n := range tt.not {
			if slices.Contains(got, n) {
				t.Errorf("Expand(%q) = %q; %q must not be among them", tt.in, got, n)
			}
		}
	}
	// terms the text already has are not added again
	if got := v.ExpandTerms("refund my money back"); slices.Contains(got, "refund") {
		t.Errorf("Expand repeats a term of the text: %q", got)
	}
}

func TestSiteSynonyms(t *testing.T) {
	syns, err := ParseSynonyms("# a comment\nthrow, blanket throw => plaid\n羊绒 => cashmere\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []Synonym{{Phrases: []string{"throw", "blanket throw"}, Terms: []string{"plaid"}}, {Phrases: []string{"羊绒"}, Terms: []string{"cashmere"}}}
	if !reflect.DeepEqual(syns, want) {
		t.Fatalf("ParseSynonyms = %+v", syns)
	}
	v := BuiltinVocabulary().With(syns)
	if got := v.ExpandTerms("is the wool throw warm"); !slices.Contains(got, "plaid") {
		t.Errorf("site synonym not applied: %q", got)
	}
	if got := BuiltinVocabulary().ExpandTerms("is the wool throw warm"); slices.Contains(got, "plaid") {
		t.Errorf("With changed the built-in vocabulary: %q", got)
	}
	if got := v.ExpandTerms("羊絨圍巾"); !slices.Contains(got, "cashmere") {
		t.Errorf("Chinese site synonym not applied to traditional text: %q", got)
	}
	for _, bad := range []string{"no arrow here", " => terms", "phrase =>", "!!! => x"} {
		if _, err := ParseSynonym(bad); err == nil {
			t.Errorf("ParseSynonym(%q) accepted a bad line", bad)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"shipe", "ship", 1, 1},
		{"refnd", "refund", 1, 1},
		{"retrun", "return", 1, 1}, // a swap is one edit
		{"warrenti", "warranti", 2, 1},
		{"cat", "dog", 1, 2}, // over the limit: limit+1
		{"same", "same", 1, 0},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d; want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

func TestIsPlace(t *testing.T) {
	for w, want := range map[string]bool{"Spain": true, "nz": true, "香港": true, "新加坡": true, "vancouver": true, "Texas": true, "Tucson": true, "Zürich": true,
		"refund": false, "lamp": false, "退款": false,
		// words whose stems are a place's: Kitchener, Maine, Tempe
		"kitchen": false, "main": false, "temp": false} {
		if got := IsPlace(w); got != want {
			t.Errorf("IsPlace(%q) = %v, want %v", w, got, want)
		}
	}
	for term, want := range map[string]bool{"germani": true, "wale": true, "香港": true, "refund": false} {
		if got := IsPlaceTerm(term); got != want {
			t.Errorf("IsPlaceTerm(%q) = %v, want %v", term, got, want)
		}
	}
	for _, c := range []struct {
		words []string
		want  bool
	}{{[]string{"sao", "paulo"}, true}, {[]string{"new", "york"}, true}, {[]string{"ho", "chi", "minh"}, true},
		{[]string{"new", "lamp"}, false}, {[]string{"paulo"}, false}, {[]string{"paulo", "sao"}, false}} {
		if got := IsPlacePhrase(c.words...); got != c.want {
			t.Errorf("IsPlacePhrase(%q) = %v, want %v", c.words, got, c.want)
		}
	}
}

// A place is matched by its name as written: "kitchen" is not Kitchener
// (a city in Canada), nor "main" Maine, though the stems are alike; the
// lexicon's phrases still match any form of their words.
func TestVocabularyPlacesMatchAsWritten(t *testing.T) {
	v := BuiltinVocabulary()
	for text, want := range map[string]string{
		"is the mug ok in the kitchen":             "",
		"whats the main difference between them":   "",
		"how long does shipping to kitchener take": "canada",
		"ship to Wales?":                           "united kingdom",
		"shipping to MAINE":                        "usa",
	} {
		got := strings.Join(v.ExpandTerms(text), ", ")
		if want == "" && (strings.Contains(got, "canada") || strings.Contains(got, "usa")) || want != "" && !strings.Contains(got, want) {
			t.Errorf("ExpandTerms(%q) = %q, want %q", text, got, want)
		}
	}
	if got := v.ExpandTerms("i want to send it back"); !slices.Contains(got, "return") {
		t.Errorf("ExpandTerms(send it back) = %v, want return (the lexicon matches stems)", got)
	}
}

// Shoppers' words for what things are and are made of are the catalog's:
// drawstrings are a garment's drawcords, 家居裤 lounge pants, 降噪 noise
// cancellation.
func TestVocabularyCatalogWords(t *testing.T) {
	for text, want := range map[string]string{
		"that grey hoody has drawstrings right?": "drawcords",
		"家居裤有几个颜色":                               "lounge pants",
		"降噪耳机多少钱":                                "noise cancellation",
	} {
		if got := BuiltinVocabulary().ExpandTerms(text); !slices.Contains(got, want) {
			t.Errorf("ExpandTerms(%q) = %v, want %q", text, got, want)
		}
	}
}

func TestVocabularyTermSet(t *testing.T) {
	got := BuiltinVocabulary().TermSet("风扇坏了")
	for _, want := range []string{"风扇", "fan", "damag"} { // the text's own terms and the vocabulary's
		if !got[want] {
			t.Errorf("TermSet(风扇坏了) lacks %q: %v", want, got)
		}
	}
	var none *Vocabulary
	if got := none.TermSet("send it back"); !reflect.DeepEqual(got, TermSet("send it back")) {
		t.Errorf("a nil vocabulary's TermSet = %v; want the text's own terms", got)
	}
}

// A misspelt word keeps the "e" or "s" the stemmer takes off the word it
// misspells: "chnage" is one swap from "change", whose stem is "chang".
func TestTypoDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"chnage", "chang", 1},
		{"acounts", "account", 1},
		{"retrun", "return", 1},
		{"chnage", "change", 1},
		{"cake", "chang", 2}, // over the limit
		{"ese", "es", 1},     // too short to lose its "e": the plain distance
	}
	for _, tt := range tests {
		if got := typoDistance(tt.a, tt.b, 1); got != tt.want {
			t.Errorf("typoDistance(%q, %q, 1) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
