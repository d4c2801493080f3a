package chat

import (
	"regexp"
	"strconv"
	"strings"
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
	text   string // as shown to the shopper
	match  string // what is matched against the question (a row: its header too)
	line   int    // the passage line it comes from, for keeping order
	row    bool
	item   bool // a list item
	header string
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
	header := ""
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			header = ""
			continue
		}
		if strings.Count(l, " | ") >= 1 {
			if header == "" {
				header = l // a table's first line names its columns
				continue
			}
			out = append(out, unit{text: renderRow(header, l), match: l + "\n" + header, line: i, row: true, header: header})
			continue
		}
		header = ""
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
	return strings.Join(parts, " · ")
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
	"give": true, "take": true, "got": true, "make": true, "put": true, "go": true, "come": true, "let": true, "see": true,
	"ever": true, "say": true, "said": true, "think": true, "wonder": true, "ask": true, "mean": true, "sure": true, "happen": true,
}

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

// extract is the part of a search result that answers a question.
type extract struct {
	hit      knowledge.Hit
	rank     int     // of the hit, from 1
	text     string  // the chosen units, in passage order
	coverage float64 // of the question, by the units and their heading
	focus    bool    // the units (with the heading) cover the question's main word
	units    int
	own      float64         // coverage by the quoted part alone (without the heading)
	terms    map[string]bool // search terms of the units and their heading
}

// score ranks extracts of different passages: coverage with the heading,
// and a share for what the quoted part covers itself.
func (x extract) score() float64 { return 0.7*x.coverage + 0.3*x.own }

// questionHeading is how much of the question a heading must cover to be
// the question itself; ownLead how much a unit must cover on its own to be
// quoted instead of the answer's first sentence.
const (
	questionHeading = 0.75
	ownLead         = 0.5
)

// concepts are a question's words weighted for judging an answer: by how
// rare each is on the site, nothing for words that ask ("how long",
// "能不能") or only say when ("monday"), and less for products the
// shopper mentions in passing ("returned the lamp …": the policy does not
// name the lamp).
type concepts []weightedConcept

type weightedConcept struct {
	retrieval.Concept
	w     float64
	focus bool // may be the question's main word
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
	for _, w := range retrieval.Words(text) {
		terms := retrieval.SearchTerms(w.Text)
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
			case productWords[c.Term] && len(c.Alts) == 0:
				wc.w, wc.focus = c.IDF*productMentionWeight, false
			}
			out = append(out, wc)
			continue
		}
		// A Chinese word is covered when all its bigrams are (or its one
		// character), or one of its synonyms.
		required := terms[:1]
		if rs := []rune(w.Text); len(rs) > 2 {
			required = nil
			for i := 0; i+2 <= len(rs); i++ {
				required = append(required, string(rs[i:i+2]))
			}
		}
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
		case functionWord(w.Text):
			wc.w, wc.focus = c.IDF*questionWeight, false
		case len([]rune(w.Text)) == 1:
			wc.focus = false
		case productWords[w.Text]:
			wc.w, wc.focus = c.IDF*productMentionWeight, false
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

// functionWord reports whether a Chinese word only asks or joins (什么,
// 可以, 多久 …): every character is a function or question character.
func functionWord(w string) bool {
	for _, r := range w {
		if !isFunctionChar(r) && !strings.ContainsRune("久么样吗啥咋", r) {
			return false
		}
	}
	return true
}

