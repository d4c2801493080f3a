package intents

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"kefu/retrieval"
)

// Sentiment labels.
const (
	Negative = "negative"
	Neutral  = "neutral"
	Positive = "positive"
)

// Sentiment is how a text feels.
type Sentiment struct {
	Label string  `json:"label"` // negative, neutral or positive (or a trained model's own labels)
	Score float64 `json:"score"` // from -1 (most negative) to 1 (most positive)
	Angry bool    `json:"angry"` // negative and heated: insults, threats, shouting, "!!!"
}

// SentimentAnalyzer is anything that scores the sentiment of a text.
type SentimentAnalyzer interface {
	Analyze(text string) Sentiment
}

// Thresholds of the built-in analyzer. Why these values: a single mild word
// ("ok", "thanks", "sorry") should stay neutral, a single clear one ("good",
// "slow") should not; they were set from that rule, not fitted to any data.
const (
	labelThreshold = 0.15 // |score| at or above which a text is not neutral
	angryScore     = -0.35
	veryNegative   = -0.75 // angry even without other cues
	scoreAlpha     = 15.0  // score = raw / sqrt(raw² + alpha), as in VADER
)

// entry is what the lexicon knows about a word or phrase.
type entry struct {
	valence    float64
	hasValence bool
	negate     float64 // > 0 for a negator: its strength
	intensify  float64 // > 0 for an intensifier: its multiplier
	excess     float64 // for "太": the valence of "too <neutral word>" (太甜, 太厚)
	contrast   bool    // "but": what follows weighs more than what precedes
	concede    bool    // "although": its own clause weighs less
	anger      bool
}

func (e entry) merge(o entry) entry {
	if o.hasValence {
		e.valence, e.hasValence = o.valence, true
	}
	if o.negate > 0 {
		e.negate = o.negate
	}
	if o.intensify > 0 {
		e.intensify = o.intensify
	}
	if o.excess != 0 {
		e.excess = o.excess
	}
	e.contrast = e.contrast || o.contrast
	e.concede = e.concede || o.concede
	e.anger = e.anger || o.anger
	return e
}

// Analyzer is the built-in sentiment analyzer: a hand-written English and
// Chinese lexicon plus rules for negation, intensifiers, contrast, emoji and
// emoticons, repeated punctuation and shouting in capitals. It is immutable
// and safe for concurrent use.
type Analyzer struct {
	words   map[string][]phrase // English: first word → phrases, longest first
	cjk     map[string]entry    // Chinese words and phrases
	maxCJK  int                 // longest Chinese entry, in runes
	symbols []symbol            // emoji and emoticons, longest first
	symHead [256]bool           // first bytes of the symbols
}

type phrase struct {
	words []string
	e     entry
}

type symbol struct {
	text string
	e    entry
}

// NewAnalyzer loads the built-in lexicons.
func NewAnalyzer() (*Analyzer, error) {
	a := &Analyzer{words: map[string][]phrase{}, cjk: map[string]entry{}}
	for _, name := range []string{"data/sentiment_en.txt", "data/sentiment_zh.txt"} {
		f, err := dataFS.Open(name)
		if err != nil {
			return nil, fmt.Errorf("sentiment lexicon: %w", err)
		}
		err = a.load(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("sentiment lexicon %s: %w", name, err)
		}
	}
	for w := range a.words {
		slices.SortStableFunc(a.words[w], func(x, y phrase) int { return len(y.words) - len(x.words) })
	}
	slices.SortStableFunc(a.symbols, func(x, y symbol) int { return len(y.text) - len(x.text) })
	for _, s := range a.symbols {
		a.symHead[s.text[0]] = true
	}
	return a, nil
}

