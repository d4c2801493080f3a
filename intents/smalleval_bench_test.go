package intents_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"kefu/intents"
	"kefu/internal/datasets"
)

func labeled(ls []datasets.Labeled) []intents.Example {
	exs := make([]intents.Example, len(ls))
	for i, l := range ls {
		exs[i] = intents.Example{Text: l.Text, Label: l.Label}
	}
	return exs
}

func byLanguage(exs []intents.Example) map[string][]intents.Example {
	out := map[string][]intents.Example{}
	for _, ex := range exs {
		lang := "en"
		if intents.DetectLanguage(ex.Text) == "zh" {
			lang = "zh"
		}
		out[lang] = append(out[lang], ex)
	}
	return out
}

// confusion counts gold negative answered neutral, and gold neutral answered
// negative.
func confusion(a intents.SentimentAnalyzer, exs []intents.Example) (negAsNeu, neuAsNeg int) {
	for _, ex := range exs {
		got := a.Analyze(ex.Text).Label
		switch {
		case ex.Label == intents.Negative && got == intents.Neutral:
			negAsNeu++
		case ex.Label == intents.Neutral && got == intents.Negative:
			neuAsNeg++
		}
	}
	return negAsNeu, neuAsNeg
}

// BenchmarkEvalSentimentBuiltin reports the built-in trained analyzer next to
// two baselines: the lexicon and rules alone (the previous release) and a
// plain softmax regression over the intent features (TrainSentiment) trained
// on the same shippable data. Sets: data/sentiment_test.csv per language
// (three classes, held out), and the held-out halves (positions 0, 2, 4, …)
// of UCI Amazon and Waimai 10k; Waimai's development half too (the one
// whose errors were looked at).
func BenchmarkEvalSentimentBuiltin(b *testing.B) {
	root := filepath.Join("..", "..", "shared", "datasets")
	amazon, err := datasets.UCIAmazon(root)
	if err != nil {
		b.Skipf("UCI Amazon not available: %v", err)
	}
	waimai, err := datasets.Waimai(root)
	if err != nil {
		b.Skipf("Waimai not available: %v", err)
	}
	amazonDev, amazonHeld := datasets.Halves(labeled(amazon))
	waimaiDev, waimaiHeld := datasets.Halves(labeled(waimai))
	// The model trains on the embedded copy of Amazon's development half:
	// make sure it is exactly that half, so no held-out line is trained on.
	shipped := readFile(b, "data/uci_amazon_dev.txt")
	if len(shipped) != len(amazonDev) {
		b.Fatalf("data/uci_amazon_dev.txt has %d lines; the development half has %d", len(shipped), len(amazonDev))
	}
	for i := range shipped {
		if strings.TrimSpace(shipped[i].Text) != amazonDev[i].Text || shipped[i].Label != amazonDev[i].Label {
			b.Fatalf("data/uci_amazon_dev.txt line %d is not the development half's line %d", i+1, i+1)
		}
	}
	model := mustSentiment(b)
	rules := newAnalyzer(b)
	train, err := intents.BuiltinSentimentExamples()
	if err != nil {
		b.Fatal(err)
	}
	plain, err := intents.TrainSentiment(context.Background(), train, intents.TrainOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	test := byLanguage(readFile(b, "data/sentiment_test.csv"))
	analyzers := []struct {
		name string
		a    intents.SentimentAnalyzer
	}{{"model", model}, {"rules", rules}, {"plain", plain}}
	for i := 0; i < b.N; i++ {
		for _, an := range analyzers {
			for _, lang := range []string{"en", "zh"} {
				b.ReportMetric(intents.EvaluateSentiment(an.a, test[lang]).Accuracy, an.name+"-test3-"+lang)
				negAsNeu, neuAsNeg := confusion(an.a, test[lang])
				b.ReportMetric(float64(negAsNeu), an.name+"-neg-as-neu-"+lang)
				b.ReportMetric(float64(neuAsNeg), an.name+"-neu-as-neg-"+lang)
			}
			b.ReportMetric(intents.EvaluateSentiment(an.a, amazonHeld).Accuracy, an.name+"-amazon-held")
			b.ReportMetric(intents.EvaluateSentiment(an.a, waimaiHeld).Accuracy, an.name+"-waimai-held")
			b.ReportMetric(intents.EvaluateSentiment(an.a, waimaiDev).Accuracy, an.name+"-waimai-dev")
		}
	}
	b.ReportMetric(float64(model.Examples()), "train-examples")
	b.ReportMetric(model.TrainingTime().Seconds(), "train-s")
}

// BenchmarkEvalProblem reports the problem detector's accuracy per language
// on data/problem_test.csv (held out) next to two baselines: "a message
// without a question mark or question particle reports a problem", and "the
// intent is payment_issue, delivery_problem or complaint".
func BenchmarkEvalProblem(b *testing.B) {
	d := mustProblem(b)
	c := mustBuiltin(b)
	test := byLanguage(readFile(b, "data/problem_test.csv"))
	noQuestion := func(text string) bool {
		t := strings.TrimSpace(text)
		return !strings.ContainsAny(t, "?？") && !strings.HasSuffix(t, "吗") && !strings.HasSuffix(t, "呢")
	}
	problemIntent := func(text string) bool {
		switch c.Classify(text).Intent {
		case intents.PaymentIssue, intents.DeliveryProblem, intents.Complaint:
			return true
		}
		return false
	}
	model := func(text string) bool { p, _ := d.Detect(text); return p }
	for i := 0; i < b.N; i++ {
		for _, lang := range []string{"en", "zh"} {
			for name, f := range map[string]func(string) bool{"model": model, "no-question": noQuestion, "intent": problemIntent} {
				ok := 0
				for _, ex := range test[lang] {
					if f(ex.Text) == (ex.Label == "problem") {
						ok++
					}
				}
				b.ReportMetric(float64(ok)/float64(len(test[lang])), fmt.Sprintf("%s-%s", name, lang))
			}
		}
	}
	b.ReportMetric(float64(d.Examples()), "train-examples")
	b.ReportMetric(d.TrainingTime().Seconds(), "train-s")
}
