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
		SentimentScore: u.Sentiment.Score, Angry: u.Sentiment.Angry, Problem: u.Problem}
	out.OrderNumbers, out.Emails = split(u.Entities)
	return out
}

// Entities implements Analyzer.
func (a ServiceAnalyzer) Entities(siteID int64, text string) (orderNumbers, emails []string) {
	return split(a.Service.Entities(siteID, text))
}

func split(entities []intents.Entity) (orderNumbers, emails []string) {
	for _, e := range entities {
		switch e.Type {
		case intents.EntityOrderNumber:
			orderNumbers = append(orderNumbers, e.Value)
		case intents.EntityEmail:
			emails = append(emails, e.Value)
		}
	}
	return orderNumbers, emails
}
