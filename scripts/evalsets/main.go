// Command evalsets writes the retrieval evaluation sets that docs/benchmarks.md
// reports (`kefu kb eval`), each as a knowledge folder to ingest and two query
// files: dev.csv (tune on it) and held.csv (report it only). Public datasets
// are read from the team's shared folder and the derived sets are written to
// -out, never committed (HINT3 is ODbL: a derived database shared publicly
// would have to be ODbL too).
//
//	go run ./scripts/evalsets -out /tmp/kefu-eval [-datasets ../shared/datasets]
//
// Sets:
//   - hint3-sofmattress, hint3-curekart (English FAQ retrieval): one document
//     per intent made of its training phrasings; queries are the real test
//     messages (halves by position); out-of-scope ones have no expected source
//     (they count for the confidence only).
//   - massive-zh (Chinese paraphrase matching, in the style of an FAQ of
//     standard questions): an FAQ CSV of four training utterances per intent;
//     queries are validation utterances (dev) and test utterances (held), a
//     hit being any row of the query's intent.
//   - demo: the demo shop's retrieval queries (knowledge/demo/eval.csv) and
//     the policy questions of docs/eval/demo/questions.csv when present.
//   - abcd: docs/eval/abcd/eval.csv over docs/eval/abcd/kb.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"kefu/internal/datasets"
)

func main() {
	out := flag.String("out", "/tmp/kefu-eval", "folder to write the sets to")
	root := flag.String("datasets", datasets.DefaultRoot(), "the shared datasets folder")
	flag.Parse()
	if err := run(*out, *root); err != nil {
		fmt.Fprintln(os.Stderr, "evalsets:", err)
		os.Exit(1)
	}
}

type query struct{ q, expected string }

func run(out, root string) error {
	if err := datasets.Check(root); err != nil {
		return err
	}
	for _, bot := range []string{"sofmattress", "curekart"} {
		if err := hint3(filepath.Join(out, "hint3-"+bot), root, bot); err != nil {
			return err
		}
	}
	if err := massive(filepath.Join(out, "massive-zh"), root); err != nil {
		return err
	}
	if err := demo(filepath.Join(out, "demo")); err != nil {
		return err
	}
	return copySet(filepath.Join(out, "abcd"), "docs/eval/abcd/eval.csv", "docs/eval/abcd/kb")
}

func hint3(dir, root, bot string) error {
	train, err := datasets.HINT3(root, bot, "train")
	if err != nil {
		return err
	}
	test, err := datasets.HINT3(root, bot, "test")
	if err != nil {
		return err
	}
	byLabel := map[string][]string{}
	for _, ex := range train {
		byLabel[ex.Label] = append(byLabel[ex.Label], ex.Text)
	}
	kb := filepath.Join(dir, "kb")
	if err := os.MkdirAll(kb, 0o755); err != nil {
		return err
	}
	for label, texts := range byLabel {
		var b strings.Builder
		fmt.Fprintf(&b, "# %s\n\n", strings.ReplaceAll(label, "_", " "))
		for _, t := range texts {
			fmt.Fprintf(&b, "- %s\n", t)
		}
		if err := os.WriteFile(filepath.Join(kb, fileName(label)+".md"), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	var qs []query
	for _, ex := range test {
		switch {
		case ex.Label == datasets.HINT3OutOfScope:
			qs = append(qs, query{ex.Text, ""}) // unanswerable: for the confidence only
		case byLabel[ex.Label] != nil:
			qs = append(qs, query{ex.Text, fileName(ex.Label) + ".md"})
		}
	}
	dev, held := datasets.Halves(qs)
	return writeQueries(dir, dev, held)
}

func fileName(label string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' {
			return '_'
		}
		return r
	}, label))
}

func massive(dir, root string) error {
	train, err := datasets.MassiveZH(root, "train")
	if err != nil {
		return err
	}
	rows := map[string][]int{} // intent → FAQ rows
	var faq [][]string
	for _, ex := range train {
		if len(rows[ex.Label]) >= 4 {
			continue
		}
		faq = append(faq, []string{ex.Text, "(" + ex.Label + ")"})
		rows[ex.Label] = append(rows[ex.Label], len(faq))
	}
	if err := os.MkdirAll(filepath.Join(dir, "kb"), 0o755); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(dir, "kb", "massive.csv"), []string{"question", "answer"}, faq); err != nil {
		return err
	}
	expected := func(label string) string {
		var s []string
		for _, r := range rows[label] {
			s = append(s, "massive.csv#"+strconv.Itoa(r))
		}
		return strings.Join(s, "|")
	}
	read := func(split string, limit int) ([]query, error) {
		exs, err := datasets.MassiveZH(root, split)
		if err != nil {
			return nil, err
		}
		var qs []query
		for i, ex := range exs {
			if rows[ex.Label] != nil && i%3 == 0 && len(qs) < limit { // every third: a spread, not one intent
				qs = append(qs, query{ex.Text, expected(ex.Label)})
			}
		}
		return qs, nil
	}
	dev, err := read("validation", 500)
	if err != nil {
		return err
	}
	held, err := read("test", 700)
	if err != nil {
		return err
	}
	return writeQueries(dir, dev, held)
}

func demo(dir string) error {
	qs, err := readQueries("knowledge/demo/eval.csv")
	if err != nil {
		return err
	}
	dev, held := datasets.Halves(qs)
	if f, err := os.Open("docs/eval/demo/questions.csv"); err == nil {
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return err
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for _, r := range rows[1:] {
			if k := r[col["kind"]]; k != "policy" && k != "oos" {
				continue // product and order questions are answered from the catalog and orders
			}
			q := r[col["query"]]
			if c := r[col["context"]]; c != "" {
				q = c + " || " + q
			}
			if r[col["split"]] == "dev" {
				dev = append(dev, query{q, r[col["expected_source"]]})
			} else {
				held = append(held, query{q, r[col["expected_source"]]})
			}
		}
	}
	if err := writeQueries(dir, dev, held); err != nil {
		return err
	}
	return os.Symlink(mustAbs("knowledge/demo/docs"), filepath.Join(dir, "kb"))
}

func copySet(dir, queries, kb string) error {
	qs, err := readQueries(queries)
	if err != nil {
		return err
	}
	dev, held := datasets.Halves(qs)
	if err := writeQueries(dir, dev, held); err != nil {
		return err
	}
	return os.Symlink(mustAbs(kb), filepath.Join(dir, "kb"))
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

func readQueries(path string) ([]query, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var qs []query
	for _, r := range rows[1:] {
		qs = append(qs, query{r[0], r[1]})
	}
	return qs, nil
}

func writeQueries(dir string, dev, held []query) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, qs := range map[string][]query{"dev.csv": dev, "held.csv": held} {
		rows := make([][]string, len(qs))
		for i, q := range qs {
			rows[i] = []string{q.q, q.expected}
		}
		if err := writeCSV(filepath.Join(dir, name), []string{"query", "expected_source"}, rows); err != nil {
			return err
		}
	}
	return nil
}

func writeCSV(path string, header []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write(header)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
