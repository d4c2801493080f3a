package chat

import (
	"slices"
	"strings"
	"testing"

	"kefu/knowledge"
	"kefu/retrieval"
)

func TestUnitsTableRows(t *testing.T) {
	whole := "Rates per order.\n\nDestination | Cost | Transit time\nCanada | $12.95 | 4–8 business days\nRest of the world | $29.95 | 5–10 business days"
	got := units(whole)
	if len(got) != 3 || got[1].text != "Destination: Canada · Cost: $12.95 · Transit time: 4–8 business days" || !got[1].row {
		t.Fatalf("units of a passage with a table: %+v; want a sentence and two rows named by the header", got)
	}
	// A passage that starts inside a table (its header is in the chunk
	// before) does not take its first row for the column names.
	cont := "美国本土 48 州 | 里诺 | UPS Next Day Air | $29.95 | 不包邮 | 1 个工作日\n加拿大 | 里诺 | UPS Standard | $12.95 | 满 $99 | 4–8 个工作日"
	got = units(cont)
	if len(got) != 2 || got[0].text != "美国本土 48 州 · 里诺 · UPS Next Day Air · $29.95 · 不包邮 · 1 个工作日" ||
		got[1].text != "加拿大 · 里诺 · UPS Standard · $12.95 · 满 $99 · 4–8 个工作日" {
		t.Fatalf("units of a continued table: %+v; want both rows, without column names", got)
	}
}

// A measurement in the question picks the size chart row whose column of
// that name holds it, in either unit, in English or Chinese.
func TestInRangeMeasurements(t *testing.T) {
	row := func(header, r string) string { return renderRow(header, r) }
	socks := "Size | EU | US men | US women | UK"
	tops := "Size | Chest cm (in) | Height cm | China size"
	bottoms := "Size | Waist cm (in) | Hips cm (in) | Inseam cm (in)"
	for _, c := range []struct {
		q, text string
		want    float64
	}{
		{"what size socks for a US men's 10", row(socks, "L | 43–46 | 9–12 | 11–13 | 8.5–11"), 1},
		{"what size socks for a US men's 10", row(socks, "M | 39–42 | 6–8.5 | 8–10.5 | 5.5–8"), 0.5}, // only US women holds 10
		{"I'm 5'7 with a 38 inch chest, what size tee", row(tops, "M | 94–100 (37–39.5) | 166–174 | 170/88A"), 1},
		{"I'm 5'7 with a 38 inch chest, what size tee", row(tops, "XS | 82–88 (32–34.5) | 155–162 | 155/80A"), 0},
		{"hips are 40 inches, which size linen trousers", row(bottoms, "M | 74–82 (29–32) | 98–104 (38.5–41) | 78 (30.5)"), 1},
		{"腰围80 臀围100 裤子选哪个码", row(bottoms, "M | 74–82 (29–32) | 98–104 (38.5–41) | 78 (30.5)"), 1},
		{"腰围80 臀围100 裤子选哪个码", row(bottoms, "XL | 90–98 (35.5–38.5) | 110–118 (43.5–46.5) | 81 (32)"), 0},
		{"beanie 头围 60 能戴吗", "Knit Beanie: stretches to fit head circumferences of 54–61 cm (21.25–24 in).", 1},
		// socks are sized by shoe size, which Chinese shoppers give as the EU size
		{"袜子我平时穿41码 选哪个", row(socks, "M | 39–42 | 6–8.5 | 8–10.5 | 5.5–8"), 1},
		{"袜子我平时穿41码 选哪个", row(socks, "S | 35–38 | 4–5.5 | 5–7.5 | 3–5"), 0},
		// a height said in metres the Chinese way
		{"浴袍 我一米八 拿哪个码", row("Size | Fits chest cm (in) | Fits height cm", "L/XL | 104–124 (41–49) | 172–192"), 1},
		{"我1米75 t恤拿哪个码", row(tops, "L | 100–108 (39.5–42.5) | 172–180 | 175/96A"), 1},
		{"我一米七五 t恤拿哪个码", row(tops, "XS | 82–88 (32–34.5) | 155–162 | 155/80A"), 0},
		{"我1.75米 t恤拿哪个码", row(tops, "L | 100–108 (39.5–42.5) | 172–180 | 175/96A"), 1},
		// and measurements in Chinese numerals
		{"胸围九十出头 t恤选哪个码", row(tops, "S | 88–94 (34.5–37) | 160–168 | 165/84A"), 1},
		{"腰围八十 臀围一百 裤子选哪个码", row(bottoms, "M | 74–82 (29–32) | 98–104 (38.5–41) | 78 (30.5)"), 1},
		// a bed 1.8 m wide is no one's height
		{"一米八的床 用哪个被套", row("Size | Fits chest cm (in) | Fits height cm", "L/XL | 104–124 (41–49) | 172–192"), 0},
		// a bracket that is not a second unit does not lend its label
		{"is 10 ok", "Returns policy (9–12 days for refunds)", 0.5},
	} {
		q := c.q
		if got := inRange(numbers(q), c.text, rangeTerms(q, retrieval.TermSet(q))); got != c.want {
			t.Errorf("inRange(%q, %q) = %v, want %v", q, c.text, got, c.want)
		}
	}
}

// A size chart row whose named column holds the shopper's measurement is
// the answer, though a prose passage ranks above its table and the answer
// model scores the prose higher.
func TestBestExtractPrefersMeasuredRow(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.8, Hits: []knowledge.Hit{
		{Source: "size-guide.md", Heading: "Size Guide > Fit notes", Score: 1,
			Text: "- Relaxed Linen Trousers: wide leg, high rise. If you're between sizes, choose by your hip measurement."},
		{Source: "size-guide.md", Heading: "Size Guide > Bottoms: trousers and lounge pants", Score: 0.5,
			Text: "Size | Waist cm (in) | Hips cm (in) | Inseam cm (in)\n" +
				"S | 68–74 (27–29) | 92–98 (36–38.5) | 76 (30)\nM | 74–82 (29–32) | 98–104 (38.5–41) | 78 (30.5)\n" +
				"L | 82–90 (32–35.5) | 104–110 (41–43.5) | 80 (31.5)"},
	}}
	q := "hips are 40 inches, which size linen trousers"
	c, _, ok := bestExtract(res, questionConcepts(res, q, nil), q, 5, nil)
	if !ok || !strings.Contains(c.x.text, "Size: M ·") || strings.Contains(c.x.text, "Size: L") || c.p < measuredRowProb {
		t.Fatalf("best extract %q (p %.2f); want the M row alone, p ≥ %.2f", c.x.text, c.p, measuredRowProb)
	}
}

// A row that answers how long, for a question that also names the step
// before it ("once u get the return"), comes with the sentence of the
// section beside it that times that step; a duration in another part of
// the document does not come with it.
func TestRowWithOtherStep(t *testing.T) {
	q := "How long till the money is back on my visa once u get the return"
	res := &knowledge.SearchResult{Confidence: 0.8, Concepts: knownTerms(q), Hits: []knowledge.Hit{
		{Source: "returns-refunds.md", Heading: "Returns & Refunds > Refunds > Where the money goes", Score: 1,
			Text: "Payment method | Time to appear after we issue the refund\nPayPal | 3–5 business days\n" +
				"Visa, Mastercard, American Express | 5–10 business days"},
		{Source: "returns-refunds.md", Heading: "Returns & Refunds > Refunds > When we issue the refund", Score: 0.6,
			Text: "Once your return reaches the warehouse, we inspect it within 3 business days. If everything is in order, we issue the refund."},
		{Source: "returns-refunds.md", Heading: "Returns & Refunds", Score: 0.5,
			Text: "If something isn't right, you can return it within 30 days of delivery."},
	}}
	c, _, ok := bestExtract(res, questionConcepts(res, q, nil), q, 5, nil)
	if !ok || !strings.HasPrefix(c.x.text, "Payment method: Visa") || !strings.Contains(c.x.text, "inspect it within 3 business days") ||
		strings.Contains(c.x.text, "30 days") {
		t.Fatalf("best extract %q; want the Visa row, then the inspection's 3 business days", c.x.text)
	}
	q = "how long till the money is back on my visa"
	res.Concepts = knownTerms(q)
	if c, _, _ := bestExtract(res, questionConcepts(res, q, nil), q, 5, nil); strings.Contains(c.x.text, "inspect") {
		t.Errorf("best extract %q; the question names no other step", c.x.text)
	}
}

// A word the site never uses counts less in coverage: a passage that has
// every word the site knows covers most of the question.
func TestCoverageDiscountsUnseenWords(t *testing.T) {
	cs := concepts{
		{Concept: retrieval.Concept{Term: "restock", IDF: 3, Known: true}, w: 3, focus: true},
		{Concept: retrieval.Concept{Term: "sold", IDF: 2, Known: true}, w: 2, focus: true},
		{Concept: retrieval.Concept{Term: "forev", IDF: 5}, w: 5, focus: true}, // never on the site
	}
	got := cs.coverage("Do you restock sold-out items? Most items are restocked within 4–8 weeks.")
	if want := 5 / (5 + 5*unseenWeight); got < want-1e-9 || got > want+1e-9 {
		t.Errorf("coverage = %.3f, want %.3f", got, want)
	}
}

// A word a text cannot have for its language counts as little as one the
// site never uses: a Chinese word without an English synonym in an
// English-only page, an English word without a Chinese synonym in a
// Chinese one; a synonym in the text's language, a product's name, a
// place or a number counts in full.
func TestCoverageDiscountsForeignWords(t *testing.T) {
	cookies := weightedConcept{Concept: retrieval.Concept{Term: "cooki", Known: true}, w: 3}
	turnOff := weightedConcept{Concept: retrieval.Concept{Term: "\x00关掉", Known: true, Alts: [][]string{{"关掉"}}}, w: 2}
	turnOffEN := weightedConcept{Concept: retrieval.Concept{Term: "\x00关掉", Known: true, Alts: [][]string{{"关掉"}, {"disabl"}}}, w: 2}
	for _, c := range []struct {
		name string
		cs   concepts
		text string
		want float64
	}{
		{"Chinese word, English page", concepts{cookies, turnOff}, "You can disable cookies in Cookie settings.", 3 / (3 + 2*unseenWeight)},
		{"Chinese word with an English synonym", concepts{cookies, turnOffEN}, "You can disable cookies in Cookie settings.", 1},
		{"Chinese word, Chinese page", concepts{cookies, turnOff}, "可以在 Cookie 设置里关掉 cookies。", 1},
		{"English word, Chinese page", concepts{turnOff, {Concept: retrieval.Concept{Term: "cancel", Known: true}, w: 2}}, "可以关掉。", 2 / (2 + 2*unseenWeight)},
		{"a number, Chinese page", concepts{turnOff, {Concept: retrieval.Concept{Term: "35", Known: true}, w: 2}}, "可以关掉。", 0.5},
	} {
		if got := c.cs.coverage(c.text); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("%s: coverage = %.3f, want %.3f", c.name, got, c.want)
		}
	}
}

// A list item is quoted after the heading it sits under; an FAQ answer and
// a sentence are not.
func TestQuotedListItemNamesItsHeading(t *testing.T) {
	item := extract{hit: knowledge.Hit{Heading: "Warranty Policy > What is not covered"}, item: true,
		text: "- Accidental damage such as drops, cracks from impact, liquid damage."}
	if got, want := item.quoted(), "What is not covered:\n"+item.text; got != want {
		t.Errorf("quoted list item = %q, want %q", got, want)
	}
	zh := extract{hit: knowledge.Hit{Heading: "保修政策 > 不在保修范围内"}, item: true, text: "- 意外损坏：摔落、磕碰造成的裂损"}
	if got := zh.quoted(); !strings.HasPrefix(got, "不在保修范围内：\n") {
		t.Errorf("quoted Chinese list item = %q, want it after 不在保修范围内：", got)
	}
	faq := extract{hit: knowledge.Hit{Heading: "FAQ > Can I change my order?"}, item: true, text: "- Within 60 minutes, yes."}
	sentence := extract{hit: knowledge.Hit{Heading: "Returns > Refunds"}, text: "Refunds take 3–5 business days."}
	for _, x := range []extract{faq, sentence} {
		if got := x.quoted(); got != x.text {
			t.Errorf("quoted %q = %q, want it as it is", x.text, got)
		}
	}
}

