package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"kefu/intents"
	"kefu/internal/sites"
)

const intentsUsage = `kefu intents train --data train.csv --out model.json [--holdout 0.2] [--oos evidence|threshold] [--no-background]
kefu intents classify [--model model.json] [--json]   (one text per line on stdin)
kefu intents eval --data test.csv [--model model.json | --train train.csv [--baseline perceptron] [--seeds N]] [--json]
kefu intents add --site KEY --data examples.csv [--json]   (custom intents of a site)
kefu intents list --site KEY [--json]
kefu intents datasets --out DIR [--datasets ../shared/datasets]   (public evaluation sets as CSV)`

const sentimentUsage = `kefu sentiment train --data train.csv --out model.json [--holdout 0.2]
kefu sentiment classify [--model model.json|rules] [--json]   (one text per line on stdin)
kefu sentiment eval --data test.csv [--model model.json|rules] [--json]
  (no --model: the built-in trained analyzer; --model rules: its lexicon and rules alone)`

func cmdIntents(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("%s", intentsUsage)
	}
	switch args[0] {
	case "train":
		return trainCommand(ctx, e, "intents train", args[1:], trainIntents)
	case "classify":
		return classifyCommand(e, "intents classify", args[1:], loadIntents, func(c any, text string) any {
			p := c.(*intents.Classifier).Classify(text)
			return intentLine{Text: text, Intent: p.Intent, Confidence: round4(p.Confidence), Top: roundTop(p.Top)}
		})
	case "eval":
		return evalIntents(ctx, e, args[1:])
	case "add", "list":
		return cmdIntentsSite(ctx, e, args[0], args[1:])
	case "datasets":
		return cmdIntentsDatasets(ctx, e, args[1:])
	}
	return usageErr("unknown intents command %q\n%s", args[0], intentsUsage)
}

func cmdSentiment(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("%s", sentimentUsage)
	}
	switch args[0] {
	case "train":
		return trainCommand(ctx, e, "sentiment train", args[1:], trainSentiment)
	case "classify":
		return classifyCommand(e, "sentiment classify", args[1:], loadSentiment, func(a any, text string) any {
			s := a.(intents.SentimentAnalyzer).Analyze(text)
			return sentimentLine{Text: text, Label: s.Label, Score: s.Score, Angry: s.Angry}
		})
	case "eval":
		return evalCommand(e, "sentiment eval", args[1:], loadSentiment, func(a any, exs []intents.Example) intents.Report {
			return intents.EvaluateSentiment(a.(intents.SentimentAnalyzer), exs)
		})
	}
	return usageErr("unknown sentiment command %q\n%s", args[0], sentimentUsage)
}

// intentLine and sentimentLine are the exact output shapes of classify.
type intentLine struct {
	Text       string           `json:"text"`
	Intent     string           `json:"intent"`
	Confidence float64          `json:"confidence"`
	Top        []intents.Scored `json:"top"`
}

type sentimentLine struct {
	Text  string  `json:"text"`
	Label string  `json:"label"`
	Score float64 `json:"score"`
	Angry bool    `json:"angry"`
}

func round4(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }

func roundTop(top []intents.Scored) []intents.Scored {
	for i := range top {
		top[i].P = round4(top[i].P)
	}
	return top
}

