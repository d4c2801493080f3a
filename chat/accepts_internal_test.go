package chat

import (
	"testing"

	"kefu/internal/sites"
)

// A message the classifier reads as out of scope needs a surer passage;
// a follow-up ("那 sleeve 呢") reads as nothing alone, and does not.
func TestAcceptsFollowUpWithoutOutOfScopeMargin(t *testing.T) {
	e := &Engine{}
	score := sites.DefaultConfig().Escalation.MinConfidence + quoteMargin + otherMargin/2
	alone := &question{site: &sites.Site{}, a: Analysis{Intent: "other"}}
	if e.accepts(alone, &Evidence{Score: score}) {
		t.Errorf("an out-of-scope message is answered at %.2f", score)
	}
	followUp := &question{site: &sites.Site{}, a: Analysis{Intent: "other"}, context: "linen shirt M 码衣长多少"}
	if !e.accepts(followUp, &Evidence{Score: score}) {
		t.Errorf("a follow-up is not answered at %.2f", score)
	}
}
