package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"kefu/internal/app"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/retrieval"
)

// embedEnv reads the embedder settings from the environment (DESIGN.md's table).
func embedEnv(e env) app.EmbedConfig {
	base := e.getenv("KEFU_EMBED_BASE_URL")
	if base == "" {
		base = e.getenv("OPENAI_BASE_URL")
	}
	return app.EmbedConfig{Model: e.getenv("KEFU_EMBED_MODEL"), BaseURL: base, APIKey: e.getenv("OPENAI_API_KEY"),
		Embedder: e.getenv("KEFU_EMBEDDER")}
}

// resolveSite returns the site named by key, or the only site when key is empty.
func resolveSite(ctx context.Context, db *database, key string) (*sites.Site, error) {
	siteStore := sites.NewStore(db.Pool)
	if key != "" {
		return siteStore.ByKey(ctx, key)
	}
	list, err := siteStore.List(ctx)
	if err != nil {
		return nil, err
	}
	switch len(list) {
	case 0:
		return nil, usageErr("no site yet: run 'kefu site add' or 'kefu seed --demo'")
	case 1:
		return &list[0], nil
	}
	return nil, usageErr("there are %d sites: pass --site KEY", len(list))
}

func cmdKB(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("kefu kb ingest|list|delete|reindex|search|ask|test|eval|rerank|answer-model|source")
	}
	sub := args[0]
	if err := knownSubcommand("kb", sub, "ingest", "list", "delete", "reindex", "search", "ask", "test", "eval", "rerank", "answer-model", "source"); err != nil {
		return err
	}
	switch sub {
	case "rerank":
		return kbRerank(e, args[1:])
	case "answer-model":
		return kbAnswerModel(e, args[1:])
	case "ask":
		return cmdKBAsk(ctx, e, args[1:])
	case "test":
		return cmdKBTest(ctx, e, args[1:])
	}
	if sub == "source" {
		return kbSource(ctx, e, args[1:])
	}
	var (
		siteKey  string
		k        int
		asJSON   bool
		data     string
		features string
	)
	return dbCommand(ctx, e, "kb "+sub, args[1:], func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		switch sub {
		case "ingest", "search", "eval":
			fs.StringVar(&siteKey, "site", "", "site key (default: the only site)")
		}
		switch sub {
		case "search", "eval":
			fs.IntVar(&k, "k", 5, "number of results")
		}
		if sub == "eval" {
			fs.StringVar(&data, "data", "", "CSV with header query,expected_source")
			fs.StringVar(&features, "features", "", "also write the fused candidates' reranker features here (JSON lines, for kefu kb rerank)")
		}
	}, func(db *database, logger *slog.Logger, rest []string) error {
		lib, err := app.NewLibrary(ctx, db.Pool, embedEnv(e), logger)
		if err != nil {
			return err
		}
		switch sub {
		case "ingest":
			site, err := resolveSite(ctx, db, siteKey)
			if err != nil {
				return err
			}
			return kbIngest(ctx, e, lib, site.ID, rest, asJSON)
		case "list":
			return kbList(ctx, e, lib, asJSON)
		case "delete":
			if len(rest) != 1 {
				return usageErr("kefu kb delete ID")
			}
			id, err := strconv.ParseInt(rest[0], 10, 64)
			if err != nil {
				return usageErr("document id %q is not a number", rest[0])
			}
			doc, err := lib.Get(ctx, 0, id)
			if err != nil {
				return err
			}
			if err := lib.Delete(ctx, doc.SiteID, id); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "deleted document %d (%s)\n", id, doc.Source)
			return nil
		case "reindex":
			bar := newProgress(e.stderr)
			err := lib.Index().Reanalyze(ctx, func(done, total int) { bar.show("analyse", float64(done)/float64(total)) })
			if err == nil {
				err = lib.Index().FillTermBounds(ctx, func(done, total int) { bar.show("bounds", float64(done)/float64(total)) })
			}
			if err == nil {
				err = lib.Index().Reindex(ctx, func(done, total int) { bar.show("reindex", float64(done)/float64(total)) })
			}
			bar.done()
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "reindexed with %s\n", lib.Index().Embedder().Model())
			return nil
		case "search":
			site, err := resolveSite(ctx, db, siteKey)
			if err != nil {
				return err
			}
			res, err := lib.Search(ctx, site.ID, strings.Join(rest, " "), k)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, res.Hits)
			}
			for i, h := range res.Hits {
				fmt.Fprintf(e.stdout, "%d. %s — %s (score %.4f)\n   %s\n", i+1, h.Source, h.Heading, h.Score, snippet(h.Text, 160))
			}
			fmt.Fprintf(e.stdout, "confidence %.2f\n", res.Confidence)
			return nil
		case "eval":
			site, err := resolveSite(ctx, db, siteKey)
			if err != nil {
				return err
			}
			return kbEval(ctx, e, lib, site.ID, data, k, asJSON, features)
		}
		return usageErr("unknown kb command %q", sub)
	})
}

