package intents

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// Training the small models twice on the same data gives the same weights.
func TestSmallModelsTrainDeterministically(t *testing.T) {
	rules, err := NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sexs, err := BuiltinSentimentExamples()
	if err != nil {
		t.Fatal(err)
	}
	s1, err := trainSentimentClassifier(ctx, rules, sexs)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := trainSentimentClassifier(ctx, rules, sexs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s1.m.w, s2.m.w) {
		t.Error("sentiment: two trainings on the same data differ")
	}
	pexs, err := BuiltinProblemExamples()
	if err != nil {
		t.Fatal(err)
	}
	p1, err := trainProblemDetector(ctx, rules, pexs)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := trainProblemDetector(ctx, rules, pexs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p1.m.w, p2.m.w) {
		t.Error("problem: two trainings on the same data differ")
	}
	if s1.Examples() != len(sexs) || p1.Examples() != len(pexs) {
		t.Errorf("examples = %d, %d; want %d, %d", s1.Examples(), p1.Examples(), len(sexs), len(pexs))
	}
}

func TestSmallModelsRejectBadLabels(t *testing.T) {
	rules, err := NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := trainSentimentClassifier(ctx, rules, []Example{{"good", "positive"}, {"meh", "so-so"}}); !errors.Is(err, ErrBadData) {
		t.Errorf("sentiment with label so-so: err = %v; want ErrBadData", err)
	}
	if _, err := trainProblemDetector(ctx, rules, []Example{{"broken", "problem"}, {"hi", "question"}}); !errors.Is(err, ErrBadData) {
		t.Errorf("problem with label question: err = %v; want ErrBadData", err)
	}
	if _, err := trainSentimentClassifier(ctx, rules, nil); !errors.Is(err, ErrNoExamples) {
		t.Errorf("sentiment without examples: err = %v; want ErrNoExamples", err)
	}
}

// The built-in models' training files are embedded and readable, and the
// sentiment data covers both languages and all three labels.
func TestSmallModelsTrainingData(t *testing.T) {
	exs, err := BuiltinSentimentExamples()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, ex := range exs {
		y, ok := sentimentLabel(ex.Label)
		if !ok {
			t.Fatalf("sentiment example %q has label %q", ex.Text, ex.Label)
		}
		count[DetectLanguage(ex.Text)+" "+sentimentLabels[y]]++
	}
	for _, k := range []string{"en negative", "en neutral", "en positive", "zh negative", "zh neutral", "zh positive"} {
		if count[k] < 150 {
			t.Errorf("%d sentiment training examples for %s; want at least 150", count[k], k)
		}
	}
}
