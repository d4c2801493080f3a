package chat

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"kefu/intents"
	"kefu/knowledge"
	"kefu/retrieval"
)

// Offline answers lead with the part of a passage that answers: a sentence,
// a list item or a table row (with its column names), chosen by how much of
// the question it covers together with its passage's heading, instead of
// the whole chunk.

// unit is one answerable piece of a passage.
type unit struct {
	text  string // as shown to the shopper
	match string // what is matched against the question (a row: its header too)
	line  int    // the passage line it comes from, for keeping order
	row   bool
	item  bool // a list item
}

// maxExtract bounds an offline answer's quoted text (characters).
const maxExtract = 320

// sentenceSep joins two sentences of one paragraph: a space after a Latin
// full stop, nothing after a Chinese one.
func sentenceSep(prev string) string {
	if r, _ := utf8.DecodeLastRuneInString(prev); retrieval.IsCJK(r) || r >= 0x3000 && r <= 0x303f || r >= 0xff00 {
		return ""
	}
	return " "
}

// units splits a passage into sentences, list items and table rows.
func units(text string) []unit {
	var out []unit
	lines := strings.Split(text, "\n")
	header, inTable := "", false
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			header, inTable = "", false
			continue
		}
		if strings.Count(l, " | ") >= 1 {
			// A table's first line names its columns, unless the passage
			// starts inside a table (its header is in the chunk before):
			// a line with figures is a row, shown without column names.
			if !inTable && !strings.ContainsAny(l, "0123456789") {
				header, inTable = l, true
				continue
			}
			inTable = true
			out = append(out, unit{text: renderRow(header, l), match: strings.TrimSpace(l + "\n" + header), line: i, row: true})
			continue
		}
		header, inTable = "", false
		if strings.HasPrefix(l, "- ") || isNumbered(l) {
			out = append(out, unit{text: l, match: l, line: i, item: true})
			continue
		}
		for _, s := range sentences(l) {
			out = append(out, unit{text: s, match: s, line: i})
		}
	}
	return out
}

func isNumbered(l string) bool {
	i := 0
	for i < len(l) && l[i] >= '0' && l[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(l) && l[i] == '.' && l[i+1] == ' '
}

// cellSep separates the cells of a table row as renderRow writes it.
const cellSep = " · "

// renderRow writes a table row with its column names: "Destination: Canada ·
// Cost: $12.95 · …", keeping every cell as written.
func renderRow(header, row string) string {
	names := strings.Split(header, " | ")
	cells := strings.Split(row, " | ")
	var parts []string
	for i, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if i < len(names) && strings.TrimSpace(names[i]) != "" {
			parts = append(parts, strings.TrimSpace(names[i])+": "+c)
		} else {
			parts = append(parts, c)
		}
	}
	return strings.Join(parts, cellSep)
}

