package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// streamConfig holds the streaming timeouts, retries and breaker settings.
type streamConfig struct {
	connect, firstToken, total time.Duration
	retries                    int
	breakerFailures            int
	breakerCooldown            time.Duration
	backoff                    func(attempt int) time.Duration
}

func newStreamConfig(cfg Config) streamConfig {
	sc := streamConfig{connect: cfg.ConnectTimeout, firstToken: cfg.FirstTokenTimeout, total: cfg.Timeout,
		retries: cfg.Retries, breakerFailures: cfg.BreakerFailures, breakerCooldown: cfg.BreakerCooldown,
		backoff: func(attempt int) time.Duration { return time.Duration(200<<attempt) * time.Millisecond }}
	if sc.connect <= 0 {
		sc.connect = 5 * time.Second
	}
	if sc.firstToken <= 0 {
		sc.firstToken = 20 * time.Second
	}
	if sc.total <= 0 {
		sc.total = 90 * time.Second
	}
	switch {
	case sc.retries < 0:
		sc.retries = 0
	case sc.retries == 0:
		sc.retries = 2
	}
	if sc.breakerFailures <= 0 {
		sc.breakerFailures = 5
	}
	if sc.breakerCooldown <= 0 {
		sc.breakerCooldown = 30 * time.Second
	}
	return sc
}

// Name is the chat model's name.
func (c *Client) Name() string { return c.model }

// Available is false while the circuit breaker is open.
func (c *Client) Available() bool { return c.breaker.allow(time.Now(), false) }

// ErrFirstTokenTimeout means no token arrived within FirstTokenTimeout.
var ErrFirstTokenTimeout = errors.New("no first token in time")

// ErrUnavailable means the circuit breaker is open: the endpoint kept failing.
var ErrUnavailable = errors.New("model endpoint unavailable (circuit open)")

// Stream runs a streaming chat completion, calling onDelta (when not nil)
// with each piece of text. Before the first token it retries 429, 5xx and
// network errors with backoff; after it, an error ends the stream (the
// caller decides what the shopper sees). A server that rejects tools gets
// the request again without them, and no tools from then on.
func (c *Client) Stream(ctx context.Context, req ChatRequest, onDelta func(string)) (*ChatResponse, error) {
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a free model stream: %w", ctx.Err())
	}
	if !c.breaker.allow(time.Now(), true) {
		return nil, ErrUnavailable
	}
	c.mu.Lock()
	noTools := c.toolsFail
	c.mu.Unlock()
	if noTools {
		req.Tools = nil
	}
	var lastErr error
	for attempt := 0; attempt <= c.stream.retries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(c.stream.backoff(attempt - 1)):
			case <-ctx.Done():
				c.breaker.release()
				return nil, ctx.Err()
			}
		}
		resp, started, err := c.streamOnce(ctx, req, onDelta)
		if err == nil {
			c.breaker.success()
			resp.NoTools = noTools
			return resp, nil
		}
		if len(req.Tools) > 0 && rejectsTools(err) {
			c.mu.Lock()
			c.toolsFail = true
			c.mu.Unlock()
			req.Tools, noTools = nil, true
			attempt-- // the endpoint works; it just has no tools
			continue
		}
		lastErr = err
		if started || !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil {
		c.breaker.release() // the caller gave up; not the endpoint's fault
	} else {
		c.breaker.failure(time.Now())
	}
	return nil, lastErr
}

