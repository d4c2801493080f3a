package llm

import (
	"context"
	"errors"
	"fmt"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Embed returns the embeddings of texts from model, in order. Rate limits,
// server errors and network errors are retried with backoff.
func (c *Client) Embed(ctx context.Context, model string, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	var lastErr error
	for attempt := 0; attempt <= c.stream.retries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(c.stream.backoff(attempt - 1)):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		rctx, cancel := context.WithTimeout(ctx, c.timeout)
		resp, err := c.api.CreateEmbeddings(rctx, openai.EmbeddingRequestStrings{Input: texts, Model: openai.EmbeddingModel(model)})
		cancel()
		if err == nil {
			if len(resp.Data) != len(texts) {
				return nil, fmt.Errorf("embeddings: %d vectors for %d texts", len(resp.Data), len(texts))
			}
			out := make([][]float32, len(texts))
			for _, d := range resp.Data {
				if d.Index < 0 || d.Index >= len(out) {
					return nil, errors.New("embeddings: index out of range")
				}
				out[d.Index] = d.Embedding
			}
			return out, nil
		}
		lastErr = err
		if !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("embeddings: %w", lastErr)
}
