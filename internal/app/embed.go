package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/knowledge"
	"kefu/llm"
	"kefu/retrieval"
)

// EmbedConfig names the embeddings model; an empty Model means the offline
// embedder named by Embedder (see OfflineEmbedder).
type EmbedConfig struct {
	Model, BaseURL, APIKey string
	Embedder               string
}

// NewEmbedder returns the configured embedder: the embeddings model when
// one is named, else the offline embedder (the trained built-in one unless
// Embedder says otherwise).
func NewEmbedder(ctx context.Context, cfg EmbedConfig) (retrieval.Embedder, error) {
	if cfg.Model != "" {
		return retrieval.NewModelEmbedder(ctx, llm.New(llm.Config{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey}), cfg.Model)
	}
	return OfflineEmbedder(cfg.Embedder)
}

// OfflineEmbedder returns the offline embedder named by choice: "builtin"
// (or empty) for the trained embedder shipped in the binary, "hash" for the
// hashing embedder, anything else is a weights file from kefu embedder train.
func OfflineEmbedder(choice string) (retrieval.Embedder, error) {
	switch choice {
	case "", "builtin":
		return retrieval.BuiltinEmbedder()
	case "hash":
		return retrieval.NewHashEmbedder(retrieval.DefaultDim), nil
	}
	data, err := os.ReadFile(choice)
	if err != nil {
		return nil, fmt.Errorf("embedder weights: %w", err)
	}
	emb, err := retrieval.LoadEmbedder(data)
	if err != nil {
		return nil, fmt.Errorf("embedder weights %s: %w", choice, err)
	}
	return emb, nil
}

// NewLibrary wires the document library with the configured embedder and
// makes sure the embedder's vector index exists.
func NewLibrary(ctx context.Context, pool *pgxpool.Pool, cfg EmbedConfig, logger *slog.Logger) (*knowledge.Library, error) {
	emb, err := NewEmbedder(ctx, cfg)
	if err != nil {
		return nil, err
	}
	lib := knowledge.NewLibrary(pool, retrieval.NewIndex(pool, emb), logger)
	if err := lib.Index().EnsureModel(ctx); err != nil {
		return nil, err
	}
	return lib, nil
}
