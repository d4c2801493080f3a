package intents_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kefu/intents"
	"kefu/llm"
)

// fakeOpenAI is an OpenAI-compatible server for /v1/chat/completions that
// answers with reply (a JSON chat.completion on the real wire format), or
// fails as told. It records the prompts it receives.
type fakeOpenAI struct {
	mu      sync.Mutex
	mode    string // "", "500", "hang", "garbage", "empty"
	reply   string
	prompts []string
	release chan struct{}
}

func newFakeOpenAI(t *testing.T, mode, reply string) (*fakeOpenAI, *llm.Client) {
	t.Helper()
	f := &fakeOpenAI{mode: mode, reply: reply, release: make(chan struct{})}
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		close(f.release) // let hanging handlers finish before Close waits for them
		srv.Close()
	})
	return f, llm.New(llm.Config{BaseURL: srv.URL + "/v1", APIKey: "sk-test", Model: "fake-model", Timeout: time.Minute})
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.Header.Get("Authorization") != "Bearer sk-test" || req.Model != "fake-model" {
		http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	var prompt strings.Builder
	for _, m := range req.Messages {
		prompt.WriteString(m.Role + ": " + m.Content + "\n")
	}
	f.prompts = append(f.prompts, prompt.String())
	mode, reply := f.mode, f.reply
	f.mu.Unlock()
	switch mode {
	case "500":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":{"message":"the model crashed","type":"server_error"}}`))
		return
	case "hang":
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
		return
	case "garbage":
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`<html>502 bad gateway`))
		return
	}
	resp := map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "fake-model",
		"choices": []map[string]any{{
			"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": reply},
		}},
		"usage": map[string]int{"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func (f *fakeOpenAI) lastPrompt() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.prompts) == 0 {
		return ""
	}
	return f.prompts[len(f.prompts)-1]
}

func TestLLMClassifier(t *testing.T) {
	fallback := mustBuiltin(t)
	const text = "I was charged twice for LL-100234"
	tests := []struct {
		name       string
		mode       string
		reply      string
		wantSource string
		wantIntent string
		wantConf   float64
	}{
		{"valid JSON", "", `{"intent":"payment_issue","confidence":0.93}`, "llm", intents.PaymentIssue, 0.93},
		{"fenced JSON", "", "```json\n{\"intent\": \"Payment_Issue\", \"confidence\": 0.7}\n```", "llm", intents.PaymentIssue, 0.7},
		{"no confidence", "", `{"intent":"other"}`, "llm", intents.Other, 0.8},
		{"confidence clamped", "", `{"intent":"refund_status","confidence":7}`, "llm", intents.RefundStatus, 1},
		{"label outside the taxonomy", "", `{"intent":"chargeback_fraud","confidence":0.99}`, "builtin", intents.PaymentIssue, -1},
		{"prose instead of JSON", "", `The intent is payment_issue.`, "builtin", intents.PaymentIssue, -1},
		{"empty reply", "", ``, "builtin", intents.PaymentIssue, -1},
		{"server error 500", "500", "", "builtin", intents.PaymentIssue, -1},
		{"garbage body", "garbage", "", "builtin", intents.PaymentIssue, -1},
		{"server hangs", "hang", "", "builtin", intents.PaymentIssue, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, client := newFakeOpenAI(t, tt.mode, tt.reply)
			timeout := 30 * time.Second // generous: a loaded machine must not turn a reply into a fallback
			if tt.mode == "hang" {
				timeout = 300 * time.Millisecond
			}
			c := intents.NewLLMClassifier(client, fallback, intents.LLMOptions{Timeout: timeout})
			got := c.Classify(context.Background(), text)
			if got.Source != tt.wantSource || got.Intent != tt.wantIntent {
				t.Errorf("Classify(%q) with %s = %s from %q; want %s from %q", text, tt.name, got.Intent, got.Source, tt.wantIntent, tt.wantSource)
			}
			if tt.wantConf >= 0 && got.Confidence != tt.wantConf {
				t.Errorf("Classify(%q) with %s: confidence %v; want %v", text, tt.name, got.Confidence, tt.wantConf)
			}
			prompt := fake.lastPrompt()
			if !strings.Contains(prompt, "payment_issue:") || !strings.Contains(prompt, text) {
				t.Errorf("the model saw %q; want the taxonomy and the shopper's text", prompt)
			}
		})
	}
}

func TestLLMClassifierRespectsCallerDeadline(t *testing.T) {
	_, client := newFakeOpenAI(t, "hang", "")
	c := intents.NewLLMClassifier(client, mustBuiltin(t), intents.LLMOptions{Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if got := c.Classify(ctx, "hello"); got.Source != "builtin" || got.Intent != intents.Greeting {
		t.Errorf("Classify with an expired caller deadline = %+v; want the built-in greeting", got)
	}
}
