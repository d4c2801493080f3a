package intents_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"kefu/intents"
	"kefu/internal/datasets"
)

// BenchmarkEvalHINT3Mapped evaluates the built-in model (trained on kefu's
// own data only) on HINT3's SOFMattress and Curekart test queries, their
// labels mapped to kefu's intents by docs/eval/hint3/mapping.csv. Each bot's
// test queries are split into the development half (positions 1, 3, 5, …)
// and the held-out half (0, 2, 4, …). KEFU_SHOW_DEV_ERRORS=1 prints the
// development half's errors (never the held-out half's).
func BenchmarkEvalHINT3Mapped(b *testing.B) {
	root := filepath.Join("..", "..", "shared", "datasets")
	if _, err := os.Stat(filepath.Join(root, "en_hint3")); err != nil {
		b.Skipf("HINT3 not available: %v", err)
	}
	c := mustBuiltin(b)
	for _, bot := range []string{"sofmattress", "curekart"} {
		b.Run(bot, func(b *testing.B) {
			f, err := os.Open(filepath.Join("..", "docs", "eval", "hint3", "mapping.csv"))
			if err != nil {
				b.Fatal(err)
			}
			m, err := intents.ReadLabelMap(f, bot)
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			test, err := datasets.HINT3(root, bot, "test")
			if err != nil {
				b.Fatal(err)
			}
			exs := make([]intents.Example, len(test))
			for i, l := range test {
				exs[i] = intents.Example{Text: l.Text, Label: l.Label}
			}
			dev, held := datasets.Halves(exs)
			for i := 0; i < b.N; i++ {
				for _, half := range []struct {
					name string
					exs  []intents.Example
				}{{"dev", dev}, {"held", held}} {
					r, err := intents.EvaluateMapped(c, half.exs, m)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(*r.InScopeAccuracy, half.name+"-in-scope-acc")
					b.ReportMetric(*r.OOSRecall, half.name+"-oos-recall")
					b.ReportMetric(float64(r.Examples), half.name+"-mapped")
					b.ReportMetric(float64(r.Excluded), half.name+"-excluded")
				}
			}
			if os.Getenv("KEFU_SHOW_DEV_ERRORS") != "" {
				for _, ex := range dev {
					acc := m[ex.Label]
					if len(acc) == 0 {
						continue
					}
					p := c.Classify(ex.Text)
					ok := false
					for _, a := range acc {
						ok = ok || a == p.Intent
					}
					if !ok {
						fmt.Printf("%s\t%v\t%s %.2f\t%s\n", bot, acc, p.Intent, p.Confidence, ex.Text)
					}
				}
			}
		})
	}
}

// BenchmarkEvalABCDSamples classifies the first customer turn with a request
// of ABCD's three sample dialogues (all there is in the shared folder).
func BenchmarkEvalABCDSamples(b *testing.B) {
	root := filepath.Join("..", "..", "shared", "datasets")
	ds, err := datasets.ABCDSamples(root)
	if err != nil {
		b.Skipf("ABCD samples not available: %v", err)
	}
	c := mustBuiltin(b)
	for i := 0; i < b.N; i++ {
		for _, d := range ds {
			for _, turn := range d.Customer {
				p := c.Classify(turn)
				if i == 0 {
					fmt.Printf("ABCD %s/%s\t%s %.2f\t%s\n", d.Flow, d.Subflow, p.Intent, p.Confidence, turn)
				}
				if p.Intent != intents.Greeting && p.Intent != intents.Other {
					break // the first turn that asks for something
				}
			}
		}
	}
}
