package retrieval

import (
	"context"
	"fmt"

	"kefu/llm"
)

// ModelEmbedder embeds with an OpenAI-compatible embeddings endpoint. Its
// dimension is learned from the endpoint when it is made.
type ModelEmbedder struct {
	client *llm.Client
	model  string
	dim    int
}

// NewModelEmbedder asks the endpoint for one embedding to learn the model's
// dimension; it fails when the endpoint does not answer.
func NewModelEmbedder(ctx context.Context, client *llm.Client, model string) (*ModelEmbedder, error) {
	v, err := client.Embed(ctx, model, []string{"dimension probe"})
	if err != nil {
		return nil, fmt.Errorf("embedding model %s: %w", model, err)
	}
	if len(v) != 1 || len(v[0]) == 0 || len(v[0]) > 16000 {
		return nil, fmt.Errorf("embedding model %s returned no usable vector", model)
	}
	return &ModelEmbedder{client: client, model: model, dim: len(v[0])}, nil
}

// Model implements Embedder: the endpoint's model name and dimension.
func (m *ModelEmbedder) Model() string { return fmt.Sprintf("%s-%d", m.model, m.dim) }

// Dim implements Embedder.
func (m *ModelEmbedder) Dim() int { return m.dim }

// Embed implements Embedder, normalising vectors for cosine distance.
func (m *ModelEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	vs, err := m.client.Embed(ctx, m.model, texts)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if len(v) != m.dim {
			return nil, fmt.Errorf("embedding model %s changed dimension: %d, want %d", m.model, len(v), m.dim)
		}
		normalize(v)
	}
	return vs, nil
}