// coverage is the weighted share of the concepts that text covers.
func (cs concepts) coverage(text string) float64 {
	terms := retrieval.TermSet(text)
	covered, total := 0.0, 0.0
	for _, c := range cs {
		total += c.w
		if c.Covers(terms) {
			covered += c.w
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

// bestExtract chooses, among the top hits, the units that answer best.
func bestExtract(res *knowledge.SearchResult, cs concepts, q string, maxHits int) (extract, bool) {
	focus, hasFocus := cs.focus()
	var best extract
	found := false
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
		type scored struct {
			u        unit
			cov, own float64
		}
		var ss []scored
		// A document's introduction (its title is the chunk's only
		// heading) says what the page covers, rarely the answer.
		intro := 1.0
		if !strings.Contains(h.Heading, " > ") && !strings.Contains(h.Source, "#") {
			intro = introWeight
		}
		nums := numbers(q)
		for _, u := range us {
			cov := cs.coverage(head+"\n"+u.match) * intro
			if len(nums) > 0 && inRange(nums, u.match) {
				cov += rangeBonus // "a US men's 10" picks the row "US men: 9–12"
			}
			ss = append(ss, scored{u, cov, cs.coverage(u.match)})
		}
		top := 0
		for i, s := range ss {
			if s.cov > ss[top].cov || (s.cov == ss[top].cov && s.own > ss[top].own) {
				top = i
			}
		}
		// A heading that asks the question (an FAQ's "How long does
		// delivery take?"): the answer starts right below it.
		if cs.coverage(head) >= questionHeading && ss[top].own < ownLead {
			top = 0
		}
		chosen := []scored{ss[top]}
		// rows that match as well (the same destination by two carriers),
		// or a neighbour that adds a word of the question
		for i, s := range ss {
			if i == top || len(chosen) >= 3 {
				continue
			}
			if s.u.row && ss[top].u.row && s.cov >= ss[top].cov && s.own >= ss[top].own {
				chosen = append(chosen, s)
			}
		}
		// A sentence or list item comes with what follows it in its
		// paragraph or list (the answer often spans two or three), up to
		// maxExtract characters.
		if !ss[top].u.row {
			size := utf8.RuneCountInString(ss[top].u.text)
			for j := top + 1; j < len(ss) && len(chosen) < 3; j++ {
				prev, next := ss[j-1].u, ss[j].u
				sameBlock := next.line == prev.line || (next.line == prev.line+1 && next.item && prev.item)
				size += utf8.RuneCountInString(next.text)
				if !sameBlock || next.row || size > maxExtract {
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
		e := extract{hit: h, rank: hi + 1, text: strings.Join(texts, "\n"), units: len(chosen), own: ss[top].own}
		covered := head + "\n" + strings.Join(matches, "\n")
		e.coverage = cs.coverage(covered) * intro
		e.terms = retrieval.TermSet(covered)
		e.focus = !hasFocus || focus.Covers(e.terms)
		// the first hit is the reranker's choice: another hit must do clearly
		// better, by the question's words in its heading and in the quoted
		// part itself
		if !found || (e.focus && !best.focus) || (e.focus == best.focus && e.score() > best.score()+0.1) {
			best, found = e, true
		}
	}
	return best, found
}

// introWeight discounts a document's introduction.
const introWeight = 0.7

// rangeBonus is what a unit gains when a range in it holds a number of the
// question.
const rangeBonus = 0.15

var (
	numberRE = regexp.MustCompile(`\d+(?:\.\d+)?`)
	rangeRE  = regexp.MustCompile(`(\d+(?:\.\d+)?)\s*[–—−~-]\s*(\d+(?:\.\d+)?)`)
)

// numbers are the numbers of a question.
func numbers(q string) []float64 {
	var out []float64
	for _, m := range numberRE.FindAllString(q, 8) {
		if v, err := strconv.ParseFloat(m, 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// inRange reports whether a range in text ("9–12", "98–104") holds one of
// nums.
func inRange(nums []float64, text string) bool {
	for _, m := range rangeRE.FindAllStringSubmatch(text, -1) {
		lo, err1 := strconv.ParseFloat(m[1], 64)
		hi, err2 := strconv.ParseFloat(m[2], 64)
		if err1 != nil || err2 != nil || lo >= hi {
			continue
		}
		for _, n := range nums {
			if n >= lo && n <= hi {
				return true
			}
		}
	}
	return false
}

// lastHeading is the innermost heading of a heading path ("A > B" → "B").
func lastHeading(path string) string {
	if i := strings.LastIndex(path, " > "); i >= 0 {
		return strings.TrimSpace(path[i+3:])
	}
	return strings.TrimSpace(path)
}