// A sentence that introduces a list ("… contact us with:") is quoted with
// the whole list, not its first two items.
func TestExtractKeepsTheListASentenceIntroduces(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.8, Hits: []knowledge.Hit{{Source: "payment.md", Heading: "Payment > Charged twice", Score: 1,
		Text: "If you see two completed charges for one order, contact us with:\n\n- your order number,\n- the amount and date,\n- the last four digits of the card."}}}
	q := "i see two charges for one order"
	cands := extractCandidates(res, questionConcepts(res, q, nil), q, 5, nil)
	if len(cands) == 0 {
		t.Fatal("no extract")
	}
	for _, item := range []string{"- your order number,", "- the amount and date,", "- the last four digits"} {
		if !strings.Contains(cands[0].x.text, item) {
			t.Fatalf("first extract %q; want the sentence with the whole list it introduces (%q)", cands[0].x.text, item)
		}
	}
}

// Of two size chart rows that hold a measurement, the one that holds more
// of them is the answer; a question with a measurement searches for its
// chart in the chart's words.
func TestMeasuredRowHoldingMore(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.6, Hits: []knowledge.Hit{
		{Source: "size-guide.md", Heading: "Size Guide > Robes", Score: 1,
			Text: "Size | Fits chest cm (in) | Fits height cm | Robe length\nS/M | up to 104 (41) | 155–175 | 112 cm (44 in)"},
		{Source: "size-guide.md", Heading: "Size Guide > Tops", Score: 0.8,
			Text: "Size | Chest cm (in) | Height cm | China size\nS | 88–94 (34.5–37) | 160–168 | 165/84A\nM | 94–100 (37–39.5) | 166–174 | 170/88A"},
	}}
	q := "身高165 胸围90 卫衣穿什么码"
	c, _, ok := bestExtract(res, questionConcepts(res, q, nil), q, 5, nil)
	bottoms := &knowledge.SearchResult{Confidence: 0.6, Hits: []knowledge.Hit{{Source: "size-guide.md", Heading: "Size Guide > Bottoms", Score: 1,
		Text: "Size | Waist cm (in) | Hips cm (in)\nM | 74–82 (29–32) | 98–104 (38.5–41)\nXXL | 98–106 (38.5–41.5) | 118–126 (46.5–49.5)"}}}
	q2 := "腰围80 臀围100 裤子选哪个码"
	if c, _, _ := bestExtract(bottoms, questionConcepts(bottoms, q2, nil), q2, 5, nil); !strings.HasPrefix(c.x.text, "Size: M") || strings.Contains(c.x.text, "XXL") {
		t.Errorf("best extract %q; want the M row alone (waist and hips), not XXL too (its waist range holds the hips' 100)", c.x.text)
	}
	if !ok || !strings.HasPrefix(c.x.text, "Size: S · Chest") {
		t.Errorf("best extract %q; want the tops S row (chest and height), not the robe (height only)", c.x.text)
	}
	// the same in Chinese numerals and metres
	q3 := "胸围九十出头 身高一米六五 t恤是哪个码"
	if c, _, ok := bestExtract(res, questionConcepts(res, q3, nil), q3, 5, nil); !ok || !strings.HasPrefix(c.x.text, "Size: S · Chest") {
		t.Errorf("best extract for %q: %q; want the tops S row (chest and height), not the robe (height only)", q3, c.x.text)
	}
	for q, want := range map[string]string{q: "chest height size", "hips are 40 inches, which size": "hip size", "how long is shipping": "",
		"what size tee": ""} {
		if got := measurementQuery(q); got != want {
			t.Errorf("measurementQuery(%q) = %q, want %q", q, got, want)
		}
	}
}

// Each candidate's inputs say how far it is from the best candidate: the
// extract that covers most of the question has a coverage gap of 0, the
// others a negative one.
func TestCandidateGaps(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.6,
		Concepts: []retrieval.Concept{{Term: "paypal", IDF: 3, Weight: 1, Known: true}, {Term: "refund", IDF: 1, Weight: 1, Known: true}},
		Hits: []knowledge.Hit{
			{Source: "returns.md", Heading: "Returns > Refunds", Score: 1, Text: "We refund within 5 days of receiving the return."},
			{Source: "returns.md", Heading: "Returns > Where the money goes", Score: 0.9, Text: "PayPal refunds appear in 3–5 business days."},
		}}
	q := "paypal refund"
	cands := extractCandidates(res, questionConcepts(res, q, nil), q, 5, nil)
	idx := map[string]int{}
	for i, n := range unitInputs {
		idx[n] = i
	}
	var paypal, other []float64
	for _, c := range cands {
		if strings.Contains(c.x.text, "PayPal") {
			paypal = c.in
		} else {
			other = c.in
		}
	}
	if paypal == nil || other == nil {
		t.Fatalf("candidates %+v; want one from each passage", cands)
	}
	if paypal[idx["coverage_gap"]] != 0 || other[idx["coverage_gap"]] >= 0 || other[idx["own_gap"]] >= 0 {
		t.Errorf("gaps: PayPal extract %v, the other %v; want 0 for the best, below 0 for the other", paypal[idx["coverage_gap"]], other[idx["coverage_gap"]])
	}
	if got := other[idx["coverage_gap"]]; got != other[idx["coverage"]]-paypal[idx["coverage"]] {
		t.Errorf("coverage gap %v, want the difference of the coverages %v", got, other[idx["coverage"]]-paypal[idx["coverage"]])
	}
}

// A sentence saying the shop does not offer what is asked about answers
// the question though it states no figure of the kind asked for: "whats
// ur phone number" is answered by "We don't offer phone support", and a
// sentence that neither states nor denies one still misses it.
func TestDenialAnswersWithoutTheFigure(t *testing.T) {
	typeMatch, typeMiss := slices.Index(unitInputs, "type_match"), slices.Index(unitInputs, "type_miss")
	res := &knowledge.SearchResult{Confidence: 0.6,
		Concepts: []retrieval.Concept{{Term: "phone", IDF: 3, Weight: 1, Known: true}, {Term: "number", IDF: 1, Weight: 1, Known: true}},
		Hits: []knowledge.Hit{
			{Source: "contact.md", Heading: "Contact > Phone", Score: 1, Text: "We don't offer phone support at the moment."},
			{Source: "privacy.md", Heading: "Privacy > What we collect", Score: 0.9, Text: "We keep your phone number for delivery."},
			{Source: "payment.md", Heading: "Payment > 不支持的方式", Score: 0.8, Text: "暂不支持电话付款。"},
		}}
	for _, q := range []string{"whats ur phone number", "电话是多少"} {
		if asks(q)&factContact == 0 {
			t.Fatalf("asks(%q) has no contact", q)
		}
		for _, c := range extractCandidates(res, questionConcepts(res, q, nil), q, 5, nil) {
			denies := !strings.Contains(c.x.text, "keep your")
			if denies && (c.in[typeMatch] != 1 || c.in[typeMiss] != 0) || !denies && c.in[typeMiss] != 1 {
				t.Errorf("%q, %q: type_match %v, type_miss %v", q, c.x.text, c.in[typeMatch], c.in[typeMiss])
			}
		}
	}
}

// The question's main word is what it asks about: not where the shopper
// is (a place picks a row) nor a filler, however rare either is on the site.
func TestFocusIsNotAPlaceOrAFiller(t *testing.T) {
	for _, c := range []struct{ text, want, rare string }{
		{"my parcel to spain hasnt moved", "move", "spain"},
		{"I'll be away that week, can I redirect it", "redirect", "ill"},
		{"i cant get into my old email anymore tho", "email", "anymor tho"},
		// chat shorthand: "w" is with, "n" and
		{"paid w the wrong card n want to switch", "switch", "w n"},
	} {
		text, want := c.text, c.want
		res := &knowledge.SearchResult{}
		for _, w := range retrieval.Words(text) {
			if ts := retrieval.SearchTerms(w.Text); len(ts) > 0 {
				idf := 1.0
				switch {
				case ts[0] == want:
					idf = 3
				case slices.Contains(strings.Fields(c.rare), ts[0]):
					idf = 6 // rare, as a word the site has never seen is
				}
				res.Concepts = append(res.Concepts, retrieval.Concept{Term: ts[0], IDF: idf, Weight: 1, Known: idf < 6})
			}
		}
		if got, ok := questionConcepts(res, text, nil).focus(); !ok || got.Term != want {
			t.Errorf("focus of %q = %q, want %q", text, got.Term, want)
		}
	}
	// a product the shopper mentions is not the main word, in Chinese too
	// (收纳盒 of the title 竹制收纳盒三件套)
	res := &knowledge.SearchResult{Concepts: []retrieval.Concept{{Term: "收纳", IDF: 6, Weight: 1, Known: true},
		{Term: "纳盒", IDF: 6, Weight: 1, Known: true}, {Term: "取消", IDF: 3, Weight: 1, Known: true}}}
	products := map[string]bool{"收纳": true, "纳盒": true, "竹制": true}
	if got, ok := questionConcepts(res, "刚下单的收纳盒想取消", products).focus(); !ok || got.Term != "\x00取消" { // a Chinese word is its bigrams together
		t.Errorf("focus of 刚下单的收纳盒想取消 = %q, want 取消", got.Term)
	}
	// 期间 (during) says when, not what: the festival is the main word
	res = &knowledge.SearchResult{Concepts: []retrieval.Concept{{Term: "春节", IDF: 3, Weight: 1, Known: true},
		{Term: "期间", IDF: 4, Weight: 1, Known: true}, {Term: "客服", IDF: 2, Weight: 1, Known: true}, {Term: "上班", IDF: 2, Weight: 1, Known: true}}}
	if got, ok := questionConcepts(res, "春节期间客服还上班吗", nil).focus(); !ok || got.Term != "\x00春节" {
		t.Errorf("focus of 春节期间客服还上班吗 = %q, want 春节", got.Term)
	}
	// what the product is made of, said with it, is part of naming it (真丝
	// of 真丝眼罩, whose title is 桑蚕丝眼罩)
	res = &knowledge.SearchResult{Concepts: []retrieval.Concept{{Term: "真丝", IDF: 6, Weight: 1, Known: true},
		{Term: "眼罩", IDF: 2, Weight: 1, Known: true}, {Term: "洗", IDF: 4, Weight: 1, Known: true}}}
	for _, c := range questionConcepts(res, "真丝眼罩脏了怎么洗", map[string]bool{"眼罩": true}) {
		if c.Term == "\x00真丝" && (!c.product || c.focus) {
			t.Errorf("真丝 of 真丝眼罩: product %v, focus %v; want a product mention", c.product, c.focus)
		}
	}
	// 一般 ("usually") says how often, not what about, however rare
	res = &knowledge.SearchResult{Concepts: []retrieval.Concept{{Term: "一般", IDF: 6, Weight: 1, Known: true}, {Term: "补货", IDF: 3, Weight: 1, Known: true}}}
	if got, ok := questionConcepts(res, "一般多久补货", nil).focus(); !ok || got.Term != "\x00补货" {
		t.Errorf("focus of 一般多久补货 = %q, want 补货", got.Term)
	}
}

