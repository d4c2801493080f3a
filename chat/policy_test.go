package chat

import (
	"testing"

	"kefu/internal/sites"
)

func TestPolicyDecide(t *testing.T) {
	p := sites.DefaultEscalation()
	tests := []struct {
		name string
		in   Signals
		want Decision
	}{
		{"plain question", Signals{Intent: "delivery_info", Sentiment: "neutral"}, Decision{}},
		{"asks for a person", Signals{Intent: "human_agent"}, Decision{true, ReasonRequested, 2}},
		{"widget button", Signals{Intent: "greeting", RequestedHuman: true}, Decision{true, ReasonRequested, 2}},
		{"angry", Signals{Intent: "order_status", Sentiment: "negative", SentimentScore: -0.9, Angry: true, NegativeStreak: 1}, Decision{true, ReasonNegativeSentiment, 3}},
		{"negative once", Signals{Intent: "order_status", Sentiment: "negative", SentimentScore: -0.4, NegativeStreak: 1}, Decision{}},
		{"negative twice", Signals{Intent: "order_status", Sentiment: "negative", SentimentScore: -0.4, NegativeStreak: 2}, Decision{true, ReasonNegativeSentiment, 2}},
		{"payment dispute", Signals{Intent: "payment_issue", Problem: true, Sentiment: "neutral"}, Decision{true, ReasonSensitiveIntent, 3}},
		{"payment question", Signals{Intent: "payment_issue", Sentiment: "neutral"}, Decision{}}, // asks how paying works
		{"mild complaint", Signals{Intent: "complaint", Sentiment: "negative", SentimentScore: -0.3, NegativeStreak: 1}, Decision{}},
		{"bitter complaint", Signals{Intent: "complaint", Sentiment: "negative", SentimentScore: -0.8, NegativeStreak: 1}, Decision{true, ReasonSensitiveIntent, 2}},
	}
	for _, tt := range tests {
		if got := decide(p, tt.in); got != tt.want {
			t.Errorf("%s: decide(%+v) = %+v; want %+v", tt.name, tt.in, got, tt.want)
		}
	}
	off := p
	off.EscalateAngry, off.NegativeStreak = false, 0
	if got := decide(off, Signals{Angry: true, NegativeStreak: 5}); got.Escalate {
		t.Errorf("a site that turned sentiment escalation off escalated: %+v", got)
	}
}

func TestPolicyAfterAnswer(t *testing.T) {
	p := sites.DefaultEscalation()
	for n, want := range map[int]bool{0: false, 1: false, 2: true, 3: true} {
		if got := afterAnswer(p, n).Escalate; got != want {
			t.Errorf("afterAnswer(%d).Escalate = %v; want %v", n, got, want)
		}
	}
}
