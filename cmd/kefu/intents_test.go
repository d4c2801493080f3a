package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kefu/intents"
	"kefu/internal/pgtest"
)

// kefuStdin runs the command line with stdin.
func kefuStdin(t *testing.T, vars map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return vars[k] }, strings.NewReader(stdin), &out, &errb)
	if err != nil {
		t.Logf("kefu %v stderr: %s", args, errb.String())
	}
	return out.String(), err
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("output line %q is not a JSON object: %v", line, err)
		}
		objs = append(objs, m)
	}
	return objs
}

func TestIntentsClassifyCommand(t *testing.T) {
	out, err := kefuStdin(t, nil, "where is my order LL-100234?\n\n我要退货\nwhat's the capital of France\n", "intents", "classify", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, out)
	want := []struct{ text, intent string }{
		{"where is my order LL-100234?", "order_status"},
		{"我要退货", "return_refund"},
		{"what's the capital of France", "other"},
	}
	if len(lines) != len(want) {
		t.Fatalf("intents classify --json wrote %d lines; want %d (blank lines skipped):\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		m := lines[i]
		if got := keys(m); !slices.Equal(got, []string{"confidence", "intent", "text", "top"}) {
			t.Errorf("line %d keys = %v; want exactly text, intent, confidence, top", i, got)
		}
		if m["text"] != w.text || m["intent"] != w.intent {
			t.Errorf("line %d = %v; want text %q, intent %s", i, m, w.text, w.intent)
		}
		top, _ := m["top"].([]any)
		if len(top) != 3 {
			t.Errorf("line %d top = %v; want 3 entries", i, m["top"])
			continue
		}
		if first, _ := top[0].(map[string]any); first == nil || !slices.Equal(keys(first), []string{"intent", "p"}) {
			t.Errorf("line %d top[0] = %v; want {intent, p}", i, top[0])
		}
	}
	out, err = kefuStdin(t, nil, "hello\n", "intents", "classify")
	if err != nil || !strings.HasPrefix(out, "greeting\t") {
		t.Errorf("intents classify (text) = %q, %v; want a tab-separated line starting with greeting", out, err)
	}
}

func TestIntentsTrainEvalCommands(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.json")
	data := filepath.Join("..", "..", "intents", "data")
	out, err := kefuStdin(t, nil, "", "intents", "train", "--data", filepath.Join(data, "train_en.csv"), "--out", model, "--holdout", "0.2", "--epochs", "4", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Examples, Labels int
		Holdout          struct{ Examples int }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Labels != len(intents.Taxonomy()) || res.Examples < 600 || res.Holdout.Examples < 100 {
		t.Errorf("intents train --json = %s (%v); want %d labels, ~80%% trained and ~20%% held out", out, err, len(intents.Taxonomy()))
	}
	if st, err := os.Stat(model); err != nil || st.Size() == 0 {
		t.Fatalf("model file: %v", err)
	}
	out, err = kefuStdin(t, nil, "", "intents", "eval", "--data", filepath.Join(data, "test_en.csv"), "--model", model, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("intents eval --json = %q: %v", out, err)
	}
	for _, k := range []string{"accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "per_label"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("intents eval --json lacks %q: %v", k, keys(rep))
		}
	}
	if acc, _ := rep["accuracy"].(float64); acc < 0.7 {
		t.Errorf("accuracy of a model trained on 80%% of train_en = %v; want >= 0.7", acc)
	}
	out, err = kefuStdin(t, nil, "", "intents", "eval", "--data", filepath.Join(data, "test_zh.csv"))
	if err != nil || !strings.Contains(out, "out-of-scope recall") || !strings.Contains(out, "order_status") {
		t.Errorf("intents eval (table) = %q, %v; want a per-intent table and the summary", out, err)
	}
	out, err = kefuStdin(t, nil, "cancel my order please\n", "intents", "classify", "--model", model, "--json")
	if err != nil || !strings.Contains(out, `"intent":"cancel_order"`) {
		t.Errorf("intents classify --model = %q, %v; want cancel_order", out, err)
	}
}

func TestSentimentCommands(t *testing.T) {
	out, err := kefuStdin(t, nil, "I am NOT happy with this!!!\n味道不错，送餐很快\n", "sentiment", "classify", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, out)
	if len(lines) != 2 {
		t.Fatalf("sentiment classify wrote %d lines; want 2:\n%s", len(lines), out)
	}
	if got := keys(lines[0]); !slices.Equal(got, []string{"angry", "label", "score", "text"}) {
		t.Errorf("sentiment line keys = %v; want exactly text, label, score, angry", got)
	}
	if lines[0]["label"] != "negative" || lines[0]["angry"] != true || lines[1]["label"] != "positive" {
		t.Errorf("sentiment classify = %v; want angry negative, then positive", lines)
	}

	dir := t.TempDir()
	train := filepath.Join(dir, "reviews.txt") // the UCI format: a header, then text<TAB>label
	var b strings.Builder
	b.WriteString("Review\n")
	for i := 0; i < 10; i++ {
		b.WriteString("great phone, works perfectly\t1\nlove the battery\t1\nexcellent value\t1\n")
		b.WriteString("broke after a week\t0\nwaste of money\t0\nterrible sound\t0\n")
	}
	os.WriteFile(train, []byte(b.String()), 0o644)
	model := filepath.Join(dir, "s.json")
	out, err = kefuStdin(t, nil, "", "sentiment", "train", "--data", train, "--out", model, "--holdout", "0.2", "--json")
	if err != nil || !strings.Contains(out, `"holdout"`) {
		t.Fatalf("sentiment train = %q, %v; want a held-out report", out, err)
	}
	out, err = kefuStdin(t, nil, "", "sentiment", "eval", "--data", train, "--model", model, "--json")
	if err != nil || !strings.Contains(out, `"accuracy": 1`) {
		t.Errorf("sentiment eval --model on its own training data = %q, %v; want accuracy 1", out, err)
	}
	out, err = kefuStdin(t, nil, "", "sentiment", "eval", "--data", filepath.Join("..", "..", "intents", "data", "sentiment_test.csv"))
	if err != nil || !strings.Contains(out, "neutral") || !strings.Contains(out, "accuracy") {
		t.Errorf("sentiment eval (built-in, table) = %q, %v", out, err)
	}
}

func TestIntentsUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("name,value\nx,y\n"), 0o644)
	for _, args := range [][]string{
		{"intents"},
		{"intents", "bogus"},
		{"intents", "train", "--out", filepath.Join(dir, "m.json")},
		{"intents", "train", "--data", bad},
		{"intents", "eval"},
		{"sentiment"},
		{"sentiment", "classify", "--nope"},
		{"sentiment", "train", "--data", bad, "--out", filepath.Join(dir, "m.json"), "--holdout", "1.5"},
	} {
		if _, err := kefuStdin(t, nil, "", args...); !errors.Is(err, errUsage) {
			t.Errorf("kefu %v = %v; want a usage error", args, err)
		}
	}
	for _, args := range [][]string{
		{"intents", "eval", "--data", filepath.Join(dir, "missing.csv")},
		{"intents", "train", "--data", bad, "--out", filepath.Join(dir, "m.json")},
		{"sentiment", "classify", "--model", bad},
	} {
		if _, err := kefuStdin(t, nil, "", args...); err == nil {
			t.Errorf("kefu %v succeeded; want an error", args)
		}
	}
}