// kbIngest adds files (folders are walked) and ingests them now, with a
// progress bar on a terminal.
func kbIngest(ctx context.Context, e env, lib *knowledge.Library, siteID int64, paths []string, asJSON bool) error {
	if len(paths) == 0 {
		return usageErr("kefu kb ingest [--site KEY] PATH...")
	}
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	var added []*knowledge.Document
	var refused int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		doc, err := lib.Add(ctx, siteID, filepath.Base(f), data)
		if errors.Is(err, knowledge.ErrInvalid) {
			fmt.Fprintf(e.stderr, "skipped %s: %v\n", f, err)
			refused++
			continue
		}
		if err != nil {
			return err
		}
		added = append(added, doc)
	}
	bar := newProgress(e.stderr)
	final := map[int64]knowledge.Document{}
	for {
		did, err := lib.ProcessNext(ctx, func(d knowledge.Document) {
			bar.show(d.Source, d.Progress)
			if d.Status == knowledge.StatusReady || d.Status == knowledge.StatusFailed {
				final[d.ID] = d
			}
		})
		if err != nil {
			bar.done()
			return err
		}
		if !did {
			break
		}
	}
	bar.done()
	out := make([]knowledge.Document, 0, len(added))
	failed := 0
	for _, d := range added {
		if f, ok := final[d.ID]; ok {
			f.Duplicate = d.Duplicate
			out = append(out, f)
		} else {
			out = append(out, *d)
		}
		if out[len(out)-1].Status == knowledge.StatusFailed {
			failed++
		}
	}
	if asJSON {
		return writeJSON(e.stdout, out)
	}
	for _, d := range out {
		note := ""
		switch {
		case d.Duplicate:
			note = " (identical content already stored)"
		case d.Status == knowledge.StatusFailed:
			note = ": " + d.Error
		}
		fmt.Fprintf(e.stdout, "%-8s %4d chunks  %s%s\n", d.Status, d.Chunks, d.Source, note)
	}
	if failed+refused > 0 {
		return fmt.Errorf("%d of %d files failed", failed+refused, len(files))
	}
	return nil
}

