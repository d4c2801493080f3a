package llm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Message roles.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Config says which OpenAI-compatible endpoint and model to use.
type Config struct {
	BaseURL string // like https://api.openai.com/v1 or http://127.0.0.1:8081/v1
	APIKey  string // sent as a bearer token when set; never logged
	Model   string
	// Timeout bounds each request (default 30s); a shorter deadline in the
	// caller's context wins.
	Timeout time.Duration
	// ConnectTimeout bounds dialing the endpoint (default 5s);
	// FirstTokenTimeout bounds the wait for a stream's first token (20s).
	ConnectTimeout    time.Duration
	FirstTokenTimeout time.Duration
	// Retries before a stream's first token on 429, 5xx and network errors
	// (0: 2 retries; negative: none).
	Retries int
	// BreakerFailures consecutive failures open the circuit for
	// BreakerCooldown (defaults 5 and 30s).
	BreakerFailures int
	BreakerCooldown time.Duration
	// MaxConcurrent bounds the streams open at once on this node (default
	// 256); more wait for a slot until their context ends, so a burst of
	// shoppers queues here instead of overwhelming the model server.
	MaxConcurrent int
}

// DefaultMaxConcurrent bounds open streams when Config.MaxConcurrent is zero.
const DefaultMaxConcurrent = 256

// DefaultTimeout bounds a request when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// ErrEmptyReply means the model answered without any choice or text.
var ErrEmptyReply = errors.New("model returned no reply")

// Client talks to one model on an OpenAI-compatible endpoint. It is safe for
// concurrent use.
type Client struct {
	api     *openai.Client
	model   string
	timeout time.Duration
	stream  streamConfig
	breaker breaker
	slots   chan struct{} // one per open stream

	mu        sync.Mutex
	toolsFail bool // the server rejected tools once: stop sending them
}

// New returns a client for cfg. It does not contact the endpoint.
func New(cfg Config) *Client {
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	sc := newStreamConfig(cfg)
	oc.HTTPClient = &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: sc.connect, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   sc.connect,
		ResponseHeaderTimeout: max(sc.firstToken, timeout),
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
	}}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	return &Client{api: openai.NewClientWithConfig(oc), model: cfg.Model, timeout: timeout, stream: sc,
		breaker: breaker{limit: sc.breakerFailures, cooldown: sc.breakerCooldown}, slots: make(chan struct{}, cfg.MaxConcurrent)}
}

// Model returns the model name requests use.
func (c *Client) Model() string { return c.model }

// Complete sends messages as one non-streaming chat completion and returns
// the text of the first choice. It returns ErrEmptyReply when there is
// none, the context's error on timeout or cancellation, and otherwise the
// endpoint's error.
func (c *Client) Complete(ctx context.Context, messages []Message) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req := openai.ChatCompletionRequest{Model: c.model, Messages: make([]openai.ChatCompletionMessage, len(messages))}
	for i, m := range messages {
		req.Messages[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content, ToolCallID: m.ToolCallID}
	}
	resp, err := c.api.CreateChatCompletion(ctx, req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return "", fmt.Errorf("chat completion: %w", ctxErr)
		}
		return "", fmt.Errorf("chat completion: %w", err)
	}
	if len(resp.Choices) == 0 || strings.TrimSpace(resp.Choices[0].Message.Content) == "" {
		return "", ErrEmptyReply
	}
	return resp.Choices[0].Message.Content, nil
}
