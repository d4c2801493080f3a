package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"kefu/internal/app"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/retrieval"
)

// searchBench measures ingestion and hybrid search on a synthetic corpus.
type searchBench struct {
	chunks, queries int
	asJSON          bool
	site            string
	lang            string // en: made-up words; zh: made-up Chinese words, no spaces
}

type searchBenchResult struct {
	Chunks        int     `json:"chunks"`
	IngestSeconds float64 `json:"ingest_seconds"`
	ChunksPerSec  float64 `json:"chunks_per_sec"`
	Queries       int     `json:"queries"`
	P50ms         float64 `json:"p50_ms"`
	P95ms         float64 `json:"p95_ms"`
	P99ms         float64 `json:"p99_ms"`
	VectorP50ms   float64 `json:"vector_p50_ms"`
	VectorP95ms   float64 `json:"vector_p95_ms"`
	TextP50ms     float64 `json:"text_p50_ms"`
	TextP95ms     float64 `json:"text_p95_ms"`
	RecallAt10    float64 `json:"hnsw_recall_at_10"`
	TextRecall10  float64 `json:"bm25_pruning_recall_at_10"`
}

func cmdBenchSearch(ctx context.Context, e env, args []string) error {
	var o searchBench
	return dbCommand(ctx, e, "bench search", args, func(fs *flag.FlagSet) {
		fs.IntVar(&o.chunks, "chunks", 100000, "chunks in the synthetic corpus")
		fs.IntVar(&o.queries, "queries", 300, "queries to time")
		fs.BoolVar(&o.asJSON, "json", false, "print JSON")
		fs.StringVar(&o.site, "site", "", "time searches on this site's existing chunks (no ingestion)")
		fs.StringVar(&o.lang, "lang", "en", "corpus language: en (made-up words) or zh (made-up Chinese words, no spaces)")
	}, func(db *database, logger *slog.Logger, _ []string) error {
		res, err := o.run(ctx, e, db, logger)
		if err != nil {
			return err
		}
		if o.asJSON {
			return writeJSON(e.stdout, res)
		}
		fmt.Fprintf(e.stdout, "ingested %d chunks in %.1f s = %.0f chunks/s (parse, chunk, embed, index)\n", res.Chunks, res.IngestSeconds, res.ChunksPerSec)
		fmt.Fprintf(e.stdout, "hybrid search, %d queries: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n", res.Queries, res.P50ms, res.P95ms, res.P99ms)
		fmt.Fprintf(e.stdout, "  vector leg alone: p50 %.1f ms, p95 %.1f ms; BM25 leg alone: p50 %.1f ms, p95 %.1f ms\n", res.VectorP50ms, res.VectorP95ms, res.TextP50ms, res.TextP95ms)
		fmt.Fprintf(e.stdout, "HNSW recall@10 against exact search: %.3f\n", res.RecallAt10)
		fmt.Fprintf(e.stdout, "BM25 recall@10 of candidate pruning against exhaustive scoring: %.4f\n", res.TextRecall10)
		return nil
	})
}

