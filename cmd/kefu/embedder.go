package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"kefu/internal/app"
	"kefu/internal/datasets"
	"kefu/knowledge"
	docparse "kefu/knowledge/parse"
	"kefu/retrieval"
)

const embedderUsage = `kefu embedder train --datasets DIR --seed N --out FILE [--attribution FILE] [--epochs N] [--dim N] [--buckets N] [--json]
kefu embedder eval [--embedder builtin|hash|FILE] [--datasets DIR] [--half dev|held|all] [--write DIR] [--json]`

func cmdEmbedder(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("%s", embedderUsage)
	}
	switch args[0] {
	case "train":
		return embedderTrain(ctx, e, args[1:])
	case "eval":
		return embedderEval(ctx, e, args[1:])
	}
	return usageErr("unknown embedder command %q\n%s", args[0], embedderUsage)
}

func embedderTrain(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "embedder train")
	root := fs.String("datasets", datasets.DefaultRoot(), "folder of the shared public datasets")
	out := fs.String("out", "", "where to write the weights (required)")
	attribution := fs.String("attribution", "", "also write the attribution lines of the Tatoeba pairs used to this file (CC BY 2.0 FR asks to ship them with the weights)")
	seed := fs.Uint64("seed", 1, "seed: the same data and seed give the same weights, byte for byte")
	var opt retrieval.TrainOptions
	fs.IntVar(&opt.Epochs, "epochs", 4, "passes over the training pairs")
	fs.IntVar(&opt.Dim, "dim", 256, "vector dimension")
	buckets := fs.Uint("buckets", 1<<16, "hashed feature rows (a power of two)")
	fs.IntVar(&opt.Batch, "batch", 256, "pairs per batch")
	fs.Float64Var(&opt.Temperature, "temperature", 0.05, "softmax temperature of the contrastive loss")
	fs.Float64Var(&opt.Rate, "rate", 0.02, "AdaGrad learning rate")
	fs.Float64Var(&opt.Init, "init", 0.1, "standard deviation of the rows' random start")
	fs.IntVar(&opt.Workers, "workers", runtime.NumCPU(), "goroutines (the weights do not depend on it)")
	fs.IntVar(&opt.LexDim, "lex-dim", 255, "dimensions of the vector's hashed-words part (0: none)")
	fs.Float64Var(&opt.LexShare, "lex-share", 0.3, "share of the similarity the hashed words make")
	fs.Float64Var(&opt.LangWeight, "lang-weight", 0.3, "weight of the vector's language dimension (0: none)")
	var mix pairMix
	fs.Float64Var(&mix.DocShare, "doc-share", 0.3, "share of cluster texts also paired with several other members joined")
	fs.IntVar(&mix.DocSize, "doc-size", 4, "members joined into such a document")
	fs.IntVar(&mix.LexiconRepeat, "lexicon-repeat", 4, "times each shop lexicon entry is paired per epoch")
	fs.IntVar(&mix.OwnRepeat, "own-repeat", 3, "times each of kefu's own intent examples is paired per epoch")
	fs.IntVar(&mix.QARepeat, "qa-repeat", 2, "times each team-written shop question is paired with its passage per epoch")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErr("--out FILE is required")
	}
	if *buckets == 0 || *buckets&(*buckets-1) != 0 || *buckets > 1<<24 {
		return usageErr("--buckets must be a power of two up to %d", 1<<24)
	}
	if opt.LexDim == 0 {
		opt.LexShare = 0
	}
	if opt.LexDim < 0 || opt.LexDim > 4096 || opt.LexShare < 0 || opt.LexShare >= 1 || opt.LangWeight < 0 || opt.LangWeight > 10 {
		return usageErr("--lex-dim must be in [0, 4096], --lex-share in [0, 1), --lang-weight in [0, 10]")
	}
	if opt.Epochs < 1 || mix.DocShare < 0 || mix.DocShare > 1 || mix.DocSize < 1 || mix.LexiconRepeat < 0 || mix.OwnRepeat < 0 || mix.QARepeat < 0 {
		return usageErr("--epochs, --doc-size must be positive; --doc-share in [0, 1]; repeats not negative")
	}
	opt.Buckets, opt.Seed = uint32(*buckets), *seed
	data, err := loadEmbedderData(*root)
	if err != nil {
		return err
	}
	if !*asJSON {
		for _, c := range sortedCounts(data.counts) {
			fmt.Fprintln(e.stderr, c)
		}
	}
	var losses []float64
	start := time.Now()
	opt.Progress = func(epoch int, loss float64) {
		losses = append(losses, round4(loss))
		if !*asJSON {
			fmt.Fprintf(e.stderr, "epoch %d: loss %.4f (%.0fs)\n", epoch, loss, time.Since(start).Seconds())
		}
	}
	emb, err := retrieval.TrainEmbedder(ctx, data.pairs(*seed, mix), opt)
	if err != nil {
		return err
	}
	took := time.Since(start)
	var buf bytes.Buffer
	if err := emb.Save(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write weights: %w", err)
	}
	if *attribution != "" {
		text := "# Tatoeba sentence pairs (https://tatoeba.org, CC BY 2.0 FR, selected by ManyThings.org) that trained\n" +
			"# " + emb.Model() + ": one pair a line, \"#English sentence id (author) & #Chinese sentence id (author)\".\n" +
			strings.Join(data.attributions, "\n") + "\n"
		if err := os.WriteFile(*attribution, []byte(text), 0o644); err != nil {
			return fmt.Errorf("write attribution: %w", err)
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"weights": *out, "model": emb.Model(), "bytes": buf.Len(),
			"train_seconds": round4(took.Seconds()), "losses": losses, "sources": data.counts})
	}
	fmt.Fprintf(e.stdout, "trained %s in %.0fs; wrote %s (%d bytes)\n", emb.Model(), took.Seconds(), *out, buf.Len())
	return nil
}