func kbList(ctx context.Context, e env, lib *knowledge.Library, asJSON bool) error {
	type row struct {
		ID     int64  `json:"id"`
		Title  string `json:"title"`
		Source string `json:"source"`
		Status string `json:"status"`
		Chunks int    `json:"chunks"`
		Error  string `json:"error"`
	}
	rows := []row{}
	for cursor := ""; ; {
		page, err := lib.List(ctx, 0, "", cursor, 200)
		if err != nil {
			return err
		}
		for _, d := range page.Items {
			rows = append(rows, row{d.ID, d.Title, d.Source, d.Status, d.Chunks, d.Error})
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if asJSON {
		return writeJSON(e.stdout, rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tCHUNKS\tSOURCE\tTITLE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", r.ID, r.Status, r.Chunks, r.Source, r.Title)
	}
	return tw.Flush()
}

func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// progress draws a one-line progress bar when w is a terminal, and nothing
// otherwise (logs and pipes stay clean).
type progress struct {
	w    io.Writer
	tty  bool
	used bool
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	tty := false
	if ok {
		if st, err := f.Stat(); err == nil {
			tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return &progress{w: w, tty: tty}
}

func (p *progress) show(label string, frac float64) {
	if !p.tty {
		return
	}
	const width = 30
	n := int(frac * width)
	n = max(0, min(width, n))
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %-40s", strings.Repeat("#", n), strings.Repeat(" ", width-n), frac*100, snippet(label, 40))
	p.used = true
}

func (p *progress) done() {
	if p.used {
		fmt.Fprintln(p.w)
		p.used = false
	}
}

func kbEval(ctx context.Context, e env, lib *knowledge.Library, siteID int64, path string, k int, asJSON bool, featuresPath string) error {
	if path == "" {
		return usageErr("kefu kb eval --data FILE.csv [--k 10] [--features OUT.jsonl] [--json]")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cases, err := knowledge.ReadEvalCases(f)
	if err != nil {
		return err
	}
	opt := knowledge.EvalOptions{K: k}
	if featuresPath != "" {
		out, err := os.Create(featuresPath)
		if err != nil {
			return err
		}
		defer out.Close()
		opt.Features = out
	}
	reports, err := lib.Evaluate(ctx, siteID, cases, opt)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e.stdout, reports)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METHOD\tCASES\tHIT@1\tHIT@3\tHIT@10\tMRR")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\n", r.Method, r.Cases, r.Hit1, r.Hit3, r.Hit10, r.MRR)
	}
	return tw.Flush()
}

// kbRerank trains the search reranker on feature files that kefu kb eval
// --features wrote (development halves only), and reports a reranker's
// hit@1 and reliability curve on other files (held-out halves).
func kbRerank(e env, args []string) error {
	fs := newFlagSet(e, "kb rerank")
	train := fs.String("train", "", "feature files to train on, comma-separated")
	out := fs.String("out", "", "write the trained reranker here (JSON)")
	report := fs.String("report", "", "feature files to report on, comma-separated")
	model := fs.String("model", "", "the reranker to report on (default: the trained one, else the built-in)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *train == "" && *report == "" {
		return usageErr("kefu kb rerank --train F1,F2 --out FILE | --report F1,F2 [--model FILE]")
	}
	var r *retrieval.Reranker
	if *train != "" {
		qs, err := readRerankFiles(*train)
		if err != nil {
			return err
		}
		if r, err = retrieval.TrainReranker(qs, retrieval.RerankOptions{}); err != nil {
			return err
		}
		r.Source = "kefu kb rerank --train " + *train
		b, _ := json.MarshalIndent(r, "", "  ")
		if *out == "" {
			return usageErr("--train needs --out")
		}
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *report == "" {
		return nil
	}
	switch {
	case *model != "":
		b, err := os.ReadFile(*model)
		if err != nil {
			return err
		}
		if r, err = retrieval.ParseReranker(b); err != nil {
			return err
		}
	case r == nil:
		r = retrieval.DefaultReranker()
	}
	qs, err := readRerankFiles(*report)
	if err != nil {
		return err
	}
	hit1, curve, ece := r.Evaluate(qs)
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"hit@1": hit1, "reliability": curve, "ece": ece})
	}
	fmt.Fprintf(e.stdout, "hit@1 %.3f over answerable queries; expected calibration error %.3f\n", hit1, ece)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONFIDENCE\tQUERIES\tMEAN\tRIGHT")
	for _, b := range curve {
		if b.Queries > 0 {
			fmt.Fprintf(tw, "%.1f–%.1f\t%d\t%.3f\t%.3f\n", b.Low, b.High, b.Queries, b.Confidence, b.Accuracy)
		}
	}
	return tw.Flush()
}

// readRerankFiles reads feature files, weighting queries so that every file
// (evaluation set) counts the same in training, however many queries it has.
func readRerankFiles(list string) ([]retrieval.RerankQuery, error) {
	var out []retrieval.RerankQuery
	for _, path := range strings.Split(list, ",") {
		from := len(out)
		f, err := os.Open(strings.TrimSpace(path))
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(f)
		for {
			var q retrieval.RerankQuery
			if err := dec.Decode(&q); err == io.EOF {
				break
			} else if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			out = append(out, q)
		}
		f.Close()
		for i := from; i < len(out); i++ {
			out[i].Weight = 100 / float64(len(out)-from)
		}
	}
	return out, nil
}
