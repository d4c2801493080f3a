package chat

import (
	"context"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"kefu/knowledge"
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
// that ask it and those of a line that tells how (English words and
// phrases, compared whole: "washed" is how a shirt is made, "wash" what to
// do; Chinese characters, compared as text). A word that also means
// something else is asked only in a phrase: "pair it", not "a pair of
// socks"; "store it", not "in store".
type careAction struct {
	asks    []string
	asksZH  []string
	lines   []string // none: every line of the section tells it
	linesZH []string // characters of a Chinese line that tells it
}

// careActions are what a care page's lines tell. Washing includes drying:
// a line on how to dry belongs to how to wash.
var careActions = []careAction{
	{asks: []string{"wash", "washing", "launder", "laundry", "detergent", "machine-wash", "handwash"}, asksZH: []string{"洗"},
		lines: []string{"wash", "washing", "washes", "dry", "drying", "dried", "detergent", "tumble"}, linesZH: []string{"洗", "烘", "晾", "干"}},
	{asks: []string{"dryer", "drier", "tumble", "dry", "drying"}, asksZH: []string{"烘", "晾", "晒干"},
		lines: []string{"dry", "drying", "dried", "tumble", "dryer"}, linesZH: []string{"烘", "晾", "干"}},
	{asks: []string{"shrink", "shrinks", "shrinkage", "shrunk"}, asksZH: []string{"缩水", "变小"},
		lines: []string{"shrink", "shrinks", "shrinkage"}, linesZH: []string{"缩"}},
	{asks: []string{"iron", "ironing", "wrinkle", "wrinkles", "creases"}, asksZH: []string{"熨", "皱"},
		lines: []string{"iron", "ironing", "rumpled"}, linesZH: []string{"熨", "皱"}},
	{asks: []string{"bleach"}, asksZH: []string{"漂白"}, lines: []string{"bleach"}, linesZH: []string{"漂白"}},
	{asks: []string{"clean", "cleaning", "wipe", "dust", "dusty", "dirty", "stain", "stains"}, asksZH: []string{"清洁", "清理", "擦", "脏", "积灰", "落灰", "灰尘", "污渍"},
		lines: []string{"clean", "cleaning", "wipe", "dust", "brush", "wash"}, linesZH: []string{"擦", "清洁", "清理", "刷", "灰", "洗"}},
	{asks: []string{"store it", "store them", "store the", "store my", "storing", "unused", "for storage", "in storage"}, asksZH: []string{"存放", "收起来", "长时间不用", "长期不用", "不用的时候"},
		lines: []string{"storage", "store", "storing"}, linesZH: []string{"存放", "储存", "保存", "存储"}},
	{asks: []string{"reset", "pairing", "reconnect", "re-pair", "pair it", "pair them", "pair again", "pair with", "pair to"}, asksZH: []string{"重置", "复位", "配对", "连不上"},
		lines: []string{"reset", "pair", "pairing"}, linesZH: []string{"重置", "复位", "配对"}},
	{asks: []string{"wick", "trim", "burn", "burning", "lighting", "light it", "light the", "tunnel", "tunneling", "tunnelling", "tunnels"}, asksZH: []string{"烛芯", "灯芯", "点燃", "第一次点", "第一次烧", "怎么烧", "点蜡烛"},
		lines: []string{"wick", "burn", "burning", "lighting"}, linesZH: []string{"烛芯", "燃烧", "点燃"}},
	{asks: []string{"dishwasher"}, asksZH: []string{"洗碗机"}, lines: []string{"dishwasher"}, linesZH: []string{"洗碗机"}},
	{asks: []string{"microwave"}, asksZH: []string{"微波"}, lines: []string{"microwave"}, linesZH: []string{"微波"}},
	{asks: []string{"oil", "oiling"}, asksZH: []string{"上油"}, lines: []string{"oil", "oiling"}, linesZH: []string{"油"}},
	{asks: []string{"pilling", "pills", "pilled", "bobbles", "bobbling", "fuzz", "fuzzy", "lint"}, asksZH: []string{"起球", "起毛球", "毛球"},
		lines: []string{"pilling", "pills", "comb"}, linesZH: []string{"起球"}},
	{asks: []string{"scratch", "scratches", "scratched", "scuff", "scuffs", "knife marks"}, asksZH: []string{"划痕", "刀痕", "刮花"},
		lines: []string{"scratches", "marks", "sanded", "sandpaper"}, linesZH: []string{"划痕", "刀痕", "砂纸"}},
	// "how do I look after it": every line of the section.
	{asks: []string{"care instructions", "care tips", "how to care", "how do i care", "how should i care", "caring for", "take care of", "look after", "maintain", "maintenance"}, asksZH: []string{"保养", "护理"}},
}

// actionTerms are the search terms of the words that ask a care action on
// their own (not those of a phrase: "storage" of "for storage" is also a
// storage box's), made once.
var actionTerms = func() map[string]bool {
	var words []string
	for _, a := range careActions {
		for _, w := range a.asks {
			if !strings.Contains(w, " ") {
				words = append(words, w)
			}
		}
	}
	return retrieval.TermSet(strings.Join(words, " "))
}()

// notHowTo are words of questions that mention washing or drying but ask
// about something else: returning or exchanging it ("can I return it if I
// washed it?"), its warranty ("it shrank after one wash, is that
// covered?"), delivery, an order, or which brand to buy (a care page does
// not recommend detergents). (The intent classifier is not asked: it reads
// "羊毛袜可以用烘干机吗" as a payment question now and then.)
var notHowTo = []string{" return", " refund", " exchange", " swap", " send it back", " send back", " warranty", " warrenty", " guarantee", " covered",
	" replace", " replacement", " deliver", " shipping", " ship ", " order", " faulty", " defective", " broke", " broken", " shrank", " ruined",
	" brand", " brands", " recommend",
	"退", "换货", "换一", "能换", "换吗", "换新", "保修", "质保", "赔", "发货", "快递", "运费", "寄到", "几天能到", "订单", "坏了", "缩水了", "洗坏", "牌子", "品牌", "推荐"}

// askedCare returns the care actions text asks about (indexes into
// careActions).
func askedCare(text string) []int {
	lower, words := careText(text)
	var out []int
	for i, a := range careActions {
		if containsAny(lower, a.asksZH) || hasWord(words, a.asks) {
			out = append(out, i)
		}
	}
	return out
}

// careAsked is askedCare of a question, or, when its own words ask
// nothing, of the words the shop's vocabulary adds for them ("恢复出厂"
// asks to reset: 重置, reset).
func careAsked(text string, vocab *retrieval.Vocabulary) []int {
	if a := askedCare(text); len(a) > 0 {
		return a
	}
	return askedCare(strings.Join(vocab.ExpandTerms(text), " "))
}

// careText is text as phrase lists are matched against (phraseText) and
// its words alone, with a space at each end, for hasWord.
func careText(text string) (lower, words string) {
	lower = phraseText(text)
	return lower, " " + strings.Join(strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }), " ") + " "
}

