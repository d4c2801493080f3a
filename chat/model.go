package chat

import (
	"context"

	"kefu/llm"
)

// Model drafts replies by streaming a chat completion; *llm.Client
// implements it. Stream calls onDelta with each piece of text as it arrives.
type Model interface {
	Stream(ctx context.Context, req llm.ChatRequest, onDelta func(string)) (*llm.ChatResponse, error)
	// Available is false while the circuit breaker is open (the endpoint is
	// failing): the engine answers offline meanwhile.
	Available() bool
	Name() string
}

// Broker carries events between nodes; the hub delivers them on each node.
type Broker interface {
	Publish(ctx context.Context, ev Event) error
}
