package intents_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"kefu/intents"
	"kefu/retrieval"
)

// inScopeOnly are the built-in examples without the ones labelled out of
// scope: a site that never wrote any, the usual case.
func inScopeOnly(t *testing.T) []intents.Example {
	t.Helper()
	exs, err := intents.BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	var in []intents.Example
	for _, ex := range exs {
		if ex.Label != intents.Other {
			in = append(in, ex)
		}
	}
	return in
}

// A softmax has to spread its probability over the labels it knows, so it
// can be confident about text that is about none of them. The evidence
// (nearest examples, the background class, unknown features) catches it.
func TestEvidenceRejectsWhatTheSoftmaxAccepts(t *testing.T) {
	in := inScopeOnly(t)
	softmax, err := intents.TrainClassifier(context.Background(), in, intents.TrainOptions{OOS: intents.OOSThreshold, NoBackground: true})
	if err != nil {
		t.Fatal(err)
	}
	evidence, err := intents.TrainClassifier(context.Background(), in, intents.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"what's the weather in Paris tomorrow"} {
		if got := softmax.Classify(text); got.Intent == intents.Other || got.Confidence < 0.6 {
			t.Errorf("softmax alone: Classify(%q) = %s at %.2f; the case needs it confident about an in-scope label", text, got.Intent, got.Confidence)
		}
		got := evidence.Classify(text)
		if got.Intent != intents.Other || got.OutOfScope <= evidence.Threshold() {
			ev, _, _ := evidence.Evidence(text)
			t.Errorf("with evidence: Classify(%q) = %s (out of scope %.2f, threshold %.2f, evidence %v); want other", text, got.Intent, got.OutOfScope, evidence.Threshold(), ev)
		}
	}
	// … and still answers what the shop handles.
	for text, want := range map[string]string{"where is my parcel, it's late": intents.DeliveryProblem, "我要退货": intents.ReturnRefund} {
		if got := evidence.Classify(text); got.Intent != want {
			t.Errorf("with evidence: Classify(%q) = %s (out of scope %.2f); want %s", text, got.Intent, got.OutOfScope, want)
		}
	}
}

// Training with calibration (parallel folds, nearest-neighbour evidence, a
// logistic fit) gives the same model every time, and it survives saving.
func TestEvidenceTrainingIsDeterministic(t *testing.T) {
	exs, err := intents.BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	opt := intents.TrainOptions{Epochs: 3}
	var files [2]bytes.Buffer
	var models [2]*intents.Classifier
	for i := range files {
		if models[i], err = intents.TrainClassifier(context.Background(), exs, opt); err != nil {
			t.Fatal(err)
		}
		if err := models[i].Save(&files[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(files[0].Bytes(), files[1].Bytes()) {
		t.Fatal("two trainings on the same data saved different models; want identical")
	}
	loaded, err := intents.LoadClassifier(bytes.NewReader(files[0].Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Threshold() != models[0].Threshold() {
		t.Errorf("loaded threshold %v; want %v", loaded.Threshold(), models[0].Threshold())
	}
	for _, text := range []string{"where is my order", "我要退款", "write me a poem", "hello", "asdf qwer"} {
		got, want := loaded.Classify(text), models[0].Classify(text)
		if got.Intent != want.Intent || got.Confidence != want.Confidence || got.OutOfScope != want.OutOfScope {
			t.Errorf("loaded.Classify(%q) = %s %.6f oos %.6f; want %s %.6f oos %.6f as before saving",
				text, got.Intent, got.Confidence, got.OutOfScope, want.Intent, want.Confidence, want.OutOfScope)
		}
	}
}

// The nearest-neighbour evidence can come from any embedding function; a
// saved model must be loaded with the embedder it was trained with.
func TestEvidenceWithAnInjectedEmbedder(t *testing.T) {
	h := retrieval.NewHashEmbedder(64)
	embed := intents.EmbedFunc(h.Model(), h.Vector)
	in := inScopeOnly(t)
	c, err := intents.TrainClassifier(context.Background(), in, intents.TrainOptions{Embedder: embed, Epochs: 4})
	if err != nil {
		t.Fatal(err)
	}
	ev, _, _ := c.Evidence(in[0].Text)
	if ev["near_in"] < 0.999 {
		t.Errorf("Evidence(a training text)[near_in] = %v; want 1 (it is its own nearest example)", ev["near_in"])
	}
	var buf bytes.Buffer
	if err := c.Save(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := intents.LoadClassifier(bytes.NewReader(buf.Bytes())); !errors.Is(err, intents.ErrBadData) {
		t.Errorf("LoadClassifier without the embedder = %v; want an ErrBadData error", err)
	}
	other := retrieval.NewHashEmbedder(32)
	if _, err := intents.LoadClassifierWith(bytes.NewReader(buf.Bytes()), intents.EmbedFunc(other.Model(), other.Vector)); !errors.Is(err, intents.ErrBadData) {
		t.Errorf("LoadClassifierWith(another embedder) = %v; want an ErrBadData error", err)
	}
	loaded, err := intents.LoadClassifierWith(bytes.NewReader(buf.Bytes()), embed)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"where is my order", "what's the weather like"} {
		if got, want := loaded.Classify(text), c.Classify(text); got.Intent != want.Intent || got.OutOfScope != want.OutOfScope {
			t.Errorf("loaded.Classify(%q) = %s oos %.4f; want %s oos %.4f", text, got.Intent, got.OutOfScope, want.Intent, want.OutOfScope)
		}
	}
}

func TestPerceptronBaseline(t *testing.T) {
	exs := intents.NormalizeIntentLabels(mixedCase())
	p, err := intents.TrainPerceptron(context.Background(), exs, intents.PerceptronOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := intents.EvaluateIntents(p, exs)
	if r.Accuracy < 0.95 {
		t.Errorf("perceptron accuracy on its own training data = %.3f; want >= 0.95", r.Accuracy)
	}
	if got := p.Classify("launch the camera app").Intent; got != "app.LAUNCH" {
		t.Errorf("perceptron Classify = %q; want app.LAUNCH (labels unchanged)", got)
	}
	if _, err := intents.TrainPerceptron(context.Background(), exs[:1], intents.PerceptronOptions{}); !errors.Is(err, intents.ErrBadData) {
		t.Errorf("TrainPerceptron(one label) = %v; want ErrBadData", err)
	}
}