// hasWord reports whether words (careText's) has one of the words or
// phrases whole.
func hasWord(words string, of []string) bool {
	for _, w := range of {
		if strings.Contains(words, " "+w+" ") {
			return true
		}
	}
	return false
}

// forSomeone are words of a question about whether a product is safe for
// someone ("is the candle safe to burn around my cat?"): a care page does
// not say.
var forSomeone = []string{" cat", " cats", " dog", " dogs", " pet", " pets", " baby", " babies", " kid", " kids", " child", " children", " toddler",
	" pregnant", " allergic", " allergy", " asthma", " eczema", " skin", "猫", "狗", "宠物", "宝宝", "婴儿", "孩子", "小孩", "孕妇", "过敏", "哮喘", "皮肤"}

// lookUpHowTo is howToAnswer, looked for once per question (a model's
// draft gets its section as a passage; if the model fails, the offline
// reply uses the same answer).
func (e *Engine) lookUpHowTo(ctx context.Context, q *question) (reply, bool) {
	if !q.howToTried {
		q.howTo, q.howToOK = e.howToAnswer(ctx, q)
		q.howToTried = true
	}
	return q.howTo, q.howToOK
}

// howToAnswer answers a question about how to wash, clean, store or reset
// a product from the help-page section named for it (see the top of this
// file), or reports that none answers.
func (e *Engine) howToAnswer(ctx context.Context, q *question) (reply, bool) {
	if e.opts.Library == nil {
		return reply{}, false
	}
	if t := phraseText(q.text); containsAny(t, forSomeone) || containsAny(t, notHowTo) {
		return reply{}, false
	}
	vocab := e.vocabulary(ctx, q.site)
	actions := careAsked(q.text, vocab)
	if len(actions) == 0 {
		return reply{}, false
	}
	named := e.namedKinds(ctx, q, vocab)
	if len(named) == 0 {
		return reply{}, false
	}
	// The section is looked for by the message with the English words for
	// what it names and asks: a care page is often in English only.
	var look []string
	for t := range named {
		if r, _ := utf8.DecodeRuneInString(t); !retrieval.IsCJK(r) {
			look = append(look, t)
		}
	}
	for _, i := range actions {
		look = append(look, strings.Fields(careActions[i].asks[0])[0])
	}
	slices.Sort(look) // the same question, the same search
	res, err := e.opts.Library.Find(ctx, q.site.ID, retrieval.Query{Text: q.text + " " + strings.Join(look, " "), Context: q.context, Vocabulary: vocab}, searchDepth)
	if err != nil || len(res.Hits) == 0 {
		return reply{}, false
	}
	best, told := howToSection(res.Hits, named, actions)
	if best < 0 && len(look) > len(actions) {
		// The message's own words found only pages in its language: the
		// English words alone.
		if more, err := e.opts.Library.Find(ctx, q.site.ID, retrieval.Query{Text: strings.Join(look, " "), Vocabulary: vocab}, searchDepth); err == nil {
			res = more
			best, told = howToSection(res.Hits, named, actions)
		}
	}
	if best < 0 {
		return reply{}, false
	}
	h := res.Hits[best]
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

// howToSection returns the hit whose innermost heading has the most of
// the named words (the first of equals) and that tells how to do one of
// the actions, with the lines that tell it; -1 when none does.
func howToSection(hits []knowledge.Hit, named map[string]bool, actions []int) (int, []string) {
	best, most := -1, 0
	var lines []string
	for i, h := range hits {
		n := 0
		for t := range retrieval.TermSet(lastHeading(h.Heading)) {
			if named[t] {
				n++
			}
		}
		if n <= most {
			continue
		}
		if told := toldLines(h, named, actions); len(told) > 0 {
			best, most, lines = i, n, told
		}
	}
	return best, lines
}

// toldLines are the lines of a section that tell how to do one of the
// actions: a line about the named product itself if there is one
// ("Blackout curtain panels: wash at 30 °C" under Linen), else every line
// that tells, or every line when the question asks how to look after it.
func toldLines(h knowledge.Hit, named map[string]bool, actions []int) []string {
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
		mine := false
		for t := range terms {
			mine = mine || named[t] && !headTerms[t]
		}
		all = append(all, u.text)
		lower, words := careText(u.match)
		for _, i := range actions {
			if hasWord(words, careActions[i].lines) || containsAny(lower, careActions[i].linesZH) {
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
		return own
	case general:
		return all
	}
	return told
}

// namedKinds are the words of the site's product titles that the message,
// or the question it continues, names, with what the vocabulary adds (眼罩
// → eye mask), except words that say what to do ("wash" of "Washed Linen
// Shirt").
func (e *Engine) namedKinds(ctx context.Context, q *question, vocab *retrieval.Vocabulary) map[string]bool {
	titles := e.productWords(ctx, q.site)
	names := func(t string) bool { return titles[t] && kindWord(t) }
	text := q.text + "\n" + q.context
	named := map[string]bool{}
	for t := range vocab.TermSet(text) {
		if names(t) {
			named[t] = true
		}
	}
	// Each word that names a product, in either language, with the other
	// language's words for it: 羊毛 (wool) names the merino throw and a
	// Chinese care page's 羊毛 section; a Chinese title's 眼罩 is an English
	// page's "mask".
	for t := range retrieval.TermSet(text) {
		alts := vocab.TermSet(t)
		if !kindWord(t) || !anyKey(alts, names) {
			continue
		}
		for u := range alts {
			if kindWord(u) {
				named[u] = true
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(named)) { // (named grows in the loop)
		for u := range vocab.TermSet(t) {
			if kindWord(u) {
				named[u] = true
			}
		}
	}
	// … and a phrase of the message that names one (竹收纳盒's 收纳盒:
	// "storage box").
	for _, x := range vocab.Expand(text) {
		if !anyKey(retrieval.TermSet(x.Phrase), func(t string) bool { return named[t] }) {
			continue
		}
		for _, term := range x.Terms {
			for _, u := range retrieval.SearchTerms(term) {
				if kindWord(u) {
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

// anyKey reports whether f holds for a key of m.
func anyKey(m map[string]bool, f func(string) bool) bool {
	for k := range m {
		if f(k) {
			return true
		}
	}
	return false
}

// kindWord reports whether a search term may name a kind of product: not
// a care action's word, nor one Chinese character (丝 is in too many words
// to name silk).
func kindWord(t string) bool {
	if r, n := utf8.DecodeRuneInString(t); retrieval.IsCJK(r) && n == len(t) {
		return false
	}
	return !actionTerm(t)
}

// actionTerm reports whether a search term is a care action's word: in a
// question it says what to do, not which product ("wash" of "Washed Linen
// Shirt" does not name the shirt).
func actionTerm(t string) bool { return actionTerms[t] }
