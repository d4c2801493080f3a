package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"kefu/chat"
	"kefu/internal/sites"
	"kefu/retrieval"
)

// kbTestResult is how the bot did on one test question.
type kbTestResult struct {
	ID       string         `json:"id"`
	Kind     string         `json:"kind"`
	Query    string         `json:"query"`
	Verdict  string         `json:"verdict"` // pass, wrong, declined (answerable); pass, answered (out of scope)
	Missing  []string       `json:"missing,omitempty"`
	Reply    string         `json:"reply"`
	Evidence *chat.Evidence `json:"evidence,omitempty"`
	// Topics are the sections the reply offered; OneTap (for a declined
	// or wrong reply) that asking again from one of them states every fact.
	Topics []string `json:"topics,omitempty"`
	OneTap bool     `json:"one_tap,omitempty"`
}

// cmdKBTest runs answer tests: questions with the facts a right answer must
// contain (docs/eval/demo/questions.csv's columns), asked as shoppers would
// without storing anything.
func cmdKBTest(ctx context.Context, e env, args []string) error {
	var siteKey, data, half, features string
	var asJSON, show bool
	return dbCommand(ctx, e, "kb test", args, func(fs *flag.FlagSet) {
		fs.StringVar(&siteKey, "site", "", "site key (default: the only site)")
		fs.StringVar(&data, "data", "", "test questions from a file (id,split,lang,kind,customer,context,query,expected_source,facts); without it, the site's own answer tests run")
		fs.StringVar(&half, "half", "all", "dev, held or all")
		fs.StringVar(&features, "features", "", "write every candidate extract's inputs and whether it holds the facts (JSON lines, for kefu kb answer-model)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		fs.BoolVar(&show, "show", false, "print the questions that did not pass")
	}, func(db *database, logger *slog.Logger, _ []string) error {
		site, err := resolveSite(ctx, db, siteKey)
		if err != nil {
			return err
		}
		if data == "" {
			return runStoredTests(ctx, e, db, site, asJSON)
		}
		cases, err := readAnswerCases(data, half)
		if err != nil {
			return err
		}
		eng, stop, err := newAnswerEngine(ctx, e, db, slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		defer stop()
		var feat *json.Encoder
		if features != "" {
			f, err := os.Create(features)
			if err != nil {
				return err
			}
			defer f.Close()
			feat = json.NewEncoder(f)
		}
		var results []kbTestResult
		for _, c := range cases {
			res, err := eng.Ask(ctx, site, chat.AskRequest{Text: c.Query, Context: c.Context, Customer: c.Customer, Locale: localeOf(c.Lang),
				Explain: feat != nil})
			if err != nil {
				return fmt.Errorf("%s: %w", c.ID, err)
			}
			r := kbTestResult{ID: c.ID, Kind: c.Kind, Query: c.Query, Reply: res.Reply, Evidence: res.Evidence}
			text := res.Reply
			for _, p := range res.Products {
				text += fmt.Sprintf("\n%s %.2f", p.Title, p.Price)
			}
			missing := chat.MissingFacts(text, c.Facts)
			for _, m := range missing {
				r.Missing = append(r.Missing, m.String())
			}
			switch {
			case c.Kind == "oos" && res.Answered:
				r.Verdict = "answered"
			case c.Kind == "oos", res.Answered && len(missing) == 0:
				r.Verdict = "pass"
			case !res.Answered:
				r.Verdict = "declined"
			default:
				r.Verdict = "wrong"
			}
			for _, t := range res.Topics {
				r.Topics = append(r.Topics, t.Label)
			}
			if r.Verdict == "declined" || r.Verdict == "wrong" {
				if r.OneTap, err = oneTap(ctx, eng, site, c, res.Topics); err != nil {
					return fmt.Errorf("%s: %w", c.ID, err)
				}
			}
			results = append(results, r)
			// Every extract the bot weighed, labelled by whether it holds the
			// question's facts (none does for an out-of-scope question).
			// Questions answered from the catalog or orders are left out.
			if feat != nil && len(res.Candidates) > 0 && c.Kind != "product" && c.Kind != "order" {
				ex := answerExample{ID: c.ID, Kind: c.Kind, Query: c.Query}
				for _, cand := range res.Candidates {
					right := c.Kind != "oos" && len(chat.MissingFacts(cand.Extract, c.Facts)) == 0
					ex.Candidates = append(ex.Candidates, labelledCandidate{Source: cand.Source, Heading: cand.Heading, Extract: cand.Extract, Inputs: cand.Inputs, Right: right})
				}
				if err := feat.Encode(ex); err != nil {
					return err
				}
			}
		}
		if asJSON {
			return writeJSON(e.stdout, results)
		}
		printKBTest(e, results, show)
		return nil
	})
}

// runStoredTests runs the site's own answer tests now (as the console's
// "Run now" does) and prints each result and what regressed.
func runStoredTests(ctx context.Context, e env, db *database, site *sites.Site, asJSON bool) error {
	eng, stop, err := newAnswerEngine(ctx, e, db, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer stop()
	run, err := chat.NewAnswerTests(db.Pool, eng, nil).Run(ctx, site, "manual")
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e.stdout, run)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tQUESTION\tMISSING\tFOUND IN")
	for _, r := range run.Results {
		found := strings.Join(r.FoundIn, "; ")
		if !r.Passed && found == "" {
			found = "(no passage states it)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Verdict, r.Question, strings.Join(r.Missing, "; "), found)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d passed, %d failed\n", run.Passed, run.Failed)
	for _, r := range run.Regressed {
		fmt.Fprintf(e.stdout, "regressed since the run before: %s\n", r.Question)
	}
	return nil
}

// oneTap reports whether asking c again from one of the topics its reply
// offered (as a shopper's tap does) states every fact.
func oneTap(ctx context.Context, eng *chat.Engine, site *sites.Site, c answerCase, topics []chat.Topic) (bool, error) {
	for _, t := range topics {
		res, err := eng.Ask(ctx, site, chat.AskRequest{Text: c.Query, Context: c.Context, Customer: c.Customer, Locale: localeOf(c.Lang), Pick: &t})
		if err != nil {
			return false, err
		}
		if res.Answered && len(chat.MissingFacts(res.Reply, c.Facts)) == 0 {
			return true, nil
		}
	}
	return false, nil
}

// answerExample is one line of a feature file for the answer model.
type answerExample struct {
	ID         string              `json:"id"`
	Kind       string              `json:"kind"`
	Query      string              `json:"query"`
	Candidates []labelledCandidate `json:"candidates"`
}

// labelledCandidate is an extract's inputs and whether it holds the facts.
type labelledCandidate struct {
	Source  string    `json:"source"`
	Heading string    `json:"heading"`
	Extract string    `json:"extract"`
	Inputs  []float64 `json:"inputs"`
	Right   bool      `json:"right"`
}

func localeOf(lang string) string {
	if lang == "zh" {
		return "zh-CN"
	}
	return "en-US"
}

func printKBTest(e env, results []kbTestResult, show bool) {
	counts := map[string]map[string]int{}
	for _, r := range results {
		kind := "answerable"
		if r.Kind == "oos" {
			kind = "out of scope"
		}
		if counts[kind] == nil {
			counts[kind] = map[string]int{}
		}
		counts[kind][r.Verdict]++
		counts[kind]["n"]++
		if r.OneTap {
			counts[kind]["tap "+r.Verdict]++
		}
		if len(r.Topics) > 0 {
			counts[kind]["topics "+r.Verdict]++
		}
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUESTIONS\tKIND\tPASS\tWRONG\tDECLINED\tANSWERED (OOS)")
	for _, kind := range []string{"answerable", "out of scope"} {
		c := counts[kind]
		if c == nil {
			continue
		}
		n := float64(c["n"])
		fmt.Fprintf(tw, "%d\t%s\t%.3f\t%.3f\t%.3f\t%.3f\n", c["n"], kind, float64(c["pass"])/n, float64(c["wrong"])/n,
			float64(c["declined"])/n, float64(c["answered"])/n)
	}
	tw.Flush()
	if c := counts["answerable"]; c != nil && c["declined"] > 0 {
		fmt.Fprintf(e.stdout, "declined with the answer one tap away (a topic offered): %d of %d\n", c["tap declined"], c["declined"])
	}
	if c := counts["answerable"]; c != nil && c["wrong"] > 0 {
		fmt.Fprintf(e.stdout, "answered wrong with the right answer one tap away: %d of %d (%d offered topics)\n", c["tap wrong"], c["wrong"], c["topics wrong"])
	}
	if !show {
		return
	}
	for _, r := range results {
		if r.Verdict == "pass" {
			continue
		}
		fmt.Fprintf(e.stdout, "\n%s [%s] %s: %s\n  missing: %s\n  reply: %s\n", r.ID, r.Kind, r.Verdict, r.Query, strings.Join(r.Missing, " | "),
			strings.ReplaceAll(snip(r.Reply, 300), "\n", " ⏎ "))
		if ev := r.Evidence; ev != nil {
			fmt.Fprintf(e.stdout, "  evidence: %s > %s · score %.2f · retrieval %.2f · coverage %.2f · focus %v · top two %.1f · unseen %.2f · rank %d\n  extract: %s\n",
				ev.Source, ev.Heading, ev.Score, ev.Retrieval, ev.Coverage, ev.Focus, ev.TopTwo, ev.Unseen, ev.Rank, strings.ReplaceAll(snip(ev.Extract, 200), "\n", " ⏎ "))
		}
	}
}

// trainAnswerModel fits the answer model on feature files (development
// questions only) and writes it.
// kbAnswerModel fits the answer model (chat/answer_model.json) on feature
// files that kefu kb test --features wrote; it needs no database.
func kbAnswerModel(e env, args []string) error {
	fs := newFlagSet(e, "kb answer-model")
	files := fs.String("train", "", "feature files to train on, comma-separated")
	out := fs.String("out", "", "write the model here (JSON)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *files == "" || *out == "" {
		return usageErr("kefu kb answer-model --train F1,F2 --out FILE")
	}
	return trainAnswerModel(*files, *out)
}

func trainAnswerModel(files, out string) error {
	var xs [][]float64
	var ys, ws []float64
	for _, path := range strings.Split(files, ",") {
		b, err := os.ReadFile(strings.TrimSpace(path))
		if err != nil {
			return err
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		for dec.More() {
			var ex answerExample
			if err := dec.Decode(&ex); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			for _, c := range ex.Candidates {
				xs = append(xs, c.Inputs)
				y := 0.0
				if c.Right {
					y = 1
				}
				ys, ws = append(ys, y), append(ws, 1)
			}
		}
	}
	if len(xs) == 0 {
		return usageErr("no examples in %s", files)
	}
	w := retrieval.FitLogistic(xs, ys, ws, 0.5)
	model := map[string]any{"inputs": chat.AnswerInputs(), "weights": w,
		"source": fmt.Sprintf("kefu kb answer-model --train %s (%d candidates)", files, len(xs))}
	b, _ := json.MarshalIndent(model, "", "  ")
	return os.WriteFile(out, append(b, '\n'), 0o644)
}
