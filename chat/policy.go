package chat

// Escalation reasons (a fixed taxonomy; analytics group by it).
const (
	ReasonRequested         = "requested"
	ReasonNegativeSentiment = "negative_sentiment"
	ReasonNoAnswer          = "no_answer"
	ReasonSensitiveIntent   = "sensitive_intent"
	ReasonToolFailure       = "tool_failure"
	ReasonLimit             = "limit"
)

// Policy is a site's escalation policy. The zero value is not useful; start
// from DefaultPolicy.
type Policy struct {
	// NegativeStreak escalates after this many negative shopper messages in a row.
	NegativeStreak int `json:"negative_streak"`
	// EscalateAngry escalates at once when a message is angry.
	EscalateAngry bool `json:"escalate_angry"`
	// NoAnswerStreak escalates after the bot could not answer this many times in a row.
	NoAnswerStreak int `json:"no_answer_streak"`
	// SensitiveIntents escalate at once when the shopper reports a problem
	// with them (a payment dispute; not a question about how paying works).
	SensitiveIntents []string `json:"sensitive_intents"`
	// ComplaintScore: a complaint at or below this sentiment score escalates.
	ComplaintScore float64 `json:"complaint_score"`
	// MinConfidence is the retrieval confidence below which the bot does not
	// answer from the knowledge base (0.1 more is needed when the intent
	// classifier thinks the message is out of scope).
	MinConfidence float64 `json:"min_confidence"`
}

// DefaultPolicy is the policy of a site that has not configured one.
func DefaultPolicy() Policy {
	return Policy{
		NegativeStreak:   2,
		EscalateAngry:    true,
		NoAnswerStreak:   2,
		SensitiveIntents: []string{"payment_issue"},
		ComplaintScore:   -0.6,
		MinConfidence:    0.3,
	}
}

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

// Decide applies the policy to one shopper message (the bot's inability to
// answer is judged after it tries; see AfterAnswer).
func (p Policy) Decide(s Signals) Decision {
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

// AfterAnswer decides on escalation once the bot has tried: noAnswer counts
// its consecutive failures to answer, including this turn.
func (p Policy) AfterAnswer(noAnswer int) Decision {
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
