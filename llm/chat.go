package llm

import (
	"encoding/json"
	"time"
)

// Message is one message of a chat prompt. Tool results carry the
// ToolCallID they answer; assistant messages may carry ToolCalls.
type Message struct {
	Role       string     `json:"role"` // system, user, assistant, tool
	Content    string     `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage // JSON Schema of the arguments
}

// ToolCall is the model's request to call a tool.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // JSON, as the model wrote it
}

// ChatRequest is a chat completion to stream.
type ChatRequest struct {
	Messages    []Message
	Tools       []Tool
	MaxTokens   int
	Temperature float32
}

// ChatResponse is a finished (streamed) completion.
type ChatResponse struct {
	Text      string
	ToolCalls []ToolCall
	Model     string
	TTFT      time.Duration // time to the first streamed token
	Latency   time.Duration
	Tokens    int  // completion tokens (estimated when the server does not say)
	NoTools   bool // the server refused tools; the answer was drafted without them
}
