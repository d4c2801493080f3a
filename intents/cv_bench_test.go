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

// crossValidate reports the 5-fold accuracy (folds by position) of a model
// that train builds, per language: right says whether the trained model
// gets an example right.
func crossValidate(b *testing.B, name string, all []Example, train func([]Example) (func(Example) bool, error)) {
	for i := 0; i < b.N; i++ {
		var ok, n [2]int
		for f := 0; f < 5; f++ {
			var trainSet, testSet []Example
			for i, ex := range all {
				if i%5 == f {
					testSet = append(testSet, ex)
				} else {
					trainSet = append(trainSet, ex)
				}
			}
			right, err := train(trainSet)
			if err != nil {
				b.Fatal(err)
			}
			for _, ex := range testSet {
				l := 0
				if DetectLanguage(ex.Text) == "zh" {
					l = 1
				}
				n[l]++
				if right(ex) {
					ok[l]++
				}
			}
		}
		b.ReportMetric(float64(ok[0])/float64(n[0]), name+"-cv-en")
		b.ReportMetric(float64(ok[1])/float64(n[1]), name+"-cv-zh")
	}
}

// BenchmarkCVIntents: the built-in intent files, one model per fold without
// the out-of-scope calibration.
func BenchmarkCVIntents(b *testing.B) {
	all, err := BuiltinExamples()
	if err != nil {
		b.Fatal(err)
	}
	crossValidate(b, "intent", all, func(train []Example) (func(Example) bool, error) {
		c, err := TrainClassifier(context.Background(), train, TrainOptions{Folds: 1})
		if err != nil {
			return nil, err
		}
		return func(ex Example) bool { return c.Classify(ex.Text).Intent == ex.Label }, nil
	})
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
	crossValidate(b, "problem", all, func(train []Example) (func(Example) bool, error) {
		d, err := trainProblemDetector(context.Background(), rules, train)
		if err != nil {
			return nil, err
		}
		return func(ex Example) bool { got, _ := d.Detect(ex.Text); return got == (ex.Label == labelProblem) }, nil
	})
}

// BenchmarkCVSentiment: three-class accuracy (binary UCI lines: the label's
// class) on the built-in sentiment training files. KEFU_NEUTRAL_GATE sets
// the neutral gate (0: none).
func BenchmarkCVSentiment(b *testing.B) {
	if v := os.Getenv("KEFU_NEUTRAL_GATE"); v != "" {
		if _, err := fmt.Sscanf(v, "%g", &neutralGate); err != nil {
			b.Fatalf("KEFU_NEUTRAL_GATE=%q: %v", v, err)
		}
	}
	rules, err := NewAnalyzer()
	if err != nil {
		b.Fatal(err)
	}
	all, err := BuiltinSentimentExamples()
	if err != nil {
		b.Fatal(err)
	}
	crossValidate(b, "sentiment", all, func(train []Example) (func(Example) bool, error) {
		s, err := trainSentimentClassifier(context.Background(), rules, train)
		if err != nil {
			return nil, err
		}
		return func(ex Example) bool {
			want, _ := sentimentLabel(ex.Label)
			return s.Analyze(ex.Text).Label == sentimentLabels[want]
		}, nil
	})
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
