package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"

	"kefu/internal/datasets"
)

// intentSet is one evaluation set written by kefu intents datasets.
type intentSet struct {
	name        string
	train, test []datasets.Labeled
	tune        []datasets.Labeled // a validation split, when the set has one
}

// cmdIntentsDatasets writes the public intent evaluation sets as CSV files
// (text,label; out of scope is oos) that kefu intents train|eval read, so any
// kefu binary (this one, an older release) is measured on the same files.
// Each test file also comes in its development half (_test_dev: positions
// 1, 3, 5 …; tune on it) and its held-out half (_test_held: report it).
func cmdIntentsDatasets(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "intents datasets")
	root := fs.String("datasets", datasets.DefaultRoot(), "the shared public datasets folder")
	out := fs.String("out", "", "folder to write the CSV files to (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErr("--out DIR is required")
	}
	if err := datasets.Check(*root); err != nil {
		return err
	}
	sets, err := intentSets(*root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, s := range sets {
		dev, held := datasets.Halves(s.test)
		files := []struct {
			suffix string
			rows   []datasets.Labeled
		}{{"train", s.train}, {"validation", s.tune}, {"test", s.test}, {"test_dev", dev}, {"test_held", held}}
		for _, f := range files {
			if len(f.rows) == 0 {
				continue
			}
			path := filepath.Join(*out, s.name+"_"+f.suffix+".csv")
			if err := writeLabeledCSV(path, f.rows); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s\t%d examples\t%d labels\n", path, len(f.rows), countLabels(f.rows))
		}
	}
	return nil
}

// intentSets reads the public sets: HINT3's three bots (v2; no intent is
// out of scope), BANKING77 with a quarter of its intents unknown, MASSIVE
// zh-CN and CrossWOZ's single-act user turns (trained on val, tested on test,
// keeping the labels with at least 5 training turns).
func intentSets(root string) ([]intentSet, error) {
	var sets []intentSet
	for _, bot := range datasets.HINT3Bots {
		train, err := datasets.HINT3(root, bot, "train")
		if err != nil {
			return nil, err
		}
		test, err := datasets.HINT3(root, bot, "test")
		if err != nil {
			return nil, err
		}
		for i := range test {
			if test[i].Label == datasets.HINT3OutOfScope {
				test[i].Label = "oos"
			}
		}
		sets = append(sets, intentSet{name: "hint3_" + bot, train: train, test: test})
	}
	train, test, _, err := datasets.Banking77Unknown(root)
	if err != nil {
		return nil, err
	}
	sets = append(sets, intentSet{name: "banking77_unknown", train: train, test: test})
	massive := intentSet{name: "massive_zh"}
	for split, dst := range map[string]*[]datasets.Labeled{"train": &massive.train, "validation": &massive.tune, "test": &massive.test} {
		if *dst, err = datasets.MassiveZH(root, split); err != nil {
			return nil, err
		}
	}
	sets = append(sets, massive)
	val, err := datasets.CrossWOZSingleAct(root, "val")
	if err != nil {
		return nil, err
	}
	tst, err := datasets.CrossWOZSingleAct(root, "test")
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, ex := range val {
		n[ex.Label]++
	}
	keep := func(xs []datasets.Labeled) []datasets.Labeled {
		var out []datasets.Labeled
		for _, x := range xs {
			if n[x.Label] >= 5 {
				out = append(out, x)
			}
		}
		return out
	}
	sets = append(sets, intentSet{name: "crosswoz", train: keep(val), test: keep(tst)})
	return sets, nil
}

func countLabels(rows []datasets.Labeled) int {
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Label] = true
	}
	return len(seen)
}

func writeLabeledCSV(path string, rows []datasets.Labeled) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"text", "label"})
	for _, r := range rows {
		w.Write([]string{r.Text, r.Label})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
