package chat

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/retrieval"
)

// When the bot is not sure, it offers the help-page sections its best
// guesses came from ("Did you mean …?"): on the development questions the
// right answer is one tap away for half of the questions it declines.
// Tapping one sends its label as the shopper's message, and the bot answers
// the question it declined from that section (pickedTopic, pickAnswer). An
// answer it is less sure of offers the other sections the same way
// (alternativesBelow).

// Topic is a help-page section a reply offers to answer from instead.
type Topic struct {
	Label   string `json:"label"` // what the shopper sees and taps: the section's own heading
	Source  string `json:"source"`
	Heading string `json:"heading"`
}

// topicFloor is how likely (by the answer model) an extract must be for
// its section to be offered, and maxTopics how many are. Chosen on the
// eleven development files (docs/benchmarks.md, "Answers", nineteenth
// pass): of 231 declined questions, at 0.1 203 get topics and 116 have
// the answer one tap away, while 94 of 204 out-of-scope questions get
// topics; at 0.15 169, 94 and 62; at 0.05 225, 128 and 157.
const (
	topicFloor = 0.1
	maxTopics  = 3
)

// topicsFrom are the sections of the likeliest extracts, best first,
// each once (and each label once: two sections with one heading would be
// two chips that look the same). A shopper who does not write Chinese is
// not offered Chinese headings.
func topicsFrom(cands []candidate, lang string) []Topic {
	order := make([]int, 0, len(cands))
	for i, c := range cands {
		if c.p >= topicFloor {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cands[b].p, cands[a].p) })
	var out []Topic
	for _, i := range order {
		h := cands[i].x.hit
		label := lastHeading(h.Heading)
		if label == "" {
			label = strings.TrimSpace(h.Title)
		}
		if label == "" || lang != "zh" && strings.ContainsFunc(label, retrieval.IsCJK) || slices.ContainsFunc(out, func(s Topic) bool {
			return s.Label == label || s.Source == h.Source && s.Heading == h.Heading
		}) {
			continue
		}
		out = append(out, Topic{Label: label, Source: h.Source, Heading: h.Heading})
		if len(out) == maxTopics {
			break
		}
	}
	return out
}

// otherSections are the candidates from sections other than h's.
func otherSections(cands []candidate, h knowledge.Hit) []candidate {
	var out []candidate
	for _, c := range cands {
		if c.x.hit.Source != h.Source || c.x.hit.Heading != h.Heading {
			out = append(out, c)
		}
	}
	return out
}

// inSection keeps the hits of one section.
func inSection(hits []knowledge.Hit, s Topic) []knowledge.Hit {
	var out []knowledge.Hit
	for _, h := range hits {
		if h.Source == s.Source && h.Heading == s.Heading {
			out = append(out, h)
		}
	}
	return out
}

// pickAnswer answers q from the section the shopper picked: the extract of
// that section that best answers it, quoted whatever its probability (the
// shopper chose the section).
func (e *Engine) pickAnswer(ctx context.Context, q *question, s Topic) (reply, bool) {
	r := e.searchAnswer(ctx, q, &s)
	if !r.answered {
		return reply{}, false
	}
	r.id, r.kind = newUUID(), kindKnowledge
	return r, true
}

// tappedQuestion is the question a tapped topic answers: the shopper's
// message the bot was not sure about, read with the topic it continues.
// Only what the search needs: its intent, order and identity were settled
// in its own turn and are not looked up again.
func (e *Engine) tappedQuestion(ctx context.Context, site *sites.Site, conv *Conversation, asked *Message, lang string) *question {
	q := &question{site: site, conv: conv, text: asked.Text, msg: asked, lang: lang}
	if isFollowUp(asked.Text) {
		q.earlier = e.earlierTopic(ctx, conv, asked)
		q.context = e.followUpContext(ctx, q.earlier, asked.Text)
	}
	return q
}

// pickedTopic reports whether a shopper message is a tap on a
// topic the bot reply just before it offered: the topic, and the
// question that reply was not sure about.
func (e *Engine) pickedTopic(ctx context.Context, conv *Conversation, msg *Message) (Topic, *Message, bool) {
	if conv == nil {
		return Topic{}, nil, false
	}
	msgs, err := e.messagesAfter(ctx, conv, max(0, msg.Seq-pickWindow))
	if err != nil {
		return Topic{}, nil, false
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Seq >= msg.Seq || m.Role == RoleSystem {
			continue
		}
		if m.Role != RoleBot {
			return Topic{}, nil, false // the shopper wrote something else in between
		}
		t, ok := TappedTopic(m.Topics, msg.Text)
		if !ok {
			return Topic{}, nil, false
		}
		for j := i - 1; j >= 0; j-- {
			if msgs[j].Role == RoleShopper {
				return t, &msgs[j], true
			}
		}
		return Topic{}, nil, false
	}
	return Topic{}, nil, false
}

// TappedTopic reports which of the topics a reply offered a shopper's
// message taps: the widget sends a tapped topic's label as the message.
func TappedTopic(topics []Topic, text string) (Topic, bool) {
	text = strings.TrimSpace(text)
	for _, t := range topics {
		if t.Label == text {
			return t, true
		}
	}
	return Topic{}, false
}

// pickWindow is how many messages back a tapped topic and its question are
// looked for (the question, the reply, a system notice, the tap).
const pickWindow = 6