// load reads one lexicon file (format in data/sentiment_en.txt).
func (a *Analyzer) load(r io.Reader) error {
	sc := bufio.NewScanner(r)
	section := ""
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		fields := strings.Fields(line)
		var e entry
		if fields[len(fields)-1] == "anger" {
			e.anger = true
			fields = fields[:len(fields)-1]
		}
		value, hasValue := 1.0, false
		if len(fields) > 1 {
			if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
				value, hasValue = v, true
				fields = fields[:len(fields)-1]
			}
		}
		text := strings.Join(fields, " ")
		switch section {
		case "valence", "symbol", "excess":
			if !hasValue {
				return fmt.Errorf("line %d: %q needs a valence", n, line)
			}
			if section == "excess" {
				e.excess = value
			} else {
				e.valence, e.hasValence = value, true
			}
		case "negate":
			e.negate = value
		case "intensify":
			if !hasValue {
				return fmt.Errorf("line %d: %q needs a multiplier", n, line)
			}
			e.intensify = value
		case "contrast":
			e.contrast = true
		case "concede":
			e.concede = true
		default:
			return fmt.Errorf("line %d: entry outside a known section: %q", n, line)
		}
		if key := section + "\x00" + text; seen[key] {
			return fmt.Errorf("line %d: %q listed twice in [%s]", n, text, section)
		} else {
			seen[key] = true
		}
		if err := a.add(section, text, e); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read lexicon: %w", err)
	}
	return nil
}

func (a *Analyzer) add(section, text string, e entry) error {
	if section == "symbol" {
		a.symbols = append(a.symbols, symbol{text: text, e: e})
		return nil
	}
	if allCJK(text) {
		a.cjk[text] = a.cjk[text].merge(e)
		a.maxCJK = max(a.maxCJK, utf8.RuneCountInString(text))
		return nil
	}
	var words []string
	for _, t := range retrieval.Tokenize(text) {
		if t.CJK {
			return fmt.Errorf("%q mixes Chinese and other words", text)
		}
		words = append(words, t.Text)
	}
	if len(words) == 0 {
		return fmt.Errorf("%q has no words", text)
	}
	list := a.words[words[0]]
	for i := range list {
		if slices.Equal(list[i].words, words) {
			list[i].e = list[i].e.merge(e)
			return nil
		}
	}
	a.words[words[0]] = append(list, phrase{words: words, e: e})
	return nil
}

func allCJK(s string) bool {
	for _, r := range s {
		if !retrieval.IsCJK(r) {
			return false
		}
	}
	return s != ""
}

// unit is one word, one CJK character or one emoji/emoticon of the text.
type unit struct {
	start, end int
	text       string // lowercased word; the character or symbol itself
	kind       byte   // 'w' word, 'c' CJK character, 's' symbol
	caps       bool   // a word written in capitals (2+ letters)
	clause     int
	sym        int // index in Analyzer.symbols for a symbol
}

// match is a lexicon entry found in the text, spanning units [from, to).
type match struct {
	e        entry
	from, to int
	clause   int
	caps     bool
}

// scan splits text into units and clauses. It also reports the clauses that
// are questions and the emphasis marks: '!' count, '?' count, and whether
// the whole text is shouted in capitals.
func (a *Analyzer) scan(text string) (units []unit, questions []bool, bangs, quests int, shouting bool) {
	toks := retrieval.Tokenize(text)
	clause := 0
	questions = make([]bool, 1, 8)
	next := func(question bool) {
		questions[clause] = questions[clause] || question
		clause++
		questions = append(questions, false)
	}
	var upper, letters, capWords, words int
	ti := 0
	for i := 0; i < len(text); {
		for ti < len(toks) && toks[ti].Start < i {
			ti++ // tokens swallowed by an emoticon like ":D"
		}
		if ti < len(toks) && toks[ti].Start == i {
			t := toks[ti]
			if t.CJK {
				// a run of overlapping bigrams: emit its characters one by one
				end := t.End
				for ti+1 < len(toks) && toks[ti+1].CJK && toks[ti+1].Start < end {
					ti++
					end = toks[ti].End
				}
				for j := i; j < end; {
					_, n := utf8.DecodeRuneInString(text[j:])
					units = append(units, unit{start: j, end: j + n, text: text[j : j+n], kind: 'c', clause: clause})
					j += n
				}
				i = end
				ti++
				continue
			}
			raw := text[t.Start:t.End]
			u, l := caseCounts(raw)
			upper += u
			letters += l
			words++
			caps := l >= 2 && u == l
			if caps {
				capWords++
			}
			units = append(units, unit{start: t.Start, end: t.End, text: t.Text, kind: 'w', caps: caps, clause: clause})
			i = t.End
			ti++
			continue
		}
		if k, ok := a.symbolAt(text, i); ok {
			n := len(a.symbols[k].text)
			units = append(units, unit{start: i, end: i + n, text: text[i : i+n], kind: 's', clause: clause, sym: k})
			i += n
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '!', '！':
			bangs++
			next(false)
		case '?', '？':
			quests++
			next(true)
		case '.', '。', ';', '；', ',', '，', '、', '\n', '…', '~', '～', ':', '：':
			next(false)
		}
		i += n
	}
	// Chinese questions often end in a particle instead of '?'.
	for k, u := range units {
		if u.kind == 'c' && (u.text == "吗" || u.text == "么" || u.text == "呢") &&
			(k+1 == len(units) || units[k+1].clause != u.clause) {
			questions[u.clause] = true
		}
	}
	shouting = letters >= 6 && words >= 2 && float64(upper) >= 0.8*float64(letters) && capWords >= 2
	return units, questions, bangs, quests, shouting
}

