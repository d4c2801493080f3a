package intents_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"kefu/intents"
)

// messages are realistic shopper messages in both languages: the held-out
// intent and sentiment test files.
func messages(b *testing.B) []string {
	b.Helper()
	var texts []string
	for _, f := range []string{"data/test_en.csv", "data/test_zh.csv", "data/sentiment_test.csv"} {
		for _, ex := range readFile(b, f) {
			texts = append(texts, ex.Text)
		}
	}
	return texts
}

// BenchmarkMessage measures the per-message cost on the hot path: intent
// (built-in model) plus sentiment (the built-in trained analyzer). It
// reports the latency percentiles over all timed messages.
func BenchmarkMessage(b *testing.B) {
	c := mustBuiltin(b)
	a := mustSentiment(b)
	texts := messages(b)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		text := texts[i%len(texts)]
		start := time.Now()
		c.Classify(text)
		a.Analyze(text)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkUnderstand adds the problem detector, entities and language
// detection (Service.Understand).
func BenchmarkUnderstand(b *testing.B) {
	svc, err := intents.NewService(context.Background(), nil, intents.ServiceOptions{Builtin: mustBuiltin(b)})
	if err != nil {
		b.Fatal(err)
	}
	texts := messages(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		svc.Understand(ctx, 1, texts[i%len(texts)])
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

func BenchmarkClassify(b *testing.B) { benchEach(b, func(t string) { mustBuiltin(b).Classify(t) }) }

// BenchmarkSentiment is the built-in trained analyzer (what ships).
func BenchmarkSentiment(b *testing.B) { benchEach(b, func(t string) { mustSentiment(b).Analyze(t) }) }

// BenchmarkSentimentRules is the lexicon and rules alone.
func BenchmarkSentimentRules(b *testing.B) {
	a := newAnalyzer(b)
	benchEach(b, func(t string) { a.Analyze(t) })
}

func BenchmarkProblem(b *testing.B) { benchEach(b, func(t string) { mustProblem(b).Detect(t) }) }

// benchEach runs f on the test messages in turn, b.N times.
func benchEach(b *testing.B, f func(text string)) {
	texts := messages(b)
	f(texts[0]) // trains what f uses, before the timer starts
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f(texts[i%len(texts)])
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) < 100 {
		return // too few samples for a p99
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
	b.ReportMetric(at(0.999), "p99.9-ns")
}

// BenchmarkTrainBuiltin is start-up training: the built-in examples with the
// 5-fold calibration of the out-of-scope threshold. It also reports the size
// of the saved model.
func BenchmarkTrainBuiltin(b *testing.B) {
	exs, err := intents.BuiltinExamples()
	if err != nil {
		b.Fatal(err)
	}
	var c *intents.Classifier
	for i := 0; i < b.N; i++ {
		if c, err = intents.TrainClassifier(context.Background(), exs, intents.TrainOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	var buf bytes.Buffer
	c.Save(&buf)
	b.ReportMetric(float64(buf.Len()), "model-bytes")
}

// BenchmarkTrainBuiltinNoCalibration is training alone (one model, no folds).
func BenchmarkTrainBuiltinNoCalibration(b *testing.B) {
	exs, err := intents.BuiltinExamples()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := intents.TrainClassifier(context.Background(), exs, intents.TrainOptions{Folds: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// The public datasets live outside the module (../shared/datasets); these
// evaluation runs skip when they are absent. Tests never read them.
func sharedDataset(b *testing.B, parts ...string) []intents.Example {
	b.Helper()
	path := filepath.Join(append([]string{"..", "..", "shared", "datasets"}, parts...)...)
	if _, err := os.Stat(path); err != nil {
		b.Skipf("dataset %s not available: %v", path, err)
	}
	return readFile(b, path)
}

// BenchmarkEvalBanking77 trains on BANKING77's train.csv (10,003 examples,
// 77 intents; default options) and reports test accuracy on test.csv.
func BenchmarkEvalBanking77(b *testing.B) {
	train := sharedDataset(b, "banking77", "train.csv")
	test := sharedDataset(b, "banking77", "test.csv")
	for i := 0; i < b.N; i++ {
		start := time.Now()
		c, err := intents.TrainClassifier(context.Background(), train, intents.TrainOptions{})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		r := intents.EvaluateIntents(c, test)
		var buf bytes.Buffer
		c.Save(&buf)
		b.ReportMetric(r.Accuracy, "accuracy")
		b.ReportMetric(r.MacroF1, "macro-f1")
		b.ReportMetric(took.Seconds(), "train-s")
		b.ReportMetric(float64(buf.Len()), "model-bytes")
	}
}

// BenchmarkEvalSentiment runs the built-in analyzer on the two binary review
// sets, and a model trained on 80% of each (held-out 20%, seed 1).
func BenchmarkEvalSentiment(b *testing.B) {
	sets := map[string][]string{
		"en_amazon": {"en_uci_sentiment_amazon_yelp", "amazon_cells_labelled.txt"},
		"zh_waimai": {"zh_waimai_10k", "waimai_10k.csv"},
	}
	for name, parts := range sets {
		b.Run(name, func(b *testing.B) {
			exs := sharedDataset(b, parts...)
			a := newAnalyzer(b)
			for i := 0; i < b.N; i++ {
				r := intents.EvaluateSentiment(a, exs)
				b.ReportMetric(r.Accuracy, "builtin-accuracy")
				train, test := intents.SplitHoldout(exs, 0.2, 1)
				m, err := intents.TrainSentiment(context.Background(), train, intents.TrainOptions{Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(intents.EvaluateSentiment(m, test).Accuracy, "trained-holdout-accuracy")
			}
		})
	}
}
