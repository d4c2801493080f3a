package intents_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"kefu/intents"
)

// mixedCase are examples whose labels carry capitals, dots and non-ASCII
// letters: a label is the user's and must come back exactly as given.
func mixedCase() []intents.Example {
	var exs []intents.Example
	for label, texts := range map[string][]string{
		"app.LAUNCH":      {"open the app", "launch spotify", "start the music app", "open my calendar app", "run the camera"},
		"Weather_Query":   {"will it rain today", "weather tomorrow", "how hot is it outside", "is it sunny in Paris", "forecast for the weekend"},
		"退款-Refund":       {"我要退款", "退款什么时候到", "申请退款", "钱能退回来吗", "退款进度"},
		"OOS":             {"tell me a joke", "who won the match", "what is love", "sing a song", "recipe for pancakes"},
		"CANCEL_ORDER.v2": {"cancel my order", "please cancel it", "取消订单", "I want to cancel", "stop my order"},
	} {
		for _, t := range texts {
			exs = append(exs, intents.Example{Text: t, Label: label})
		}
	}
	return exs
}

func TestLabelsRoundTrip(t *testing.T) {
	want := []string{"CANCEL_ORDER.v2", "Weather_Query", "app.LAUNCH", intents.Other, "退款-Refund"}
	exs := intents.NormalizeIntentLabels(mixedCase())
	var got []string
	for _, ex := range exs {
		if !slices.Contains(got, ex.Label) {
			got = append(got, ex.Label)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("NormalizeIntentLabels labels = %q; want %q (only oos read as other)", got, want)
	}
	c, err := intents.TrainClassifier(context.Background(), exs, intents.TrainOptions{Folds: 1, NoBackground: true})
	if err != nil {
		t.Fatal(err)
	}
	if l := c.Labels(); !slices.Equal(l, want) {
		t.Errorf("trained Labels() = %q; want %q", l, want)
	}
	var buf bytes.Buffer
	if err := c.Save(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := intents.LoadClassifier(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if l := loaded.Labels(); !slices.Equal(l, want) {
		t.Errorf("loaded Labels() = %q; want %q", l, want)
	}
	for text, label := range map[string]string{"launch the music app": "app.LAUNCH", "is it going to rain": "Weather_Query", "退款进度怎么样": "退款-Refund"} {
		if p := loaded.Classify(text); p.Intent != label {
			t.Errorf("Classify(%q) = %q; want %q", text, p.Intent, label)
		}
	}
	r := intents.EvaluateIntents(loaded, []intents.Example{{Text: "open the camera app", Label: "app.LAUNCH"}, {Text: "sing me a song", Label: "oos"}})
	var names []string
	for _, l := range r.PerLabel {
		names = append(names, l.Label)
	}
	if !slices.Contains(names, "app.LAUNCH") || slices.Contains(names, "app.launch") {
		t.Errorf("EvaluateIntents per-label names = %q; want app.LAUNCH unchanged", names)
	}
}

func TestCleanExampleKeepsLabels(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"app.LAUNCH", "app.LAUNCH"}, {" Wholesale ", "Wholesale"}, {"100_NIGHT_TRIAL_OFFER", "100_NIGHT_TRIAL_OFFER"},
		{"退款", "退款"}, {"OOS", intents.Other}, {"out_of_scope", intents.Other}, {"other", intents.Other},
	} {
		got, err := intents.CleanExample(intents.Example{Text: "x", Label: tt.in})
		if err != nil || got.Label != tt.want {
			t.Errorf("CleanExample(label %q) = %q, %v; want %q", tt.in, got.Label, err, tt.want)
		}
	}
	for _, bad := range []string{"", "has space", "tab\there", "a\nb", strings.Repeat("a", 65), "-dash-first", "x\u0000"} {
		if _, err := intents.CleanExample(intents.Example{Text: "x", Label: bad}); err == nil {
			t.Errorf("CleanExample(label %q) succeeded; want an error", bad)
		}
	}
}
