package chat

import (
	"context"

	"kefu/intents"
)

// ServiceAnalyzer is the Analyzer of a running kefu: the intents service's
// built-in (or site-trained) classifier, sentiment and entities.
type ServiceAnalyzer struct{ Service *intents.Service }

// Analyze implements Analyzer.
func (a ServiceAnalyzer) Analyze(ctx context.Context, siteID int64, text string) Analysis {
	u := a.Service.Understand(ctx, siteID, text)
	out := Analysis{Intent: u.Intent.Intent, Confidence: u.Intent.Confidence, Sentiment: u.Sentiment.Label,
		SentimentScore: u.Sentiment.Score, Angry: u.Sentiment.Angry}
	for _, e := range u.Entities {
		switch e.Type {
		case intents.EntityOrderNumber:
			out.OrderNumbers = append(out.OrderNumbers, e.Value)
		case intents.EntityEmail:
			out.Emails = append(out.Emails, e.Value)
		}
	}
	return out
}