// evalSet is a retrieval evaluation: documents to search and queries with
// the sources that answer them.
type evalSet struct {
	Name  string
	Docs  map[string][]byte // file name → content, as kefu kb ingest reads it
	Cases []knowledge.EvalCase
	Note  string
}

// embedderEvalSets builds the evaluation sets: the demo shop and ABCD (from
// this repository), HINT3 sofmattress and curekart as English FAQ retrieval,
// MASSIVE zh-CN as a Chinese paraphrase set. None of them trains the
// embedder (MASSIVE's FAQ entries are train utterances, so that set is in
// distribution).
func embedderEvalSets(root, repo string) ([]evalSet, error) {
	var sets []evalSet
	for _, s := range []struct{ name, docs, cases string }{
		{"demo", "knowledge/demo/docs", "knowledge/demo/eval.csv"},
		{"abcd", "docs/eval/abcd/kb", "docs/eval/abcd/eval.csv"},
	} {
		set := evalSet{Name: s.name, Docs: map[string][]byte{}}
		err := filepath.WalkDir(filepath.Join(repo, s.docs), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			set.Docs[d.Name()] = b
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("eval set %s: %w", s.name, err)
		}
		f, err := os.Open(filepath.Join(repo, s.cases))
		if err != nil {
			return nil, fmt.Errorf("eval set %s: %w", s.name, err)
		}
		set.Cases, err = knowledge.ReadEvalCases(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("eval set %s: %w", s.name, err)
		}
		sets = append(sets, set)
	}
	for _, bot := range []string{"sofmattress", "curekart"} {
		train, err := datasets.HINT3(root, bot, "train")
		if err != nil {
			return nil, err
		}
		test, err := datasets.HINT3(root, bot, "test")
		if err != nil {
			return nil, err
		}
		set := evalSet{Name: "hint3-" + bot, Docs: map[string][]byte{},
			Note: "one document per intent (its train phrasings, one per line); in-scope test queries"}
		for _, x := range train {
			set.Docs[x.Label+".txt"] = append(set.Docs[x.Label+".txt"], x.Text+"\n"...)
		}
		for _, x := range test {
			if x.Label != datasets.HINT3OutOfScope {
				set.Cases = append(set.Cases, knowledge.EvalCase{Query: x.Text, Expected: x.Label + ".txt"})
			}
		}
		sets = append(sets, set)
	}
	train, err := datasets.MassiveZH(root, "train")
	if err != nil {
		return nil, err
	}
	test, err := datasets.MassiveZH(root, "test")
	if err != nil {
		return nil, err
	}
	byIntent := map[string][]string{}
	var intentsOrder []string
	for _, x := range train {
		if _, ok := byIntent[x.Label]; !ok {
			intentsOrder = append(intentsOrder, x.Label)
		}
		if len(byIntent[x.Label]) < 5 {
			byIntent[x.Label] = append(byIntent[x.Label], x.Text)
		}
	}
	var faq bytes.Buffer
	faq.WriteString("question,answer\n")
	row := map[string]int{}
	for i, intent := range intentsOrder {
		u := byIntent[intent]
		fmt.Fprintf(&faq, "%s,%s\n", csvField(u[0]), csvField(strings.Join(u[1:], "；")))
		row[intent] = i + 1
	}
	set := evalSet{Name: "massive-zh", Docs: map[string][]byte{"massive-zh-faq.csv": faq.Bytes()},
		Note: "FAQ CSV: one row per intent made of its first 5 train utterances; test utterances as queries (in distribution: MASSIVE train trains the embedder)"}
	for _, x := range test {
		if r, ok := row[x.Label]; ok {
			set.Cases = append(set.Cases, knowledge.EvalCase{Query: x.Text, Expected: fmt.Sprintf("massive-zh-faq.csv#%d", r)})
		}
	}
	return append(sets, set), nil
}