// readExamplesFile reads labelled examples from path.
func readExamplesFile(path string) ([]intents.Example, error) {
	if path == "" {
		return nil, usageErr("--data FILE is required")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	exs, err := intents.ReadExamples(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return exs, nil
}

// trained is what a train command produced, to save and evaluate.
type trained struct {
	save   func(io.Writer) error
	eval   func([]intents.Example) intents.Report
	labels []string
	extra  map[string]any
}

func trainIntents(ctx context.Context, exs []intents.Example, opt intents.TrainOptions) (*trained, error) {
	c, err := intents.TrainClassifier(ctx, exs, opt)
	if err != nil {
		return nil, err
	}
	return &trained{save: c.Save, labels: c.Labels(), extra: map[string]any{"threshold": round4(c.Threshold())},
		eval: func(test []intents.Example) intents.Report { return intents.EvaluateIntents(c, test) }}, nil
}

func trainSentiment(ctx context.Context, exs []intents.Example, opt intents.TrainOptions) (*trained, error) {
	m, err := intents.TrainSentiment(ctx, exs, opt)
	if err != nil {
		return nil, err
	}
	return &trained{save: m.Save, labels: m.Labels(),
		eval: func(test []intents.Example) intents.Report { return intents.EvaluateSentiment(m, test) }}, nil
}

// trainCommand is kefu intents|sentiment train.
func trainCommand(ctx context.Context, e env, name string, args []string,
	train func(context.Context, []intents.Example, intents.TrainOptions) (*trained, error)) error {
	fs := newFlagSet(e, name)
	data := fs.String("data", "", "training CSV with header text,label (required)")
	out := fs.String("out", "", "where to write the model JSON (required)")
	holdout := fs.Float64("holdout", 0, "hold out this fraction of each label, train on the rest and report accuracy on it")
	seed := fs.Uint64("seed", 1, "seed for shuffling and the held-out split")
	epochs := fs.Int("epochs", 0, "training epochs (0: default)")
	oos, noBackground := new(string), new(bool)
	*oos = string(intents.OOSEvidence)
	if name == "intents train" {
		fs.StringVar(oos, "oos", *oos, "out-of-scope detection: evidence, or threshold (kefu's first rule, for comparison)")
		fs.BoolVar(noBackground, "no-background", false, "do not also learn the built-in background examples as other")
	}
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if m := intents.OOSMode(*oos); m != intents.OOSEvidence && m != intents.OOSThreshold {
		return usageErr("--oos must be evidence or threshold")
	}
	if *out == "" {
		return usageErr("--out FILE is required")
	}
	if *holdout < 0 || *holdout >= 1 {
		return usageErr("--holdout must be in [0, 1)")
	}
	exs, err := readExamplesFile(*data)
	if err != nil {
		return err
	}
	if name == "intents train" {
		exs = intents.NormalizeIntentLabels(exs)
	}
	trainSet, testSet := intents.SplitHoldout(exs, *holdout, *seed)
	start := time.Now()
	m, err := train(ctx, trainSet, intents.TrainOptions{Seed: *seed, Epochs: *epochs, OOS: intents.OOSMode(*oos), NoBackground: *noBackground})
	if err != nil {
		return err
	}
	took := time.Since(start)
	var buf bytes.Buffer
	if err := m.save(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	res := map[string]any{"model": *out, "examples": len(trainSet), "labels": len(m.labels),
		"train_seconds": round4(took.Seconds()), "model_bytes": buf.Len()}
	for k, v := range m.extra {
		res[k] = v
	}
	var rep *intents.Report
	if len(testSet) > 0 {
		r := m.eval(testSet)
		rep = &r
		res["holdout"] = r
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "trained on %d examples, %d labels, in %.2fs; wrote %s (%d bytes)\n",
		len(trainSet), len(m.labels), took.Seconds(), *out, buf.Len())
	if t, ok := m.extra["threshold"]; ok {
		fmt.Fprintf(e.stdout, "out-of-scope threshold %v (calibrated by cross-validation on the training data)\n", t)
	}
	if rep != nil {
		fmt.Fprintf(e.stdout, "\nheld out %d examples:\n", len(testSet))
		return rep.WriteTable(e.stdout)
	}
	return nil
}

func loadIntents(path string) (any, error) {
	if path == "" {
		return intents.Builtin(context.Background())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := intents.LoadClassifier(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func loadSentiment(path string) (any, error) {
	switch path {
	case "":
		a, err := intents.BuiltinSentiment()
		return intents.SentimentAnalyzer(a), err
	case "rules": // the lexicon and rules alone (the analyzer before the trained model)
		a, err := intents.NewAnalyzer()
		return intents.SentimentAnalyzer(a), err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := intents.LoadSentimentModel(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return intents.SentimentAnalyzer(m), nil
}

// classifyCommand reads one text per line on stdin and writes one result
// per line: a JSON object with --json, else tab-separated fields.
func classifyCommand(e env, name string, args []string, load func(string) (any, error), classify func(any, string) any) error {
	fs := newFlagSet(e, name)
	model := fs.String("model", "", "model JSON from train; empty: the built-in model")
	asJSON := fs.Bool("json", false, "write one JSON object per line")
	if err := parse(fs, args); err != nil {
		return err
	}
	m, err := load(*model)
	if err != nil {
		return err
	}
	in := bufio.NewScanner(e.stdin)
	in.Buffer(make([]byte, 64*1024), 1<<20)
	out := bufio.NewWriter(e.stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		text := in.Text()
		if len(bytes.TrimSpace([]byte(text))) == 0 {
			continue
		}
		res := classify(m, text)
		if *asJSON {
			if err := enc.Encode(res); err != nil {
				return fmt.Errorf("write result: %w", err)
			}
			continue
		}
		switch r := res.(type) {
		case intentLine:
			fmt.Fprintf(out, "%s\t%.3f\t%s\n", r.Intent, r.Confidence, r.Text)
		case sentimentLine:
			angry := ""
			if r.Angry {
				angry = " angry"
			}
			fmt.Fprintf(out, "%s%s\t%+.3f\t%s\n", r.Label, angry, r.Score, r.Text)
		}
	}
	if err := in.Err(); err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// evalCommand scores a model on labelled data.
func evalCommand(e env, name string, args []string, load func(string) (any, error), eval func(any, []intents.Example) intents.Report) error {
	fs := newFlagSet(e, name)
	data := fs.String("data", "", "labelled CSV (text,label) or TSV (text<TAB>label) (required)")
	model := fs.String("model", "", "model JSON from train; empty: the built-in model")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	exs, err := readExamplesFile(*data)
	if err != nil {
		return err
	}
	m, err := load(*model)
	if err != nil {
		return err
	}
	rep := eval(m, exs)
	if *asJSON {
		return writeJSON(e.stdout, rep)
	}
	return rep.WriteTable(e.stdout)
}

// evalIntents is kefu intents eval: it scores the built-in model, a saved
// model, or one it trains first on --train (kefu's classifier, or with
// --baseline perceptron the plain averaged perceptron on character
// 1–3-grams that kefu's is measured against).
func evalIntents(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "intents eval")
	data := fs.String("data", "", "labelled CSV (text,label; oos is out of scope) (required)")
	model := fs.String("model", "", "model JSON from train; empty: the built-in model")
	train := fs.String("train", "", "train on this CSV first and score that model (instead of --model)")
	baseline := fs.String("baseline", "", "with --train: train this baseline instead of kefu's classifier (perceptron)")
	epochs := fs.Int("epochs", 0, "with --train: training epochs (0: the default)")
	seed := fs.Uint64("seed", 1, "with --train: seed for shuffling")
	seeds := fs.Int("seeds", 1, "with --train: train with seeds --seed, --seed+1, … this many times and report each run and the means")
	oos := fs.String("oos", string(intents.OOSEvidence), "with --train: out-of-scope detection, evidence or threshold (kefu's first rule)")
	noBackground := fs.Bool("no-background", false, "with --train: do not also learn the built-in background examples as other")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *train != "" && *model != "":
		return usageErr("give --model or --train, not both")
	case *seeds < 1 || (*seeds > 1 && *train == ""):
		return usageErr("--seeds must be at least 1, and more than 1 needs --train")
	case intents.OOSMode(*oos) != intents.OOSEvidence && intents.OOSMode(*oos) != intents.OOSThreshold:
		return usageErr("--oos must be evidence or threshold")
	case *baseline != "" && *train == "":
		return usageErr("--baseline needs --train")
	case *baseline != "" && *baseline != "perceptron":
		return usageErr("unknown --baseline %q (known: perceptron)", *baseline)
	}
	exs, err := readExamplesFile(*data)
	if err != nil {
		return err
	}
	if *train == "" {
		m, err := loadIntents(*model)
		if err != nil {
			return err
		}
		rep := intents.EvaluateIntents(m.(*intents.Classifier), exs)
		if *asJSON {
			return writeJSON(e.stdout, rep)
		}
		return rep.WriteTable(e.stdout)
	}
	trainSet, err := readExamplesFile(*train)
	if err != nil {
		return err
	}
	trainSet = intents.NormalizeIntentLabels(trainSet)
	var runs []intents.Report
	for s := *seed; s < *seed+uint64(*seeds); s++ {
		var c intents.IntentClassifier
		if *baseline == "perceptron" {
			c, err = intents.TrainPerceptron(ctx, trainSet, intents.PerceptronOptions{Epochs: *epochs, Seed: s})
		} else {
			c, err = intents.TrainClassifier(ctx, trainSet, intents.TrainOptions{Epochs: *epochs, Seed: s,
				OOS: intents.OOSMode(*oos), NoBackground: *noBackground})
		}
		if err != nil {
			return fmt.Errorf("%s: %w", *train, err)
		}
		runs = append(runs, intents.EvaluateIntents(c, exs))
	}
	if len(runs) == 1 {
		if *asJSON {
			return writeJSON(e.stdout, runs[0])
		}
		return runs[0].WriteTable(e.stdout)
	}
	sum := summarize(runs)
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"seeds": len(runs), "first_seed": *seed, "runs": runs, "mean": sum})
	}
	fmt.Fprintf(e.stdout, "%d runs (seeds %d–%d): mean (min–max)\n", len(runs), *seed, *seed+uint64(len(runs))-1)
	for _, k := range []string{"accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "oos_precision"} {
		if v, ok := sum[k]; ok {
			fmt.Fprintf(e.stdout, "%-18s %.4f (%.4f–%.4f)\n", k, v[0], v[1], v[2])
		}
	}
	return nil
}

// summarize returns the mean, min and max of each summary figure over the
// runs (a figure missing from any run is left out).
func summarize(runs []intents.Report) map[string][3]float64 {
	out := map[string][3]float64{}
	get := map[string]func(intents.Report) *float64{
		"accuracy":          func(r intents.Report) *float64 { return &r.Accuracy },
		"macro_f1":          func(r intents.Report) *float64 { return &r.MacroF1 },
		"in_scope_accuracy": func(r intents.Report) *float64 { return r.InScopeAccuracy },
		"oos_recall":        func(r intents.Report) *float64 { return r.OOSRecall },
		"oos_precision":     func(r intents.Report) *float64 { return r.OOSPrecision },
	}
	for k, f := range get {
		var sum, lo, hi float64
		complete := true
		for i, r := range runs {
			v := f(r)
			if v == nil {
				complete = false
				break
			}
			sum += *v
			if i == 0 || *v < lo {
				lo = *v
			}
			if i == 0 || *v > hi {
				hi = *v
			}
		}
		if complete {
			out[k] = [3]float64{round4(sum / float64(len(runs))), round4(lo), round4(hi)}
		}
	}
	return out
}

// cmdIntentsSite is kefu intents add|list: a site's custom intents in the
// database. A running server picks new examples up when the site's model is
// retrained (console or API) or at its next start.
func cmdIntentsSite(ctx context.Context, e env, sub string, args []string) error {
	var siteKey, data string
	var asJSON bool
	return dbCommand(ctx, e, "intents "+sub, args, func(fs *flag.FlagSet) {
		fs.StringVar(&siteKey, "site", "", "the site's widget key (required)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		if sub == "add" {
			fs.StringVar(&data, "data", "", "CSV with header text,label: examples of new or built-in intents (required)")
		}
	}, func(db *database, _ *slog.Logger, _ []string) error {
		if siteKey == "" {
			return usageErr("--site KEY is required")
		}
		var exs []intents.Example
		if sub == "add" {
			var err error
			if exs, err = readExamplesFile(data); err != nil {
				return err
			}
		}
		site, err := sites.NewStore(db.Pool).ByKey(ctx, siteKey)
		if err != nil {
			return err
		}
		store := intents.NewStore(db.Pool)
		if sub == "add" {
			added, err := store.AddExamples(ctx, site.ID, exs)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, map[string]any{"site": site.Key, "examples": len(exs), "added": added})
			}
			fmt.Fprintf(e.stdout, "added %d new examples (%d already there) to %s; retrain the site's intents to use them\n",
				added, len(exs)-added, site.Key)
			return nil
		}
		list, err := store.Intents(ctx, site.ID)
		if err != nil {
			return err
		}
		if asJSON {
			if list == nil {
				list = []intents.IntentCount{}
			}
			return writeJSON(e.stdout, list)
		}
		for _, c := range list {
			kind := "custom"
			if c.Builtin {
				kind = "built-in"
			}
			fmt.Fprintf(e.stdout, "%s\t%d examples\t%s\n", c.Label, c.Examples, kind)
		}
		return nil
	})
}