// A place named in several words is where the shopper is, as one of a
// word is: "sao paulo" picks the rest of the world's row and is not what
// the question asks about.
func TestPlaceOfSeveralWords(t *testing.T) {
	res := &knowledge.SearchResult{Concepts: []retrieval.Concept{
		{Term: "sao", IDF: 6, Weight: 1, Alts: [][]string{{"rest", "world"}}},
		{Term: "paulo", IDF: 6, Weight: 1, Alts: [][]string{{"rest", "world"}}},
		{Term: "ship", IDF: 1.5, Weight: 1, Known: true},
	}}
	cs := questionConcepts(res, "how much to ship to sao paulo", nil)
	if got := len(cs.places()); got != 2 {
		t.Errorf("places %+v, want sao and paulo", cs.places())
	}
	if f, ok := cs.focus(); !ok || f.Term != "ship" {
		t.Errorf("focus %+v, want ship", f)
	}
	if !names(cs.places(), "Rest of the world") {
		t.Error("sao paulo does not name the rest of the world's row")
	}
}

// The list item labelled with where the shopper is answers over a near
// prose sentence that names several places: "im in ohio" is the United
// States item.
func TestBestExtractPrefersThePlacesItem(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.8, Hits: []knowledge.Hit{
		{Source: "returns.md", Heading: "Returns > Return shipping costs > Size exchanges", Score: 1,
			Text: "Your first size exchange is free. In the US, Canada and Mainland China we send a free return label; elsewhere we refund up to $15 of return postage."},
		{Source: "returns.md", Heading: "Returns > Return shipping costs", Score: 0.9,
			Text: "If you changed your mind, the return postage is paid by you:\n- United States: we email a prepaid label. $6.95 is deducted from your refund.\n- Canada: we email a prepaid label. $12.95 is deducted from your refund."},
	}, Concepts: []retrieval.Concept{
		{Term: "ohio", IDF: 6, Weight: 1, Alts: [][]string{{"usa"}, {"unit", "state"}}},
		{Term: "refund", IDF: 1.5, Weight: 1, Known: true}, {Term: "return", IDF: 1.2, Weight: 1, Known: true},
		{Term: "label", IDF: 2.5, Weight: 1, Known: true},
	}}
	q := "how much do you take off my refund for the return label? im in ohio"
	c, _, ok := bestExtract(res, questionConcepts(res, q, nil), q, 5, nil)
	if !ok || !strings.HasPrefix(c.x.text, "- United States") {
		t.Fatalf("best extract %q (p %.2f); want the United States item", c.x.text, c.p)
	}
	if got := unitLabel(unit{text: "Region: European Union · Carrier: DHL · Cost: $18", row: true}); got != "European Union" {
		t.Errorf("a row's label = %q, want its first cell", got)
	}
}

// "US" in capitals is the country among the question's words, as the
// search reads it ("usa"); "us" is a pronoun.
func TestQuestionConceptsKeepTheCountryUS(t *testing.T) {
	res := &knowledge.SearchResult{Concepts: []retrieval.Concept{{Term: "usa", IDF: 3, Weight: 1, Known: true},
		{Term: "team", IDF: 2, Weight: 1, Known: true}}}
	has := func(q string) bool {
		return slices.ContainsFunc(questionConcepts(res, q, nil), func(c weightedConcept) bool { return c.Term == "usa" })
	}
	if !has("what hours is your US support team on") {
		t.Error("US is not among the concepts of 'what hours is your US support team on'")
	}
	if has("can your team call us") {
		t.Error("the pronoun us is read as the country")
	}
}

// A sentence that introduces a table or list is not quoted without it.
func TestBestExtractSkipsLoneIntroduction(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.6, Hits: []knowledge.Hit{
		{Source: "shipping.md", Heading: "Shipping > Tracking your order", Score: 1,
			Text: "Tracking numbers look like this:\n\nCarrier | Format\nUPS | \"1Z\" followed by 16 letters and digits"},
	}}
	q := "what do tracking numbers look like"
	_, all, _ := bestExtract(res, questionConcepts(res, q, nil), q, 5, nil)
	for _, c := range all {
		if strings.TrimSpace(c.x.text) == "Tracking numbers look like this:" {
			t.Errorf("candidate %q: a lone introduction", c.x.text)
		}
	}
	if len(all) == 0 {
		t.Errorf("no candidates; want the table's row")
	}
}

// wordVectors embeds a text as the indicator vector of a few words: enough
// to tell which texts share which words.
type wordVectors []string

func (w wordVectors) Vector(text string) []float32 {
	v := make([]float32, len(w))
	for i, word := range w {
		if strings.Contains(strings.ToLower(text), word) {
			v[i] = 1
		}
	}
	return v
}

// The start of an FAQ answer is as similar to the question as the FAQ's own
// question is ("Yes, within 60 minutes…" answers "Can I cancel my order?"),
// however little its words share with the question; a later unit of the
// answer, or a passage under a heading that asks nothing, is not.
func TestFAQAnswerIsAsSimilarAsItsQuestion(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.7, Hits: []knowledge.Hit{
		{Source: "faq.md", Heading: "FAQ > Can I cancel my order?", Score: 1,
			Text: "Yes, within 60 minutes from the order page. Later, write to us."},
		{Source: "orders.md", Heading: "Orders > Statuses", Score: 0.9,
			Text: "Cancelled orders are refunded the same day."},
	}}
	vec := wordVectors{"cancel", "order", "yes", "minutes", "refunded", "faq", "statuses"}
	q := "can I still cancel my order"
	qv := vec.Vector(q)
	byStart := map[string]float64{}
	for _, c := range extractCandidates(res, questionConcepts(res, q, nil), q, 5, vec) {
		byStart[c.x.text] = c.in[slices.Index(unitInputs, "similarity")]
	}
	faqQuestion := cosine32(qv, vec.Vector("Can I cancel my order?"))
	var answer, later, status float64 = -1, -1, -1
	for text, sim := range byStart {
		switch {
		case strings.HasPrefix(text, "Yes, within 60 minutes"):
			answer = sim
		case strings.HasPrefix(text, "Later"):
			later = sim
		case strings.HasPrefix(text, "Cancelled orders"):
			status = sim
		}
	}
	if answer < 0 || later < 0 || status < 0 {
		t.Fatalf("candidates %v; want the answer's start, its second sentence and the status passage", byStart)
	}
	if answer != faqQuestion {
		t.Errorf("similarity of the FAQ answer's start %.3f; want its question's %.3f", answer, faqQuestion)
	}
	if later >= faqQuestion || status >= faqQuestion {
		t.Errorf("similarity of the answer's second sentence %.3f, of the status passage %.3f; want both below the FAQ question's %.3f", later, status, faqQuestion)
	}
}

// The row for where the shopper is, chosen, is taken as likely enough to
// quote however few of the question's other words it has ("austin texas,
// how long til it gets here": the United States row of the rates table).
func TestChosenPlacesRowIsLikelyEnough(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.3, Hits: []knowledge.Hit{
		{Source: "shipping.md", Heading: "Shipping > Rates and delivery times", Score: 1,
			Text: "Destination | Carrier | Cost | Transit time\nUnited States | USPS Ground | $5.95 | 3–5 business days\n" +
				"Canada | UPS Standard | $12.95 | 4–8 business days\nEuropean Union | DHL Express | $19.95 | 3–6 business days"},
	}, Concepts: []retrieval.Concept{
		{Term: "austin", IDF: 6, Weight: 1, Alts: [][]string{{"usa"}, {"unit", "state"}}},
		{Term: "texa", IDF: 6, Weight: 1, Alts: [][]string{{"usa"}, {"unit", "state"}}},
		{Term: "regular", IDF: 3, Weight: 1, Known: true}, {Term: "ship", IDF: 1, Weight: 1, Known: true},
		{Term: "til", IDF: 4, Weight: 1}, {Term: "order", IDF: 5, Weight: 1, Known: true}, {Term: "get", IDF: 5, Weight: 1, Known: true},
	}}
	q := "ordering from austin texas, how long til it gets here w regular shipping??"
	c, _, ok := bestExtract(res, questionConcepts(res, q, nil), q, 5, nil)
	if !ok || !strings.HasPrefix(c.x.text, "Destination: United States") || c.p < placeRowProb {
		t.Fatalf("best extract %q (p %.2f); want the United States row, p ≥ %.2f", c.x.text, c.p, placeRowProb)
	}
}

func TestElapsedTimeAsksForTheLimit(t *testing.T) {
	for _, q := range []string{
		"earbuds stopped charging, had them 5 months. is that covered",
		"power bank barely holds a charge now, bought it 10 months ago",
		"my desk fan died after 14 months",
		"got my return approved 3 weeks ago but forgot to mail it, is that still ok",
		"冲电宝用了半年 现在充不满了 能保修吗",
		"东西不喜欢能退吗 收到两周了",
		"买了 14 个月了 还 cover 吗",
		"木砧板用了两个月，顺着木纹裂开了，能保修吗",
		"whats the warranty on the earbuds", // a warranty is its period
		"蓝牙音箱保修期是多久",
	} {
		if asks(q)&factDuration == 0 {
			t.Errorf("asks(%q) has no duration", q)
		}
	}
	for _, q := range []string{
		"my 14 yr old wants his own account, is that allowed",
		"my desk fan only runs 4 hours now",
		"can I pay with a gift card",
		"这个台灯几瓦",
		"what does the warranty cover",
		"两个月能到吗",
	} {
		if asks(q)&factDuration != 0 {
			t.Errorf("asks(%q) asks for a duration", q)
		}
	}
}

// "How long is" a garment asks for its length (a size chart's row states
// one); "how long is" a policy's period still asks for a duration.
func TestHowLongIsALength(t *testing.T) {
	for _, q := range []string{"how long is the linen shirt in a m? im kinda short", "亚麻衬衫m码衣长多少", "robe 我 180cm length 多少"} {
		if asks(q)&factLength == 0 {
			t.Errorf("asks(%q) has no length", q)
		}
	}
	if asks("how long is the warranty")&factDuration == 0 {
		t.Error(`asks("how long is the warranty") has no duration`)
	}
	if asks("how long does shipping take")&factLength != 0 {
		t.Error(`asks("how long does shipping take") asks for a length`)
	}
	if answerTypes("Product: Washed Linen Shirt · Body length: 74 cm (29 in)")&factLength == 0 {
		t.Error("a row stating 74 cm states no length")
	}
	if answerTypes("Returns are free within 30 days in the US")&factLength != 0 {
		t.Error("30 days is not a length")
	}
}

// A question about the currency of a charge asks which currency, not how
// much: the refund rule that mentions 人民币 beside an amount did not answer
// "按人民币扣吗". "How much" or 多少 still asks an amount.
func TestCurrencyIsNotAnAmount(t *testing.T) {
	for _, q := range []string{"国内地址下单是按人民币扣吗 汇率会变不", "在国内下单是扣人民币吗", "will my card be charged in pounds?", "why is my bank showing the charge in dollars"} {
		if asks(q)&factAmount != 0 {
			t.Errorf("asks(%q) asks an amount", q)
		}
	}
	for _, q := range []string{"按人民币扣多少", "how much will i be charged in euros", "会扣运费吗", "what does shipping cost"} {
		if asks(q)&factAmount == 0 {
			t.Errorf("asks(%q) asks no amount", q)
		}
	}
}

