package chat

import (
	"context"
	"fmt"
	"kefu/internal/sites"
	"strings"
	"unicode/utf8"
)

// AskRequest is a question for the bot outside any conversation: answer
// tests, the console's playground and the command line ask it as a shopper
// would, without storing anything.
type AskRequest struct {
	Text string `json:"text"`
	// Context are the shopper's earlier messages, oldest first (for a
	// follow-up such as "and to Canada?").
	Context []string `json:"context,omitempty"`
	// Customer, when set, is the shop's customer id the question is asked
	// as (a verified shopper: their orders are in reach).
	Customer string `json:"customer,omitempty"`
	Locale   string `json:"locale,omitempty"`
	// Explain keeps every candidate extract the bot weighed in the result.
	Explain bool `json:"explain,omitempty"`
	// Pick, when set, is a topic an earlier answer to Text offered: the
	// bot answers Text from that section, as when a shopper taps it.
	Pick *Topic `json:"pick,omitempty"`
}

// AskResult is the bot's answer and how it came to it.
type AskResult struct {
	Reply      string     `json:"reply"`
	Citations  []Citation `json:"citations"`
	Products   []Product  `json:"products,omitempty"`
	Answered   bool       `json:"answered"`
	Confidence *float64   `json:"confidence,omitempty"`
	Intent     string     `json:"intent"`
	Problem    bool       `json:"problem,omitempty"`
	// Escalation is the reason the conversation would go to a person
	// before the bot answers ("" when it would not).
	Escalation string `json:"escalation,omitempty"`
	Model      string `json:"model,omitempty"`
	// Evidence is what a knowledge answer weighed (also when the bot
	// declined): the passage, the part it would quote, the signals.
	Evidence *Evidence `json:"evidence,omitempty"`
	// Candidates are every extract weighed, best-scored or not (with
	// AskRequest.Explain).
	Candidates []Candidate `json:"candidates,omitempty"`
	// Topics are the help-page sections the reply offers to answer from
	// instead (each can be asked again as Pick).
	Topics []Topic `json:"topics,omitempty"`
}

// Ask answers req for site as the bot would in a conversation (offline, or
// with the model when one is configured), without storing anything.
func (e *Engine) Ask(ctx context.Context, site *sites.Site, req AskRequest) (*AskResult, error) {
	req.Text = strings.TrimSpace(req.Text)
	if req.Text == "" || utf8.RuneCountInString(req.Text) > MaxMessageLength {
		return nil, fmt.Errorf("a question needs 1 to %d characters: %w", MaxMessageLength, ErrInvalid)
	}
	text := Redact(req.Text)
	a := e.opts.Analyzer.Analyze(ctx, site.ID, text)
	lang := Lang(text, req.Locale)
	q := &question{site: site, text: text, a: a, lang: lang, explain: req.Explain}
	if req.Customer != "" {
		if e.opts.Commerce == nil {
			return nil, fmt.Errorf("no commerce data to verify customer %q: %w", req.Customer, ErrInvalid)
		}
		id, err := e.opts.Commerce.CustomerByExternalID(ctx, site.ID, req.Customer)
		if err != nil {
			return nil, fmt.Errorf("customer %q: %w", req.Customer, ErrNotFound)
		}
		q.customer, q.verified = &id, verifyOK
	}
	if len(a.OrderNumbers) > 0 {
		q.number = a.OrderNumbers[0]
	}
	if n := len(req.Context); n > 0 {
		q.earlier = req.Context[n-1]
		if n > 1 && isFollowUp(q.earlier) {
			q.earlier = req.Context[n-2] + " " + q.earlier
		}
		if isFollowUp(text) {
			q.context = q.earlier
		}
	}
	res := &AskResult{Intent: a.Intent, Problem: a.Problem}
	d := decide(site.Config().Escalation, Signals{Intent: a.Intent, Problem: a.Problem, Sentiment: a.Sentiment,
		SentimentScore: a.SentimentScore, Angry: a.Angry, NegativeStreak: boolInt(a.Sentiment == "negative")})
	if d.Escalate {
		res.Escalation = d.Reason
	}
	var r reply
	if req.Pick != nil {
		var ok bool
		if r, ok = e.pickAnswer(ctx, q, *req.Pick); !ok {
			r = reply{text: say(lang, "no_answer"), kind: kindDecline}
		}
	} else {
		r = e.offline(ctx, q)
	}
	res.Topics = r.topics
	res.Reply, res.Citations, res.Products, res.Answered, res.Confidence = r.text, r.citations, r.products, r.answered, r.confidence
	res.Evidence, res.Candidates = r.evidence, r.candidates
	if res.Citations == nil {
		res.Citations = []Citation{}
	}
	return res, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
