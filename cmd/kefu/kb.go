package main

import (
	"context"
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

	"kefu/chat"
	"kefu/knowledge"
	"kefu/llm"
	"kefu/retrieval"
)

// embedConfig names the embeddings model; an empty Model means the offline
// embedder named by Embedder (see builtinEmbedder).
type embedConfig struct {
	Model, BaseURL, APIKey string
	Embedder               string
}

// embedEnv reads the embedder settings from the environment (DESIGN.md's table).
func embedEnv(e env) embedConfig {
	base := e.getenv("KEFU_EMBED_BASE_URL")
	if base == "" {
		base = e.getenv("OPENAI_BASE_URL")
	}
	return embedConfig{Model: e.getenv("KEFU_EMBED_MODEL"), BaseURL: base, APIKey: e.getenv("OPENAI_API_KEY"),
		Embedder: e.getenv("KEFU_EMBEDDER")}
}

// newEmbedder returns the configured embedder: the embeddings model when
// one is named, else the offline embedder (the trained built-in one unless
// KEFU_EMBEDDER says otherwise).
func newEmbedder(ctx context.Context, cfg embedConfig) (retrieval.Embedder, error) {
	if cfg.Model != "" {
		return retrieval.NewModelEmbedder(ctx, llm.New(llm.Config{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey}), cfg.Model)
	}
	return builtinEmbedder(cfg.Embedder)
}

// newLibrary wires the document library with the configured embedder and
// makes sure the embedder's vector index exists.
func newLibrary(ctx context.Context, db *database, cfg embedConfig, logger *slog.Logger) (*knowledge.Library, error) {
	emb, err := newEmbedder(ctx, cfg)
	if err != nil {
		return nil, err
	}
	lib := knowledge.NewLibrary(db.Pool, retrieval.NewIndex(db.Pool, emb), logger)
	if err := lib.Index().EnsureModel(ctx); err != nil {
		return nil, err
	}
	return lib, nil
}

// resolveSite returns the site named by key, or the only site when key is empty.
func resolveSite(ctx context.Context, db *database, key string) (*chat.Site, error) {
	sites := chat.NewSites(db.Pool)
	if key != "" {
		return sites.ByKey(ctx, key)
	}
	list, err := sites.List(ctx)
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
		return usageErr("kefu kb ingest|list|delete|reindex|search|eval")
	}
	sub := args[0]
	var (
		siteKey string
		k       int
		asJSON  bool
		data    string
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
		}
	}, func(db *database, logger *slog.Logger, rest []string) error {
		lib, err := newLibrary(ctx, db, embedEnv(e), logger)
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
			err := lib.Index().Reindex(ctx, func(done, total int) { bar.show("reindex", float64(done)/float64(total)) })
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
			return kbEval(ctx, e, lib, site.ID, data, k, asJSON)
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

func kbEval(ctx context.Context, e env, lib *knowledge.Library, siteID int64, path string, k int, asJSON bool) error {
	if path == "" {
		return usageErr("kefu kb eval --data FILE.csv [--k 10] [--json]")
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
	reports, err := lib.Evaluate(ctx, siteID, cases, k)
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