// The list item labelled with a name the question has answers over its
// neighbours: "usps already has it" is the USPS item. A label that is not
// a name ("Payment method") is not chosen that way.
func TestBestExtractPrefersTheNamedItem(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.6, Hits: []knowledge.Hit{
		{Source: "order-changes.md", Heading: "Order changes > Changing the address after shipping", Score: 1,
			Text: "Once an order is shipped, the address belongs to the carrier's system:\n- **UPS and DHL:** you can request a redirect through the carrier's tracking page. The carrier may charge a fee.\n" +
				"- **SF Express:** you can request an address change in the SF app.\n- **USPS:** Package Intercept may be available for a fee from USPS."},
	}, Concepts: []retrieval.Concept{
		{Term: "usp", IDF: 2.6, Weight: 1, Known: true}, {Term: "address", IDF: 1.8, Weight: 1, Known: true},
		{Term: "chang", IDF: 2, Weight: 1, Known: true}, {Term: "street", IDF: 6, Weight: 1},
	}}
	q := "usps already has it but i typed the street wrong, can i change the address"
	c, _, ok := bestExtract(res, questionConcepts(res, q, nil), q, 5, nil)
	if !ok || !strings.HasPrefix(c.x.text, "- **USPS:**") {
		t.Fatalf("best extract %q (p %.2f); want the USPS item", c.x.text, c.p)
	}
	for _, tt := range []struct {
		q, label string
		want     bool
	}{
		{"it shipped with dhl", "UPS and DHL", true},
		{"which payment method do you take", "Payment method", false},
		{"it shipped with dhl", "", false},
		// A word of a name of several words is not the name: "new" is not
		// New Zealand; an acronym is ("sf" for SF Express).
		{"how long is the new one covered for", "Australia & New Zealand", false},
		{"can you ship to new zealand", "Australia & New Zealand", true},
		{"it's with sf already", "SF Express", true},
		{"sleeves on the hoodie in a medium", "Heavyweight Loopback Hoodie", true},
	} {
		if got := namesLabel(retrieval.TermSet(tt.q), tt.label); got != tt.want {
			t.Errorf("namesLabel(%q, %q) = %v, want %v", tt.q, tt.label, got, tt.want)
		}
	}
}

// A list item that starts by naming the product the question names, under
// a heading that does not, answers for it, as a place's item does: the
// earbuds item among what can't be taken back, likely enough to quote. An item that only mentions the
// product in passing is not chosen that way.
func TestBestExtractPrefersTheItemOnTheProduct(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.6, Hits: []knowledge.Hit{
		{Source: "returns.md", Heading: "Returns > Return window", Score: 1,
			Text: "You can return most items within 30 days of delivery, opened or not, if you changed your mind about them."},
		{Source: "returns.md", Heading: "Returns > Items we can't take back", Score: 0.8,
			Text: "- Gift cards.\n- In-ear earbuds (such as Loom Buds) once the hygiene seal has been opened, unless they are faulty.\n- Items marked Final Sale."},
	}, Concepts: []retrieval.Concept{
		{Term: "open", IDF: 2.5, Weight: 1, Known: true}, {Term: "loom", IDF: 3, Weight: 1, Known: true},
		{Term: "bud", IDF: 3, Weight: 1, Known: true}, {Term: "return", IDF: 1.2, Weight: 1, Known: true},
		{Term: "sound", IDF: 4, Weight: 1},
	}}
	q := "tried my loom buds, the sound isnt for me. can i send them back"
	products := map[string]bool{"loom": true, "bud": true, "earbud": true}
	c, _, ok := bestExtract(res, questionConcepts(res, q, products), q, 5, nil)
	if !ok || !strings.HasPrefix(c.x.text, "- In-ear earbuds") || c.p < placeRowProb {
		t.Fatalf("best extract %q (p %.2f); want the earbuds item, p ≥ %.2f", c.x.text, c.p, placeRowProb)
	}
	cs := questionConcepts(res, q, products)
	if namesProduct(cs, productSubject(unit{match: "- Faults in materials or workmanship, for example: a lamp that flickers or an earbud or Loom Buds that stop charging", item: true}), "What is covered") {
		t.Errorf("an item that names the earbuds in passing is taken as about them")
	}
	socks := "opened the merino socks pack but never wore them, can i return?"
	cs = questionConcepts(&knowledge.SearchResult{Concepts: []retrieval.Concept{{Term: "pack", IDF: 2, Weight: 1, Known: true}}}, socks, map[string]bool{"pack": true})
	if namesProduct(cs, productSubject(unit{match: "4. Pack the items securely and send the parcel within 14 days.", item: true}), "How to start a return") {
		t.Errorf("an item that starts with a title's count word (3-Pack) is taken as about the product")
	}
}

// A table row whose cells name the product the question names is taken as
// being for it (the Electronics row for the Aura lamp, though the Home
// goods row comes first) when it covers what is asked (the warranty of
// the lamp that flickers), not when the question is about something the
// row does not say (a lamp that was dropped).
func TestRowOnTheProductIsNamed(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.6, Hits: []knowledge.Hit{
		{Source: "warranty.md", Heading: "Warranty > What is covered", Score: 1,
			Text: "- Faults in materials or workmanship, for example: a lamp that won't switch on.\n- Batteries whose capacity falls below 70% within 12 months."},
		{Source: "warranty.md", Heading: "Warranty > Warranty periods", Score: 0.9,
			Text: "Category | Examples | Warranty\nHome goods | Bedding, towels, ceramics | 90 days from delivery\nElectronics | Aura Bedside Lamp, earbuds, power banks | 12 months from delivery"},
		{Source: "warranty.md", Heading: "Warranty > What is not covered", Score: 0.8,
			Text: "- Accidental damage such as drops, cracks from impact or liquid damage.\n- Normal wear and tear."},
	}}
	products := map[string]bool{"aura": true, "lamp": true, "bedsid": true}
	idf := map[string]float64{"warranti": 3.5, "drop": 4, "flicker": 3, "crack": 3, "aura": 4, "lamp": 3}
	for _, tt := range []struct {
		q     string
		named bool
	}{
		{"got the aura lamp 5 months ago and now it flickers. still under warranty?", true},
		{"dropped my aura lamp and it cracked, can you replace it under warranty", false},
	} {
		res.Concepts = nil
		for _, term := range retrieval.Terms(tt.q) {
			res.Concepts = append(res.Concepts, retrieval.Concept{Term: term, IDF: max(idf[term], 1), Weight: 1, Known: true})
		}
		_, all, _ := bestExtract(res, questionConcepts(res, tt.q, products), tt.q, 5, nil)
		var named []string
		for _, c := range all {
			if c.named {
				named = append(named, c.x.text)
				if c.floor != productRowFloor {
					t.Errorf("%q: the row is taken at %.2f, want %.2f", tt.q, c.floor, productRowFloor)
				}
			}
		}
		want := 0
		if tt.named {
			want = 1
		}
		if len(named) != want || want == 1 && !strings.HasPrefix(named[0], "Category: Electronics") {
			t.Errorf("%q: named %q; want the Electronics row: %v", tt.q, named, tt.named)
		}
	}
}

// A question comparing the product with another brand's is not answered by
// a row that only names it: the row, chosen, is not sure enough to quote.
func TestComparisonIsNotAnsweredByTheNamedRow(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.6, Hits: []knowledge.Hit{
		{Source: "warranty.md", Heading: "Warranty > Warranty periods", Score: 1,
			Text: "Category | Examples | Warranty\nHome goods | Bedding, towels, ceramics | 90 days from delivery\nElectronics | Aura Bedside Lamp, earbuds, power banks | 12 months from delivery"},
	}}
	products := map[string]bool{"aura": true, "lamp": true, "bedsid": true}
	for _, tt := range []struct {
		q       string
		compare bool
	}{
		{"aura lamp 跟小米的床头灯比哪个好", true},
		{"is the aura lamp better than the one from xiaomi", true},
		{"how long is the warranty on the aura lamp", false},
	} {
		res.Concepts = knownTerms(tt.q)
		for i, k := range res.Concepts {
			if !products[k.Term] { // only the product counts: the row names it
				res.Concepts[i].IDF = 0
			}
		}
		c, _, ok := bestExtract(res, questionConcepts(res, tt.q, products), tt.q, 5, nil)
		if !ok || !c.forWhatIsNamed() {
			t.Errorf("%q: best %q; want the named Electronics row", tt.q, c.x.text)
			continue
		}
		if capped := c.p <= unaskedQualifierProb; capped != tt.compare {
			t.Errorf("%q: p = %.2f; a comparison (%v) is not sure enough to quote", tt.q, c.p, tt.compare)
		}
	}
}

// An item on the product the question names is taken, however unlikely
// the answer model finds it, when its heading has a word the question asks
// with ("send them back": "Items we can't take back"); a product's own
// name in the heading does not count.
func TestItemOnTheProductUnderTheAskedHeading(t *testing.T) {
	q := "bought the loom buds, opened them, dont like the sound. can i send them back?"
	res := &knowledge.SearchResult{Confidence: 0.4, Hits: []knowledge.Hit{
		{Source: "returns.md", Heading: "Returns > Items we can't take back", Score: 1,
			Text: "- Gift cards.\n- In-ear earbuds (such as Loom Buds) once the hygiene seal has been opened, unless they are faulty."},
	}}
	res.Concepts = knownTerms(q)
	cs := questionConcepts(res, q, map[string]bool{"loom": true, "bud": true})
	if !cs.asksOf("Returns > Items we can't take back") {
		t.Errorf("the heading's 'back' is not taken as asked")
	}
	if cs.asksOf("Product care > Loom Buds") {
		t.Errorf("a heading with only the product's name is taken as asked")
	}
	c, _, ok := bestExtract(res, cs, q, 5, nil)
	if !ok || !c.named || c.floor != 0 || c.p < placeRowProb {
		t.Errorf("best extract %q (named %v, floor %.2f, p %.2f); want the earbuds item, taken", c.x.text, c.named, c.floor, c.p)
	}
}

// An extract that lacks a kind of fact the question asks for gets the row
// of a table in its document that states it. A question that says how long
// ago ("cracked after 2 months, is that covered?") answered with what the
// warranty covers gets the period: the row of the periods table with the
// question's words, or both rows that have as many of them. A
// question of two parts ("how much is shipping to canada and do i pay duty
// on top") answered with the paragraph on duties gets the price: the rates
// row of the place asked about, from the same document.
func TestAskedRowCompletesTheExtract(t *testing.T) {
	type ask struct{ q, want string }
	for _, tc := range []struct {
		hits  []knowledge.Hit
		first string // the extract the row completes
		asks  []ask
	}{{
		hits: []knowledge.Hit{
			{Source: "warranty.md", Heading: "Warranty > What is covered", Score: 1,
				Text: "- Faults in materials or workmanship, for example: a lamp that won't switch on, or a wooden board that cracks along the grain."},
			{Source: "warranty.md", Heading: "Warranty > Warranty periods", Score: 0.9,
				Text: "Category | Examples | Warranty\nHome goods | Bedding, ceramics, wooden boards, lamp shades | 90 days from delivery\nElectronics | Aura Bedside Lamp, earbuds | 12 months from delivery"},
			{Source: "shipping.md", Heading: "Shipping > Times", Score: 0.5,
				Text: "Destination | Time\nWooden board | 3 days"},
		},
		first: "- Faults",
		asks: []ask{
			{"my walnut board cracked along the grain after 2 months, is that covered", "Category: Home goods"},
			{"my walnut board cracked along the grain, is that covered", ""}, // how long is not asked
			// lamp: both rows, for the shopper to tell
			{"my lamp stopped switching on after 2 months, is that covered", "Category: Home goods · Examples: Bedding, ceramics, wooden boards, lamp shades · Warranty: 90 days from delivery\nCategory: Electronics"},
		},
	}, {
		hits: []knowledge.Hit{
			{Source: "shipping.md", Heading: "Shipping > Customs, duties and taxes", Score: 1,
				Text: "- United States and Canada: orders shipped from Reno have no import charges or duty to pay."},
			{Source: "shipping.md", Heading: "Shipping > Rates", Score: 0.9,
				Text: "Destination | Cost | Transit time\nCanada | $12.95 | 4–7 business days\nUnited Kingdom | $19.95 | 5–9 business days"},
			{Source: "returns.md", Heading: "Returns > Return shipping", Score: 0.5,
				Text: "Destination | Label\nCanada | $12.95 deducted from the refund"},
		},
		first: "- United States and Canada",
		asks: []ask{
			{"how much is shipping to canada and do i pay duty on top", "Destination: Canada · Cost: $12.95"},
			{"do i pay duty on top when you ship to canada", ""}, // how much is not asked
		},
	}} {
		res := &knowledge.SearchResult{Confidence: 0.6, Hits: tc.hits}
		for _, tt := range tc.asks {
			res.Concepts = knownTerms(tt.q)
			cs := questionConcepts(res, tt.q, nil)
			cands := extractCandidates(res, cs, tt.q, 5, nil)
			if !strings.HasPrefix(cands[0].x.text, tc.first) {
				t.Fatalf("first candidate %q", cands[0].x.text)
			}
			got := withAskedRow(cands[0].x, cands, cs, asks(tt.q)).text
			_, added, _ := strings.Cut(got, "\n")
			if !strings.HasPrefix(added, tt.want) || tt.want == "" && added != "" {
				t.Errorf("%q: extract %q; want the row %q added", tt.q, got, tt.want)
			}
		}
	}
}

