package intents

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// Cross-validation on the built-in training files only: how the settings of
// the built-in models were checked without touching any test file. Each
// benchmark reports 5-fold accuracy per language (folds by position).

func cvFolds(exs []Example, f int) (train, test []Example) {
	for i, ex := range exs {
		if i%5 == f {
			test = append(test, ex)
		} else {
			train = append(train, ex)
		}
	}
	return train, test
}

func cvReport(b *testing.B, name string, ok, n [2]int) {
	b.ReportMetric(float64(ok[0])/float64(n[0]), name+"-cv-en")
	b.ReportMetric(float64(ok[1])/float64(n[1]), name+"-cv-zh")
}

func cvLang(text string) int {
	if DetectLanguage(text) == "zh" {
		return 1
	}
	return 0
}

// BenchmarkCVIntents: the built-in intent files, one model per fold without
// the out-of-scope calibration.
func BenchmarkCVIntents(b *testing.B) {
	all, err := BuiltinExamples()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		var ok, n [2]int
		for f := 0; f < 5; f++ {
			train, test := cvFolds(all, f)
			c, err := TrainClassifier(context.Background(), train, TrainOptions{Folds: 1})
			if err != nil {
				b.Fatal(err)
			}
			for _, ex := range test {
				l := cvLang(ex.Text)
				n[l]++
				if c.Classify(ex.Text).Intent == ex.Label {
					ok[l]++
				}
			}
		}
		cvReport(b, "intent", ok, n)
	}
}

func BenchmarkCVProblem(b *testing.B) {
	rules, err := NewAnalyzer()
	if err != nil {
		b.Fatal(err)
	}
	all, err := BuiltinProblemExamples()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		var ok, n [2]int
		for f := 0; f < 5; f++ {
			train, test := cvFolds(all, f)
			d, err := trainProblemDetector(context.Background(), rules, train)
			if err != nil {
				b.Fatal(err)
			}
			for _, ex := range test {
				l := cvLang(ex.Text)
				n[l]++
				if got, _ := d.Detect(ex.Text); got == (ex.Label == labelProblem) {
					ok[l]++
				}
			}
		}
		cvReport(b, "problem", ok, n)
	}
}

// BenchmarkCVSentiment: three-class accuracy (binary UCI lines: the label's
// class) on the built-in sentiment training files.
func BenchmarkCVSentiment(b *testing.B) {
	if v := os.Getenv("KEFU_NEUTRAL_GATE"); v != "" {
		fmt.Sscanf(v, "%g", &neutralGate)
	}
	rules, err := NewAnalyzer()
	if err != nil {
		b.Fatal(err)
	}
	all, err := BuiltinSentimentExamples()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		var ok, n [2]int
		for f := 0; f < 5; f++ {
			train, test := cvFolds(all, f)
			s, err := trainSentimentClassifier(context.Background(), rules, train)
			if err != nil {
				b.Fatal(err)
			}
			for _, ex := range test {
				l := cvLang(ex.Text)
				want, _ := sentimentLabel(ex.Label)
				n[l]++
				if s.Analyze(ex.Text).Label == sentimentLabels[want] {
					ok[l]++
				}
			}
		}
		cvReport(b, "sentiment", ok, n)
	}
}

// BenchmarkTrainSmallModels is the start-up cost of the small built-in
// models: reading their examples, the rules' cues and training.
func BenchmarkTrainSmallModels(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		rules, err := NewAnalyzer()
		if err != nil {
			b.Fatal(err)
		}
		sexs, err := BuiltinSentimentExamples()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := trainSentimentClassifier(ctx, rules, sexs); err != nil {
			b.Fatal(err)
		}
		pexs, err := BuiltinProblemExamples()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := trainProblemDetector(ctx, rules, pexs); err != nil {
			b.Fatal(err)
		}
	}
}
