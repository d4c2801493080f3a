package chat

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"kefu/retrieval"
)

// How-to answers. A care or how-to page has a section per product or
// material, named for it ("Merino wool (throw blanket, socks, beanie)",
// "Loom Buds earbuds"), with a line per thing to do: wash, dry, clean,
// store, reset. A shopper asking how to do one of those things to a product
// ("羊毛袜用洗衣机洗的话 水温多少", "earbuds wont connect, how do i reset
// them") is answered from the section named for that product, with its
// lines about that thing, when the general answer declined: the question's
// words rarely match the page's ("丢洗衣机" against "Hand wash in cool
// water"), but the two facts that decide — which product, which action —
// do.

// careAction is one thing a shopper asks how to do to a product: the words
// that ask it (English words and phrases, compared whole, and Chinese
// characters, compared as text) and the words of a line that tells how
// (compared as search terms: "washing" is "wash"). A word that also means
// something else is asked only in a phrase: "pair it", not "a pair of
// socks"; "store it", not "in store".
type careAction struct {
	asks   []string
	asksZH []string
	lines  []string // none: every line of the section tells it
}

// careActions are what a care page's lines tell. Washing includes drying:
// a line on how to dry belongs to how to wash.
var careActions = []careAction{
	{asks: []string{"wash", "washing", "launder", "laundry", "detergent", "machine-wash", "handwash"}, asksZH: []string{"洗"},
		lines: []string{"wash", "washing", "dry", "detergent", "tumble"}},
	{asks: []string{"dryer", "drier", "tumble", "dry", "drying"}, asksZH: []string{"烘", "晾", "晒干"},
		lines: []string{"dry", "tumble", "dryer"}},
	{asks: []string{"shrink", "shrinks", "shrinkage", "shrunk"}, asksZH: []string{"缩水", "变小"},
		lines: []string{"shrink", "shrinkage"}},
	{asks: []string{"iron", "ironing", "wrinkle", "wrinkles", "creases"}, asksZH: []string{"熨", "皱"},
		lines: []string{"iron", "rumpled"}},
	{asks: []string{"bleach"}, asksZH: []string{"漂白"}, lines: []string{"bleach"}},
	{asks: []string{"clean", "cleaning", "wipe", "dust", "dusty", "dirty", "stain", "stains"}, asksZH: []string{"清洁", "清理", "擦", "脏", "积灰", "落灰", "灰尘", "污渍"},
		lines: []string{"clean", "wipe", "dust", "brush", "wash"}},
	{asks: []string{"storage", "storing", "unused", "store it", "store them", "store the", "store my"}, asksZH: []string{"存放", "收起来", "长时间不用", "长期不用", "不用的时候"},
		lines: []string{"storage", "store"}},
	{asks: []string{"reset", "pairing", "reconnect", "re-pair", "pair it", "pair them", "pair again", "pair with", "pair to"}, asksZH: []string{"重置", "复位", "配对", "连不上"},
		lines: []string{"reset", "pair"}},
	{asks: []string{"wick", "trim", "burn", "burning", "lighting", "light it", "light the", "tunnel", "tunneling", "tunnelling", "tunnels"}, asksZH: []string{"烛芯", "灯芯", "点燃", "第一次点", "第一次烧", "怎么烧", "点蜡烛"},
		lines: []string{"wick", "burn"}},
	{asks: []string{"dishwasher"}, asksZH: []string{"洗碗机"}, lines: []string{"dishwasher"}},
	{asks: []string{"microwave"}, asksZH: []string{"微波"}, lines: []string{"microwave"}},
	{asks: []string{"oil", "oiling"}, asksZH: []string{"上油"}, lines: []string{"oil"}},
	// "how do I look after it": every line of the section.
	{asks: []string{"care instructions", "care tips", "how to care", "how do i care", "how should i care", "caring for", "take care of", "look after", "maintain", "maintenance"}, asksZH: []string{"保养", "护理"}},
}

// careActionTerms are careActions with their English words as search
// terms, made once.
var careActionTerms = func() []struct{ asks, lines map[string]bool } {
	out := make([]struct{ asks, lines map[string]bool }, len(careActions))
	for i, a := range careActions {
		out[i].asks = retrieval.TermSet(strings.Join(a.asks, " "))
		out[i].lines = retrieval.TermSet(strings.Join(a.lines, " "))
	}
	return out
}()

// notHowTo are words of questions that mention washing or drying but ask
// about something else: returning it ("can I return it if I washed
// it?"), its warranty ("it shrank after one wash, is that covered?"),
// delivery or an order. (The intent classifier is not asked: it reads
// "羊毛袜可以用烘干机吗" as a payment question now and then.)
var notHowTo = []string{" return", " refund", " exchange", " swap", " send it back", " send back", " warranty", " warrenty", " guarantee", " covered",
	" replace", " replacement", " deliver", " shipping", " ship ", " order", " faulty", " defective", " broke", " broken", " shrank", " ruined",
	"退", "换货", "换一", "保修", "质保", "赔", "发货", "快递", "运费", "订单", "坏了", "缩水了", "洗坏"}

// askedCare returns the care actions text asks about (indexes into
// careActions). English words are compared whole and unstemmed: "washed"
// is how a product is made ("Washed Linen Shirt"), "wash" what to do.
func askedCare(text string) []int {
	lower := strings.ToLower(retrieval.Simplified(text))
	words := " " + strings.Join(strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }), " ") + " "
	var out []int
	for i, a := range careActions {
		asked := containsAny(lower, a.asksZH)
		for _, w := range a.asks {
			asked = asked || strings.Contains(words, " "+w+" ")
		}
		if asked {
			out = append(out, i)
		}
	}
	return out
}