// A table row that names the product answers only what its other columns
// state: the warranty period of grinders is no answer to whether the
// grinder grinds spices; it is to how long the warranty is, or to a fault
// after some months (how long ago asks the period).
func TestProductRowAnswersOnlyWhatItStates(t *testing.T) {
	row := "Category: Electronics · Examples: Aura Bedside Lamp, power banks, coffee grinder · Warranty: 12 months from delivery"
	for q, want := range map[string]bool{
		"can the coffee grinder grind spices":               false,
		"whats the warranty on the coffee grinder":          true,
		"my grinder stopped working, had it about 5 months": true,
	} {
		res := &knowledge.SearchResult{Concepts: knownTerms(q)}
		cs := questionConcepts(res, q, map[string]bool{"coffe": true, "grinder": true})
		in := make([]float64, len(unitInputs))
		in[rowInput] = 1
		c := candidate{x: extract{text: row, hit: knowledge.Hit{Heading: "Warranty > Warranty periods"}}, in: in, p: 0.9}
		capUnaskedRow(&c, cs, asks(q))
		if got := c.p == 0.9; got != want {
			t.Errorf("%q: the row is %.2f likely; want it taken as is: %v", q, c.p, want)
		}
	}
}

func TestNamedSectionAnswersForTheProductNamed(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.6, Hits: []knowledge.Hit{
		{Source: "care.md", Heading: "Care > Textiles > Linen (duvet covers, shirts)", Score: 1,
			Text: "- Tumble dry on low, and take items out while still slightly damp."},
		{Source: "care.md", Heading: "Care > Textiles > Merino wool (throw blanket, socks)", Score: 0.8,
			Text: "- Dry flat, away from direct heat. Never tumble dry – felting can't be reversed."},
		{Source: "warranty.md", Heading: "Warranty > Periods", Score: 0.5,
			Text: "Apparel and bags · Examples: shirts, socks, totes · 90 days from delivery"},
	}}
	products := map[string]bool{}
	for _, title := range []string{"Merino Crew Socks (3-Pack)", "Linen Duvet Cover", "Canvas Tote"} {
		for _, term := range retrieval.Terms(title) {
			products[term] = true
		}
	}
	for _, tt := range []struct{ q, want string }{
		{"can merino socks go in the tumble dryer on a low setting", "Merino wool"},
		{"can i tumble dry on a low setting", "Linen"},                // names no product: the likeliest stays
		{"can the linen duvet cover go in the tumble dryer", "Linen"}, // the best one's section is named
	} {
		res.Concepts = knownTerms(tt.q)
		cs := questionConcepts(res, tt.q, products)
		cands := extractCandidates(res, cs, tt.q, 5, nil)
		for i := range cands {
			cands[i].p = 0.5
		}
		cands[0].p = 0.9 // the linen section is the likeliest
		if got := cands[namedSection(cands, cs, 0)].x.hit.Heading; !strings.Contains(got, tt.want) {
			t.Errorf("%q: answered from %q; want the %s section", tt.q, got, tt.want)
		}
	}
}

func TestWhereToAskFollowsTheList(t *testing.T) {
	rights := "Depending on where you live, you can:\n\n- get a copy of your personal data;\n- correct inaccurate data;\n- delete your account.\n\n" +
		"Send requests to privacy@shop.example from the email on your account. We respond within 30 days. You can also complain to your authority."
	for _, tt := range []struct{ passage, extract, want string }{
		{rights, "- get a copy of your personal data;\n- correct inaccurate data;",
			"- get a copy of your personal data;\n- correct inaccurate data;\nSend requests to privacy@shop.example from the email on your account. We respond within 30 days."},
		// an extract with an address of its own, or a paragraph without one, adds nothing
		{rights, "- get a copy of your personal data; write to help@shop.example", "- get a copy of your personal data; write to help@shop.example"},
		{"You can:\n\n- wash it cold;\n- dry it flat.\n\nIt softens over time.", "- wash it cold;", "- wash it cold;"},
		// a special case is not where to ask
		{"- orders are kept for 7 years.\n\nIf you can't sign in, email privacy@shop.example.", "- orders are kept for 7 years.", "- orders are kept for 7 years."},
		// a sentence, not a list item
		{rights, "Depending on where you live, you can:", "Depending on where you live, you can:"},
	} {
		x := extract{hit: knowledge.Hit{Text: tt.passage}, text: tt.extract}
		if got := withWhereToAsk(x).text; got != tt.want {
			t.Errorf("withWhereToAsk(%q) = %q, want %q", tt.extract, got, tt.want)
		}
	}
}