func csvField(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// evalMatches reports whether source is one of expected's sources, as kefu kb eval does.
func evalMatches(source, expected string) bool {
	for _, e := range strings.Split(expected, "|") {
		if e = strings.TrimSpace(e); source == e || strings.HasPrefix(source, e+"#") {
			return true
		}
	}
	return false
}

// vectorEval ranks the set's chunks by exact cosine similarity (what the
// vector leg does for a site of fewer than 10,000 chunks) and reports
// hit@1/3/10 and MRR (within the top 10).
func vectorEval(ctx context.Context, emb retrieval.Embedder, set evalSet, cases []knowledge.EvalCase) (knowledge.EvalReport, error) {
	rep := knowledge.EvalReport{Method: "vector", Cases: len(cases)}
	var sources, texts []string
	names := make([]string, 0, len(set.Docs))
	for n := range set.Docs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		p, err := docparse.Parse(name, set.Docs[name])
		if err != nil {
			return rep, fmt.Errorf("%s %s: %w", set.Name, name, err)
		}
		for _, c := range knowledge.ChunkDocument(p, knowledge.ChunkOptions{}) {
			src := name
			if c.Row > 0 {
				src += fmt.Sprintf("#%d", c.Row)
			}
			sources = append(sources, src)
			texts = append(texts, retrieval.EmbedText(retrieval.ChunkInput{Heading: c.Heading, Text: c.Text}))
		}
	}
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		return rep, err
	}
	queries := make([]string, len(cases))
	for i, c := range cases {
		queries[i] = c.Query
	}
	qv, err := emb.Embed(ctx, queries)
	if err != nil {
		return rep, err
	}
	type scored struct {
		i int
		s float32
	}
	for ci, c := range cases {
		ranked := make([]scored, len(vecs))
		for i, v := range vecs {
			var s float32
			for j := range v {
				s += v[j] * qv[ci][j]
			}
			ranked[i] = scored{i, s}
		}
		slices.SortStableFunc(ranked, func(a, b scored) int {
			switch {
			case a.s > b.s:
				return -1
			case a.s < b.s:
				return 1
			}
			return 0
		})
		for r, h := range ranked[:min(10, len(ranked))] {
			if !evalMatches(sources[h.i], c.Expected) {
				continue
			}
			rank := r + 1
			rep.MRR += 1 / float64(rank)
			if rank <= 1 {
				rep.Hit1++
			}
			if rank <= 3 {
				rep.Hit3++
			}
			rep.Hit10++
			break
		}
	}
	if n := float64(len(cases)); n > 0 {
		rep.Hit1, rep.Hit3, rep.Hit10, rep.MRR = rep.Hit1/n, rep.Hit3/n, rep.Hit10/n, rep.MRR/n
	}
	return rep, nil
}

