// Package fakellm is an OpenAI-compatible model server for tests and
// benchmarks. It speaks the real wire protocol (JSON and SSE streaming, tool
// calls, embeddings), can be told its time to first token, its speed and how
// to fail, and records the requests it receives so tests can assert on
// prompts.
package fakellm

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Failure modes.
const (
	FailNone      = ""
	Fail500       = "500"       // answer 500 before anything else
	Fail429       = "429"       // answer 429 (rate limited)
	FailHang      = "hang"      // never answer (until the client gives up)
	FailCut       = "cut"       // stream part of the reply, then drop the connection
	FailMalformed = "malformed" // stream invalid JSON
)

// ToolCall is a function call the fake model makes.
type ToolCall struct {
	Name string
	Args string // JSON
}

// Reply is what the fake model answers to one request.
type Reply struct {
	Text      string
	ToolCalls []ToolCall
}

// Message is a chat message as received.
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	ToolCalls  []wireCall `json:"tool_calls,omitempty"`
}

// Request is a recorded chat completion request.
type Request struct {
	Model    string            `json:"model"`
	Messages []Message         `json:"messages"`
	Stream   bool              `json:"stream"`
	Tools    []json.RawMessage `json:"tools,omitempty"`
}

// Prompt joins every message's content (to assert what the model saw).
func (r Request) Prompt() string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Role + ": " + m.Content + "\n")
	}
	return b.String()
}

// LastUser returns the content of the last user message.
func (r Request) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// Server is the fake model. Set its fields before use; they are read under
// its lock on every request.
type Server struct {
	mu           sync.Mutex
	ttft         time.Duration
	tokensPerSec float64
	fail         string
	failTimes    int // fail only this many requests (0: all while fail is set)
	rejectTools  bool
	respond      func(Request) Reply
	requests     []Request
}

// New returns a fake model that answers "OK." at once.
func New() *Server {
	return &Server{respond: func(Request) Reply { return Reply{Text: "OK."} }}
}

// SetTiming sets the time to first token and the streaming speed (tokens
// per second; 0 streams at once).
func (s *Server) SetTiming(ttft time.Duration, tokensPerSec float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttft, s.tokensPerSec = ttft, tokensPerSec
}

// SetFailure makes the next times requests fail with mode (times 0: every
// request until changed).
func (s *Server) SetFailure(mode string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail, s.failTimes = mode, times
}

// SetRejectTools makes the server answer 400 to requests that carry tools,
// as some local servers do.
func (s *Server) SetRejectTools(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectTools = v
}

// Respond sets how the model answers.
func (s *Server) Respond(f func(Request) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = f
}