func (o *searchBench) run(ctx context.Context, e env, db *database, logger *slog.Logger) (*searchBenchResult, error) {
	siteStore := sites.NewStore(db.Pool)
	lib, err := app.NewLibrary(ctx, db.Pool, app.EmbedConfig{Embedder: e.getenv("KEFU_EMBEDDER")}, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	if o.site != "" {
		site, err := siteStore.ByKey(ctx, o.site)
		if err != nil {
			return nil, err
		}
		chunks, err := lib.Index().Chunks(ctx, site.ID)
		if err != nil {
			return nil, err
		}
		rng := rand.New(rand.NewPCG(3, 4))
		var queries []string
		for len(queries) < o.queries && len(chunks) > 0 {
			c := chunks[rng.IntN(len(chunks))]
			w := strings.Fields(c.Text)
			if len(w) < 5 {
				if r := []rune(c.Text); len(w) > 0 && len(r) >= 12 { // Chinese: a span of characters
					i := rng.IntN(len(r) - 8)
					queries = append(queries, c.Heading+string(r[i:i+6]))
				}
				continue
			}
			i := rng.IntN(len(w) - 4)
			queries = append(queries, c.Heading+" "+strings.Join(w[i:i+3], " "))
		}
		return o.time(ctx, lib, site.ID, len(chunks), queries)
	}
	name := fmt.Sprintf("kefu bench search %d", time.Now().Unix())
	site, err := siteStore.Create(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	vocab, sep := syntheticVocab(rng, 20000), " "
	if o.lang == "zh" {
		vocab, sep = syntheticChinese(rng, 20000), ""
	} else if o.lang != "en" {
		return nil, usageErr("--lang is en or zh")
	}
	// Text has topics: each document draws most words from its topic's own
	// few hundred, the rest from the whole vocabulary (both Zipf-distributed).
	topics := make([][]string, 300)
	for i := range topics {
		topics[i] = make([]string, 200)
		for j := range topics[i] {
			topics[i][j] = vocab[rng.IntN(len(vocab))]
		}
	}
	const perDoc = 100
	docs := (o.chunks + perDoc - 1) / perDoc
	var queries []string
	bar := newProgress(e.stderr)
	start := time.Now()
	for d := 0; d < docs; d++ {
		var b strings.Builder
		fmt.Fprintf(&b, "# Guide %d\n\n", d)
		topic := topics[rng.IntN(len(topics))]
		for c := 0; c < perDoc && d*perDoc+c < o.chunks; c++ {
			words := make([]string, 40+rng.IntN(40))
			for i := range words {
				if rng.IntN(10) < 7 {
					words[i] = topic[zipf(rng, len(topic))]
				} else {
					words[i] = vocab[zipf(rng, len(vocab))]
				}
			}
			heading := topic[rng.IntN(len(topic))] + sep + vocab[rng.IntN(len(vocab))]
			fmt.Fprintf(&b, "## %s\n\n%s.\n\n", heading, strings.Join(words, sep))
			if rng.IntN(o.chunks/o.queries+1) == 0 && len(queries) < o.queries {
				i := rng.IntN(len(words) - 4)
				queries = append(queries, heading+sep+strings.Join(words[i:i+3], sep))
			}
		}
		if _, err := lib.Add(ctx, site.ID, fmt.Sprintf("guide-%05d.md", d), []byte(b.String())); err != nil {
			return nil, err
		}
	}
	// As many ingestion workers as a server runs (one per core).
	var done atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for w := 0; w < runtime.NumCPU(); w++ {
		g.Go(func() error {
			for {
				did, err := lib.ProcessNext(gctx, nil)
				if err != nil || !did {
					return err
				}
				bar.show("ingest", float64(done.Add(1))/float64(docs))
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	bar.done()
	ingest := time.Since(start).Seconds()
	db.Pool.Exec(ctx, "analyze chunks; analyze chunk_embeddings")
	res, err := o.time(ctx, lib, site.ID, o.chunks, queries)
	if err != nil {
		return nil, err
	}
	res.IngestSeconds, res.ChunksPerSec = ingest, float64(o.chunks)/ingest
	logger.Info("bench site kept for inspection", "site", site.Key)
	return res, nil
}

// time measures search latency (hybrid and each leg) and HNSW recall.
func (o *searchBench) time(ctx context.Context, lib *knowledge.Library, siteID int64, chunks int, queries []string) (*searchBenchResult, error) {
	res := &searchBenchResult{Chunks: chunks}
	var err error
	site := struct{ ID int64 }{siteID}

	timed := func(mode retrieval.Mode) (p50, p95, p99 float64, err error) {
		var lat []time.Duration
		for _, q := range queries {
			t := time.Now()
			if _, err := lib.Index().SearchMode(ctx, site.ID, q, 10, mode); err != nil {
				return 0, 0, 0, err
			}
			lat = append(lat, time.Since(t))
		}
		ms := millis(lat)
		return percentile(ms, 0.5), percentile(ms, 0.95), percentile(ms, 0.99), nil
	}
	res.Queries = len(queries)
	if res.P50ms, res.P95ms, res.P99ms, err = timed(retrieval.Hybrid); err != nil {
		return nil, err
	}
	if res.VectorP50ms, res.VectorP95ms, _, err = timed(retrieval.VectorOnly); err != nil {
		return nil, err
	}
	if res.TextP50ms, res.TextP95ms, _, err = timed(retrieval.TextOnly); err != nil {
		return nil, err
	}

	recall, err := lib.Index().Recall(ctx, site.ID, queries[:min(100, len(queries))], 10)
	if err != nil {
		return nil, err
	}
	res.RecallAt10 = recall
	if res.TextRecall10, err = lib.Index().TextRecall(ctx, site.ID, queries[:min(100, len(queries))], 10); err != nil {
		return nil, err
	}
	return res, nil
}

// syntheticVocab makes n pronounceable made-up words.
func syntheticVocab(rng *rand.Rand, n int) []string {
	cons, vows := "bcdfghjklmnprstvwz", "aeiou"
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var b strings.Builder
		for s := 0; s < 2+rng.IntN(2); s++ {
			b.WriteByte(cons[rng.IntN(len(cons))])
			b.WriteByte(vows[rng.IntN(len(vows))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// syntheticChinese makes n made-up Chinese words of one to three characters
// drawn Zipf-like from 3,500 characters, a tenth of them function
// characters (的, 了, 是 …) that occur everywhere, as in real text.
func syntheticChinese(rng *rand.Rand, n int) []string {
	chars := []rune("的了是我你在和就都也很个这那有不人一")
	for len(chars) < 3500 {
		chars = append(chars, rune(0x4E00+rng.IntN(0x9FA5-0x4E00)))
	}
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var b strings.Builder
		for range 1 + rng.IntN(3) {
			b.WriteRune(chars[zipf(rng, len(chars))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// zipf draws an index with a Zipf-like (1/rank) distribution, as words in text.
func zipf(rng *rand.Rand, n int) int {
	return min(n-1, int(float64(n)*(rng.Float64()*rng.Float64()*rng.Float64())))
}