// sentences splits a paragraph after . ! ? followed by a space, and after
// 。！？；.
func sentences(p string) []string {
	var out []string
	rs := []rune(p)
	start := 0
	for i, r := range rs {
		end := false
		switch r {
		case '。', '！', '？', '；':
			end = true
		case '.', '!', '?':
			end = i+1 == len(rs) || (unicode.IsSpace(rs[i+1]) && i+2 < len(rs) && !unicode.IsLower(rs[i+2]) && !abbreviation(rs[:i+1]))
		}
		if end {
			if s := strings.TrimSpace(string(rs[start : i+1])); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(string(rs[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

// abbreviation reports whether text ends with a short abbreviation ("e.g.",
// "P.O.", "approx.") rather than a sentence.
func abbreviation(text []rune) bool {
	j := len(text) - 1
	for j > 0 && !unicode.IsSpace(text[j-1]) {
		j--
	}
	w := strings.ToLower(string(text[j:]))
	switch w {
	case "e.g.", "i.e.", "etc.", "approx.", "p.o.", "no.", "vs.", "mr.", "ms.", "dr.", "st.":
		return true
	}
	return len([]rune(w)) <= 2 // "U.", single initials
}

// questionWords are the stems of words that ask rather than say what about.
var questionWords = map[string]bool{
	"how": true, "mani": true, "much": true, "long": true, "what": true, "whi": true, "when": true, "where": true, "which": true,
	"who": true, "can": true, "could": true, "would": true, "pleas": true, "pls": true, "plz": true, "thank": true, "thx": true,
	"hi": true, "hello": true, "hey": true, "need": true, "want": true, "know": true, "tell": true, "get": true, "ok": true,
	"okay": true, "also": true, "still": true, "anyth": true, "someth": true, "anyon": true, "u": true, "ur": true, "im": true,
	"ive": true, "dont": true, "doe": true, "ani": true, "possibl": true, "help": true, "question": true, "like": true, "just": true,
	"realli": true, "actual": true, "right": true, "now": true, "yet": true, "lol": true, "guy": true,
	"give": true, "take": true, "bring": true, "use": true, "got": true, "make": true, "put": true, "go": true, "come": true, "let": true, "see": true,
	"ever": true, "say": true, "said": true, "think": true, "wonder": true, "ask": true, "mean": true, "sure": true, "happen": true,
	// fillers: contractions without their apostrophe, chat words, vague nouns
	"ill": true, "id": true, "youll": true, "youv": true, "theyr": true, "wed": true, "tho": true, "though": true, "anymor": true,
	"alreadi": true, "till": true, "until": true, "stuff": true, "thing": true, "fine": true, "gonna": true, "wanna": true,
	"kinda": true, "sorta": true, "bit": true, "lot": true, "wtf": true, "omg": true, "btw": true, "definit": true, "basic": true,
	"total": true, "whole": true, "anyway": true, "mayb": true, "probabl": true, "min": true, "late": true, "reach": true,
	"w": true, "n": true, "rn": true, "idk": true, "cuz": true, "coz": true, "ya": true, // with, and, right now …
}

// cjkFillers are Chinese words that say when or how much in passing, not
// what a question is about.
var cjkFillers = map[string]bool{"已经": true, "之后": true, "以后": true, "现在": true, "一下": true, "的话": true, "时候": true, "啥时候": true,
	"东西": true, "期间": true, "还会": true, "还能": true, "可以": true, "应该": true, "一直": true, "一般": true, "马上": true, "刚才": true, "然后": true}

// cjkQuestion are Chinese characters that ask rather than name (besides
// intents.CJKFunction's grammar).
const cjkQuestion = "几多少什怎哪谁为到用跟一下"

func isFunctionChar(r rune) bool {
	return strings.ContainsRune(intents.CJKFunction, r) || strings.ContainsRune(cjkQuestion, r)
}

func isCJKUnigram(t string) bool {
	rs := []rune(t)
	return len(rs) == 1 && retrieval.IsCJK(rs[0])
}

// englishOnly reports whether a passage is written without Chinese.
func englishOnly(text string) bool {
	for _, r := range text {
		if retrieval.IsCJK(r) {
			return false
		}
	}
	return true
}

// pointsBack reports whether a sentence starts by pointing at the one
// before it ("This can take …", "这需要 …"): it finishes that sentence.
func pointsBack(s string) bool {
	for _, w := range []string{"This ", "That ", "These ", "Those ", "It ", "这", "此"} {
		if strings.HasPrefix(s, w) {
			return true
		}
	}
	return false
}

// backSlack is how far a sentence that points back may take an extract
// past maxExtract.
const backSlack = 80

// extract is the part of a search result that answers a question.
type extract struct {
	hit      knowledge.Hit
	rank     int     // of the hit, from 1
	text     string  // the chosen units, in passage order
	coverage float64 // of the question, by the units and their heading
	focus    bool    // the units (with the heading) cover the question's main word
	units    int
	item     bool            // it starts with a list item
	own      float64         // coverage by the quoted part alone (without the heading)
	topTwo   float64         // share of the question's two weightiest concepts covered
	terms    map[string]bool // search terms of the units and their heading
}

// concepts are a question's words weighted for judging an answer: by how
// rare each is on the site, nothing for words that ask ("how long",
// "能不能") or only say when ("monday"), and less for products the
// shopper mentions in passing ("returned the lamp …": the policy does not
// name the lamp).
type concepts []weightedConcept

type weightedConcept struct {
	retrieval.Concept
	w       float64
	focus   bool // may be the question's main word
	product bool // a word of the catalog's product titles
	place   bool // a word of a place's name ("sao" of "sao paulo")
}

// productMentionWeight is how much a word of the catalog's product titles
// counts in a policy question; questionWeight how much a word that asks
// ("how long", "多久") counts: a little, since its synonyms ("business
// days") tell which sentence answers.
const (
	productMentionWeight = 0.3
	questionWeight       = 0.2
)

// questionConcepts weighs the words of a question (Chinese split into
// words, not bigrams) and of the follow-up context the search used.
func questionConcepts(res *knowledge.SearchResult, text string, productWords map[string]bool) concepts {
	byTerm := map[string]retrieval.Concept{}
	for _, c := range res.Concepts {
		if _, ok := byTerm[c.Term]; !ok || c.Weight > byTerm[c.Term].Weight {
			byTerm[c.Term] = c
		}
	}
	var out concepts
	seen := map[string]bool{}
	words := retrieval.Words(text)
	inPlace := placeWords(words)
	for i, w := range words {
		terms := retrieval.WordTerms(text, w)
		if len(terms) == 0 || seen[w.Text] {
			continue
		}
		seen[w.Text] = true
		if !w.CJK {
			c, ok := byTerm[terms[0]]
			if !ok {
				continue
			}
			wc := weightedConcept{Concept: c, w: c.IDF, focus: true}
			switch {
			case timeWords[c.Term]:
				wc.w, wc.focus = 0, false
			case questionWords[c.Term]:
				wc.w, wc.focus = c.IDF*questionWeight, false
			case productWords[c.Term] && len(c.Alts) == 0 && !participle(text, words, i, productWords):
				wc.w, wc.focus, wc.product = c.IDF*productMentionWeight, false, true
			case inPlace[i]:
				wc.focus, wc.place = false, true // where the shopper is picks a row; it is not what they ask
			}
			out = append(out, wc)
			continue
		}
		// A Chinese word is covered when all its bigrams are (or its one
		// character), or one of its synonyms.
		required := cjkRequired(w.Text)
		c := retrieval.Concept{Term: w.Text, Weight: 1, Known: true}
		for _, t := range required {
			tc, ok := byTerm[t]
			if !ok {
				continue
			}
			c.IDF = max(c.IDF, tc.IDF)
			c.Known = c.Known && tc.Known
			c.Alts = append(c.Alts, tc.Alts...)
		}
		if len(required) > 1 || len([]rune(w.Text)) == 2 {
			c.Alts = append(c.Alts, required) // all its bigrams together
			c.Term = "\x00" + w.Text          // never a term of its own
		} else {
			c.Term = required[0]
		}
		wc := weightedConcept{Concept: c, w: c.IDF, focus: true}
		switch {
		case timeWords[w.Text]:
			wc.w, wc.focus = 0, false
		case functionWord(w.Text) || cjkFillers[w.Text]:
			wc.w, wc.focus = c.IDF*questionWeight, false
		case len([]rune(w.Text)) == 1:
			wc.focus = false
		case isProductWord(w.Text, required, productWords):
			wc.w, wc.focus, wc.product = c.IDF*productMentionWeight, false, true // 收纳盒 of 竹制收纳盒三件套
		case i+1 < len(words) && words[i+1].CJK && words[i+1].Start == w.End && len([]rune(words[i+1].Text)) > 1 &&
			isProductWord(words[i+1].Text, cjkRequired(words[i+1].Text), productWords):
			// what the product is made of, said with it (真丝 of 真丝眼罩)
			wc.w, wc.focus, wc.product = c.IDF*productMentionWeight, false, true
		case inPlace[i]:
			wc.focus, wc.place = false, true
		}
		out = append(out, wc)
	}
	for _, c := range res.Concepts { // a follow-up's context
		if c.Weight < 1 && !isCJKUnigram(c.Term) {
			out = append(out, weightedConcept{Concept: c, w: c.IDF * c.Weight})
		}
	}
	return out
}

// isProductWord reports whether a Chinese word (whose required terms are
// its bigrams, or itself) is a word of the catalog's product titles.
func isProductWord(word string, required []string, productWords map[string]bool) bool {
	return productWords[word] || len(required) > 1 && !slices.ContainsFunc(required, func(t string) bool { return !productWords[t] })
}

// cjkRequired are the terms a Chinese word must have to be covered: its
// bigrams when it is longer than two characters, else itself (simplified,
// as search terms are).
func cjkRequired(word string) []string {
	if len([]rune(word)) > 2 {
		return bigrams(word)
	}
	return []string{retrieval.Simplified(word)}
}

// placeWords marks the words that name a place, alone ("spain", "悉尼") or
// with their neighbours ("sao paulo").
func placeWords(words []retrieval.Word) []bool {
	out := make([]bool, len(words))
	for i, w := range words {
		if retrieval.IsPlace(w.Text) {
			out[i] = true
		}
		for n := 2; n <= maxPlaceWords && i+n <= len(words); n++ {
			texts := make([]string, n)
			for j := range texts {
				texts[j] = words[i+j].Text
			}
			if retrieval.IsPlacePhrase(texts...) {
				for j := i; j < i+n; j++ {
					out[j] = true
				}
			}
		}
	}
	return out
}

// maxPlaceWords is the most words a place name has ("san jose costa rica").
const maxPlaceWords = 4

// participle reports whether the English word words[i] is a verb form
// ("covered", "charging") that is not followed by another product word:
// "is that covered", "stopped charging" say what happened, not which
// product ("Duvet Cover", "Charging Stand"), while "quilted jacket" names
// one.
func participle(text string, words []retrieval.Word, i int, productWords map[string]bool) bool {
	w := words[i].Text
	if !strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "ing") {
		return false
	}
	if i+1 < len(words) && !words[i+1].CJK {
		if next := retrieval.WordTerms(text, words[i+1]); len(next) > 0 && productWords[next[0]] {
			return false
		}
	}
	return true
}

// foreignTo reports whether a text in Chinese (chinese) or not cannot
// have c for its language: a Chinese word without an English synonym for
// an English text, an English word without a Chinese synonym for a Chinese
// one (a product's name, a place and a number are written alike in both).
func (c weightedConcept) foreignTo(chinese bool) bool {
	t := strings.TrimPrefix(c.Term, "\x00")
	if strings.ContainsFunc(t, retrieval.IsCJK) == chinese || chinese && (c.product || retrieval.IsPlaceTerm(t) || isNumberTerm(t)) {
		return false
	}
	for _, alt := range c.Alts {
		for _, a := range alt {
			if strings.ContainsFunc(a, retrieval.IsCJK) == chinese {
				return false // a synonym in the text's language
			}
		}
	}
	return true
}

// unseenWeight is how much a word the site never uses counts in coverage
// (chosen on the development questions: 0.3 gets 0.541 of them right
// against 0.518 at 1, with as many wrong; 0 answers more out-of-scope ones).
const unseenWeight = 0.3

// functionWord reports whether a Chinese word only asks or joins (什么,
// 可以, 多久 …): every character is a function or question character, or it
// asks A-not-A (行不行, 好不好).
func functionWord(w string) bool {
	if rs := []rune(w); len(rs) == 3 && rs[1] == '不' && rs[0] == rs[2] {
		return true
	}
	for _, r := range w {
		if !isFunctionChar(r) && !strings.ContainsRune("久么样吗啥咋", r) {
			return false
		}
	}
	return true
}

// coverage is the weighted share of the concepts that text covers. A word
// the site never uses (nor a synonym of it) counts unseenWeight of its
// weight: no passage can cover it, and its high IDF would otherwise make
// every passage look as if it missed most of the question ("do u restock
// stuff that sold out or is it gone forever"). So does a word the text
// cannot have for its language (foreignTo): "cookies 可以关吗 我在 paris" is
// answered by an English-only page, which cannot say 可以关.
func (cs concepts) coverage(text string) float64 {
	terms := retrieval.TermSet(text)
	covered, total := 0.0, 0.0
	chinese := strings.ContainsFunc(text, retrieval.IsCJK)
	for _, c := range cs {
		w := c.w
		if !c.Known && len(c.Alts) == 0 || c.foreignTo(chinese) {
			w *= unseenWeight
		}
		total += w
		if c.Covers(terms) {
			covered += w
		}
	}
	if total == 0 {
		return 0
	}
	return covered / total
}

// focus is the question's main word: its weightiest concept that can carry
// the topic. A passage that does not cover it (or a synonym) does not answer
// the question ("engrave my walnut board" is not answered by the board's care
// instructions).
func (cs concepts) focus() (weightedConcept, bool) {
	best, ok := weightedConcept{}, false
	for _, c := range cs {
		if c.focus && c.w > 0 && (!ok || c.w > best.w) {
			best, ok = c, true
		}
	}
	return best, ok
}

// timeWords only say when.
var timeWords = map[string]bool{
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
	"yesterday": true, "today": true, "tomorrow": true, "tonight": true, "week": true, "ago": true, "last": true, "month": true,
	"morn": true, "afternoon": true, "earlier": true, "recent": true, "sinc": true,
	"昨天": true, "今天": true, "明天": true, "上周": true, "前天": true, "刚才": true, "之前": true, "上个": true, "星期": true, "周一": true,
}

// candidate is one way to answer from a passage: a unit with what follows
// it (an extract), and the signals the answer model weighs (unitInputs).
type candidate struct {
	x    extract
	in   []float64
	p    float64 // the answer model's probability that the extract answers
	held int     // a table row: the question's measurements it holds (measuresHeld)
	// named: its row or item is for what the shopper names: labelled with
	// their place ("- United States: …" for Ohio) or a name the question
	// has ("- USPS: …", namesLabel), or an item about the product they name
	// (namesProduct), or a table row whose cells name that product and that
	// covers what is asked about it, or any unit of a section headed with
	// their place ("Customers in the EU and UK" for Lyon).
	named bool
	// floor: how likely a named unit must be to be taken as placeRowProb:
	// placeFloor; productRowFloor for a row named by the product;
	// placeSectionFloor for a section headed with the place; none for an
	// item on the product under a heading with the question's words
	// (asksOf).
	floor float64
}

// extractCandidates returns, for each of the top maxHits hits, every unit
// with the units that follow it as an extract, and the answer model's
// inputs for each.
func extractCandidates(res *knowledge.SearchResult, cs concepts, q string, maxHits int, vec vectorizer) []candidate {
	focus, hasFocus := cs.focus()
	places := cs.places()
	asked := asks(q)
	nums := numbers(q)
	qTerms := retrieval.TermSet(q)
	rTerms := rangeTerms(q, qTerms)
	var qv []float32
	if vec != nil {
		qv = vec.Vector(q)
	}
	total, unseen := 0.0, 0.0
	for _, c := range cs {
		total += c.w
		if !c.Known && len(c.Alts) == 0 {
			unseen += c.w
		}
	}
	if total > 0 {
		unseen /= total
	}
	var out []candidate
	for hi, h := range res.Hits {
		if hi >= maxHits {
			break
		}
		us := units(h.Text)
		// An FAQ row's text starts with its question (its heading): the
		// answer is what follows.
		if q := lastHeading(h.Heading); len(us) > 1 && strings.TrimSpace(us[0].text) == q {
			us = us[1:]
		}
		if len(us) == 0 {
			continue
		}
		head := h.Heading + " " + h.Title
		// A document's introduction (its title is the chunk's only
		// heading, and other sections follow) says what the page covers,
		// rarely the answer.
		intro := 1.0
		if !strings.Contains(h.Heading, " > ") && !strings.Contains(h.Source, "#") && !h.Whole {
			intro = introWeight
		}
		headCov := cs.coverage(head)
		hitCov := cs.coverage(head + "\n" + h.Text)
		type scored struct {
			u             unit
			cov, own, rng float64
			held          int // measurements of the question the row holds
		}
		ss := make([]scored, len(us))
		for i, u := range us {
			ss[i] = scored{u, cs.coverage(head+"\n"+u.match) * intro, cs.coverage(u.match), 0, 0}
			if len(nums) > 0 && u.row {
				ss[i].rng = inRange(nums, u.text, rTerms)
				if ss[i].rng == 1 {
					ss[i].held = measuresHeld(nums, u.text, rTerms)
				}
			}
		}
		for top := range ss {
			chosen := []scored{ss[top]}
			// rows that match as well (the same destination by two carriers;
			// not the other sizes when the question's measurement picks one)
			for i, s := range ss {
				if i != top && len(chosen) < 3 && s.u.row && ss[top].u.row && s.cov >= ss[top].cov && s.own >= ss[top].own && s.rng >= ss[top].rng && s.held >= ss[top].held {
					chosen = append(chosen, s)
				}
			}
			// A sentence or list item comes with what follows it in its
			// paragraph or list (the answer often spans two or three), up to
			// maxExtract characters.
			if !ss[top].u.row {
				size := utf8.RuneCountInString(ss[top].u.text)
				// A sentence that introduces a list ("… contact us with:")
				// brings the whole list, not its first items.
				limit := 3
				if introducesList(ss[top].u.text) {
					limit = len(ss)
				}
				for j := top + 1; j < len(ss); j++ {
					prev, next := ss[j-1].u, ss[j].u
					// A sentence that points back ("This can take up to 2
					// business days.") finishes the one before it.
					back := next.line == prev.line && pointsBack(next.text)
					if len(chosen) >= limit && !back {
						break
					}
					// the same paragraph or list, or the list a sentence
					// introduces ("… contact us with:")
					sameBlock := next.line == prev.line || (next.line == prev.line+1 && next.item && prev.item) ||
						next.item && next.line <= prev.line+2 && introducesList(prev.text)
					size += utf8.RuneCountInString(next.text)
					if !sameBlock || next.row || size > maxExtract && !(back && size <= maxExtract+backSlack) {
						break
					}
					chosen = append(chosen, ss[j])
				}
			}
			var texts, matches []string
			for i, s := range chosen {
				if i > 0 && s.u.line == chosen[i-1].u.line {
					texts[len(texts)-1] += sentenceSep(texts[len(texts)-1]) + s.u.text
				} else {
					texts = append(texts, s.u.text)
				}
				matches = append(matches, s.u.match)
			}
			// A sentence that introduces what it does not bring along ("Tracking
			// numbers look like this:" before a table) answers nothing.
			if introducesList(chosen[len(chosen)-1].u.text) {
				continue
			}
			x := extract{hit: h, rank: hi + 1, text: strings.Join(texts, "\n"), units: len(chosen), own: ss[top].own, item: ss[top].u.item}
			covered := head + "\n" + strings.Join(matches, "\n")
			x.coverage = cs.coverage(covered) * intro
			x.terms = retrieval.TermSet(covered)
			x.focus = !hasFocus || focus.Covers(x.terms)
			x.topTwo = cs.topTwo(x.terms)
			quoted := strings.Join(matches, "\n")
			in := make([]float64, len(unitInputs))
			in[0] = res.Confidence
			in[1] = b2f(hi == 0)
			in[2] = 1 / float64(hi+1)
			in[3] = h.Score - res.Hits[0].Score
			in[4] = x.coverage
			in[5] = x.own
			in[6] = b2f(x.focus)
			in[7] = x.topTwo
			in[8] = unseen
			in[9] = headCov
			in[10] = hitCov
			in[11] = b2f(top == 0)
			if asked != 0 {
				// "We don't offer phone support" answers "whats ur phone
				// number" without stating one.
				if asked&answerTypes(quoted) != 0 || deniesOffer.MatchString(quoted) {
					in[12] = 1
				} else {
					in[13] = 1
				}
			}
			if ss[top].u.row {
				in[14] = ss[top].rng // its companions are other sizes
			} else if len(nums) > 0 {
				in[14] = inRange(nums, x.text, rTerms)
			}
			in[15] = b2f(ss[top].u.row)
			in[16] = b2f(intro < 1)
			in[17] = b2f(ss[top].u.item)
			faq := top == 0 && asksQuestion(h.Heading)
			if qv != nil {
				in[18] = cosine32(qv, vec.Vector(head+"\n"+quoted))
				// The start of an FAQ's answer is as near the question as
				// the FAQ's own question is: that is what it answers.
				if faq {
					in[18] = max(in[18], cosine32(qv, vec.Vector(lastHeading(h.Heading))))
				}
			}
			if faq {
				in[20] = headCov
			}
			label := unitLabel(ss[top].u)
			c := candidate{x: x, in: in, held: ss[top].held, floor: placeFloor}
			switch u := ss[top].u; {
			case names(places, label) || namesLabel(qTerms, label):
				c.named = true
			case u.item && namesProduct(cs, productSubject(u), head):
				c.named = true
				if cs.asksOf(h.Heading) {
					c.floor = 0
				}
			case u.row && x.focus && namesProduct(cs, productSubject(u), head):
				c.named, c.floor = true, productRowFloor
			case names(places, lastHeading(h.Heading)):
				c.named, c.floor = true, placeSectionFloor
			}
			out = append(out, c)
		}
	}
	// Each candidate next to the best of the others: what matters is often
	// not how well an extract covers the question but whether another
	// covers it better.
	for _, g := range gapInputs {
		best := math.Inf(-1)
		for _, c := range out {
			best = max(best, c.in[g.of])
		}
		for _, c := range out {
			c.in[g.gap] = c.in[g.of] - best
		}
	}
	return out
}

// wholeSection is the text of a section found as one passage, written as
// extracts are (table rows with their column names), when it is at most
// maxSection characters.
func wholeSection(hits []knowledge.Hit) (string, bool) {
	if len(hits) != 1 {
		return "", false
	}
	h := hits[0]
	us := units(h.Text)
	if q := lastHeading(h.Heading); len(us) > 1 && strings.TrimSpace(us[0].text) == q {
		us = us[1:]
	}
	var b strings.Builder
	for i, u := range us {
		switch {
		case i == 0:
		case u.line == us[i-1].line:
			b.WriteString(sentenceSep(us[i-1].text))
		case u.line > us[i-1].line+1: // a new paragraph
			b.WriteString("\n\n")
		default:
			b.WriteString("\n")
		}
		b.WriteString(u.text)
	}
	if b.Len() == 0 || utf8.RuneCountInString(b.String()) > maxSection {
		return "", false
	}
	return b.String(), true
}

// maxSection bounds a section quoted whole (characters).
const maxSection = 600

// quoted is the extract as a reply quotes it: list items after the heading
// they sit under, which they often need to be read right ("What is not
// covered:" before "- Accidental damage such as drops…"), unless the heading
// is an FAQ's question.
func (x extract) quoted() string {
	h := lastHeading(x.hit.Heading)
	if !x.item || h == "" || asksQuestion(x.hit.Heading) || strings.Contains(x.text, h) {
		return x.text
	}
	colon := ":"
	if r, _ := utf8.DecodeLastRuneInString(h); retrieval.IsCJK(r) {
		colon = "："
	}
	return h + colon + "\n" + x.text
}

// introducesList reports whether a sentence ends by introducing what follows.
func introducesList(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasSuffix(s, ":") || strings.HasSuffix(s, "：")
}

// asksQuestion reports whether a heading path's last heading is a question
// (an FAQ's "How long does shipping take?").
func asksQuestion(heading string) bool {
	h := lastHeading(heading)
	return strings.HasSuffix(h, "?") || strings.HasSuffix(h, "？") || strings.HasSuffix(h, "吗")
}

// vectorizer embeds a text in-process (the built-in embedders): cheap
// enough to compare a question with each candidate extract.
type vectorizer interface {
	Vector(text string) []float32
}

func cosine32(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// unitInputs name the answer model's inputs, in order (extractCandidates
// computes them).
var unitInputs = []string{
	"retrieval",    // the search's calibrated confidence in its best passage
	"rank1",        // the passage is the search's best
	"inv_rank",     // 1 / the passage's rank
	"lead",         // the passage's reranker score − the best passage's
	"coverage",     // weighted share of the question the extract and its heading cover
	"own",          // … that the first unit covers alone
	"focus",        // the extract covers the question's main word
	"top_two",      // share of the question's two weightiest words it covers
	"unseen",       // share of the question's weight in words the site never uses
	"heading",      // share of the question the passage's heading covers
	"passage",      // share of the question the whole passage covers
	"first",        // the extract starts the passage
	"type_match",   // the question asks for a kind of fact (a duration, an amount …) and the extract has one
	"type_miss",    // the question asks for a kind of fact and the extract has none
	"in_range",     // a range in the extract holds a number of the question
	"row",          // the extract is a table row
	"intro",        // the passage is a document's introduction
	"item",         // the extract starts with a list item
	"similarity",   // cosine similarity of the question and the extract with its heading (built-in embedder)
	"sim_gap",      // similarity − the best candidate's
	"faq_answer",   // the extract starts the answer under a heading that asks a question: the heading's coverage
	"coverage_gap", // coverage − the best candidate's
	"own_gap",      // own − the best candidate's
	"passage_gap",  // passage − the best candidate's
	"heading_gap",  // heading − the best candidate's
	"top_two_gap",  // top_two − the best candidate's
}

// gapInputs are the inputs that say how far a candidate is from the best
// one, as unitInputs' indexes of the input and of its gap.
var gapInputs = func() []struct{ of, gap int } {
	var out []struct{ of, gap int }
	for _, p := range [][2]string{{"similarity", "sim_gap"}, {"coverage", "coverage_gap"}, {"own", "own_gap"}, {"passage", "passage_gap"},
		{"heading", "heading_gap"}, {"top_two", "top_two_gap"}} {
		out = append(out, struct{ of, gap int }{slices.Index(unitInputs, p[0]), slices.Index(unitInputs, p[1])})
	}
	return out
}()

// rowInput, coverageInput and coverageGapInput are unitInputs' indexes of
// those inputs.
var (
	rowInput         = slices.Index(unitInputs, "row")
	coverageInput    = slices.Index(unitInputs, "coverage")
	coverageGapInput = slices.Index(unitInputs, "coverage_gap")
)

// bestExtract scores every candidate with the answer model and returns the
// likeliest (and all of them, for explaining).
func bestExtract(res *knowledge.SearchResult, cs concepts, q string, maxHits int, vec vectorizer) (candidate, []candidate, bool) {
	cands := extractCandidates(res, cs, q, maxHits, vec)
	if len(cands) == 0 {
		return candidate{}, nil, false
	}
	m := defaultAnswerModel()
	best, named := 0, -1
	for i := range cands {
		c := &cands[i]
		c.p = m.prob(c.in)
		// A table row whose named column holds the shopper's measurement
		// ("hips are 40 inches": Hips 98–104 (38.5–41)) answers, however
		// the rest of its passage scores; the row that holds the most of
		// the measurements given is the one.
		if c.held > 0 {
			c.p = max(c.p, measuredRowProb)
		}
		b := cands[best]
		if c.held > b.held || c.held == b.held && c.p > b.p {
			best = i
		}
		if c.named && (named < 0 || c.p > cands[named].p) {
			named = i
		}
	}
	asked := asks(q)
	if named >= 0 && takesNamed(cands[best], cands[named], asked) {
		best = named
	}
	best = statesAsked(cands, best, asked)
	best = focused(cands, best)
	best = headedSection(cands, q, best)
	best = unaskedQualifier(cands, cs, q, best)
	best = pastCheckout(cands, cs, best)
	best = withinPeriod(cands, cs, q, best)
	best = toTheDeadline(cands, q, best)
	best = reportedCase(cands, cs, q, best)
	best = arrivedDamaged(cands, q, best)
	// The row or item for where the shopper is (or for what they name),
	// chosen, answers what is asked about that place ("austin texas, how
	// long w regular shipping": the contiguous-states row) however few of
	// the question's other words it has.
	if c := &cands[best]; c.named && c.p >= c.floor {
		c.p = max(c.p, placeRowProb)
	}
	best = namedSection(cands, cs, best)
	capUnaskedRow(&cands[best], cs, asked)
	// A comparison with something else ("aura lamp 跟小米的床头灯比哪个好") is
	// not answered by a row or item that only names the product (the
	// warranty period of lamps).
	if comparesWithOther(q) && cands[best].forWhatIsNamed() {
		cands[best].p = min(cands[best].p, unaskedQualifierProb)
	}
	// "Do you sell iphone cases?" is not answered by a passage that lacks
	// a word of what the shopper wants ("we can sell spare parts such as
	// charging cases"), or that is not about selling ("你们卖 iPhone 吗":
	// Apple Pay on iPhone).
	if what, ok := asksIfSold(q); ok && !answersSold(lastHeading(cands[best].x.hit.Heading)+"\n"+cands[best].x.text, what, cs) {
		cands[best].p = min(cands[best].p, unaskedQualifierProb)
	}
	cands[best].x = withAskedRow(cands[best].x, cands, cs, asked)
	cands[best].x = withOtherStep(cands[best], cands, cs, asked)
	cands[best].x = withWhereToAsk(cands[best].x)
	cands[best].x = fromParagraphStart(cands[best].x)
	return cands[best], cands, true
}

// deniesOffer finds a sentence saying the shop does not offer, accept or
// do something: the answer to a question about it, though it states no
// figure ("We don't offer phone support", "不支持货到付款").
var deniesOffer = regexp.MustCompile(`(?i)\b(?:we|you) (?:don'?t|do not|can'?t|cannot|are not able to|aren'?t able to|no longer) (?:offer|accept|provide|support|sell|take|ship to|deliver to|have)\b|暂不支持|不支持|暂不提供|不提供|不接受|无法提供`)

// asksSold finds a question whether the shop sells something.
var asksSold = regexp.MustCompile(`(?i)\b(?:do|does) (?:you|u|ya)(?: guys)? (?:sell|carry)\b|卖不卖|有没有卖|你们卖|有卖`)

// asksIfSold reports whether q asks whether the shop sells something, and
// what: the words after the question up to the next punctuation ("iphone
// cases" of "do u sell iphone cases, what colours"). "How do you carry
// it" asks something else.
func asksIfSold(q string) (string, bool) {
	loc := asksSold.FindStringIndex(q)
	if loc == nil {
		return "", false
	}
	before := strings.Fields(strings.ToLower(q[:loc[0]]))
	if len(before) > 0 && slices.Contains([]string{"how", "why", "where", "when", "what", "which"}, before[len(before)-1]) {
		return "", false
	}
	what := q[loc[1]:]
	if end := strings.IndexAny(what, ",?!.;，？！。；"); end >= 0 {
		what = what[:end]
	}
	return what, true
}

// soldWords say that something is sold.
var soldWords = regexp.MustCompile(`(?i)\b(?:sell|sells|sold|carry|stock|range)\b|卖|出售|销售|有货`)

// answersSold reports whether text (an extract under its heading: "Do you
// sell gift cards?") says that something is sold, and has every word of
// what the question asks about (asksIfSold), read with the vocabulary's
// synonyms (cs).
func answersSold(text, what string, cs concepts) bool {
	if !soldWords.MatchString(text) {
		return false
	}
	terms := retrieval.TermSet(text)
	for t := range retrieval.TermSet(what) {
		if isCJKUnigram(t) {
			continue
		}
		i := slices.IndexFunc(cs, func(c weightedConcept) bool { return c.Term == t })
		if i >= 0 && !cs[i].Covers(terms) || i < 0 && !terms[t] {
			return false
		}
	}
	return true
}

// forWhatIsNamed reports whether c is a row or item chosen for what the
// shopper names (their place, a product, a carrier) or measures.
func (c candidate) forWhatIsNamed() bool { return c.named || c.held > 0 }

// takesNamed reports whether the row or list item for where the shopper
// is ("im in ohio": "- United States: … $6.95 is deducted"), or labelled
// with a name they give ("usps already has it": "- USPS: …"), or the item
// on the product they name, answers before the best extract, which names
// several places or none: when it is near as likely (placeMargin), or when
// it covers the question best of all candidates and the best one does not
// ("im in vancouver, whats it gonna cost me to send back a jacket i dont
// want anymore": the change-of-mind list's Canada item, not the first
// search result's size exchanges, which name Canada among others).
func takesNamed(best, named candidate, asked int) bool {
	if best.forWhatIsNamed() {
		return false
	}
	if named.p >= best.p-placeMargin {
		return true
	}
	if named.p >= best.p-summaryMargin && named.p >= named.floor && placesNamed(best.x.text) >= summaryPlaces {
		return true
	}
	return named.p >= named.floor && (named.in[coverageGapInput] == 0 && best.in[coverageGapInput] < 0 || statesOnly(named, best, asked))
}

// A summary across places (summaryPlaces or more: "中国大陆满 ¥299，港澳台满
// $69，美国本土满 $49 …") gives way to the row for the shopper's own place
// when that is at most summaryMargin less likely: "我在台北，寄过来运费多少？满多少
// 包邮" is answered with the Hong Kong, Macau and Taiwan row's cost and
// threshold, not with the thresholds of every region.
const (
	summaryPlaces = 3
	summaryMargin = 0.4
)

// placesNamed is how many different places text names.
func placesNamed(text string) int {
	seen := map[string]bool{}
	for _, w := range retrieval.Words(text) {
		if retrieval.IsPlace(w.Text) {
			seen[strings.ToLower(w.Text)] = true
		}
	}
	return len(seen)
}

// statesOnly reports whether a's extract states a kind of fact the
// question asks for (an amount, a duration …) and b's states none.
func statesOnly(a, b candidate, asked int) bool {
	return asked != 0 && figures(a.x.text)&asked != 0 && figures(b.x.text)&asked == 0
}

// figures is answerTypes with an amount only as a figure ("¥12", "$6.95"),
// not as "free": "服饰第一次换尺码免费" does not say what a return costs.
func figures(text string) int {
	t := answerTypes(text) &^ factAmount
	if priceRE.MatchString(text) {
		t |= factAmount
	}
	return t
}

// pricePattern is an amount as a figure: a currency and a number.
const pricePattern = `[$¥€£]\s?\d|\d\s*(?:元|美元|欧元|usd|eur|gbp|dollars?)\b`

var priceRE = regexp.MustCompile(`(?i)` + pricePattern)

// statesAsked is the candidate to answer from when the best one states
// none of the kinds of fact the question asks for: the likeliest that
// states one, covers as much of the question and is near as likely
// (askedMargin). "不想要了 退货的话顺丰上门取件多少钱？谁出" gets the
// change-of-mind list's "中国大陆：…运费（一般 ¥12–¥23）", not the FAQ's
// summary that says who pays but not how much.
func statesAsked(cands []candidate, best, asked int) int {
	b := cands[best]
	if b.forWhatIsNamed() {
		return best
	}
	return giveWay(cands, best, askedMargin, func(c candidate) bool {
		return statesOnly(c, b, asked) && c.in[coverageInput] >= b.in[coverageInput]
	})
}

// giveWay is the likeliest candidate other than best that takes (a
// reason to answer instead of best) and is at most margin less likely
// than best; best when there is none.
func giveWay(cands []candidate, best int, margin float64, takes func(candidate) bool) int {
	n := best
	for i, c := range cands {
		if i != best && c.p >= cands[best].p-margin && takes(c) && (n == best || c.p > cands[n].p) {
			n = i
		}
	}
	return n
}

// focused is the candidate to answer from when the best one lacks the
// question's main word (its focus): the likeliest near as likely
// (focusMargin) that has it and covers as much of the question.
// "注册完一直没点激活邮件，链接多久失效" gets "注册后会收到一封确认邮件，请在
// 48 小时内点击链接激活账户", not the password reset link's 60 minutes.
func focused(cands []candidate, best int) int {
	b := cands[best]
	if b.x.focus || b.forWhatIsNamed() {
		return best
	}
	if n := giveWay(cands, best, focusMargin, func(c candidate) bool {
		return c.x.focus && c.in[coverageInput] >= b.in[coverageInput]
	}); n != best {
		return n
	}
	return giveWay(cands, best, ownFocusMargin, func(c candidate) bool {
		return c.x.focus && c.x.own >= b.in[coverageInput]+ownFocusLead
	})
}

// ownFocusMargin is how much less likely than a best extract without the
// question's focus one may be that has it and whose quoted part alone
// covers ownFocusLead more of the question than the best one with its
// heading: "能用比特币付款吗" is not answered by "用人民币付款吗？" (0.81) but by
// "我们暂不支持…加密货币" (0.45). 0.25 was chosen with the answer model
// before its refit, which is surer of FAQ answers; 0.4 and 0.55 gained
// the same on the tuning files, and changed nothing on the validation
// files.
const (
	ownFocusMargin = 0.4
	ownFocusLead   = 0.2
)

// unaskedQualifier is the candidate to answer from when the best one is
// under a heading about a particular case (a problem with an item or a
// parcel, an exchange, what an order status means, a refused parcel,
// cancelling an order, China's fapiao) that the question does not raise,
// in its words or their synonyms: "东西不喜欢
// 能退吗 收到两周了" is a change of mind, not "破损、故障或发错货"; "do i have
// to pay for the return label?" is not about "Size exchanges on apparel".
// The likeliest candidate near as likely (qualifierMargin) whose heading
// is not about that case answers; with none, the best one is not likely
// enough to quote (unaskedQualifierProb). A case raised together with one
// it yields to counts as not raised, even for a unit named by the question
// ("says delivered but theres nothing at my door" is about a lost parcel,
// not the status delivered), and with nothing near as likely the section
// headed with the case it yields to answers (headedWith).
func unaskedQualifier(cands []candidate, cs concepts, q string, best int) int {
	b := cands[best]
	qs := qualifiers()
	// per case, read once the question's terms are needed: whether it
	// raises one the case yields to, and whether it does not ask the case
	var yields, unasked []bool
	unraised := func(c candidate) bool { // c is about a case the question does not raise
		for j, k := range qs {
			if unasked[j] && k.heads(c) {
				return true
			}
		}
		return false
	}
	for i, k := range qs {
		if !k.heads(b) {
			continue
		}
		if unasked == nil {
			asked := cs.terms() // the question's terms and its synonyms'
			for t := range retrieval.TermSet(q) {
				asked[t] = true
			}
			yields, unasked = make([]bool, len(qs)), make([]bool, len(qs))
			for j, k := range qs {
				yields[j] = hasTermsOf(asked, k.yieldsTo)
				unasked[j] = !hasTermsOf(asked, k.raised) || yields[j]
			}
		}
		if !unasked[i] || b.forWhatIsNamed() && !yields[i] {
			continue
		}
		n := giveWay(cands, best, qualifierMargin, func(c candidate) bool { return !unraised(c) })
		if n == best && yields[i] {
			n = headedWith(cands, k.yieldsTo)
		}
		if n < 0 || n == best {
			cands[best].p = min(cands[best].p, unaskedQualifierProb)
			return best
		}
		return n
	}
	return best
}

// headedWith is the likeliest candidate whose own heading has one of words,
// taken as placeRowProb ("says delivered but nothing at my door": the
// section on lost parcels, not what the status delivered means); -1 for
// none.
func headedWith(cands []candidate, words [][]string) int {
	n := -1
	for i, c := range cands {
		if hasTermsOf(headingTerms(c), words) && (n < 0 || c.p > cands[n].p) {
			n = i
		}
	}
	if n >= 0 {
		cands[n].p = max(cands[n].p, placeRowProb)
	}
	return n
}

// pastCheckout is the candidate to answer from when the question is
// asked after the order was placed ("need my company VAT number on the
// invoice, forgot to add it at checkout", "already ordered") and the best
// extract's section is about doing it at checkout: the likeliest extract
// of a section of the same document headed with what to do after
// ("Adding them after ordering"), however likely. With none, the best.
func pastCheckout(cands []candidate, cs concepts, best int) int {
	b := cands[best]
	// the heading first: the question's terms are gathered only for a
	// section about checkout
	if b.forWhatIsNamed() || !afterOrdering.heads(b) || headsAfter(b) || !hasTermsOf(cs.terms(), afterOrdering.raised) {
		return best
	}
	n := best
	for i, c := range cands {
		if c.x.hit.Source == b.x.hit.Source && headsAfter(c) && (n == best || c.p > cands[n].p) {
			n = i
		}
	}
	if n != best && cands[n].p >= pastCheckoutFloor {
		cands[n].p = max(cands[n].p, placeRowProb)
	}
	return n
}

// pastCheckoutFloor: the extract after checkout is taken to answer only
// when it is at least this likely.
const pastCheckoutFloor = 0.1

// afterOrdering is the checkout step as a heading names it, raised after
// it: the vocabulary gives "already ordered", "forgot to add …" and "忘了
// 填" the term "forgot".
var afterOrdering = qualifier{heading: wordsTerms([]string{"checkout", "结算", "下单时"}), raised: wordsTerms([]string{"forgot"})}

// afterRE finds a heading about what to do after a step ("after" is not a
// search term).
var afterRE = regexp.MustCompile(`(?i)\bafter\b|之后|以后|下单后|补开|过了`)

// headsAfter reports whether c's own heading is about what to do after.
func headsAfter(c candidate) bool { return afterRE.MatchString(lastHeading(c.x.hit.Heading)) }

// headingTerms are the search terms of c's own heading.
func headingTerms(c candidate) map[string]bool {
	return retrieval.TermSet(lastHeading(c.x.hit.Heading))
}

// qualifierMargin is how much less likely a candidate not about the case
// may be than the best one that is; unaskedQualifierProb is the most a
// section about a case the question does not raise is taken to answer it
// (under the default quoting threshold).
const (
	qualifierMargin      = 0.2
	unaskedQualifierProb = 0.35
)

// qualifier is a particular case a section can be about: the words with
// which its heading says so, and those with which a shopper raises it,
// more of them (a shopper's "flickers" or "掉色" is a problem no heading
// names). Each word is the search terms that must all be present.
type qualifier struct {
	heading, raised [][]string
	general         [][]string // a heading with one of these is about more than the case ("退换货", "Returns & exchanges")
	// yieldsTo: a question that raises the case with one of these words is
	// about that instead ("says delivered but nothing at my door" is about
	// a lost parcel, not what a status means)
	yieldsTo [][]string
}

// heads reports whether c's section is headed with the case.
func (k qualifier) heads(c candidate) bool {
	terms := headingTerms(c)
	return hasTermsOf(terms, k.heading) && !hasTermsOf(terms, k.general)
}

// yieldsTo is k with the words of the case a question raising it is about instead.
func yieldsTo(k qualifier, words ...string) qualifier {
	k.yieldsTo = wordsTerms(words)
	return k
}

// withGeneral is k with the words that make a heading about more than k.
func withGeneral(k qualifier, words ...string) qualifier {
	k.general = wordsTerms(words)
	return k
}

var qualifiers = sync.OnceValue(func() []qualifier {
	q := func(heading []string, raised ...string) qualifier {
		return qualifier{heading: wordsTerms(heading), raised: wordsTerms(append(slices.Clone(heading), raised...))}
	}
	return []qualifier{
		// a problem with an item or a parcel ("Wrong size?" is about
		// exchanges: "wrong" only raises one)
		q([]string{"damaged", "damage", "faulty", "fault", "defective", "broken", "broke", "lost", "missing", "delay", "delayed", "late",
			"cracked", "leaking", "stolen", "破损", "损坏", "坏了", "故障", "发错", "错货", "错发", "丢件", "丢了", "延误", "坏", "破", "碎", "裂"},
			"wrong", "dead", "died", "stopped", "flicker", "flickers", "chipped", "smashed", "shattered", "torn", "ripped",
			"hole", "stain", "stained", "faded", "fading", "pilling", "peeling", "scratched", "scratch", "dent", "dented", "bent", "split", "unravel", "frayed",
			"rust", "mould", "mold", "leak", "apart", "loose",
			"漏", "不亮", "没反应", "充不", "开线", "开胶", "掉色", "褪色", "起球", "划痕", "变形", "生锈", "发霉", "脱线", "断了", "没收到", "少了", "缺件", "不能用", "用不了", "没到", "没找到", "找不到"),
		// an exchange, not returns and exchanges ("退换货")
		withGeneral(q([]string{"exchange", "exchanges", "换货", "换尺码"},
			"size", "sizes", "fit", "fits", "swap", "switch", "small", "big", "bigger", "smaller", "larger", "tight", "loose", "尺码", "换", "大小", "合身", "码"),
			"return", "returns", "refund", "退"),
		// what an order's status means, unless the parcel is lost
		// (or names one: "it shipped, can i still cancel")
		yieldsTo(q([]string{"status", "statuses", "状态"}, "says", "say", "shows", "showing", "mean", "means", "meaning", "显示", "意思", "写着",
			"shipped", "processing", "已发货", "处理中"),
			"lost", "丢件", "丢了"),
		// a parcel refused at the door or sent back as undeliverable
		q([]string{"refused", "refuse", "undeliverable", "拒收", "无法派送"}, "refusing", "reject", "rejected", "不收", "拒签", "退回来了", "送不到"),
		// cancelling an order
		q([]string{"cancel", "cancelled", "cancelling", "cancellation", "取消"}, "撤销", "撤单", "退单", "不要了", "不想要", "改", "修改", "更改", "换", "change", "changing", "edit", "modify", "swap", "stop", "拦截", "mistake", "wrong", "错"),
		// what a warranty does not cover, for a question that raises no
		// warranty, claim or damage ("马克杯能放洗碗机和微波炉吗" is about
		// care, not "金边陶瓷放进微波炉" as damage the warranty excludes);
		// in English "not covered" is not told from "covered" by its terms
		q([]string{"不在保修范围"}, "保修", "质保", "保", "warranty", "guarantee", "covered", "cover", "claim", "repair", "修",
			"replace", "replacement", "坏", "裂", "摔", "碎", "damage", "damaged", "broke", "broken", "crack", "cracked", "drop", "dropped",
			"fault", "faulty", "defect", "defective", "accident", "accidental"),
		// China's invoices
		q([]string{"fapiao"}, "发票", "china", "chinese", "mainland", "中国", "大陆", "国内", "增值税", "专票", "普票", "税号"),
	}
})

// wordsTerms are the search terms each word must have: a Chinese word's
// bigrams (or its one character), an English word's stem.
func wordsTerms(words []string) [][]string {
	var out [][]string
	for _, w := range words {
		rs := []rune(w)
		switch {
		case !retrieval.IsCJK(rs[0]):
			out = append(out, retrieval.SearchTerms(w))
		case len(rs) <= 2:
			out = append(out, []string{w})
		default:
			out = append(out, bigrams(w))
		}
	}
	return out
}

// bigrams are a Chinese word's character bigrams: a text has a word of
// three or more characters when it has all of them.
func bigrams(w string) []string {
	rs := []rune(w)
	var out []string
	for i := 0; i+2 <= len(rs); i++ {
		out = append(out, string(rs[i:i+2]))
	}
	return out
}

// hasTermsOf reports whether terms have all the terms of one of words.
func hasTermsOf(terms map[string]bool, words [][]string) bool {
	return slices.ContainsFunc(words, func(w []string) bool {
		return len(w) > 0 && !slices.ContainsFunc(w, func(t string) bool { return !terms[t] })
	})
}

// terms are the question's words and their synonyms' as search terms.
func (cs concepts) terms() map[string]bool {
	out := map[string]bool{}
	for _, c := range cs {
		out[c.Term] = true
		for _, alt := range c.Alts {
			for _, t := range alt {
				out[t] = true
			}
		}
	}
	return out
}

// headedSection is the candidate to answer from when the question says
// the heading of another section of the best extract's document in its
// own words and none of the best one's: "changed my mind on the throw,
// what does it cost me to send it back?" is answered under "Change of
// mind", not under its sibling "Size exchanges on apparel", when that is
// near as likely (headingMargin).
func headedSection(cands []candidate, q string, best int) int {
	b := cands[best]
	if b.forWhatIsNamed() {
		return best
	}
	qTerms := retrieval.TermSet(q)
	// said: how many of the words of a section's own heading the question has
	said := func(heading string) (n, of int) {
		terms := retrieval.Terms(lastHeading(heading))
		for _, t := range terms {
			if qTerms[t] {
				n++
			}
		}
		return n, len(terms)
	}
	if n, _ := said(b.x.hit.Heading); n > 0 {
		return best
	}
	return giveWay(cands, best, headingMargin, func(c candidate) bool {
		if c.x.hit.Source != b.x.hit.Source || c.x.hit.Heading == b.x.hit.Heading {
			return false
		}
		n, of := said(c.x.hit.Heading)
		return of > 0 && n == of
	})
}

// headingMargin is how much less likely than the best extract one under
// a heading the question says may be and still answer instead.
const headingMargin = 0.1

// focusMargin is how much less likely than the best extract one that has
// the question's focus may be and still answer instead.
const focusMargin = 0.05

// askedMargin is how much less likely than the best extract one that
// states what the question asks for may be and still answer instead.
const askedMargin = 0.15

// namedSection is the candidate to answer from when the best one's
// section is about something else: another section of its document is
// headed with a product the question names, and neither the best
// extract nor its heading names one ("can merino socks go in the tumble
// dryer?": under "Merino wool (throw blanket, socks, beanie)", "Never
// tumble dry", not "Tumble dry on low" under "Linen"). The likeliest
// extract of the named sections is taken, however likely, so that a
// question the named section does not answer is declined, not answered
// for another product.
func namedSection(cands []candidate, cs concepts, best int) int {
	if cands[best].forWhatIsNamed() {
		return best
	}
	b := cands[best].x
	if cs.namesAny(lastHeading(b.hit.Heading)) || cs.namesAny(b.text) {
		return best
	}
	n := -1
	for i, c := range cands {
		if c.x.hit.Source == b.hit.Source && cs.namesAny(lastHeading(c.x.hit.Heading)) && (n < 0 || c.p > cands[n].p) {
			n = i
		}
	}
	if n < 0 {
		return best
	}
	return n
}

// namesAny reports whether text names a product the question names.
func (cs concepts) namesAny(text string) bool {
	terms := retrieval.TermSet(text)
	return slices.ContainsFunc(cs, func(c weightedConcept) bool { return c.namesProductIn(terms) })
}

// withAskedRow adds to an extract that does not state a kind of fact the
// question asks for (how long, how much) the row of a table in the same
// document that does. "My walnut board cracked after 2 months, is that
// covered?" (a question that says how long ago asks how long) gets "What is
// covered", then the warranty periods' Home goods row, whose "wooden boards"
// is the question's word; "how much is shipping to canada and do i pay duty
// on top" gets the customs paragraph, then the Canada row of the rates. The
// row is the one with most of the question's words (see rowStating).
func withAskedRow(x extract, cands []candidate, cs concepts, asked int) extract {
	firstLine, _, _ := strings.Cut(x.text, "\n")
	for _, kind := range []int{factDuration, factAmount} {
		if asked&kind == 0 || answerTypes(firstLine)&kind != 0 {
			continue
		}
		if row := rowStating(kind, x, cands, cs); row != "" && !strings.Contains(x.text, row) {
			x.text += "\n" + row
		}
	}
	return x
}

// withOtherStep adds to a table row that answers how long the sentence of
// its document that times another step, when the question names that step
// too: "how long after you get my return until the money is on my amex" is
// the card's 5–10 business days after the inspection's 3. The sentence is
// the first of an extract from a section beside the row's that states a
// duration and has a main word of the question the row lacks (one that may
// be what it is about, not how it asks or a unit of time); the one with the
// most of them, and none when two have as many.
func withOtherStep(b candidate, cands []candidate, cs concepts, asked int) extract {
	x := b.x
	firstLine, _, _ := strings.Cut(x.text, "\n")
	if asked&factDuration == 0 || b.in[rowInput] != 1 || answerTypes(firstLine)&factDuration == 0 {
		return x
	}
	have := retrieval.TermSet(lastHeading(x.hit.Heading) + "\n" + x.text)
	parent := parentHeading(x.hit.Heading)
	// the words the step must have are main words of the question the row lacks
	notLacked := func(k weightedConcept) bool {
		return !k.focus || timeUnitRE.MatchString(strings.TrimPrefix(k.Term, "\x00")) || k.Covers(have)
	}
	step, most, tie := "", 0.0, false
	for _, c := range cands {
		if c.x.hit.Source != x.hit.Source || c.in[rowInput] == 1 || c.x.hit.Heading == x.hit.Heading || parentHeading(c.x.hit.Heading) != parent {
			continue
		}
		ss := sentences(strings.TrimLeft(c.x.text, "- "))
		if len(ss) == 0 || answerTypes(ss[0])&factDuration == 0 || strings.Contains(x.text, ss[0]) {
			continue
		}
		w := cs.weightIn(retrieval.TermSet(ss[0]), notLacked)
		switch {
		case w > most:
			step, most, tie = ss[0], w, false
		case w == most && w > 0 && ss[0] != step:
			tie = true
		}
	}
	if step == "" || tie {
		return x
	}
	x.text += "\n" + step
	return x
}

// rowStating is the table row of x's document that states a fact of kind
// and has the most of the question's words, or the two that have as many
// ("the lamp": Electronics' Aura Bedside Lamp and Home goods' lamp shades,
// for the shopper to tell), or "" when none does or more have as many.
func rowStating(kind int, x extract, cands []candidate, cs concepts) string {
	var rows []string
	most := 0.0
	for _, c := range cands {
		line, _, _ := strings.Cut(c.x.text, "\n")
		if c.in[rowInput] != 1 || c.x.hit.Source != x.hit.Source || answerTypes(line)&kind == 0 || slices.Contains(rows, line) {
			continue
		}
		w := cs.weightIn(retrieval.TermSet(line), nil)
		switch {
		case w > most:
			rows, most = []string{line}, w
		case w == most && w > 0:
			rows = append(rows, line)
		}
	}
	if len(rows) > 2 {
		return ""
	}
	return strings.Join(rows, "\n")
}

// fromParagraphStart quotes a prose extract that starts inside a
// paragraph with the short sentence before it, when both fit maxExtract:
// "Never rinse the motor base." comes after "Brush out the burrs after
// each use.", which says what to do instead; an FAQ's answer keeps its
// "Yes." A sentence stating the same kind of figure as the extract is
// another case's ("Standard delivery takes 5 to 8 business days." before
// the express time asked for), not a lead-in. Only the quote grows; the
// extract was chosen for what it covers.
func fromParagraphStart(x extract) extract {
	us := units(x.hit.Text)
	first := -1
	for i, u := range us {
		if !u.row && !u.item && strings.HasPrefix(x.text, u.text) {
			first = i
			break
		}
	}
	if first <= 0 || us[first-1].line != us[first].line {
		return x
	}
	prev := us[first-1].text
	if utf8.RuneCountInString(prev) > maxLead || utf8.RuneCountInString(prev+x.text) > maxExtract ||
		figures(prev)&figures(x.text) != 0 { // another case's figure ("Standard delivery takes 5 to 8 business days.")
		return x
	}
	x.text = prev + sentenceSep(prev) + x.text
	return x
}

// maxLead bounds the sentence fromParagraphStart puts before an extract
// (characters): a short lead-in, not a second answer in front of the one
// chosen.
const maxLead = 120

// withWhereToAsk adds to an extract of list items the paragraph after
// their list when it says where to ask for what the list offers and the
// extract has no address ("can I get a copy of the data you have on me?":
// "- get a copy of your personal data; …", then "Send requests to
// privacy@… from the email on your account. We respond within 30 days.").
// Up to two of its sentences are added; not one about a special case
// ("If you can't sign in, email …").
func withWhereToAsk(x extract) extract {
	if answerTypes(x.text)&factContact != 0 {
		return x
	}
	us := units(x.hit.Text)
	last := -1
	for i, u := range us {
		if u.item && strings.Contains(x.text, u.text) {
			last = i
		}
	}
	if last < 0 {
		return x
	}
	next := last + 1
	for next < len(us) && us[next].item { // the rest of the list
		next++
	}
	if next == len(us) || us[next].row || answerTypes(us[next].text)&factContact == 0 || conditional(us[next].text) {
		return x
	}
	x.text += "\n" + us[next].text
	if n := next + 1; n < len(us) && us[n].line == us[next].line {
		x.text += sentenceSep(us[next].text) + us[n].text
	}
	return x
}

// conditional reports whether a sentence is about a special case ("If you
// can't sign in, email …"), not the way to ask.
func conditional(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "if ") || strings.HasPrefix(l, "when ") || strings.HasPrefix(l, "如果") || strings.HasPrefix(l, "若")
}

// placeFloor and placeRowProb: a chosen row or item for the shopper's
// place (or what they name) at least placeFloor likely (its candidate's
// floor) is taken as placeRowProb.
const (
	placeFloor   = 0.25
	placeRowProb = 0.5
)

// capUnaskedRow makes a table row that names the product asked about
// ("电子产品 · 举例: …磨豆机… · 保修期: 12 个月") at most unaskedQualifierProb
// likely when the question asks nothing its columns state: the warranty
// period of grinders is no answer to "磨豆机可以磨花椒吗".
func capUnaskedRow(c *candidate, cs concepts, asked int) {
	if c.in[rowInput] == 1 && namesProduct(cs, c.x.text, c.x.hit.Heading) && !rowAsked(c.x.text, cs, asked) {
		c.p = min(c.p, unaskedQualifierProb)
	}
}

// rowAsked reports whether the question asks for what a table row (as
// extracts render it: "Column: value · Column: value") states: a kind of
// fact in it, or a word (or synonym) of one of its columns' names ("保修"
// of 保修期), in the question or the one it follows up.
func rowAsked(row string, cs concepts, asked int) bool {
	line, _, _ := strings.Cut(row, "\n")
	if asked&figures(line) != 0 {
		return true
	}
	qTerms := cs.terms()
	for _, cell := range strings.Split(line, cellSep) {
		name, _, ok := strings.Cut(cell, ": ")
		if !ok {
			continue
		}
		for _, t := range retrieval.SearchTerms(name) {
			if qTerms[t] && !isCJKUnigram(t) {
				return true
			}
		}
	}
	return false
}

// productRowFloor is placeFloor for a table row chosen because its cells
// name the product asked about ("the aura lamp flickers, still under
// warranty?": the Electronics row of the warranty periods): higher, since
// a row on the product may answer another question about it ("dropped my
// lamp, can you replace it under warranty" is about accidental damage).
const productRowFloor = 0.4

// placeSectionFloor is placeFloor for an extract of a section headed
// with the shopper's place ("Customers in the EU and UK" for Lyon).
const placeSectionFloor = 0.2

// placeMargin is how much less likely than the best extract the row or
// item labelled with the shopper's place may be and still be chosen.
const placeMargin = 0.1

// places are the question's concepts that name a place.
func (cs concepts) places() concepts {
	var out concepts
	for _, c := range cs {
		if (c.place || retrieval.IsPlaceTerm(strings.TrimPrefix(c.Term, "\x00"))) && len(c.Alts) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// names reports whether text names one of places (or its region).
func names(places concepts, text string) bool {
	if len(places) == 0 || text == "" {
		return false
	}
	terms := retrieval.TermSet(text)
	for _, p := range places {
		if p.Covers(terms) {
			return true
		}
	}
	return false
}

// namesLabel reports whether a question names a unit's label that names
// one thing, a carrier, a payment method, a brand ("- USPS: Package
// Intercept …" for "usps already has it"): a label of at most three words
// with a capital after its first letter (a name, not "Payment method"),
// one of whose names the question has. A name of several capitalised
// words is named whole, by its last word ("hoodie" for Heavyweight
// Loopback Hoodie, "zealand" but not "new" for New Zealand) or by an
// acronym in it ("sf" for SF Express).
func namesLabel(qTerms map[string]bool, label string) bool {
	_, first := utf8.DecodeRuneInString(label)
	if !strings.ContainsFunc(label[first:], unicode.IsUpper) {
		return false
	}
	if n := len(retrieval.Terms(label)); n == 0 || n > 3 {
		return false
	}
	for _, name := range labelNames(label) {
		whole := true
		for i, w := range name {
			terms := retrieval.Terms(w)
			has := len(terms) > 0 && qTerms[terms[0]]
			if has && (i == len(name)-1 || len([]rune(w)) > 1 && strings.ToUpper(w) == w) {
				return true
			}
			whole = whole && has
		}
		if whole {
			return true
		}
	}
	return false
}

// labelNames are a label's runs of capitalised words: "Australia & New
// Zealand" is [Australia] and [New Zealand].
func labelNames(label string) [][]string {
	var out [][]string
	var run []string
	for _, w := range strings.Fields(label) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		r, _ := utf8.DecodeRuneInString(w)
		if w != "" && unicode.IsUpper(r) {
			run = append(run, w)
			continue
		}
		if len(run) > 0 {
			out = append(out, run)
		}
		run = nil
	}
	if len(run) > 0 {
		out = append(out, run)
	}
	return out
}

// namesProduct reports whether a unit's subject (productSubject) names a
// product the question names and its heading does not: "- In-ear earbuds
// (such as Loom Buds) once the hygiene seal has been opened" under "Items
// we can't take back", or the warranty table's row whose examples are
// "Aura Bedside Lamp, Loom Buds earbuds, …"; not "- Faults in materials
// …, for example: … an earbud that stops charging".
func namesProduct(cs concepts, subject, heading string) bool {
	if subject == "" {
		return false
	}
	terms, head := retrieval.TermSet(subject), retrieval.TermSet(heading)
	for _, c := range cs {
		if c.namesProductIn(terms) && !c.Covers(head) {
			return true
		}
	}
	return false
}

// namesProductIn reports whether c is a product word (not a count: "pack",
// "set") that terms have.
func (c weightedConcept) namesProductIn(terms map[string]bool) bool {
	return c.product && !countWords[c.Term] && c.Covers(terms)
}

// countWords are words of product titles that say how many, not what:
// "Merino Crew Socks (3-Pack)" does not make "4. Pack the items securely"
// an item on socks.
var countWords = map[string]bool{"pack": true, "set": true, "kit": true, "piec": true, "pair": true, "bundl": true}

// asksOf reports whether a heading has a word of the question other than
// a product's: an item on the product under it answers what is asked
// about the product ("opened the socks, can i send them back?": "- Socks
// … once removed from their sealed packaging" under "Items we can't take
// back").
func (cs concepts) asksOf(heading string) bool {
	terms := retrieval.TermSet(heading)
	for _, c := range cs {
		if c.w > 0 && !c.product && c.Covers(terms) {
			return true
		}
	}
	return false
}

// productSubject is the part of a unit that says which product it is
// about: a table row's cells, or the start of a list item; "" for a
// sentence.
func productSubject(u unit) string {
	if u.row {
		row, _, _ := strings.Cut(u.match, "\n") // without the column names
		return row
	}
	if !u.item {
		return ""
	}
	start := strings.TrimLeft(u.match, "-*•·0123456789. ")
	if rs := []rune(start); len(rs) > itemSubject {
		start = string(rs[:itemSubject])
	}
	return start
}

// itemSubject is how many characters start a list item with what it is
// about.
const itemSubject = 30

// unitLabel is what a unit is labelled with: a table row's first cell
// ("Region: European Union · …"), or the words before a colon that start a
// list item or line ("- United States: we can email …"); "" for none.
func unitLabel(u unit) string {
	t := strings.TrimLeft(u.text, "-*•·0123456789. ")
	if u.row {
		if _, v, ok := strings.Cut(t, ": "); ok {
			t = v
		}
		v, _, _ := strings.Cut(t, cellSep)
		return v
	}
	i := strings.IndexAny(t, ":：")
	if i < 0 || utf8.RuneCountInString(t[:i]) > 40 {
		return ""
	}
	return t[:i]
}

// measuredRowProb is the least probability given to a row that holds the
// shopper's measurement in the column that names it: enough to be quoted
// at the default minimum confidence (0.3 + quoteMargin), not at a stricter
// one.
const measuredRowProb = 0.6

// Kinds of fact a question may ask for (answerTypes, asks).
const (
	factDuration = 1 << iota
	factAmount
	factClock
	factPercent
	factContact
	factLength
)

var (
	durationRE = regexp.MustCompile(`(?i)\d+\s*(?:[–—~-]\s*\d+\s*)?(?:business |working |calendar )?(?:days?|hours?|weeks?|months?|years?|minutes?|mins?|seconds?)\b|\d+\s*(?:[–—~-]\s*\d+\s*)?(?:个)?(?:工作日|天|小时|周|个月|年|分钟|秒)|(?:一|两|三|几)(?:个)?(?:工作日|天|小时|周|个月|年)`)
	amountRE   = regexp.MustCompile(`(?i)` + pricePattern + `|\bfree\b|免费|包邮`)
	clockRE    = regexp.MustCompile(`(?i)\b\d{1,2}:\d{2}\b|\bnoon\b|\bmidnight\b|\b\d{1,2}\s?(?:am|pm)\b|\d{1,2}\s*点|中午`)
	percentRE  = regexp.MustCompile(`\d\s*%|\d\s*折|百分之`)
	contactRE  = regexp.MustCompile(`@[a-z0-9.-]+\.[a-z]{2,}|\+?\d[\d -]{7,}\d`)
	lengthRE   = regexp.MustCompile(`(?i)\d\s*(?:cm|mm|in|inch|inches)\b|\d\s*(?:厘米|公分|毫米)`)
)

// answerTypes are the kinds of fact text states.
func answerTypes(text string) int {
	t := 0
	for _, k := range []struct {
		re   *regexp.Regexp
		kind int
	}{{durationRE, factDuration}, {amountRE, factAmount}, {clockRE, factClock}, {percentRE, factPercent}, {contactRE, factContact}, {lengthRE, factLength}} {
		if k.re.MatchString(text) {
			t |= k.kind
		}
	}
	return t
}

// askPhrases are the ways a question asks for each kind of fact.
var askPhrases = []struct {
	kind    int
	phrases []string
}{
	{factDuration, []string{"how long", "how many days", "how many weeks", "how soon", "how fast", "how quickly", "when will", "when do i get",
		"when does", "when can i", "how many business days", "turnaround", "too late", "still return", "deadline",
		"多久", "几天", "多长时间", "多少天", "什么时候", "几个工作日", "多快", "期限", "还能退", "过期",
		// the warranty of a product is its period ("whats the warranty on the earbuds")
		"warranty on", "warranty for", "warranty period", "what's the warranty", "whats the warranty", "what is the warranty",
		"保修期", "质保期", "保修多", "质保多", "保几年"}},
	{factAmount, []string{"how much", "cost", "price", "fee", "charge", "pay for", "shipping to", "deduct", "refund the shipping", "free ship",
		"free delivery", "free return", "多少钱", "费用", "运费", "价格", "收费", "扣", "包邮", "免费", "谁出", "谁承担"}},
	{factClock, []string{"what time", "hours", "cutoff", "cut-off", "cut off", "open", "几点", "上班", "营业", "截单", "工作时间"}},
	{factPercent, []string{"percent", "how much off", "% off", "折", "百分之"}},
	{factContact, []string{"email", "e-mail", "phone", "contact", "call you", "邮箱", "电话", "联系方式", "怎么联系"}},
	// "how long is the linen shirt in a m" asks a length (and maybe a duration:
	// "how long is the warranty")
	{factLength, []string{"how long is", "how long are", "length", "how tall", "how wide", "how big", "dimension", "measurement",
		"多长", "长度", "衣长", "裤长", "袖长", "多宽", "多高", "尺寸"}},
}

// asks is the kinds of fact question q asks for. A question that says how
// long ago something happened ("bought it 10 months ago", "收到两周了")
// asks for the time limit it is measured against (the warranty's 12
// months, the 30 days to return).
func asks(q string) int {
	t := strings.ToLower(q)
	kinds := 0
	for _, a := range askPhrases {
		if containsAny(t, a.phrases) {
			kinds |= a.kind
		}
	}
	if elapsedRE.MatchString(t) {
		kinds |= factDuration
	}
	// "按人民币扣吗" asks in which currency, not how much.
	if currencyAskRE.MatchString(t) && !containsAny(t, []string{"how much", "多少"}) {
		kinds &^= factAmount
	}
	return kinds
}

// currencyAskRE finds a question about the currency a charge is in
// ("charged in pounds", "按人民币扣吗", "扣的是美元吗").
var currencyAskRE = regexp.MustCompile(`\b(?:charged?|billed?|pay|paid)\s+in\s+(?:pounds|euros?|dollars|yuan|rmb|cny|usd|gbp|eur|人民币|美元|欧元|英镑)|` +
	`(?:人民币|美元|美金|欧元|英镑|rmb|cny|usd)\s*(?:扣|付|结算|支付)|扣(?:的是|的|成)?\s*(?:人民币|美元|美金|欧元|英镑|rmb|cny|usd)`)

// elapsedRE is a time a question says has passed, in days to years: a
// count of them said to be past ("3 weeks ago", "5 months … is that
// covered") or after a verb of having ("had them 5 months", "after 14
// months"), or in Chinese one said to be done (收到两周了, 用了半年).
var elapsedRE = regexp.MustCompile(strings.Join([]string{
	`\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple of|few)\s*(?:days?|weeks?|wks?|months?|mos?|years?|yrs?)\b` +
		`(?:\s*(?:ago|later|now|already|in)\b|[^?]*(?:covered|too late|still|anything|warrant))`,
	`(?:after|for|had (?:it|them)|bought (?:it|them)|been)\s+(?:(?:about|around|like|roughly|almost|nearly|over|just over)\s+)?(?:\d+|a|an|one|two|three|four|five|six|couple of|few)\s*(?:days?|weeks?|months?|years?)\b`,
	`[\d一二三四五六七八九十两几]+\s*(?:个)?(?:天|周|星期|个月|年)(?:了|多|半)|半年|一年半`,
	`(?:用了|买了|穿了|收到|过了)\s*[\d一二三四五六七八九十两几]+\s*(?:个)?(?:天|周|星期|个月|年)`,
}, "|"))

// introWeight discounts a document's introduction.
const introWeight = 0.7

var (
	numberRE = regexp.MustCompile(`\d+(?:\.\d+)?`)
	rangeRE  = regexp.MustCompile(`(\d+(?:\.\d+)?)\s*[–—−~-]\s*(\d+(?:\.\d+)?)`)
)

// numbers are the numbers of a question, with a length also in the other
// unit: "38 inch" is 96.5 cm as well, "5'7" is 67 in and 170 cm, "80 cm" is
// 31.5 in (size charts give both, or only one).
func numbers(q string) []float64 {
	var out []float64
	for _, m := range numberRE.FindAllString(q, 8) {
		if v, err := strconv.ParseFloat(m, 64); err == nil {
			out = append(out, v)
		}
	}
	for _, m := range feetRE.FindAllStringSubmatch(q, 2) {
		ft, _ := strconv.ParseFloat(m[1], 64)
		in, _ := strconv.ParseFloat(m[2], 64)
		out = append(out, ft*12+in, (ft*12+in)*cmPerInch)
	}
	for _, m := range inchRE.FindAllStringSubmatch(q, 4) {
		v, _ := strconv.ParseFloat(m[1], 64)
		out = append(out, v*cmPerInch)
	}
	for _, m := range cmRE.FindAllStringSubmatch(q, 4) {
		v, _ := strconv.ParseFloat(m[1], 64)
		out = append(out, v/cmPerInch)
	}
	if cm, ok := chineseHeight(q); ok {
		out = append(out, cm, cm/cmPerInch)
	}
	for _, m := range cnMeasureRE.FindAllStringSubmatch(q, 4) {
		if v, ok := chineseNumber(m[1]); ok {
			if m[2] != "" { // "九十出头": a little over 90
				v++
			}
			out = append(out, v, v/cmPerInch)
		}
	}
	return out
}

// cnMeasureRE is a body measurement written in Chinese numerals ("胸围九十
// 出头", "腰围八十").
var cnMeasureRE = regexp.MustCompile(`(?:胸围|腰围|臀围|身高|头围|内长|裤长)\s*(?:大概|大约|差不多|约)?\s*([零一二两三四五六七八九十百]{2,})(出头)?`)

// chineseNumber reads a number up to 999 in Chinese numerals ("九十" 90,
// "一百零五" 105, "八十五" 85, "一六五" 165 read digit by digit).
func chineseNumber(s string) (float64, bool) {
	rs := []rune(strings.ReplaceAll(s, "两", "二"))
	if !strings.ContainsAny(s, "十百") { // digit by digit
		n := 0
		for _, r := range rs {
			if cnDigit(r) < 0 {
				return 0, false
			}
			n = 10*n + cnDigit(r)
		}
		return float64(n), true
	}
	n, cur := 0, 0
	for _, r := range rs {
		switch {
		case r == '百':
			n += max(cur, 1) * 100
			cur = 0
		case r == '十':
			n += max(cur, 1) * 10
			cur = 0
		case cnDigit(r) >= 0:
			cur = cnDigit(r)
		default:
			return 0, false
		}
	}
	return float64(n + cur), true
}

// cnDigit is the value of a digit written in Chinese or in figures, or -1.
func cnDigit(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	return strings.IndexRune("零一二三四五六七八九", r) / len("零")
}

// chineseHeight is a person's height said in metres the Chinese way, in
// centimetres: "我一米八" and "身高1米8" are 180, "他一米七五" 175, "我1.75米"
// 175. A length without a person is not a height: "一米八的床" is a bed
// 1.8 m wide.
func chineseHeight(q string) (float64, bool) {
	m := metreRE.FindStringSubmatchIndex(q)
	if m == nil {
		return 0, false
	}
	before := []rune(q[:m[0]])
	if !containsAny(string(before[max(0, len(before)-3):]), heightPeople) {
		return 0, false
	}
	if m[2] >= 0 { // "1.75米"
		v, _ := strconv.ParseFloat(q[m[2]:m[3]], 64)
		return math.Round(v * 100), true
	}
	cm := 100.0
	for i, scale := range []float64{10, 1} {
		if start := m[4+2*i]; start >= 0 {
			r, _ := utf8.DecodeRuneInString(q[start:])
			cm += float64(cnDigit(r)) * scale
		}
	}
	return cm, true
}

// heightPeople are the words right before a height that say whose it is.
var heightPeople = []string{"我", "他", "她", "身高", "个子", "老公", "老婆", "朋友", "儿子", "女儿", "孩子", "人"}

var metreRE = regexp.MustCompile(`\b(1\.\d{1,2})\s*米|(?:一|1)\s*米\s*([零一二三四五六七八九0-9])([零一二三四五六七八九0-9])?`)

const cmPerInch = 2.54

var (
	feetRE = regexp.MustCompile(`\b(\d)\s*(?:'|′|’|ft|feet|foot)\s*(\d{1,2})\b`)
	inchRE = regexp.MustCompile(`(?i)(\d+(?:\.\d+)?)\s*(?:inch(?:es)?\b|in\b|"|″|”|英寸)`)
	cmRE   = regexp.MustCompile(`(?i)(\d+(?:\.\d+)?)\s*(?:cm\b|厘米|公分)`)
)

// measureWords name a body measurement in Chinese by the English word a
// size chart's column uses (the demo's size guide, like many shops', is in
// English only).
var measureWords = map[string]string{"胸围": "chest", "腰围": "waist", "臀围": "hip", "身高": "height", "头围": "head",
	"内长": "inseam", "裤长": "inseam", "tall": "height", "码的鞋": "eu", "鞋码": "eu", "码鞋": "eu"}

// measurementQuery is a search for the size chart a question with a body
// measurement needs, in the chart's words ("腰围80 臀围100" → "hip waist
// size"), or "" when the question gives none.
func measurementQuery(q string) string {
	if len(numbers(q)) == 0 {
		return ""
	}
	terms := rangeTerms(q, retrieval.TermSet(q))
	var words []string
	for _, w := range []string{"chest", "waist", "hip", "height", "inseam", "head", "eu"} {
		if terms[w] {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return ""
	}
	return strings.Join(words, " ") + " size"
}

// rangeTerms are the words a range's label may share with the question:
// its own, and the English names of the measurements it gives in Chinese.
func rangeTerms(q string, terms map[string]bool) map[string]bool {
	out := make(map[string]bool, len(terms)+2)
	for t := range terms {
		out[t] = true
	}
	for w, en := range measureWords {
		if strings.Contains(strings.ToLower(q), w) {
			out[en] = true
		}
	}
	if shoeSize(q) {
		out["eu"] = true
	}
	if _, ok := chineseHeight(q); ok {
		out["height"] = true
	}
	return out
}

// shoeSize reports whether a question about socks or shoes gives a size
// the way European sizes are written ("袜子我平时穿41码", "socks, im a 43"):
// sized by the chart's EU column.
func shoeSize(q string) bool {
	if !containsAny(strings.ToLower(q), []string{"袜", "sock", "鞋", "shoe"}) {
		return false
	}
	return slices.ContainsFunc(numbers(q), func(n float64) bool { return n >= 34 && n <= 48 && n == math.Trunc(n) })
}

// inRange says whether a range in text ("9–12", "98–104") holds one of
// nums: 1 when the range's label (the words before it, back to a "·", ",",
// ";" or "(") shares a word with the question ("a US men's 10": "US men:
// 9–12", not "US women: 8–10.5"), 0.5 when it has no such label, 0 when no
// range holds one. A range in brackets right after another ("Chest cm (in):
// 94–100 (37–39.5)") is the same measurement in another unit and has its
// label.
func inRange(nums []float64, text string, question map[string]bool) float64 {
	best := 0.0
	for _, start := range rangesHolding(nums, text) {
		best = 0.5
		if _, ok := labelShares(text[:start], question); ok {
			return 1
		}
	}
	return best
}

// rangesHolding are the starts of the ranges in text ("9–12") that hold one
// of nums.
func rangesHolding(nums []float64, text string) []int {
	var out []int
	for _, m := range rangeRE.FindAllStringSubmatchIndex(text, -1) {
		lo, err1 := strconv.ParseFloat(text[m[2]:m[3]], 64)
		hi, err2 := strconv.ParseFloat(text[m[4]:m[5]], 64)
		if err1 != nil || err2 != nil || lo >= hi {
			continue
		}
		if slices.ContainsFunc(nums, func(n float64) bool { return n >= lo && n <= hi }) {
			out = append(out, m[0])
		}
	}
	return out
}

// labelShares reports whether the label before a range names what the
// question measures: most of its words are the question's ("US men" for "a
// US men's 10", not "US women"), units and "fits" aside.
func labelShares(before string, question map[string]bool) (string, bool) {
	label := before
	if i := strings.LastIndexAny(label, "·,;\n|，；"); i >= 0 {
		label = label[i:]
	}
	// An open bracket starts the label ("policy (9–12 days"), unless it
	// follows a range: then it is the same measurement in another unit.
	if i := strings.LastIndexAny(label, "(（"); i >= 0 && !strings.ContainsAny(label[i:], ")）") {
		if rangeEndRE.MatchString(label[:i]) {
			label = rangeEndRE.ReplaceAllString(label[:i], "")
		} else {
			label = label[i:]
		}
	}
	words, shared := 0, 0
	for t := range retrieval.TermSet(label) {
		if isNumberTerm(t) || labelFiller[t] {
			continue
		}
		words++
		if question[t] {
			shared++
		}
	}
	// A column name ("US women:") is all label; a sentence ("fits head
	// circumferences of 54–61 cm") says more than what it measures.
	label = strings.TrimSpace(label)
	if strings.HasSuffix(label, ":") {
		return label, shared > 0 && 2*shared > words
	}
	return label, shared > 0
}

// measuresHeld counts the measurements of the question text holds: the
// labelled ranges (one per label: "Chest cm (in)" in centimetres and
// inches is one) that hold one of nums. A row that holds the chest and the
// height fits better than one that holds the height alone.
func measuresHeld(nums []float64, text string, question map[string]bool) int {
	held := map[string]bool{}
	for _, start := range rangesHolding(nums, text) {
		if label, ok := labelShares(text[:start], question); ok {
			held[strings.ToLower(label)] = true
		}
	}
	return len(held)
}

// labelFiller are a size chart label's words that name no measurement.
var labelFiller = map[string]bool{"cm": true, "in": true, "inch": true, "mm": true, "kg": true, "fit": true, "size": true}

var rangeEndRE = regexp.MustCompile(`\d\s*[–—−~-]\s*\d+(?:\.\d+)?\s*$`)

func isNumberTerm(t string) bool {
	_, err := strconv.ParseFloat(t, 64)
	return err == nil
}

// lastHeading is the innermost heading of a heading path ("A > B" → "B").
func lastHeading(path string) string {
	if i := strings.LastIndex(path, " > "); i >= 0 {
		return strings.TrimSpace(path[i+3:])
	}
	return strings.TrimSpace(path)
}

// parentHeading is a heading path without its innermost heading ("A > B" →
// "A"; "A" → "").
func parentHeading(path string) string {
	if i := strings.LastIndex(path, " > "); i >= 0 {
		return strings.TrimSpace(path[:i])
	}
	return ""
}

// withinPeriod is the candidate to answer from when the question says how
// long ago the shopper got something ("earbuds stopped charging, bought
// them 8 months ago"): the row of the best extract's document that states
// a period for what they name (periodRow: "Electronics … Warranty: 12
// months from delivery"), alone and taken as placeRowProb, however
// unlikely. Past the period, a section of that document about what to do
// after ("After the warranty ends") answers, led by the row, when one is a
// candidate (the row alone would not say what can be done); so is a
// question that says the period is over ("warranty ran out on my
// speaker", "过保了"). A question that names a place is answered by the
// section for the place when its period is long enough (placesPeriod: the
// EU's two years), else left to the rows and sections for places.
func withinPeriod(cands []candidate, cs concepts, q string, best int) int {
	since, elapsed := sinceDays(q)
	over := periodOverRE.MatchString(q)
	if !elapsed && !over {
		return best
	}
	if len(cs.places()) > 0 {
		if !elapsed {
			return best
		}
		return placesPeriod(cands, since, best)
	}
	source := cands[best].x.hit.Source
	row, period, ok := periodRow(cands, cs, source)
	line := ""
	if ok {
		line, _, _ = strings.Cut(cands[row].x.text, "\n")
	}
	n := row
	if over || ok && since > period {
		n = -1
		for i, c := range cands {
			if c.x.hit.Source == source && headsAfter(c) && (n < 0 || c.p > cands[n].p) {
				n = i
			}
		}
		if n < 0 {
			return best
		}
		line = strings.TrimPrefix(line+"\n"+cands[n].x.text, "\n")
	} else if !ok {
		return best
	}
	cands[n].x.text = line
	cands[n].p = max(cands[n].p, placeRowProb)
	return n
}

// placesPeriod is the candidate to answer from when the question names
// where the shopper is and says how long ago they got something ("live in
// lyon, the lamp i bought 18 months ago just died"): the likeliest extract
// of a section headed with their place that states a period that long or
// longer ("Customers in the EU and UK": at least 2 years), taken as
// placeRowProb; else best.
func placesPeriod(cands []candidate, since float64, best int) int {
	n := -1
	for i, c := range cands {
		if d, ok := periodDays(c.x.text); ok && d >= since && c.named && c.floor == placeSectionFloor && c.p >= c.floor && (n < 0 || c.p > cands[n].p) {
			n = i
		}
	}
	if n < 0 {
		return best
	}
	cands[n].p = max(cands[n].p, placeRowProb)
	return n
}

// toTheDeadline is the candidate to answer from when the question asks how
// long one has to do something ("how long do i have to send stuff back",
// "退货要几天内申请"): the likeliest near as likely (deadlineMargin) that
// states a period counted from delivery or purchase ("30 days from the
// delivery date", "签收后 30 天内"), when the best states none; not how long
// a step takes ("we review the request within one business day").
func toTheDeadline(cands []candidate, q string, best int) int {
	if !asksDeadlineRE.MatchString(strings.ToLower(q)) || deadline(cands[best].x.text) || cands[best].forWhatIsNamed() {
		return best
	}
	return giveWay(cands, best, deadlineMargin, func(c candidate) bool { return deadline(c.x.text) })
}

// deadlineMargin is how much less likely an extract that states the
// deadline may be than the best one (chosen on the tuning files).
const deadlineMargin = 0.1

// asksDeadlineRE finds a question asking for a time limit.
var asksDeadlineRE = regexp.MustCompile(`how long do (?:i|we|u|you) (?:have|get)\b|how long have i got|how many days do i have|is there a (?:time limit|deadline)|几天内|多少天内|多久内|多久之内|几天之内|多少天之内|期限是多久`)

// deadline reports whether text states a period counted from delivery or
// purchase.
func deadline(text string) bool {
	t := strings.ToLower(text)
	return spanRE.MatchString(t) && deadlineAnchorRE.MatchString(t)
}

var deadlineAnchorRE = regexp.MustCompile(`(?:from|of|after) (?:the )?(?:delivery|purchase|receipt|the order date|delivery date)|签收后|收货后|收到货后|购买后|下单后`)

// periodOverRE finds a question saying the period is over ("warranty ran
// out last month", "过保了").
var periodOverRE = regexp.MustCompile(`(?i)out of warranty|warranty (?:ran|has run|is|was) out|warranty (?:has )?(?:expired|ended|is over)|(?:past|after) (?:the )?warranty|过保|过了保修|保修(?:期)?(?:已经)?过(?:期|了)|不在保修期`)

// periodRow is the table row of source that states a period (periodDays)
// and has the most of the question's words in its other cells ("毛巾" in
// the Home goods row's examples), with the period it states; the likeliest
// of those with as many. Rows with as many words and another period make
// none.
func periodRow(cands []candidate, cs concepts, source string) (int, float64, bool) {
	row, most, period, tie := -1, 0.0, 0.0, false
	for i, c := range cands {
		if c.in[rowInput] != 1 || c.x.hit.Source != source {
			continue
		}
		line, _, _ := strings.Cut(c.x.text, "\n")
		d, ok := periodDays(line)
		if !ok {
			continue
		}
		var named []string // the cells other than the period's
		for _, cell := range strings.Split(line, cellSep) {
			if _, ok := periodDays(cell); !ok {
				named = append(named, cell)
			}
		}
		w := cs.weightIn(retrieval.TermSet(strings.Join(named, "\n")), func(k weightedConcept) bool {
			return timeUnitRE.MatchString(strings.TrimPrefix(k.Term, "\x00"))
		})
		switch {
		case w > most:
			row, most, period, tie = i, w, d, false
		case w == most && w > 0 && d != period:
			tie = true
		case w == most && w > 0 && c.p > cands[row].p:
			row = i
		}
	}
	return row, period, row >= 0 && !tie
}

// weightIn is the weight of the question's concepts, its question words
// and those skip reports left out, that terms have: how much of the
// question a table row is about.
func (cs concepts) weightIn(terms map[string]bool, skip func(weightedConcept) bool) float64 {
	w := 0.0
	for _, k := range cs {
		if k.w > 0 && !questionWords[k.Term] && (skip == nil || !skip(k)) && k.Covers(terms) {
			w += k.w
		}
	}
	return w
}

// timeUnitRE is a question's word for a length of time: every period row
// has one.
var timeUnitRE = regexp.MustCompile(`^(?:\d+|[一二三四五六七八九十两几]+)?个?多?(?:月|天|周|年|星期)了?$|^(?:day|week|month|year|busi)`)

// sinceDays is how long ago, in days, the question says the shopper got
// something: "bought them 8 months ago" is 240, "10 months old" 300, "用了半年"
// 182. A time to come ("heading overseas for 5 months") is not one.
func sinceDays(q string) (float64, bool) {
	m := sinceRE.FindString(strings.ToLower(q))
	if m == "" {
		return 0, false
	}
	switch {
	case strings.Contains(m, "一年半"):
		return 1.5 * 365, true
	case strings.Contains(m, "半年"):
		return 182, true
	}
	return periodDays(m)
}

// sinceRE is a time said to have passed since the shopper got something.
var sinceRE = regexp.MustCompile(strings.Join([]string{
	spanPattern + `\s*(?:ago|old|now|already|in)\b`,
	spanPattern + `[^?]*(?:covered|warrant|defect|too late)`,
	`(?:after|had (?:it|them|this|these)|bought (?:it|them)|owned (?:it|them)|got (?:it|them)|been|used (?:it|them) for|using (?:it|them) for)\s+(?:(?:about|around|like|maybe|only|just|almost|nearly|over|roughly)\s+)*` + spanPattern,
	`(?:用了|买了|穿了|收到|过了|戴了|到手|才买)\s*(?:大概|差不多|快|才|刚)?\s*(?:一年半|半年|` + spanPattern + `)`,
	`[\d一二三四五六七八九十两几]+\s*个?多?(?:天|周|星期|月|年)(?:了|多|半)|半年|一年半`,
}, "|"))

// periodDays is the first length of time text states, in days ("12 months
// from delivery": 360, "90 天": 90, "two weeks": 14, "一个多月": 30); a range
// counts as its upper end.
func periodDays(text string) (float64, bool) {
	m := spanRE.FindStringSubmatch(strings.ToLower(text))
	if m == nil {
		return 0, false
	}
	n, ok := countOf(m[1])
	if !ok {
		return 0, false
	}
	unit := m[2]
	switch {
	case strings.HasPrefix(unit, "d") || strings.HasPrefix(unit, "b") || strings.HasSuffix(unit, "天") || unit == "工作日":
		return n, true
	case strings.HasPrefix(unit, "w") || strings.HasSuffix(unit, "周") || strings.HasSuffix(unit, "星期"):
		return 7 * n, true
	case strings.HasPrefix(unit, "m") || strings.HasSuffix(unit, "月"):
		return 30 * n, true
	default: // years
		return 365 * n, true
	}
}

// spanPattern is a count and a unit of time (the upper end of a range):
// spanRE's two groups.
const spanPattern = `(?:\d+\s*[–—~-]\s*)?(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple of|few|[一二三四五六七八九十两几]+)\s*(days?|business days?|weeks?|wks?|months?|mos?|years?|yrs?|个?多?月|个?多?星期|多?天|多?周|工作日|多?年)`

var spanRE = regexp.MustCompile(spanPattern)

// countOf reads a count in digits, English words or Chinese numerals
// (几, "a few", is three).
func countOf(s string) (float64, bool) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, true
	}
	words := map[string]float64{"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
		"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple of": 2, "few": 3}
	if v, ok := words[s]; ok {
		return v, true
	}
	n, ok := knowledge.ChineseNumber(strings.ReplaceAll(s, "几", "三"))
	return float64(n), ok
}

// reportedCase is the candidate to answer from when the question reports a
// case a policy singles out (the vocabulary gives "dropped", "knocked it
// off", "in the pool", "摔了" the terms of accidental damage) that the best
// extract does not name, and an extract of the same document does: "dropped
// my lamp and the base cracked, can you replace it under warranty?" is
// answered by "Accidental damage such as drops … (not covered)", not by
// the Electronics row of the warranty periods, however much likelier; a
// best extract that names the case is taken as placeRowProb. An
// extract of the best one's own section is not taken over it (the model
// weighs "not covered" items against each other). A question that denies
// something ("tiny cracks in the glaze, never dropped it") is left to the
// model: the vocabulary's terms do not know what is denied.
func reportedCase(cands []candidate, cs concepts, q string, best int) int {
	if denialRE.MatchString(q) {
		return best
	}
	b := cands[best]
	var asked map[string]bool
	for _, k := range reportedCases() {
		if asked == nil {
			asked = cs.terms()
		}
		if !hasTermsOf(asked, k) {
			continue
		}
		if hasTermsOf(retrieval.TermSet(b.x.text), k) {
			cands[best].p = max(b.p, placeRowProb)
			return best
		}
		n := -1
		for i, c := range cands {
			if c.x.hit.Source == b.x.hit.Source && c.x.hit.Heading != b.x.hit.Heading && (n < 0 || c.p > cands[n].p) && hasTermsOf(retrieval.TermSet(c.x.text), k) {
				n = i
			}
		}
		if n >= 0 {
			cands[n].p = max(cands[n].p, placeRowProb)
			return n
		}
	}
	return best
}

// arrivedDamaged is the candidate to answer from when the shopper says
// something arrived broken ("plates showed up today n one is cracked in
// half"): the likeliest that says what to do when an item arrives damaged
// ("If an item arrives damaged …", "Damaged on arrival?"), taken as
// placeRowProb, not a section on cracks from impact; else best. Whether
// it must be sent back ("do i have to mail it back") is another question,
// which those steps do not answer.
func arrivedDamaged(cands []candidate, q string, best int) int {
	if !arrivedDamagedRE.MatchString(q) || sendBackRE.MatchString(q) {
		return best
	}
	n := -1
	for i, c := range cands {
		if damagedOnArrivalRE.MatchString(lastHeading(c.x.hit.Heading)+"\n"+c.x.text) && (n < 0 || c.p > cands[n].p) {
			n = i
		}
	}
	if n < 0 {
		return best
	}
	cands[n].p = max(cands[n].p, placeRowProb)
	return n
}

// arrivedDamagedRE finds a shopper saying something arrived broken.
var arrivedDamagedRE = regexp.MustCompile(`(?i)` + strings.Join([]string{
	// it came broken ("plates showed up today n one is cracked in half",
	// "came in pieces", "收到就碎了")
	`\b(?:arrived|arrives|showed up|came|turned up|got here|opened (?:the|my) (?:box|parcel|package)|out of the box)\b[^.?!]{0,40}\b(?:crack|chip|broke|smash|shatter|dent|damage|crush|in pieces)`,
	`\b(?:crack|chip|broke|smash|shatter|damage)\w*\s+(?:on arrival|in the box|when it (?:arrived|came))`,
	`(?:收到|到手|到的时候|打开)[^。？！]{0,8}(?:碎|裂|坏|破)`,
	// … or does not work from the start ("came dead", "收到就充不进电")
	`\b(?:arrived|came|showed up|out of the box)\b[^.?!]{0,30}\b(?:dead|won'?t (?:turn on|charge|work)|doesn'?t (?:work|turn on|charge)|not working)`,
	`\bdead on arrival\b`,
	`\bDOA\b`,
	`(?:收到|到手|拆开|刚到)[^。？！]{0,6}(?:不亮|充不进|充不上|不能用|用不了|没反应|开不了机|不开机|没声音|不工作)`,
}, "|"))

// sendBackRE finds a question about sending something back.
var sendBackRE = regexp.MustCompile(`(?i)\b(?:send|sent|mail|ship|post)\w*\s+(?:it|them|this|that|the \w+\s+)?\s*back\b|寄回|退回`)

// damagedOnArrivalRE finds a passage on items that arrive damaged.
var damagedOnArrivalRE = regexp.MustCompile(`(?i)\barriv(?:es|ed|ing)? damaged\b|\bdamaged on arrival\b|收到(?:的)?(?:东西|商品)?(?:坏|破损|损坏)|(?:到货|签收)(?:时)?(?:破损|损坏)`)

// denialRE finds a denial in a question.
var denialRE = regexp.MustCompile(`(?i)\b(?:never|not|didn'?t|haven'?t|hasn'?t|wasn'?t|isn'?t)\b|没|未`)

// reportedCases are the words of the cases reportedCase looks for.
var reportedCases = sync.OnceValue(func() [][][]string {
	return [][][]string{wordsTerms([]string{"accidental", "意外"})}
})