// forSomeone are words of a question about whether a product is safe for
// someone ("is the candle safe to burn around my cat?"): a care page does
// not say.
var forSomeone = []string{" cat", " cats", " dog", " dogs", " pet", " pets", " baby", " babies", " kid", " kids", " child", " children", " toddler",
	" pregnant", " allergic", " allergy", " asthma", " eczema", " skin", "猫", "狗", "宠物", "宝宝", "婴儿", "孩子", "小孩", "孕妇", "过敏", "哮喘", "皮肤"}

// howToAnswer answers a question about how to wash, clean, store or reset
// a product from the help-page section named for it (see the top of this
// file), or reports that none answers.
func (e *Engine) howToAnswer(ctx context.Context, q *question) (reply, bool) {
	if e.opts.Library == nil {
		return reply{}, false
	}
	actions := askedCare(q.text)
	if t := phraseText(q.text); len(actions) == 0 || containsAny(t, forSomeone) || containsAny(t, notHowTo) {
		return reply{}, false
	}
	vocab := e.vocabulary(ctx, q.site)
	named := e.namedKinds(ctx, q, vocab)
	if len(named) == 0 {
		return reply{}, false
	}
	// The section is looked for by those words and the action's, in English
	// as well: a care page is often in one language only.
	var look []string
	for t := range named {
		look = append(look, t)
	}
	for _, i := range actions {
		look = append(look, strings.Fields(careActions[i].asks[0])[0])
	}
	slices.Sort(look) // the same question, the same search
	res, err := e.opts.Library.Find(ctx, q.site.ID, retrieval.Query{Text: q.text + " " + strings.Join(look, " "), Context: q.context, Vocabulary: vocab}, searchDepth)
	if err != nil || len(res.Hits) == 0 {
		return reply{}, false
	}
	best, bestNamed := -1, 0
	for i, h := range res.Hits {
		n := 0
		for t := range retrieval.TermSet(lastHeading(h.Heading)) {
			if named[t] {
				n++
			}
		}
		if n > bestNamed {
			best, bestNamed = i, n
		}
	}
	if best < 0 {
		return reply{}, false
	}
	h := res.Hits[best]
	head := lastHeading(h.Heading)
	headTerms := retrieval.TermSet(head)
	var all, told, own []string
	general := false
	for _, i := range actions {
		general = general || len(careActions[i].lines) == 0
	}
	for _, u := range units(h.Text) {
		if strings.TrimSpace(strings.TrimLeft(u.text, "#")) == head {
			continue
		}
		terms := retrieval.TermSet(u.match)
		// A line about one product of the section ("Blackout curtain
		// panels: wash at 30 °C" under Linen) is the answer for that
		// product.
		mine := false
		for t := range terms {
			mine = mine || named[t] && !headTerms[t]
		}
		all = append(all, u.text)
		for _, i := range actions {
			if tells(terms, careActionTerms[i].lines) {
				told = append(told, u.text)
				if mine {
					own = append(own, u.text)
				}
				break
			}
		}
	}
	switch {
	case len(own) > 0:
		told = own
	case general:
		told = all
	}
	if len(told) == 0 {
		return reply{}, false
	}
	var quote []string
	size := 0
	for _, t := range told {
		if size > 0 && size+len(t) > maxExtract {
			break
		}
		quote, size = append(quote, t), size+len(t)
	}
	x := extract{hit: h, rank: best + 1, text: strings.Join(quote, "\n"), item: strings.HasPrefix(quote[0], "- ")}
	confidence := res.Confidence
	ev := &Evidence{Source: h.Source, Heading: h.Heading, Extract: x.text, Retrieval: res.Confidence, Focus: true, Rank: x.rank, Score: howToScore}
	return reply{text: quoteText(q, x), answered: true, citations: []Citation{citationOf(1, h)}, evidence: ev, best: &x, confidence: &confidence}, true
}

// namedKinds are the words of the site's product titles that the message,
// or the question it continues, names, with what the vocabulary adds (眼罩
// → eye mask), except words that say what to do ("wash" of "Washed Linen
// Shirt").
func (e *Engine) namedKinds(ctx context.Context, q *question, vocab *retrieval.Vocabulary) map[string]bool {
	titles := e.productWords(ctx, q.site)
	named := map[string]bool{}
	for t := range vocab.TermSet(q.text + "\n" + q.context) {
		if titles[t] && !actionTerm(t) {
			named[t] = true
			// The other language's words for it too: a Chinese title's
			// 眼罩 is the care page's "mask".
			for u := range vocab.TermSet(t) {
				if !actionTerm(u) {
					named[u] = true
				}
			}
		}
	}
	return named
}

// howToScore is the probability that a how-to answer is right: on the
// eight development files it answered 22 questions, 21 right (the other
// right in substance, "Tumble dry on low" for "tumble dry low"); 0.9, a
// little under that, for questions written after the rule.
const howToScore = 0.9

// tells reports whether a line's terms include one of words.
func tells(terms, words map[string]bool) bool {
	for w := range words {
		if terms[w] {
			return true
		}
	}
	return false
}

// actionTerm reports whether a search term is a care action's word: in a
// question it says what to do, not which product ("wash" of "Washed Linen
// Shirt" does not name the shirt).
func actionTerm(t string) bool {
	for _, a := range careActionTerms {
		if a.asks[t] {
			return true
		}
	}
	return false
}