// Requests returns the chat requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ServeHTTP implements the OpenAI endpoints kefu uses.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chat/completions"):
		s.chat(w, r)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/embeddings"):
		s.embeddings(w, r)
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/models"):
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []map[string]any{{"id": "fake", "object": "model"}}})
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) takeFailure() string {
	if s.fail == FailNone {
		return FailNone
	}
	mode := s.fail
	if s.failTimes > 0 {
		s.failTimes--
		if s.failTimes == 0 {
			s.fail = FailNone
		}
	}
	return mode
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError("invalid JSON: "+err.Error()))
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	fail := s.takeFailure()
	ttft, tps, respond, rejectTools := s.ttft, s.tokensPerSec, s.respond, s.rejectTools
	s.mu.Unlock()

	if rejectTools && len(req.Tools) > 0 {
		writeJSON(w, http.StatusBadRequest, apiError("tools are not supported by this server"))
		return
	}
	switch fail {
	case Fail500:
		writeJSON(w, http.StatusInternalServerError, apiError("internal error"))
		return
	case Fail429:
		writeJSON(w, http.StatusTooManyRequests, apiError("rate limited"))
		return
	case FailHang:
		<-r.Context().Done()
		return
	}
	reply := respond(req)
	if !sleep(r, ttft) {
		return
	}
	id := fmt.Sprintf("chatcmpl-%d", time.Now().UnixNano())
	if !req.Stream {
		msg := map[string]any{"role": "assistant", "content": reply.Text}
		finish := "stop"
		if len(reply.ToolCalls) > 0 {
			msg["tool_calls"] = wireCalls(reply.ToolCalls)
			finish = "tool_calls"
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": id, "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
			"choices": []map[string]any{{"index": 0, "message": msg, "finish_reason": finish}},
			"usage":   map[string]int{"prompt_tokens": len(req.Prompt()) / 4, "completion_tokens": len(reply.Text) / 4, "total_tokens": (len(req.Prompt()) + len(reply.Text)) / 4},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	send := func(delta map[string]any, finish any) {
		chunk := map[string]any{"id": id, "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": req.Model,
			"choices": []map[string]any{{"index": 0, "delta": delta, "finish_reason": finish}}}
		b, _ := json.Marshal(chunk)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	if fail == FailMalformed {
		fmt.Fprint(w, "data: {\"choices\": [{\"delta\": {\"content\": \n\n")
		return
	}
	send(map[string]any{"role": "assistant", "content": ""}, nil)
	pieces := splitTokens(reply.Text)
	for i, p := range pieces {
		if fail == FailCut && i >= len(pieces)/2 {
			panic(http.ErrAbortHandler) // drop the connection mid-stream
		}
		send(map[string]any{"content": p}, nil)
		if tps > 0 && !sleep(r, time.Duration(float64(time.Second)/tps)) {
			return
		}
	}
	if fail == FailCut {
		panic(http.ErrAbortHandler)
	}
	finish := "stop"
	if len(reply.ToolCalls) > 0 {
		for i, c := range reply.ToolCalls {
			send(map[string]any{"tool_calls": []map[string]any{{"index": i, "id": fmt.Sprintf("call_%d", i), "type": "function",
				"function": map[string]any{"name": c.Name, "arguments": ""}}}}, nil)
			// arguments arrive in pieces, as real servers send them
			half := len(c.Args) / 2
			for _, part := range []string{c.Args[:half], c.Args[half:]} {
				send(map[string]any{"tool_calls": []map[string]any{{"index": i, "function": map[string]any{"arguments": part}}}}, nil)
			}
		}
		finish = "tool_calls"
	}
	send(map[string]any{}, finish)
	fmt.Fprint(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

type wireCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

func wireCalls(calls []ToolCall) []wireCall {
	out := make([]wireCall, len(calls))
	for i, c := range calls {
		out[i].ID, out[i].Type = fmt.Sprintf("call_%d", i), "function"
		out[i].Function.Name, out[i].Function.Arguments = c.Name, c.Args
	}
	return out
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model      string `json:"model"`
		Input      any    `json:"input"`
		Dimensions int    `json:"dimensions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError("invalid JSON"))
		return
	}
	s.mu.Lock()
	fail := s.takeFailure()
	s.mu.Unlock()
	if fail == Fail500 {
		writeJSON(w, http.StatusInternalServerError, apiError("internal error"))
		return
	}
	var inputs []string
	switch v := req.Input.(type) {
	case string:
		inputs = []string{v}
	case []any:
		for _, x := range v {
			s, _ := x.(string)
			inputs = append(inputs, s)
		}
	}
	dim := req.Dimensions
	if dim <= 0 {
		dim = 32
	}
	data := make([]map[string]any, len(inputs))
	for i, in := range inputs {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": embed(in, dim)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "model": req.Model, "data": data,
		"usage": map[string]int{"prompt_tokens": 1, "total_tokens": 1}})
}

// embed is a deterministic bag-of-words vector, so similar texts are close.
func embed(text string, dim int) []float32 {
	v := make([]float32, dim)
	for _, w := range strings.Fields(strings.ToLower(text)) {
		h := fnv.New32a()
		h.Write([]byte(strings.Trim(w, ".,!?")))
		v[int(h.Sum32())%dim]++
	}
	var n float64
	for _, x := range v {
		n += float64(x * x)
	}
	if n > 0 {
		for i := range v {
			v[i] /= float32(math.Sqrt(n))
		}
	}
	return v
}

// splitTokens cuts text into word-sized pieces (each CJK character alone).
func splitTokens(text string) []string {
	var out []string
	var cur strings.Builder
	for _, r := range text {
		if r >= 0x2E80 {
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			out = append(out, string(r))
			continue
		}
		cur.WriteRune(r)
		if r == ' ' {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func apiError(msg string) map[string]any {
	return map[string]any{"error": map[string]any{"message": msg, "type": "fake_error"}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
