package intents_test

import (
	"bytes"
	"context"
	"testing"

	"kefu/intents"
)

func newAnalyzer(t testing.TB) *intents.Analyzer {
	t.Helper()
	a, err := intents.NewAnalyzer()
	if err != nil {
		t.Fatalf("NewAnalyzer: %v", err)
	}
	return a
}

func TestSentimentRules(t *testing.T) {
	a := newAnalyzer(t)
	tests := []struct {
		name, text string
		want       string
		angry      bool
	}{
		{"plain positive", "The jacket is great", intents.Positive, false},
		{"plain negative", "The zipper is broken", intents.Negative, false},
		{"neutral question", "Where is my order LL-100234?", intents.Neutral, false},
		{"neutral request", "Can you issue an invoice for my order?", intents.Neutral, false},
		{"politeness stays neutral", "thanks, when does it ship?", intents.Neutral, false},
		{"negation en", "I am not happy with this", intents.Negative, false},
		{"negation en contraction", "it doesn't work", intents.Negative, false},
		{"negated negative en", "not bad at all", intents.Positive, false},
		{"negated problem en", "no problems so far", intents.Positive, false},
		{"negation zh", "不满意", intents.Negative, false},
		{"strong negation zh", "一点也不好", intents.Negative, false},
		{"negation with adverb zh", "不是很满意", intents.Negative, false},
		{"negated negative zh", "没问题，谢谢", intents.Positive, false},
		{"intensifier en", "very good", intents.Positive, false},
		{"intensifier zh", "非常好", intents.Positive, false},
		{"tai...le zh", "太慢了", intents.Negative, false},
		{"tai with plain word zh", "太甜了", intents.Negative, false},
		{"contrast en: later clause wins", "The product is great but the delivery was terribly slow", intents.Negative, false},
		{"contrast en: praise after complaint", "Shipping was slow, but the quality is excellent", intents.Positive, false},
		{"concession en", "Although shipping was slow, the quality is excellent", intents.Positive, false},
		{"contrast zh", "质量很好，但是物流太慢了", intents.Negative, false},
		{"concession zh", "虽然贵了点，但是质量很好", intents.Positive, false},
		{"emoji positive", "arrived today 😍", intents.Positive, false},
		{"emoji negative", "arrived today 😡", intents.Negative, true},
		{"emoticon positive", "got it :)", intents.Positive, false},
		{"emoticon negative", "still nothing :(", intents.Negative, false},
		{"emoticon needs a boundary", "see Re:Dan", intents.Neutral, false},
		{"repeated punctuation", "This is ridiculous!!!", intents.Negative, true},
		{"shouting", "WHERE IS MY ORDER", intents.Negative, true},
		{"shouting praise", "I LOVE IT", intents.Positive, false},
		{"insult zh", "垃圾！！！骗子", intents.Negative, true},
		{"mild zh", "还行吧", intents.Positive, false},
		{"greeting zh is neutral", "你好，我的订单到哪了", intents.Neutral, false},
		{"courier is not fast", "快递什么时候到", intents.Neutral, false},
		{"mixed language", "这个 quality 很好", intents.Positive, false},
		{"empty", "", intents.Neutral, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.Analyze(tt.text)
			if got.Label != tt.want || got.Angry != tt.angry {
				t.Errorf("Analyze(%q) = %+v; want %s, angry %v", tt.text, got, tt.want, tt.angry)
			}
			if got.Score < -1 || got.Score > 1 {
				t.Errorf("Analyze(%q).Score = %v; want within [-1, 1]", tt.text, got.Score)
			}
		})
	}
}

func TestSentimentOrdering(t *testing.T) {
	a := newAnalyzer(t)
	// Each pair: the second text should score lower than the first.
	pairs := [][2]string{
		{"good", "not good"},
		{"very good", "good"},
		{"bad", "very bad"},
		{"好", "不好"},
		{"好吃", "太难吃了"},
		{"slow", "slow!!!"},
		{"差", "非常差"},
	}
	for _, p := range pairs {
		hi, lo := a.Analyze(p[0]).Score, a.Analyze(p[1]).Score
		if !(hi > lo) {
			t.Errorf("Analyze(%q) = %v, Analyze(%q) = %v; want the second lower", p[0], hi, p[1], lo)
		}
	}
}

// sentiment_test.csv is held out: the lexicon was not written from it.
func TestSentimentOnHeldOutData(t *testing.T) {
	a := newAnalyzer(t)
	exs := readFile(t, "data/sentiment_test.csv")
	r := intents.EvaluateSentiment(a, exs)
	if r.Accuracy < 0.85 {
		t.Errorf("accuracy on sentiment_test.csv = %.3f; want >= 0.85", r.Accuracy)
	}
	if r.Neutral != nil {
		t.Errorf("three-class data reported as binary (neutral = %d)", *r.Neutral)
	}
}

func TestEvaluateSentimentBinary(t *testing.T) {
	a := newAnalyzer(t)
	exs := []intents.Example{{"great phone", "1"}, {"terrible battery", "0"}, {"it is a phone", "1"}, {"it is a phone", "0"}}
	r := intents.EvaluateSentiment(a, exs)
	if r.Accuracy != 0.75 || r.Neutral == nil || *r.Neutral != 2 {
		t.Errorf("EvaluateSentiment(binary) = accuracy %v, neutral %v; want 0.75 and 2 neutral answers counted as 1", r.Accuracy, r.Neutral)
	}
}

func TestTrainSentiment(t *testing.T) {
	var exs []intents.Example
	for _, s := range []string{"love it", "great quality", "works perfectly", "very happy", "excellent", "好吃", "很满意", "推荐"} {
		exs = append(exs, intents.Example{Text: s, Label: "1"})
	}
	for _, s := range []string{"hate it", "broken on arrival", "waste of money", "very unhappy", "terrible", "难吃", "很失望", "垃圾"} {
		exs = append(exs, intents.Example{Text: s, Label: "0"})
	}
	m, err := intents.TrainSentiment(context.Background(), exs, intents.TrainOptions{Epochs: 30})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := intents.LoadSentimentModel(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ text, want string }{{"love it, excellent", intents.Positive}, {"broken and terrible", intents.Negative}, {"很失望", intents.Negative}} {
		for name, an := range map[string]intents.SentimentAnalyzer{"trained": m, "loaded": loaded} {
			got := an.Analyze(tt.text)
			if got.Label != tt.want || (got.Label == intents.Positive) != (got.Score > 0) {
				t.Errorf("%s model: Analyze(%q) = %+v; want %s with a matching score sign", name, tt.text, got, tt.want)
			}
		}
	}
	if got := m.Analyze("TERRIBLE!!! WASTE OF MONEY"); !got.Angry {
		t.Errorf("trained model: Analyze(shouted complaint) = %+v; want angry", got)
	}
}