// streamOnce makes one attempt; started reports whether any token arrived.
func (c *Client) streamOnce(ctx context.Context, req ChatRequest, onDelta func(string)) (*ChatResponse, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.stream.total)
	defer cancel()
	begin := time.Now()
	oreq := openai.ChatCompletionRequest{Model: c.model, Messages: toOpenAI(req.Messages), Stream: true,
		MaxTokens: req.MaxTokens, Temperature: req.Temperature}
	for _, t := range req.Tools {
		oreq.Tools = append(oreq.Tools, openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: t.Name, Description: t.Description, Parameters: t.Parameters}})
	}
	// The first token must come within firstToken: a hung server is cut off
	// then, not at the whole-request timeout.
	var timedOut atomic.Bool
	firstToken := time.AfterFunc(c.stream.firstToken, func() { timedOut.Store(true); cancel() })
	defer firstToken.Stop()
	fail := func(what string, err error) error {
		if timedOut.Load() {
			return fmt.Errorf("%s: %w after %s", what, ErrFirstTokenTimeout, c.stream.firstToken)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	s, err := c.api.CreateChatCompletionStream(ctx, oreq)
	if err != nil {
		return nil, false, fail("start completion", err)
	}
	defer s.Close()
	resp := &ChatResponse{Model: c.model}
	var text strings.Builder
	calls := map[int]*ToolCall{}
	var order []int
	started := false
	begun := func() {
		if !started {
			started = true
			firstToken.Stop()
			resp.TTFT = time.Since(begin)
		}
	}
	for {
		chunk, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, started, fail("stream completion", err)
		}
		if chunk.Usage != nil {
			resp.Tokens = chunk.Usage.CompletionTokens
		}
		for _, ch := range chunk.Choices {
			if d := ch.Delta.Content; d != "" {
				begun()
				text.WriteString(d)
				if onDelta != nil {
					onDelta(d)
				}
			}
			for _, tc := range ch.Delta.ToolCalls {
				begun()
				idx := 0
				if tc.Index != nil {
					idx = *tc.Index
				}
				call, ok := calls[idx]
				if !ok {
					call = &ToolCall{}
					calls[idx] = call
					order = append(order, idx)
				}
				if tc.ID != "" {
					call.ID = tc.ID
				}
				if tc.Function.Name != "" {
					call.Name = tc.Function.Name
				}
				call.Arguments += tc.Function.Arguments
			}
		}
	}
	for _, idx := range order {
		if call := calls[idx]; call.Name != "" {
			resp.ToolCalls = append(resp.ToolCalls, *call)
		}
	}
	resp.Text = text.String()
	resp.Latency = time.Since(begin)
	if resp.Tokens == 0 {
		resp.Tokens = estimateTokens(resp.Text)
	}
	if resp.Text == "" && len(resp.ToolCalls) == 0 {
		return nil, started, ErrEmptyReply
	}
	return resp, started, nil
}

func toOpenAI(msgs []Message) []openai.ChatCompletionMessage {
	out := make([]openai.ChatCompletionMessage, len(msgs))
	for i, m := range msgs {
		om := openai.ChatCompletionMessage{Role: m.Role, Content: m.Content, ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			om.ToolCalls = append(om.ToolCalls, openai.ToolCall{ID: tc.ID, Type: openai.ToolTypeFunction,
				Function: openai.FunctionCall{Name: tc.Name, Arguments: tc.Arguments}})
		}
		out[i] = om
	}
	return out
}

// retryable reports whether an error before the first token is worth
// another try: rate limits, server errors, network trouble, a hung server.
func retryable(err error) bool {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode == http.StatusTooManyRequests || apiErr.HTTPStatusCode >= 500
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode == http.StatusTooManyRequests || reqErr.HTTPStatusCode >= 500
	}
	var netErr net.Error
	return errors.Is(err, ErrFirstTokenTimeout) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF)
}

// rejectsTools recognises a server's refusal of the tools field.
func rejectsTools(err error) bool {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	status := 0
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	}
	return (status == http.StatusBadRequest || status == http.StatusUnprocessableEntity || status == http.StatusNotImplemented) &&
		strings.Contains(strings.ToLower(err.Error()), "tool")
}

// estimateTokens guesses a token count when the server reports none: about
// four characters per token, one per CJK character.
func estimateTokens(s string) int {
	n, ascii := 0, 0
	for _, r := range s {
		if r < 0x80 {
			ascii++
		} else {
			n++
		}
	}
	return n + (ascii+3)/4
}

// breaker is a consecutive-failure circuit breaker: after limit failures
// it opens for cooldown, then lets one probe through (half-open).
type breaker struct {
	mu        sync.Mutex
	limit     int
	cooldown  time.Duration
	failures  int
	openUntil time.Time
	probing   bool
}

// allow reports whether a request may go; take claims the half-open probe.
func (b *breaker) allow(now time.Time, take bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.limit {
		return true
	}
	if now.Before(b.openUntil) || b.probing {
		return false
	}
	if take {
		b.probing = true
	}
	return true
}

func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures, b.probing = 0, false
}

// release gives back a probe whose caller gave up.
func (b *breaker) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

func (b *breaker) failure(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	b.probing = false
	if b.failures >= b.limit {
		b.openUntil = now.Add(b.cooldown)
	}
}
