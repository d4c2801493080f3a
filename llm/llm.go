// Package llm is a thin layer over github.com/sashabaranov/go-openai: chat
// completion (streaming, tools), embeddings, timeouts, retries and health.
// It is the only package that imports go-openai.
package llm