func caseCounts(s string) (upper, letters int) {
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return upper, letters
}

// symbolAt returns the emoji or emoticon starting at text[i:], if any. An
// emoticon made of ASCII must not be glued to a word on its left (":D" in
// "Re:Dan" is not a smile).
func (a *Analyzer) symbolAt(text string, i int) (int, bool) {
	if !a.symHead[text[i]] {
		return -1, false
	}
	for k, s := range a.symbols {
		if !strings.HasPrefix(text[i:], s.text) {
			continue
		}
		if s.text[0] < utf8.RuneSelf && i > 0 {
			if prev, _ := utf8.DecodeLastRuneInString(text[:i]); unicode.IsLetter(prev) || unicode.IsDigit(prev) {
				continue
			}
		}
		if end := i + len(s.text); s.text[len(s.text)-1] < utf8.RuneSelf && end < len(text) {
			if next, _ := utf8.DecodeRuneInString(text[end:]); (unicode.IsLetter(next) || unicode.IsDigit(next)) && !retrieval.IsCJK(next) {
				continue
			}
		}
		return k, true
	}
	return -1, false
}

// matches finds lexicon entries over the units, longest first.
func (a *Analyzer) matches(text string, units []unit) []match {
	var out []match
	for i := 0; i < len(units); {
		u := units[i]
		switch u.kind {
		case 's':
			out = append(out, match{e: a.symbols[u.sym].e, from: i, to: i + 1, clause: u.clause})
			i++
			continue
		case 'c':
			// longest Chinese entry over contiguous characters of one clause
			best := 0
			var be entry
			j := i
			for n := 1; n <= a.maxCJK && j < len(units); n++ {
				if units[j].kind != 'c' || units[j].clause != u.clause || (j > i && units[j].start != units[j-1].end) {
					break
				}
				if e, ok := a.cjk[text[u.start:units[j].end]]; ok {
					best, be = n, e
				}
				j++
			}
			if best > 0 {
				out = append(out, match{e: be, from: i, to: i + best, clause: u.clause})
				i += best
				continue
			}
			i++
			continue
		}
		found := false
		for _, p := range a.words[u.text] {
			if i+len(p.words) > len(units) {
				continue
			}
			ok := true
			for k, w := range p.words {
				v := units[i+k]
				if v.kind != 'w' || v.text != w || v.clause != u.clause {
					ok = false
					break
				}
			}
			if ok {
				out = append(out, match{e: p.e, from: i, to: i + len(p.words), clause: u.clause, caps: u.caps})
				i += len(p.words)
				found = true
				break
			}
		}
		if !found {
			i++
		}
	}
	return out
}

// Analyze scores the sentiment of text.
func (a *Analyzer) Analyze(text string) Sentiment {
	s, _ := a.analyze(text)
	return s
}

// ruleCues is what the rules saw in a text: the lexicon features of the
// trained analyzer (SentimentClassifier).
type ruleCues struct {
	score      float64 // the rules' score in [-1, 1]
	pos, neg   float64 // sums of the positive and (absolute) negative contributions
	npos, nneg int     // how many contributions of each sign
	negated    int     // sentiment words flipped by a negator
	question   bool    // some clause is a question
	contrast   bool    // a "but" or an "although"
	shouting   bool
	bangs      int
	angry      bool // the rules' angry flag
}