func TestTakesNamedWhenItCoversMost(t *testing.T) {
	cand := func(p, coverageGap float64, named bool, text string) candidate {
		in := make([]float64, len(unitInputs))
		in[coverageGapInput] = coverageGap
		return candidate{p: p, in: in, named: named, floor: placeFloor, x: extract{text: text}}
	}
	const (
		summary = "不想要了的退货运费由您承担，中国大陆我们可以帮您预约顺丰上门取件。服饰第一次换尺码免费。"
		item    = "- 中国大陆：我们帮您预约顺丰上门取件，运费（一般 ¥12–¥23）取件时直接付给顺丰小哥；"
		regions = "满额包邮，门槛按地区不同：中国大陆满 ¥299，港澳台满 $69，美国本土满 $49，加拿大满 $99。"
		row     = "目的地: 香港、澳门、台湾 · 发货仓: 上海 · 运费: $8.00 · 包邮门槛: 满 $69"
	)
	for _, tt := range []struct {
		name        string
		best, named candidate
		asked       int
		want        bool
	}{
		{"near as likely", cand(0.7, 0, false, ""), cand(0.65, -0.2, true, ""), 0, true},
		{"less likely, covering less", cand(0.72, 0, false, ""), cand(0.48, -0.1, true, ""), 0, false},
		{"less likely, covering most", cand(0.72, -0.1, false, ""), cand(0.48, 0, true, ""), 0, true},
		{"covering most, under its floor", cand(0.72, -0.1, false, ""), cand(placeFloor-0.05, 0, true, ""), 0, false},
		{"the best is named too", cand(0.72, -0.1, true, ""), cand(0.48, 0, true, ""), 0, false},
		// "我在上海 退货寄回去运费谁出": the item for the shopper's place says how much
		{"it states the amount asked", cand(0.73, -0.18, false, summary), cand(0.38, -0.32, true, item), factAmount, true},
		{"an amount not asked", cand(0.73, -0.18, false, summary), cand(0.38, -0.32, true, item), factDuration, false},
		{"the best states one too", cand(0.73, -0.18, false, item), cand(0.38, -0.32, true, item), factAmount, false},
		// "我在台北，寄过来运费多少？满多少包邮": the Taiwan row, not every region's threshold
		{"the best sums up many places", cand(0.85, 0, false, regions), cand(0.51, -0.1, true, row), factAmount, true},
		{"sums up many places, far less likely", cand(0.85, 0, false, regions), cand(0.4, -0.1, true, row), factAmount, false},
	} {
		if got := takesNamed(tt.best, tt.named, tt.asked); got != tt.want {
			t.Errorf("%s: takesNamed = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// scored is a candidate of probability p, coverage and extract x.
func scored(p, coverage float64, x extract) candidate {
	in := make([]float64, len(unitInputs))
	in[coverageInput] = coverage
	return candidate{p: p, in: in, x: x}
}

func TestStatesAsked(t *testing.T) {
	cand := func(p, coverage float64, text string) candidate { return scored(p, coverage, extract{text: text}) }
	summary := cand(0.90, 0.66, "不想要了的退货运费由您承担，中国大陆我们可以帮您预约顺丰上门取件。服饰第一次换尺码免费。")
	for _, tt := range []struct {
		name  string
		cands []candidate
		asked int
		want  int
	}{
		// "不想要了 退货的话顺丰上门取件多少钱？谁出": "免费" is not what a return costs
		{"the one with the figure", []candidate{summary, cand(0.79, 0.69, "- 中国大陆：运费（一般 ¥12–¥23）"), cand(0.77, 0.69, "- 美国：退款时扣除 $6.95")}, factAmount, 1},
		{"not asked for an amount", []candidate{summary, cand(0.79, 0.69, "- 中国大陆：运费（一般 ¥12–¥23）")}, factDuration, 0},
		{"much less likely", []candidate{summary, cand(0.70, 0.69, "- 中国大陆：运费（一般 ¥12–¥23）")}, factAmount, 0},
		{"covering less", []candidate{summary, cand(0.85, 0.5, "- 中国大陆：运费（一般 ¥12–¥23）")}, factAmount, 0},
		{"the best states it", []candidate{cand(0.9, 0.66, "退款时扣除 $6.95"), cand(0.85, 0.7, "运费 ¥12–¥23")}, factAmount, 0},
	} {
		if got := statesAsked(tt.cands, 0, tt.asked); got != tt.want {
			t.Errorf("%s: statesAsked = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// A question asking how long one has to do something is answered by the
// period counted from delivery, not by how long a step takes.
func TestToTheDeadline(t *testing.T) {
	cand := func(p float64, text string) candidate { return scored(p, 0.8, extract{text: text}) }
	step := cand(0.82, "3. 我们通常在 1 个工作日内审核，审核通过后会发邮件给您退货授权号")
	window := cand(0.81, "签收后 30 天内，未使用、包装完好的商品都可以退。")
	for _, tt := range []struct {
		name, q string
		cands   []candidate
		want    int
	}{
		{"the deadline", "退货要几天内申请啊", []candidate{step, window}, 1},
		{"the deadline, in English", "how long do i have to send it back", []candidate{cand(0.85, "We review the request, usually within one business day."), cand(0.8, "You have 30 days from the delivery date shown in tracking to start a return.")}, 1},
		{"not asked", "退货审核要多久", []candidate{step, window}, 0},
		{"much less likely", "退货要几天内申请啊", []candidate{step, cand(0.6, window.x.text)}, 0},
		{"the best states one", "how long do i have to return it", []candidate{cand(0.9, "Contact us within 7 days of delivery."), cand(0.85, "You have 30 days from the delivery date.")}, 0},
	} {
		if got := toTheDeadline(tt.cands, tt.q, 0); got != tt.want {
			t.Errorf("%s: toTheDeadline(%q) = %d, want %d", tt.name, tt.q, got, tt.want)
		}
	}
}

// An extract that lacks the question's main word gives way to one near as
// likely that has it ("激活邮件链接多久失效": the activation link's 48 hours,
// not the password reset link's 60 minutes).
func TestFocused(t *testing.T) {
	cand := func(p, coverage float64, focus bool) candidate { return scored(p, coverage, extract{focus: focus}) }
	reset := cand(0.62, 0.56, false)
	owned := func(p, coverage, own float64) candidate { return scored(p, coverage, extract{focus: true, own: own}) }
	for _, tt := range []struct {
		name  string
		cands []candidate
		want  int
	}{
		{"the one with the focus", []candidate{reset, cand(0.51, 0.64, true), cand(0.60, 0.64, true)}, 2},
		{"much less likely", []candidate{reset, cand(0.55, 0.64, true)}, 0},
		{"covering less", []candidate{reset, cand(0.60, 0.5, true)}, 0},
		{"the best has it", []candidate{cand(0.62, 0.56, true), cand(0.61, 0.7, true)}, 0},
		// "能用比特币付款吗": not "用人民币付款吗？" but the sentence about crypto,
		// whose words alone cover far more of the question
		{"its own words cover far more", []candidate{reset, owned(0.40, 0.92, 0.92)}, 1},
		{"its own words cover about as much", []candidate{reset, owned(0.40, 0.92, 0.70)}, 0},
		{"less likely", []candidate{cand(0.81, 0.67, false), owned(0.45, 0.92, 0.92)}, 1},
		{"far less likely", []candidate{reset, owned(0.20, 0.92, 0.92)}, 0},
	} {
		if got := focused(tt.cands, 0); got != tt.want {
			t.Errorf("%s: focused = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// An extract under a heading the question does not say gives way to one
// near as likely under a sibling heading the question says in its words.
func TestHeadedSection(t *testing.T) {
	cand := func(p float64, heading string) candidate {
		return candidate{p: p, x: extract{hit: knowledge.Hit{Source: "returns-refunds.md", Heading: "Returns & Refunds > Return shipping costs > " + heading}}}
	}
	q := "changed my mind on the throw blanket, what does it cost me to send it back? im in ohio"
	exchange := cand(0.60, "Size exchanges on apparel")
	for _, tt := range []struct {
		name  string
		q     string
		cands []candidate
		want  int
	}{
		{"the heading it says", q, []candidate{exchange, cand(0.53, "Change of mind"), cand(0.45, "Change of mind")}, 1},
		{"much less likely", q, []candidate{exchange, cand(0.45, "Change of mind")}, 0},
		{"says the best one's heading", "can i exchange the size, what does it cost", []candidate{exchange, cand(0.55, "Change of mind")}, 0},
		{"says only part of the other", "what does a change cost", []candidate{exchange, cand(0.55, "Change of mind")}, 0},
	} {
		if got := headedSection(tt.cands, tt.q, 0); got != tt.want {
			t.Errorf("%s: headedSection = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// knownTerms are the search's concepts for q when the site has each of its
// terms, every one as rare.
func knownTerms(q string) []retrieval.Concept {
	var out []retrieval.Concept
	for _, term := range retrieval.Terms(q) {
		out = append(out, retrieval.Concept{Term: term, IDF: 2, Weight: 1, Known: true})
	}
	return out
}

// A section about a problem (damaged, faulty, lost …) does not answer a
// question that names none: the likeliest section near as likely that is
// not about one does. A question that names the problem keeps it.
func TestUnaskedProblemGivesWay(t *testing.T) {
	cands := func() []candidate {
		return []candidate{
			{x: extract{hit: knowledge.Hit{Heading: "退换货与退款 > 破损、故障或发错货"}}, p: 0.53},
			{x: extract{hit: knowledge.Hit{Heading: "退换货与退款"}}, p: 0.38},
			{x: extract{hit: knowledge.Hit{Heading: "配送说明 > 延误、丢件与破损"}}, p: 0.45},
		}
	}
	concepts := func(q string, cs ...retrieval.Concept) concepts {
		return questionConcepts(&knowledge.SearchResult{Concepts: cs}, q, nil)
	}
	if got := unaskedQualifier(cands(), concepts("东西不喜欢能退吗 收到两周了"), "东西不喜欢能退吗 收到两周了", 0); got != 1 {
		t.Errorf("change of mind: candidate %d, want 1 (the section about returns)", got)
	}
	if got := unaskedQualifier(cands(), concepts("收到的台灯坏了能退吗"), "收到的台灯坏了能退吗", 0); got != 0 {
		t.Errorf("a broken lamp: candidate %d, want 0 (the damaged items section)", got)
	}
	far := cands()
	far[1].p = 0.2
	if got := unaskedQualifier(far, concepts("东西不喜欢能退吗"), "东西不喜欢能退吗", 0); got != 0 {
		t.Errorf("the other section far less likely: candidate %d, want 0 kept", got)
	}
	en := []candidate{
		{x: extract{hit: knowledge.Hit{Heading: "Returns > Damaged, faulty or wrong items"}}, p: 0.6},
		{x: extract{hit: knowledge.Hit{Heading: "Returns > Return window"}}, p: 0.5},
	}
	return_ := retrieval.Concept{Term: "return", IDF: 2, Weight: 1, Known: true}
	if got := unaskedQualifier(en, concepts("can i still return it, got it 3 weeks ago", return_), "can i still return it, got it 3 weeks ago", 0); got != 1 {
		t.Errorf("english, no problem named: candidate %d, want 1", got)
	}
	broken := retrieval.Concept{Term: "broken", IDF: 3, Weight: 1, Known: true, Alts: [][]string{{"damag"}}}
	if got := unaskedQualifier(en, concepts("it arrived broken, can i return it", return_, broken), "it arrived broken, can i return it", 0); got != 0 {
		t.Errorf("english, broken: candidate %d, want 0", got)
	}
	// with no section near as likely that is not about a problem, the
	// problem section is not quoted
	only := cands()[:1]
	if got := unaskedQualifier(only, concepts("东西不想要了 能退钱吗"), "东西不想要了 能退钱吗", 0); got != 0 || only[0].p > unaskedQualifierProb {
		t.Errorf("no other section: candidate %d with p %.2f, want 0 with p ≤ %.2f", got, only[0].p, unaskedQualifierProb)
	}
	// a problem no heading names is still one the shopper reports
	for _, q := range []string{"the lamp flickers, can i return it", "台灯用了一周就不亮了 能退吗", "the tee faded after one wash, can i send it back", "快递柜里没找到，物流显示已经签收三天了"} {
		if got := unaskedQualifier(en, concepts(q, return_), q, 0); got != 0 {
			t.Errorf("%q: candidate %d, want 0 (the section about faulty items)", q, got)
		}
	}
}

// Exchanges, refused parcels, cancelling and China's fapiao are cases
// too: a question about a return label is not answered under "Size
// exchanges", the shipping paid back with a return not under "Refused and
// undeliverable parcels", a return after ten days not under cancelling an
// order, an English VAT invoice question not under "Fapiao for Mainland
// China orders". A status named ("it already shipped") raises the order
// statuses, swapping a size after ordering raises changing the order.
func TestUnaskedQualifierGivesWay(t *testing.T) {
	concepts := func(q string) concepts {
		return questionConcepts(&knowledge.SearchResult{}, q, nil)
	}
	for _, c := range []struct {
		q, best, other string
		want           int
	}{
		{"do i have to pay for the return label? im in oregon", "Returns > Return shipping costs > Size exchanges on apparel", "FAQ > What is your return policy?", 1},
		{"the hoodie is too small, do i pay to send it back?", "Returns > Return shipping costs > Size exchanges on apparel", "FAQ > What is your return policy?", 0},
		{"sent my return back last week, when do i see the money on my visa", "Order changes > Order statuses", "Returns > Refunds > Where the money goes", 1},
		{"my order says processing, what does that mean", "Order changes > Order statuses", "Returns > Refunds > Where the money goes", 0},
		{"it already shipped yesterday, can i still cancel", "Order changes > Order statuses", "Order changes > After the first hour", 0}, // a status named
		{"ordered at 11pm pacific time, till when can i still swap the size", "FAQ > Can I cancel or change my order?", "FAQ > What is your return policy?", 0},
		{"need an invoice w my company vat number on it", "Invoices > Fapiao for Mainland China orders (发票)", "FAQ > Can I get an invoice for my order?", 1},
		{"中国大陆的订单能开增值税专票吗", "Invoices > Fapiao for Mainland China orders (发票)", "FAQ > Can I get an invoice for my order?", 0},
		{"if i return stuff do i get the shipping i paid back too", "Returns > Refused and undeliverable parcels", "Returns > Refunds > What is refunded", 1},
		{"i refused the parcel at the door, do i get the shipping back", "Returns > Refused and undeliverable parcels", "Returns > Refunds > What is refunded", 0},
		{"东西签收10天了 还能退吗", "常见问题 > 下单后还能取消或修改吗？", "常见问题 > 退货政策是怎样的？", 1},
		{"下单半小时了 还能改地址吗", "常见问题 > 下单后还能取消或修改吗？", "常见问题 > 退货政策是怎样的？", 0},
		{"马克杯能放洗碗机和微波炉吗", "保修政策 > 不在保修范围内", "常见问题 > 有保修吗？", 1},
		{"马克杯放微波炉裂了 保修吗", "保修政策 > 不在保修范围内", "常见问题 > 有保修吗？", 0},
	} {
		cands := []candidate{{x: extract{hit: knowledge.Hit{Heading: c.best}}, p: 0.8}, {x: extract{hit: knowledge.Hit{Heading: c.other}}, p: 0.7}}
		if got := unaskedQualifier(cands, concepts(c.q), c.q, 0); got != c.want {
			t.Errorf("%q: candidate %d, want %d", c.q, got, c.want)
		}
	}
}

// A question asked after the order was placed is not answered with how to
// do it at checkout: the same document's section about afterwards answers
// ("forgot to add my VAT number at checkout": the reissue within 60 days),
// taken to answer when it is not far-fetched; a question about checkout
// itself keeps the checkout section.
func TestPastCheckoutGivesWay(t *testing.T) {
	hit := func(heading string) knowledge.Hit { return knowledge.Hit{Source: "invoices.md", Heading: heading} }
	after := &knowledge.SearchResult{Concepts: []retrieval.Concept{
		{Term: "invoic", IDF: 2, Weight: 1, Known: true},
		{Term: "add", IDF: 2, Weight: 1, Known: true, Alts: [][]string{{"order"}, {"forgot"}}}, // the vocabulary's "forgot to add"
	}}
	during := &knowledge.SearchResult{Concepts: []retrieval.Concept{{Term: "invoic", IDF: 2, Weight: 1, Known: true}, {Term: "add", IDF: 2, Weight: 1, Known: true}}}
	for _, c := range []struct {
		name  string
		res   *knowledge.SearchResult
		other knowledge.Hit
		p     float64
		want  int
	}{
		{"after ordering", after, hit("Invoices > Business invoices > Adding them after ordering"), 0.17, 1},
		{"at checkout", during, hit("Invoices > Business invoices > Adding them after ordering"), 0.17, 0},
		{"after ordering, another document", after, knowledge.Hit{Source: "faq.md", Heading: "FAQ > After ordering"}, 0.17, 0},
		{"after ordering, far-fetched", after, hit("Invoices > Business invoices > Adding them after ordering"), 0.05, 1},
	} {
		cands := []candidate{{x: extract{hit: hit("Invoices > Business invoices > Adding company details at checkout")}, p: 0.67}, {x: extract{hit: c.other}, p: c.p}}
		got := pastCheckout(cands, questionConcepts(c.res, "need a company invoice, forgot to add it at checkout", nil), 0)
		if got != c.want {
			t.Errorf("%s: candidate %d, want %d", c.name, got, c.want)
		}
		if wantP := max(c.p, placeRowProb); got == 1 && c.p >= pastCheckoutFloor && cands[1].p != wantP {
			t.Errorf("%s: p %.2f, want %.2f", c.name, cands[1].p, wantP)
		}
		if got == 1 && c.p < pastCheckoutFloor && cands[1].p != c.p {
			t.Errorf("%s: a far-fetched extract's p %.2f, want %.2f unchanged", c.name, cands[1].p, c.p)
		}
	}
}

// A heading that names returns and exchanges together ("退换货与退款") is
// about more than exchanges, and the section that answers instead of one
// about a case the question does not raise is not about another such
// case: "买的东西不想要了 能退钱吗" keeps the returns page's 30 days and is
// not answered with the damaged-items FAQ's 7.
func TestUnaskedQualifierGeneralHeading(t *testing.T) {
	q := "买的东西不想要了 能退钱吗 多少天内"
	cs := questionConcepts(&knowledge.SearchResult{}, q, nil)
	hit := func(h string) extract { return extract{hit: knowledge.Hit{Heading: h}} }
	general := []candidate{{x: hit("退换货与退款"), p: 0.82}, {x: hit("常见问题 > 收到的东西坏了怎么办？"), p: 0.81}}
	if got := unaskedQualifier(general, cs, q, 0); got != 0 || general[0].p != 0.82 {
		t.Errorf("returns and exchanges: candidate %d (p %.2f), want 0 unchanged", got, general[0].p)
	}
	exchange := []candidate{{x: hit("退换货与退款 > 换尺码"), p: 0.8}, {x: hit("常见问题 > 收到的东西坏了怎么办？"), p: 0.79}, {x: hit("常见问题 > 退货政策是怎样的？"), p: 0.7}}
	if got := unaskedQualifier(exchange, cs, q, 0); got != 2 {
		t.Errorf("exchanges: candidate %d, want 2 (not the damaged items, another case the question does not raise)", got)
	}
}

// "Do you sell X?" is answered only by a passage that says something is
// sold and has every word of X: not "we can sell spare parts (such as …
// charging cases)" for iphone cases, nor Apple Pay on iPhone for "你们卖
// iPhone 吗"; "Do you sell gift cards?" answers "do u sell gift cards, what
// amounts" from under its heading.
func TestSoldNeedsWhatIsAsked(t *testing.T) {
	cs := func(q string) concepts { return questionConcepts(&knowledge.SearchResult{}, q, nil) }
	for _, c := range []struct {
		q, text string
		want    bool
	}{
		{"do u sell iphone cases", "We can often sell spare parts (such as earbud ear tips, charging cases and lamp bases).", false},
		{"你们卖 iPhone 吗", "Apple Pay：适用于 iPhone、iPad 和 Mac 上的 Safari 浏览器。", false},
		{"do u sell gift cards, what amounts", "Do you sell gift cards?\nYes, digital gift cards for $25, $50 and $100.", true},
		{"do you sell spare ear tips?", "We can often sell spare parts (such as earbud ear tips).", true},
	} {
		what, ok := asksIfSold(c.q)
		if !ok {
			t.Fatalf("asksIfSold(%q): not a question whether something is sold", c.q)
		}
		if got := answersSold(c.text, what, cs(c.q)); got != c.want {
			t.Errorf("answersSold(%q, %q) = %v, want %v", c.text, what, got, c.want)
		}
	}
	if _, ok := asksIfSold("how do you carry the tote"); ok {
		t.Error(`asksIfSold("how do you carry the tote"): want not a question whether something is sold`)
	}
}

// A question that says how long ago the shopper got what they name is
// answered by the period row for it when that time is within the period
// ("earbuds stopped charging, bought them 8 months ago": Electronics, 12
// months), and past it by the section on what to do after, led by the row;
// not when the best extract is another document's, nor past the period
// with no such section.
func TestWithinPeriod(t *testing.T) {
	res := &knowledge.SearchResult{Concepts: []retrieval.Concept{
		{Term: "earbud", IDF: 2, Weight: 1, Known: true}, {Term: "stop", IDF: 1, Weight: 1, Known: true}, {Term: "charg", IDF: 1, Weight: 1, Known: true},
		{Term: "lyon", IDF: 5, Weight: 1, Alts: [][]string{{"european", "union"}}},
	}}
	words := map[string]bool{"earbud": true}
	// the section headed with the shopper's place
	placed := func(text string, p float64) candidate {
		c := candidate{x: extract{hit: knowledge.Hit{Source: "warranty.md", Heading: "Warranty Policy > Customers in the European Union"}, text: text}, in: make([]float64, len(unitInputs)), p: p}
		c.named, c.floor = true, placeSectionFloor
		return c
	}
	eu := "In the European Union you have a legal guarantee of at least 2 years."
	row := func(src, line string, p float64) candidate {
		in := make([]float64, len(unitInputs))
		in[rowInput] = 1
		return candidate{x: extract{hit: knowledge.Hit{Source: src, Heading: "Warranty Policy > Warranty periods"}, text: line}, in: in, p: p}
	}
	unit := func(src, heading, text string, p float64) candidate {
		return candidate{x: extract{hit: knowledge.Hit{Source: src, Heading: heading}, text: text}, in: make([]float64, len(unitInputs)), p: p}
	}
	electronics := "Category: Electronics · Examples: lamps, earbuds · Warranty: 12 months from delivery"
	home := "Category: Home goods · Examples: bedding, towels · Warranty: 90 days from delivery"
	after := "If your product is out of warranty, we offer a 20% discount."
	for _, c := range []struct {
		name, q string
		cands   []candidate
		want    int
		text    string
	}{
		{"within", "earbuds stopped charging, bought them 8 months ago", []candidate{
			unit("warranty.md", "Warranty Policy > What is covered", "Faults in materials", 0.4), row("warranty.md", home, 0.3), row("warranty.md", electronics, 0.2)}, 2, electronics},
		{"past, with what to do after", "earbuds stopped charging, theyre 14 months old", []candidate{
			row("warranty.md", electronics, 0.3), unit("warranty.md", "Warranty Policy > After the warranty ends", after, 0.2)}, 1, electronics + "\n" + after},
		{"over", "warranty ran out on my earbuds, anything u can do", []candidate{
			unit("warranty.md", "Warranty Policy > What is covered", "Faults in materials", 0.4), row("warranty.md", electronics, 0.3),
			unit("warranty.md", "Warranty Policy > After the warranty ends", after, 0.2)}, 2, electronics + "\n" + after},
		{"over, no row", "过保了 还有啥办法吗", []candidate{
			unit("warranty.md", "Warranty Policy > What is covered", "Faults in materials", 0.4),
			unit("warranty.md", "Warranty Policy > After the warranty ends", after, 0.2)}, 1, after},
		{"past, nothing after", "earbuds stopped charging, bought them 14 months ago", []candidate{
			unit("warranty.md", "Warranty Policy > What is covered", "Faults in materials", 0.4), row("warranty.md", electronics, 0.3)}, 0, "Faults in materials"},
		{"another document", "earbuds stopped charging, bought them 8 months ago", []candidate{
			unit("returns.md", "Returns", "Return within 30 days", 0.4), row("warranty.md", electronics, 0.3)}, 0, "Return within 30 days"},
		{"past, in a place with a longer period", "live in lyon, my earbuds stopped charging after 14 months", []candidate{
			row("warranty.md", electronics, 0.4), placed(eu, 0.25)}, 1, eu},
		{"in a place whose period is as short", "live in lyon, my earbuds stopped charging after 14 months", []candidate{
			row("warranty.md", electronics, 0.4), placed("In the European Union you have a legal guarantee of 1 year.", 0.25)}, 0, electronics},
		{"in a place, its section unlikely", "live in lyon, my earbuds stopped charging after 14 months", []candidate{
			row("warranty.md", electronics, 0.4), placed(eu, 0.1)}, 0, electronics},
		{"a time to come", "going abroad for 8 months, will my earbuds stop charging", []candidate{
			unit("warranty.md", "Warranty Policy > What is covered", "Faults in materials", 0.4), row("warranty.md", electronics, 0.3)}, 0, "Faults in materials"},
	} {
		got := withinPeriod(c.cands, questionConcepts(res, c.q, words), c.q, 0)
		if got != c.want || c.cands[got].x.text != c.text {
			t.Errorf("%s: candidate %d %q, want %d %q", c.name, got, c.cands[got].x.text, c.want, c.text)
		}
		if got != 0 && c.cands[got].p != placeRowProb {
			t.Errorf("%s: p %.2f, want %.2f", c.name, c.cands[got].p, placeRowProb)
		}
	}
}

// Something that arrived broken is answered by what to do when an item
// arrives damaged, not by the warranty's cracks from impact; a crack the
// shopper made, or whether to send the item back, is another question.
func TestArrivedDamaged(t *testing.T) {
	unit := func(heading, text string, p float64) candidate {
		return candidate{x: extract{hit: knowledge.Hit{Source: "policy.md", Heading: heading}, text: text}, in: make([]float64, len(unitInputs)), p: p}
	}
	cands := func() []candidate {
		return []candidate{
			unit("Warranty > What is not covered", "- Accidental damage such as drops, cracks from impact.", 0.3),
			unit("Returns > Damaged, faulty or wrong items", "If an item arrives damaged, contact us within 7 days of delivery with photos.", 0.1),
			unit("常见问题 > 收到的东西坏了怎么办？", "请在签收后 7 天内联系我们，提供照片。", 0.05),
		}
	}
	for q, want := range map[string]int{
		"plates showed up today n one is cracked in half, what do i do": 1,
		"just opened the box and the mug is cracked in half":            1,
		"my mug arrived with a chip in the rim":                         1,
		"the plates came in pieces, box totally crushed. what now":      1,
		"dropped my mug and it cracked, is that covered":                0,
		"mug came cracked, do i have to mail it back?":                  0,
		"how long does delivery take":                                   0,
		// what does not work from the start arrived faulty
		"the lamp came dead, wont turn on at all": 1,
		"earbuds were DOA":                        1,
		"lamp stopped working after 5 months":     0,
	} {
		cs := cands()
		got := arrivedDamaged(cs, q, 0)
		if got != want || got != 0 && cs[got].p != placeRowProb {
			t.Errorf("%q: candidate %d (p %.2f), want %d", q, got, cs[got].p, want)
		}
	}
	cs := cands()[2:]
	if got := arrivedDamaged(append(cands()[:1], cs...), "收到的盘子碎了一个 咋办", 0); got != 1 {
		t.Errorf("收到的盘子碎了一个: candidate %d, want the FAQ on what arrived broken", got)
	}
	if got := arrivedDamaged(append(cands()[:1], cands()[2:]...), "耳机收到就充不进电，怎么处理", 0); got != 1 {
		t.Errorf("耳机收到就充不进电: candidate %d, want the FAQ on what arrived broken", got)
	}
}

func TestSinceDays(t *testing.T) {
	for q, want := range map[string]float64{
		"earbuds stopped charging, bought them 8 months ago":             240,
		"power bank holds half a charge and its 10 months old":           300,
		"my earbuds wont hold a charge anymore, had them about 5 months": 150,
		"power bank 现在只能充一半电 买了 5 months 保修吗":                            150,
		"毛巾用了一个多月就开线了":                                                   30,
		"我在德国，台灯买了一年半坏了还能修吗":                                             547.5,
		"用了半年就坏了":                                                        182,
		"杯子用了两个月 釉面裂了":                                                   60,
		"heading overseas for 5 months, charge the power bank first?":    0,
		"洗了两次缝线就开了":                                                      0,
	} {
		if got, _ := sinceDays(q); got != want {
			t.Errorf("sinceDays(%q) = %v, want %v", q, got, want)
		}
	}
}

// A question that reports an accident (the vocabulary's "accidental
// damage" for "dropped", "knocked", "in the pool", "摔了") is answered by the
// extract of the same document that names it, however much likelier the
// period row is; not by one of the best extract's own section, not when
// the question denies it ("never dropped it").
func TestReportedCase(t *testing.T) {
	accident := &knowledge.SearchResult{Concepts: []retrieval.Concept{
		{Term: "drop", IDF: 2, Weight: 1, Known: true, Alts: [][]string{{"accident", "damag"}, {"drop"}}},
		{Term: "lamp", IDF: 2, Weight: 1, Known: true},
	}}
	x := func(heading, text string, p float64) candidate {
		return candidate{x: extract{hit: knowledge.Hit{Source: "warranty.md", Heading: heading}, text: text}, p: p}
	}
	row := x("Warranty > Warranty periods", "Category: Electronics · Examples: lamps · Warranty: 12 months", 0.66)
	item := x("Warranty > What is not covered", "- Accidental damage such as drops, cracks from impact", 0.09)
	care := x("Warranty > What is not covered", "- Damage from not following the care instructions: boards in the dishwasher", 0.5)
	for _, c := range []struct {
		name, q string
		cands   []candidate
		want    int
		p       float64
	}{
		{"reported", "dropped my lamp 2 months after i got it, covered?", []candidate{row, item}, 1, placeRowProb},
		{"the best names it", "dropped my lamp, covered?", []candidate{item, row}, 0, placeRowProb},
		{"same section", "accidentally put my board in the dishwasher", []candidate{care, item}, 0, 0.5},
		{"denied", "cracks in the glaze of my lamp, never dropped it", []candidate{row, item}, 0, 0.66},
	} {
		got := reportedCase(c.cands, questionConcepts(accident, c.q, nil), c.q, 0)
		if got != c.want || c.cands[got].p != c.p {
			t.Errorf("%s: candidate %d (p %.2f), want %d (p %.2f)", c.name, got, c.cands[got].p, c.want, c.p)
		}
	}
}

// A verb form of a product title's word says what happened, not which
// product: "is that covered" does not name the Duvet Cover Set, "stopped
// charging" not the Charging Stand; "quilted jacket" names the jacket.
func TestParticipleIsNoProduct(t *testing.T) {
	res := &knowledge.SearchResult{Concepts: []retrieval.Concept{
		{Term: "cover", IDF: 2, Weight: 1, Known: true}, {Term: "charg", IDF: 2, Weight: 1, Known: true},
		{Term: "quilt", IDF: 2, Weight: 1, Known: true}, {Term: "jacket", IDF: 2, Weight: 1, Known: true},
	}}
	titles := map[string]bool{"cover": true, "charg": true, "quilt": true, "jacket": true, "stand": true}
	for q, want := range map[string]map[string]bool{
		"is that covered by warranty":              {"cover": false},
		"need a new duvet cover":                   {"cover": true},
		"earbuds stopped charging":                 {"charg": false},
		"does the quilted jacket run small":        {"quilt": true, "jacket": true},
		"the charging stand, does it fit a pixel?": {"charg": true},
	} {
		for _, c := range questionConcepts(res, q, titles) {
			if p, ok := want[c.Term]; ok && c.product != p {
				t.Errorf("%q: %s product %v, want %v", q, c.Term, c.product, p)
			}
		}
	}
}

// A section headed with where the shopper is answers for them ("live in
// lyon, the lamp died after 18 months": "Customers in the EU and UK"),
// however few of their words it has, when it is at least
// placeSectionFloor likely; a section headed otherwise is not named.
func TestSectionHeadedWithThePlaceIsNamed(t *testing.T) {
	res := &knowledge.SearchResult{Confidence: 0.8, Hits: []knowledge.Hit{
		{Source: "faq.md", Heading: "FAQ > Is there a warranty?", Score: 1, Text: "Yes. Electronics have a 12-month warranty from delivery."},
		{Source: "warranty.md", Heading: "Warranty > Customers in the EU and UK", Score: 0.5,
			Text: "In the European Union and the United Kingdom you have a legal guarantee of at least 2 years for all goods."},
	}, Concepts: []retrieval.Concept{
		{Term: "lyon", IDF: 6, Weight: 1, Alts: [][]string{{"franc"}, {"eu"}, {"european", "union"}}},
		{Term: "lamp", IDF: 2, Weight: 1, Known: true}, {Term: "die", IDF: 2, Weight: 1, Known: true, Alts: [][]string{{"warranti"}}},
	}}
	q := "live in lyon, the lamp i bought 18 months ago just died"
	for _, c := range extractCandidates(res, questionConcepts(res, q, nil), q, 5, nil) {
		eu := c.x.hit.Source == "warranty.md"
		if c.named != eu || eu && c.floor != placeSectionFloor {
			t.Errorf("%s: named %v (floor %.2f), want %v", c.x.hit.Heading, c.named, c.floor, eu)
		}
	}
}

// What a status means is not what a shopper asks who says the parcel is
// lost ("says delivered but theres nothing at my door": the vocabulary's
// "lost"): the section headed with lost parcels answers, however much
// likelier the status row named by "delivered" is.
func TestStatusYieldsToLostParcel(t *testing.T) {
	lost := &knowledge.SearchResult{Concepts: []retrieval.Concept{
		{Term: "say", IDF: 1, Weight: 1, Known: true}, {Term: "deliv", IDF: 2, Weight: 1, Known: true, Alts: [][]string{{"lost"}}},
		{Term: "door", IDF: 3, Weight: 1, Known: true},
	}}
	plain := &knowledge.SearchResult{Concepts: []retrieval.Concept{
		{Term: "say", IDF: 1, Weight: 1, Known: true}, {Term: "deliv", IDF: 2, Weight: 1, Known: true}, {Term: "mean", IDF: 1, Weight: 1, Known: true},
	}}
	hit := func(src, h, text string, p float64, named bool) candidate {
		return candidate{x: extract{hit: knowledge.Hit{Source: src, Heading: h}, text: text}, p: p, named: named}
	}
	for _, c := range []struct {
		name, q string
		res     *knowledge.SearchResult
		want    int
	}{
		{"lost", "says delivered but theres nothing at my door", lost, 2},
		{"what it means", "tracking says delivered, what does that mean", plain, 0},
	} {
		cands := []candidate{
			hit("order-changes.md", "Changing an Order > Order statuses", "Status: delivered · What it means: Carrier confirmed delivery", 0.41, true),
			hit("order-changes.md", "Changing an Order > Order statuses", "Status: refunded · What it means: Money returned after a lost parcel", 0.39, false),
			hit("shipping.md", "Shipping > Delays, lost and damaged parcels", "If a parcel shows as delivered but you can't find it, write to us within 7 days.", 0.06, false),
		}
		got := unaskedQualifier(cands, questionConcepts(c.res, c.q, nil), c.q, 0)
		if got != c.want {
			t.Errorf("%s: candidate %d, want %d", c.name, got, c.want)
		}
		if got == 2 && cands[2].p != placeRowProb {
			t.Errorf("%s: p %.2f, want %.2f", c.name, cands[2].p, placeRowProb)
		}
	}
}

// A question says the period is over in the words shoppers use; asking
// how long it lasts does not.
func TestPeriodOver(t *testing.T) {
	for q, want := range map[string]bool{
		"warranty ran out last month on my speaker, anything u can do": true,
		"my earbuds are out of warranty, any options":                  true,
		"蓝牙音箱过保了坏了 还有办法吗":                                              true,
		"保修期过了还能修吗":                                                    true,
		"how long is the warranty on the speaker":                      false,
		"保修多久": false,
	} {
		if got := periodOverRE.MatchString(q); got != want {
			t.Errorf("periodOverRE(%q) = %v, want %v", q, got, want)
		}
	}
}

// A sentence that points back ("This can take …") finishes the one before
// it: an extract ending on the sentence it finishes brings it along, even
// past the usual three units and maxExtract; one that does not point back
// stays out.
func TestSentenceThatPointsBackComesAlong(t *testing.T) {
	long := "If you lose both your phone and your backup codes, contact support; we'll verify your identity with order details before turning it off."
	for _, tc := range []struct {
		last string
		want bool
	}{
		{"This can take up to 2 business days.", true},
		{"Gift cards can take up to 2 business days.", false},
	} {
		res := &knowledge.SearchResult{Confidence: 0.8, Hits: []knowledge.Hit{{Source: "account-help.md", Heading: "Account Help > Two-step verification", Score: 1,
			Text: "We support authenticator apps (such as Google Authenticator or Microsoft Authenticator). When you enable it, you get 10 backup codes – store them safely. " + long + " " + tc.last}},
			Concepts: []retrieval.Concept{{Term: "lost", IDF: 3, Weight: 1, Known: true}, {Term: "phone", IDF: 3, Weight: 1, Known: true}}}
		q := "lost my phone and the backup codes"
		cands := extractCandidates(res, questionConcepts(res, q, nil), q, 5, nil)
		if len(cands) == 0 || !strings.HasPrefix(cands[0].x.text, "We support") {
			t.Fatalf("first candidate %+v", cands)
		}
		if got := strings.HasSuffix(cands[0].x.text, tc.last); got != tc.want {
			t.Errorf("%q: extract ends with it %v, want %v: %q", tc.last, got, tc.want, cands[0].x.text)
		}
	}
}

// A prose extract that starts inside a paragraph is quoted with the short
// sentence before it ("Brush out the burrs after each use."), unless that
// sentence states the same kind of figure for another case (the standard
// time before the express time), is long, or starts another block.
func TestFromParagraphStart(t *testing.T) {
	for _, tc := range []struct {
		text, extract, want string
	}{
		{"Brush out the burrs after each use. Never rinse the motor base. Don't grind spices.", "Never rinse the motor base. Don't grind spices.",
			"Brush out the burrs after each use. Never rinse the motor base. Don't grind spices."},
		{"Standard delivery takes 5 to 8 business days. Express delivery takes 2 to 3 business days.", "Express delivery takes 2 to 3 business days.",
			"Express delivery takes 2 to 3 business days."},
		{"Gift cards come as $25, $50 and $100 cards. Gift cards are valid for 3 years.", "Gift cards are valid for 3 years.",
			"Gift cards come as $25, $50 and $100 cards. Gift cards are valid for 3 years."},
		{"Brush out the burrs.\nNever rinse the motor base.", "Never rinse the motor base.", "Never rinse the motor base."},
		{"可以。中国大陆订单提供电子发票。", "中国大陆订单提供电子发票。", "可以。中国大陆订单提供电子发票。"},
	} {
		x := fromParagraphStart(extract{hit: knowledge.Hit{Text: tc.text}, text: tc.extract})
		if x.text != tc.want {
			t.Errorf("%q: quoted %q, want %q", tc.extract, x.text, tc.want)
		}
	}
}

// A Chinese main word no passage found has is searched for with its
// English words as well, as much as its own: the page that has it may be
// in English only.
func TestFocusQueryHasTheEnglishWords(t *testing.T) {
	v := retrieval.BuiltinVocabulary()
	got := focusQuery("转运仓", v)
	if !strings.HasPrefix(got, "转运仓") || !strings.Contains(got, "freight forwarder") {
		t.Errorf("focusQuery(转运仓) = %q; want the word and \"freight forwarder\"", got)
	}
	if got := focusQuery("春节", v); !strings.Contains(got, "chinese new year") || strings.Contains(got, "节假日") {
		t.Errorf("focusQuery(春节) = %q; want its English words, not its Chinese ones", got)
	}
	if got := focusQuery("春节", nil); got != "春节" {
		t.Errorf("focusQuery(春节) without a vocabulary = %q; want the word alone", got)
	}
}