// tatoebaAccuracy is the share of LASER's Tatoeba Chinese sentences whose
// nearest English sentence (of the 1,000) is their translation.
func tatoebaAccuracy(ctx context.Context, emb retrieval.Embedder, pairs []datasets.Pair) (float64, error) {
	en := make([]string, len(pairs))
	zh := make([]string, len(pairs))
	for i, p := range pairs {
		en[i], zh[i] = p.A, p.B
	}
	ev, err := emb.Embed(ctx, en)
	if err != nil {
		return 0, err
	}
	zv, err := emb.Embed(ctx, zh)
	if err != nil {
		return 0, err
	}
	right := 0
	for i, z := range zv {
		best, bestS := -1, float32(-2)
		for j, v := range ev {
			var s float32
			for k := range v {
				s += v[k] * z[k]
			}
			if s > bestS {
				best, bestS = j, s
			}
		}
		if best == i {
			right++
		}
	}
	return float64(right) / float64(len(pairs)), nil
}

func embedderEval(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "embedder eval")
	root := fs.String("datasets", datasets.DefaultRoot(), "folder of the shared public datasets")
	repo := fs.String("repo", ".", "kefu source tree (for the demo and ABCD sets)")
	choice := fs.String("embedder", "builtin", "builtin, hash, or a weights file")
	half := fs.String("half", "dev", "dev (positions 1, 3, 5, …), held (0, 2, 4, …) or all")
	write := fs.String("write", "", "also write each set (docs/, dev.csv, held.csv) under this folder, for kefu kb ingest and kb eval")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *half != "dev" && *half != "held" && *half != "all" {
		return usageErr("--half must be dev, held or all")
	}
	emb, err := app.OfflineEmbedder(*choice)
	if err != nil {
		return err
	}
	sets, err := embedderEvalSets(*root, *repo)
	if err != nil {
		return err
	}
	if *write != "" {
		if err := writeEvalSets(*write, sets); err != nil {
			return err
		}
	}
	type row struct {
		Set string `json:"set"`
		knowledge.EvalReport
	}
	var rows []row
	for _, set := range sets {
		cases := set.Cases
		if dev, held := datasets.Halves(cases); *half == "dev" {
			cases = dev
		} else if *half == "held" {
			cases = held
		}
		rep, err := vectorEval(ctx, emb, set, cases)
		if err != nil {
			return err
		}
		rows = append(rows, row{set.Name, rep})
	}
	test, err := datasets.TatoebaTest(*root)
	if err != nil {
		return err
	}
	acc, err := tatoebaAccuracy(ctx, emb, test)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"model": emb.Model(), "half": *half, "sets": rows, "tatoeba_cmn_eng_accuracy": round4(acc)})
	}
	fmt.Fprintf(e.stdout, "%s, %s half, vector leg alone (exact cosine)\n", emb.Model(), *half)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SET\tCASES\tHIT@1\tHIT@3\tHIT@10\tMRR")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\n", r.Set, r.Cases, r.Hit1, r.Hit3, r.Hit10, r.MRR)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Tatoeba (LASER test) cmn→eng accuracy: %.3f\n", acc)
	return nil
}

// writeEvalSets writes each set as dir/NAME/docs/*, dir/NAME/dev.csv and
// dir/NAME/held.csv.
func writeEvalSets(dir string, sets []evalSet) error {
	for _, set := range sets {
		docs := filepath.Join(dir, set.Name, "docs")
		if err := os.MkdirAll(docs, 0o755); err != nil {
			return err
		}
		for name, b := range set.Docs {
			if err := os.WriteFile(filepath.Join(docs, name), b, 0o644); err != nil {
				return err
			}
		}
		dev, held := datasets.Halves(set.Cases)
		for name, cases := range map[string][]knowledge.EvalCase{"dev.csv": dev, "held.csv": held} {
			var b strings.Builder
			b.WriteString("query,expected_source\n")
			for _, c := range cases {
				fmt.Fprintf(&b, "%s,%s\n", csvField(c.Query), csvField(c.Expected))
			}
			if err := os.WriteFile(filepath.Join(dir, set.Name, name), []byte(b.String()), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
