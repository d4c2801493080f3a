package chat

import "kefu/internal/sites"

// Escalation reasons (a fixed taxonomy; analytics group by it).
const (
	ReasonRequested         = "requested"
	ReasonNegativeSentiment = "negative_sentiment"
	ReasonNoAnswer          = "no_answer"
	ReasonSensitiveIntent   = "sensitive_intent"
	ReasonToolFailure       = "tool_failure"
	ReasonLimit             = "limit"
)

// Signals are what the policy looks at for one shopper message.
type Signals struct {
	Intent         string
	Sentiment      string // negative, neutral, positive
	SentimentScore float64
	Angry          bool
	Problem        bool // the message reports a problem rather than asks a question
	RequestedHuman bool // the widget's button
	NegativeStreak int  // including this message
}

// Decision says whether to escalate, why, and how urgently (higher first).
type Decision struct {
	Escalate bool
	Reason   string
	Priority int
}

// decide applies a site's escalation policy to one shopper message (the
// bot's inability to answer is judged after it tries; see afterAnswer).
func decide(p sites.Escalation, s Signals) Decision {
	switch {
	case s.RequestedHuman || s.Intent == "human_agent":
		return Decision{true, ReasonRequested, 2}
	case s.Angry && p.EscalateAngry:
		return Decision{true, ReasonNegativeSentiment, 3}
	case p.NegativeStreak > 0 && s.NegativeStreak >= p.NegativeStreak:
		return Decision{true, ReasonNegativeSentiment, 2}
	case contains(p.SensitiveIntents, s.Intent) && s.Problem:
		return Decision{true, ReasonSensitiveIntent, 3}
	case s.Intent == "complaint" && s.SentimentScore <= p.ComplaintScore:
		return Decision{true, ReasonSensitiveIntent, 2}
	}
	return Decision{}
}

// afterAnswer decides on escalation once the bot has tried: noAnswer counts
// its consecutive failures to answer, including this turn.
func afterAnswer(p sites.Escalation, noAnswer int) Decision {
	if p.NoAnswerStreak > 0 && noAnswer >= p.NoAnswerStreak {
		return Decision{true, ReasonNoAnswer, 1}
	}
	return Decision{}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