func TestIntentsAddAndList(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t)}
	out, err := kefuStdin(t, vars, "", "site", "add", "--name", "Shop", "--origin", "https://shop.example.com", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var site struct{ Key string }
	json.Unmarshal([]byte(out), &site)
	csv := filepath.Join(t.TempDir(), "custom.csv")
	os.WriteFile(csv, []byte("text,label\nbulk prices please,wholesale\n批发价多少,wholesale\nwhere is my parcel,order_status\n"), 0o644)
	out, err = kefuStdin(t, vars, "", "intents", "add", "--site", site.Key, "--data", csv, "--json")
	if err != nil || !strings.Contains(out, `"added": 3`) {
		t.Fatalf("intents add = %q, %v; want 3 added", out, err)
	}
	out, err = kefuStdin(t, vars, "", "intents", "add", "--site", site.Key, "--data", csv)
	if err != nil || !strings.Contains(out, "added 0 new examples (3 already there)") {
		t.Errorf("intents add again = %q, %v; want nothing new", out, err)
	}
	out, err = kefuStdin(t, vars, "", "intents", "list", "--site", site.Key, "--json")
	var list []struct {
		Label    string
		Examples int
		Builtin  bool
	}
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 ||
		list[0].Label != "order_status" || !list[0].Builtin || list[1].Label != "wholesale" || list[1].Examples != 2 {
		t.Errorf("intents list --json = %q, %v; want order_status (built-in, 1) and wholesale (2)", out, err)
	}
	if _, err := kefuStdin(t, vars, "", "intents", "list", "--site", "site_nope"); err == nil {
		t.Error("intents list for an unknown site succeeded; want an error")
	}
	badLabel := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(badLabel, []byte("text,label\nhello,Not A Label\n"), 0o644)
	if _, err := kefuStdin(t, vars, "", "intents", "add", "--site", site.Key, "--data", badLabel); err == nil {
		t.Error("intents add with an invalid label succeeded; want an error")
	}
}

