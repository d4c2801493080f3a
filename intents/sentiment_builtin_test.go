package intents_test

import (
	"testing"

	"kefu/intents"
)

func mustSentiment(t testing.TB) *intents.SentimentClassifier {
	t.Helper()
	s, err := intents.BuiltinSentiment()
	if err != nil {
		t.Fatalf("BuiltinSentiment: %v", err)
	}
	return s
}

func TestBuiltinSentimentObviousCases(t *testing.T) {
	s := mustSentiment(t)
	rules := newAnalyzer(t)
	tests := []struct {
		text  string
		want  string
		angry bool
	}{
		{"Great quality, I love it", intents.Positive, false},
		{"arrived quickly and works perfectly", intents.Positive, false},
		{"the battery died after two days, total waste of money", intents.Negative, false},
		{"it stopped working and support never answered", intents.Negative, false},
		{"Where is my order LL-100234?", intents.Neutral, false},
		{"can I pay with PayPal?", intents.Neutral, false},
		{"质量很好，非常满意", intents.Positive, false},
		{"送得很快，饭菜还是热的", intents.Positive, false},
		{"太难吃了，再也不点了", intents.Negative, false},
		{"用了两天就坏了，很失望", intents.Negative, false},
		{"我的订单到哪了", intents.Neutral, false},
		// the rules still decide anger, for escalation
		{"This is ridiculous!!!", intents.Negative, true},
		{"WHERE IS MY ORDER", intents.Negative, true},
		{"垃圾！！！骗子", intents.Negative, true},
		{"I LOVE IT", intents.Positive, false},
		{"thanks, when does it ship?", intents.Neutral, false},
	}
	for _, tt := range tests {
		got := s.Analyze(tt.text)
		if got.Label != tt.want || (tt.angry && !got.Angry) {
			t.Errorf("Analyze(%q) = %+v; want %s, angry %v", tt.text, got, tt.want, tt.angry)
		}
		if r := rules.Analyze(tt.text); got.Angry != r.Angry {
			t.Errorf("Analyze(%q).Angry = %v; the rules say %v (they decide anger)", tt.text, got.Angry, r.Angry)
		}
		if got.Score < -1 || got.Score > 1 || (got.Label == intents.Positive && got.Score <= 0) || (got.Label == intents.Negative && got.Score >= 0) {
			t.Errorf("Analyze(%q).Score = %v; want within [-1, 1] with the label's sign", tt.text, got.Score)
		}
	}
}

// sentiment_test.csv is held out (never trained on); the floors sit under
// what the model measures (docs/benchmarks.md), above the rules alone.
func TestBuiltinSentimentOnHeldOutData(t *testing.T) {
	s := mustSentiment(t)
	byLang := map[string][]intents.Example{}
	for _, ex := range readFile(t, "data/sentiment_test.csv") {
		lang := "en"
		if intents.DetectLanguage(ex.Text) == "zh" {
			lang = "zh"
		}
		byLang[lang] = append(byLang[lang], ex)
	}
	for lang, exs := range byLang {
		r := intents.EvaluateSentiment(s, exs)
		if r.Accuracy < 0.93 {
			t.Errorf("%s: accuracy on sentiment_test.csv = %.3f (%d examples); want >= 0.93", lang, r.Accuracy, r.Examples)
		}
	}
}

func TestUnderstandUsesBuiltinSentiment(t *testing.T) {
	svc := newBuiltinService(t)
	rules := newAnalyzer(t)
	// no lexicon word: the rules call these neutral; the model knows that
	// returning a thing within a week, or half the soup, is bad news
	for _, text := range []string{"I had to return it after a week", "送来的时候汤只剩一半"} {
		if r := rules.Analyze(text); r.Label != intents.Neutral {
			t.Fatalf("rules: Analyze(%q) = %+v; the case needs a text the rules call neutral", text, r)
		}
		if got := svc.Understand(t.Context(), 1, text).Sentiment; got.Label != intents.Negative {
			t.Errorf("Understand(%q).Sentiment = %+v; want negative", text, got)
		}
	}
	// ordinary messages without any sentiment word stay neutral, even
	// when their words are common in bad reviews
	for _, text := range []string{"sent while the server was killed", "first message", "I waited for a while"} {
		if got := svc.Understand(t.Context(), 1, text).Sentiment; got.Label != intents.Neutral || got.Score <= -0.15 || got.Score >= 0.15 {
			t.Errorf("Understand(%q).Sentiment = %+v; want neutral within (-0.15, 0.15)", text, got)
		}
	}
}
