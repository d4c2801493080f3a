package chat

import (
	"context"
	"kefu/internal/sites"
	"kefu/retrieval"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// The grounding guard: every checkable fact a model writes — amounts,
// prices, durations, dates, percentages, order and tracking numbers, URLs,
// e-mail addresses, phone numbers — must appear in the evidence the model
// was given (the passages, the shopper's order or product data from tools)
// or in the conversation. The model's reply is checked sentence by
// sentence before each sentence reaches the shopper; a sentence with an
// unsupported fact stops the stream, the model gets one chance to write the
// reply again with a correction, and after that the offline answer is sent.

// Grounding results recorded on a bot reply.
const (
	GroundingNone      = ""          // no model reply (offline), or nothing to check
	GroundingVerified  = "verified"  // every checkable fact was found in the evidence
	GroundingCorrected = "corrected" // the first draft had an unsupported fact; the second passed
	GroundingFallback  = "fallback"  // both drafts had one: the offline answer was sent
)

var (
	// a URL, an e-mail address
	urlRE   = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'）)\]]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|example|cn|co|shop|store)(?:/[^\s<>"'）)\]]*)?`)
	emailRE = regexp.MustCompile(`(?i)[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}`)
	// an identifier: letters and digits with at least four digits (order
	// numbers LL-100123, tracking numbers 1Z…, SF…, RMA-…)
	idRE = regexp.MustCompile(`\b[A-Za-z]{0,4}-?\d[\dA-Za-z-]{3,}\b`)
	// a number, with thousands separators and decimals
	numRE = regexp.MustCompile(`\d[\d,]*(?:\.\d+)?`)
	// citation marks [1]
	citeMarkRE = regexp.MustCompile(`\[\d{1,2}\]`)
)

// evidence is what a model reply may state: the texts it was given,
// indexed for the checks.
type evidence struct {
	text    string          // lowercased, everything joined
	numbers map[string]bool // every number, canonical
}

func newEvidencePool(texts ...string) *evidence {
	e := &evidence{numbers: map[string]bool{}}
	var b strings.Builder
	for _, t := range texts {
		b.WriteString(strings.ToLower(t))
		b.WriteString("\n")
		for _, n := range numRE.FindAllString(t, -1) {
			e.numbers[canonicalNumber(n)] = true
		}
	}
	e.text = b.String()
	return e
}

// canonicalNumber writes a number without separators or trailing zeros:
// "1,299.00" → "1299", "19.90" → "19.9".
func canonicalNumber(n string) string {
	n = strings.ReplaceAll(n, ",", "")
	if strings.Contains(n, ".") {
		n = strings.TrimRight(strings.TrimRight(n, "0"), ".")
	}
	if v, err := strconv.ParseFloat(n, 64); err == nil && v == 0 {
		return "0"
	}
	return strings.TrimLeft(n, "0")
}

// unsupported returns the checkable facts of sentence that the evidence
// does not have.
func (e *evidence) unsupported(sentence string) []string {
	s := citeMarkRE.ReplaceAllString(sentence, " ")
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, m := range emailRE.FindAllString(s, -1) {
		if !strings.Contains(e.text, strings.ToLower(m)) {
			add(m)
		}
		s = strings.Replace(s, m, " ", 1)
	}
	for _, m := range urlRE.FindAllString(s, -1) {
		u := strings.TrimRight(strings.ToLower(m), ".,;:!?")
		u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
		if !strings.Contains(e.text, u) {
			add(m)
		}
		s = strings.Replace(s, m, " ", 1)
	}
	for _, m := range idRE.FindAllString(s, -1) {
		if digits(m) >= 4 && hasLetter(m) {
			if !retrieval.ContainsWhole(e.text, strings.ToLower(m)) {
				add(m)
			}
			s = strings.Replace(s, m, " ", 1)
		}
	}
	for _, m := range numRE.FindAllString(s, -1) {
		if !e.numbers[canonicalNumber(m)] {
			add(m)
		}
	}
	return out
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

func hasLetter(s string) bool {
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return true
		}
	}
	return false
}

// sentenceStream cuts streamed text into sentences: a sentence ends at
// . ! ? followed by a space or a line break, at 。！？, or at a line break.
// A full stop between digits (19.95) or inside a word (lumenloom.example)
// does not end one.
type sentenceStream struct {
	pending strings.Builder
}

// push adds a piece of text and returns the sentences it completes.
func (s *sentenceStream) push(piece string) []string {
	s.pending.WriteString(piece)
	text := s.pending.String()
	var out []string
	start := 0
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		end := -1
		switch r {
		case '。', '！', '？', '\n':
			end = i + n
		case '.', '!', '?':
			if i+n < len(text) {
				if next, _ := utf8.DecodeRuneInString(text[i+n:]); next == ' ' || next == '\n' {
					end = i + n
				}
			}
		}
		i += n
		if end > 0 {
			out = append(out, text[start:end])
			start = end
		}
	}
	s.pending.Reset()
	s.pending.WriteString(text[start:])
	return out
}

// rest returns what is left when the stream ends.
func (s *sentenceStream) rest() string {
	t := s.pending.String()
	s.pending.Reset()
	return t
}

// guard checks one streamed draft: it publishes each sentence whose facts
// the evidence has and stops the stream at the first that has one it does
// not.
type guard struct {
	e      *Engine
	ctx    context.Context
	cancel context.CancelFunc
	conv   *Conversation
	siteID int64
	id     string
	reset  bool // the first piece tells watchers to drop an earlier draft
	pool   *evidencePool
	cut    sentenceStream
	failed []string // the unsupported facts, when the draft failed
}

// evidencePool collects the texts a draft may state facts from.
type evidencePool struct {
	mu    sync.Mutex
	texts []string
	index *evidence
}

func (p *evidencePool) add(text string) {
	p.mu.Lock()
	p.texts = append(p.texts, text)
	p.index = nil
	p.mu.Unlock()
}

func (p *evidencePool) unsupported(sentence string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.index == nil {
		p.index = newEvidencePool(p.texts...)
	}
	return p.index.unsupported(sentence)
}

func (e *Engine) newGuard(ctx context.Context, conv *Conversation, site *sites.Site, id string, reset bool) *guard {
	g := &guard{e: e, conv: conv, siteID: site.ID, id: id, reset: reset, pool: &evidencePool{}}
	g.ctx, g.cancel = context.WithCancel(ctx)
	// The conversation itself is evidence: what the shopper and the bot said.
	if msgs, err := e.messagesAfter(ctx, conv, max(0, conv.LastSeq-40)); err == nil {
		for _, m := range msgs {
			g.pool.add(m.Text)
		}
	}
	return g
}

func (g *guard) delta(piece string) {
	if g.failed != nil {
		return
	}
	for _, s := range g.cut.push(piece) {
		if !g.check(s) {
			return
		}
	}
}

// finish checks what is left after the stream ended.
func (g *guard) finish() {
	if g.failed == nil {
		if rest := g.cut.rest(); rest != "" {
			g.check(rest)
		}
	}
}

// check publishes a sentence whose facts are supported, or stops the
// draft.
func (g *guard) check(sentence string) bool {
	if bad := g.pool.unsupported(sentence); len(bad) > 0 {
		g.failed = bad
		g.cancel()
		return false
	}
	g.e.publish(Event{Kind: KindDelta, ConversationID: g.conv.ID, SiteID: g.siteID, DeltaID: g.id, Delta: sentence, DeltaReset: g.reset})
	g.reset = false
	return true
}

// groundingStats count model replies by what the grounding check found.
type groundingStats struct {
	verified, corrected, fallback atomic.Int64
}

func (e *Engine) groundingCounted(result string) {
	switch result {
	case GroundingVerified:
		e.grounding.verified.Add(1)
	case GroundingCorrected:
		e.grounding.corrected.Add(1)
	case GroundingFallback:
		e.grounding.fallback.Add(1)
	}
}

// GroundingCounts returns how many model replies this engine sent verified,
// corrected (an unsupported fact caught, the second draft passed) and
// replaced by the offline answer, since it started (for /metrics).
func (e *Engine) GroundingCounts() (verified, corrected, fallback int64) {
	return e.grounding.verified.Load(), e.grounding.corrected.Load(), e.grounding.fallback.Load()
}