// Labels come back exactly as given through train, classify and eval.
func TestIntentsLabelsRoundTripCommands(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("text,label\n")
	for label, texts := range map[string][]string{
		"Wholesale.B2B": {"do you sell wholesale", "bulk prices for my shop", "批发价多少", "I want to buy 500 pieces", "distributor pricing"},
		"Gift_WRAP":     {"can you gift wrap it", "wrap it as a present", "礼品包装", "add gift wrapping", "is gift wrap available"},
		"OOS":           {"what's the weather", "tell me a joke", "who won the game", "sing a song", "translate this"},
	} {
		for _, s := range texts {
			b.WriteString(s + "," + label + "\n")
		}
	}
	data := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model.json")
	if _, err := kefuStdin(t, nil, "", "intents", "train", "--data", data, "--out", model, "--no-background", "--epochs", "20"); err != nil {
		t.Fatal(err)
	}
	out, err := kefuStdin(t, nil, "bulk wholesale prices please\n", "intents", "classify", "--model", model, "--json")
	if err != nil || !strings.Contains(out, `"intent":"Wholesale.B2B"`) {
		t.Errorf("intents classify = %q, %v; want the label Wholesale.B2B unchanged", out, err)
	}
	for _, args := range [][]string{{"--model", model}, {"--train", data}, {"--train", data, "--baseline", "perceptron"}} {
		out, err = kefuStdin(t, nil, "", append([]string{"intents", "eval", "--data", data, "--json"}, args...)...)
		var rep struct {
			PerLabel []struct{ Label string } `json:"per_label"`
		}
		if err != nil || json.Unmarshal([]byte(out), &rep) != nil {
			t.Fatalf("intents eval %v = %q, %v", args, out, err)
		}
		var labels []string
		for _, l := range rep.PerLabel {
			labels = append(labels, l.Label)
		}
		if !slices.Contains(labels, "Gift_WRAP") || !slices.Contains(labels, "Wholesale.B2B") || !slices.Contains(labels, "other") {
			t.Errorf("intents eval %v per-label = %q; want Gift_WRAP, Wholesale.B2B and other", args, labels)
		}
	}
	out, err = kefuStdin(t, nil, "", "intents", "eval", "--data", data, "--train", data, "--seeds", "2", "--no-background", "--json")
	var multi struct {
		Seeds int
		Runs  []map[string]any
		Mean  map[string][3]float64
	}
	if err != nil || json.Unmarshal([]byte(out), &multi) != nil || multi.Seeds != 2 || len(multi.Runs) != 2 ||
		multi.Mean["accuracy"][0] <= 0 || multi.Mean["oos_recall"] == ([3]float64{}) && multi.Mean["in_scope_accuracy"][0] <= 0 {
		t.Errorf("intents eval --seeds 2 --json = %s, %v; want 2 runs and their means", out, err)
	}
}

// Bad input gets a clear error and changes nothing.
func TestIntentsBadInput(t *testing.T) {
	dir := t.TempDir()
	noLabel := filepath.Join(dir, "nolabel.csv")
	if err := os.WriteFile(noLabel, []byte("text,name\nwhere is my order,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join("..", "..", "intents", "data", "test_en.csv")
	model := filepath.Join(dir, "model.json")
	tests := []struct {
		name    string
		args    []string
		usage   bool
		message string
	}{
		{"eval without a label column", []string{"intents", "eval", "--data", noLabel}, false, "needs a text column"},
		{"eval training on a file without a label column", []string{"intents", "eval", "--data", good, "--train", noLabel}, false, "label column"},
		{"train without a label column", []string{"intents", "train", "--data", noLabel, "--out", model}, false, "needs a text column"},
		{"eval a missing file", []string{"intents", "eval", "--data", filepath.Join(dir, "nope.csv")}, false, "no such file"},
		{"baseline without --train", []string{"intents", "eval", "--data", good, "--baseline", "perceptron"}, true, "--baseline needs --train"},
		{"unknown baseline", []string{"intents", "eval", "--data", good, "--train", good, "--baseline", "svm"}, true, "unknown --baseline"},
		{"model and train", []string{"intents", "eval", "--data", good, "--train", good, "--model", model}, true, "not both"},
		{"unknown oos mode", []string{"intents", "train", "--data", good, "--out", model, "--oos", "magic"}, true, "--oos must be"},
		{"seeds without --train", []string{"intents", "eval", "--data", good, "--seeds", "3"}, true, "--seeds"},
	}
	for _, tt := range tests {
		_, err := kefuStdin(t, nil, "", tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.message) || errors.Is(err, errUsage) != tt.usage {
			t.Errorf("%s: err = %v; want one saying %q (usage error: %v)", tt.name, err, tt.message, tt.usage)
		}
	}
	if _, err := os.Stat(model); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed train left a model file (%v); want nothing written", err)
	}
}