// analyze scores text and reports the cues it used.
func (a *Analyzer) analyze(text string) (Sentiment, ruleCues) {
	var cues ruleCues
	units, questions, bangs, quests, shouting := a.scan(text)
	ms := a.matches(text, units)

	type scored struct {
		v    float64
		unit int
	}
	var vals []scored
	anger := false
	lastContrast := -1
	concedeClause := -1
	intMul, intEnd, intClause := 1.0, -10, -1
	negStrength, negEnd, negClause := 0.0, -10, -1
	for k, m := range ms {
		e := m.e
		if e.anger {
			anger = true
		}
		if e.contrast {
			lastContrast = m.from
		}
		if e.concede {
			concedeClause = m.clause
		}
		// A word that can intensify does so when a sentiment word follows.
		if e.intensify > 0 && e.hasValence {
			if k+1 < len(ms) && ms[k+1].e.hasValence && ms[k+1].clause == m.clause && ms[k+1].from-m.to <= 1 {
				e.hasValence = false
			} else {
				e.intensify = 0
			}
		}
		if e.negate > 0 {
			negStrength, negEnd, negClause = e.negate, m.to, m.clause
			continue
		}
		if e.excess != 0 && m.to < len(units) && units[m.to].clause == m.clause && units[m.to].kind == 'c' && units[m.to].text != "了" &&
			(k+1 == len(ms) || ms[k+1].from > m.to+1 || !ms[k+1].e.hasValence && ms[k+1].e.intensify == 0) {
			// "太甜", "有点干": too much of something plain is a complaint
			vals = append(vals, scored{v: e.excess, unit: m.from})
		}
		if e.intensify > 0 {
			if intClause == m.clause && m.from-intEnd <= 1 {
				intMul *= e.intensify // "very very", "真的非常"
			} else {
				intMul = e.intensify
			}
			intEnd, intClause = m.to, m.clause
			continue
		}
		if !e.hasValence || e.valence == 0 {
			continue
		}
		v := e.valence
		if intClause == m.clause && m.from-intEnd <= 2 {
			v *= intMul
			intEnd = -10
		}
		window := 2 // words between a negator and what it negates
		switch units[m.from].kind {
		case 'c':
			window = 3 // characters
		case 's':
			window = -1 // an emoji is not negated: "still nothing :("
		}
		if negClause == m.clause && m.from-negEnd <= window {
			cues.negated++
			if v > 0 {
				v *= -0.74 * negStrength
			} else {
				v *= -0.5 * negStrength
			}
		}
		if m.caps && !shouting {
			v *= 1.3
		}
		if v > 0 && questions[m.clause] {
			v *= 0.3 // "is it good?" asks, it does not praise
		}
		vals = append(vals, scored{v: v, unit: m.from})
	}

	var raw float64
	for _, s := range vals {
		v := s.v
		switch {
		case lastContrast >= 0 && s.unit < lastContrast:
			v *= 0.5
		case lastContrast >= 0:
			v *= 1.5
		case concedeClause >= 0 && units[s.unit].clause == concedeClause:
			v *= 0.5
		}
		if v > 0 {
			cues.pos += v
			cues.npos++
		} else if v < 0 {
			cues.neg -= v
			cues.nneg++
		}
		raw += v
	}
	if shouting {
		if raw > 0 {
			raw *= 1.3
		} else {
			raw -= 1.5 // shouting a neutral request is still impatience
		}
	}
	if raw != 0 {
		emph := 0.292 * float64(min(bangs, 4))
		if quests > 1 {
			emph += min(0.18*float64(quests), 0.96)
		}
		raw += math.Copysign(emph, raw)
	}
	score := raw / math.Sqrt(raw*raw+scoreAlpha)
	s := Sentiment{Label: Neutral, Score: math.Round(score*1000) / 1000}
	switch {
	case score >= labelThreshold:
		s.Label = Positive
	case score <= -labelThreshold:
		s.Label = Negative
	}
	heated := anger || shouting || bangs >= 2 || quests >= 2
	s.Angry = s.Label == Negative && (score <= veryNegative || (heated && score <= angryScore))
	cues.score, cues.angry, cues.shouting, cues.bangs = s.Score, s.Angry, shouting, bangs
	cues.question = slices.Contains(questions, true)
	cues.contrast = lastContrast >= 0 || concedeClause >= 0
	return s, cues
}
