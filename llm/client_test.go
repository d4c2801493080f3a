package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kefu/llm"
)

// completionServer answers /v1/chat/completions on the OpenAI wire format
// with handle's status and body, after checking the request.
func completionServer(t *testing.T, status int, body string, check func(t *testing.T, r *http.Request, req map[string]any)) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
			t.Errorf("request %s %s; want POST /v1/chat/completions", r.Method, r.URL.Path)
		}
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("request body: %v", err)
		}
		if check != nil {
			check(t, r, req)
		}
		if status == 0 { // hang until the client gives up
			select {
			case <-r.Context().Done():
			case <-done:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL + "/v1"
}

const okReply = `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m",
	"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hello! 你好"}}],
	"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}`

func TestComplete(t *testing.T) {
	url := completionServer(t, http.StatusOK, okReply, func(t *testing.T, r *http.Request, req map[string]any) {
		if got := r.Header.Get("Authorization"); got != "Bearer sk-secret" {
			t.Errorf("Authorization = %q; want the bearer token", got)
		}
		if req["model"] != "m" || req["stream"] == true {
			t.Errorf("request model %v stream %v; want m, not streamed", req["model"], req["stream"])
		}
		msgs, _ := req["messages"].([]any)
		if len(msgs) != 2 || msgs[1].(map[string]any)["content"] != "hi" || msgs[0].(map[string]any)["role"] != "system" {
			t.Errorf("messages = %v; want the system and user messages in order", msgs)
		}
	})
	c := llm.New(llm.Config{BaseURL: url + "/", APIKey: "sk-secret", Model: "m"})
	got, err := c.Complete(context.Background(), []llm.Message{{Role: llm.RoleSystem, Content: "be brief"}, {Role: llm.RoleUser, Content: "hi"}})
	if err != nil || got != "Hello! 你好" {
		t.Errorf("Complete = %q, %v; want the first choice's text", got, err)
	}
	if c.Model() != "m" {
		t.Errorf("Model() = %q; want m", c.Model())
	}
}

func TestCompleteErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		timeout time.Duration
		wantErr error // nil: any error
	}{
		{"server error", http.StatusInternalServerError, `{"error":{"message":"boom","type":"server_error"}}`, time.Minute, nil},
		{"unauthorized", http.StatusUnauthorized, `{"error":{"message":"bad key","type":"invalid_request_error"}}`, time.Minute, nil},
		{"garbage", http.StatusOK, `<html>oops`, time.Minute, nil},
		{"no choices", http.StatusOK, `{"id":"x","object":"chat.completion","choices":[]}`, time.Minute, llm.ErrEmptyReply},
		{"hangs past the timeout", 0, "", 200 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := completionServer(t, tt.status, tt.body, nil)
			c := llm.New(llm.Config{BaseURL: url, APIKey: "sk-secret", Model: "m", Timeout: tt.timeout})
			got, err := c.Complete(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "hi"}})
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Complete = %q, %v; want error %v", got, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "sk-secret") {
				t.Errorf("error %q leaks the API key", err)
			}
		})
	}
}
