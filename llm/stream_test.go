package llm_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kefu/internal/fakellm"
	"kefu/internal/kefutest"
	"kefu/llm"
)

func newClient(t *testing.T, fake *fakellm.Server, cfg llm.Config) *llm.Client {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/v1"
	if cfg.Model == "" {
		cfg.Model = "fake"
	}
	return llm.New(cfg)
}

func ask(text string) llm.ChatRequest {
	return llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: text}}}
}

func TestStreamDeltas(t *testing.T) {
	fake := fakellm.New()
	fake.Respond(func(fakellm.Request) fakellm.Reply {
		return fakellm.Reply{Text: "Your parcel ships today. 今天发货。"}
	})
	c := newClient(t, fake, llm.Config{})
	var deltas []string
	resp, err := c.Stream(context.Background(), ask("when?"), func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Your parcel ships today. 今天发货。" || strings.Join(deltas, "") != resp.Text || len(deltas) < 5 {
		t.Errorf("Stream = %q in %d deltas %q; want the whole text, streamed in pieces", resp.Text, len(deltas), deltas)
	}
	if resp.TTFT <= 0 || resp.Tokens <= 0 {
		t.Errorf("TTFT = %v, tokens = %d; want both recorded", resp.TTFT, resp.Tokens)
	}
	if got := fake.Requests(); len(got) != 1 || !got[0].Stream || got[0].LastUser() != "when?" {
		t.Errorf("server saw %+v; want one streamed request with the prompt", got)
	}
}

func TestStreamToolCalls(t *testing.T) {
	fake := fakellm.New()
	fake.Respond(func(r fakellm.Request) fakellm.Reply {
		return fakellm.Reply{ToolCalls: []fakellm.ToolCall{{Name: "lookup_order", Args: `{"order_number":"LL-100123"}`}}}
	})
	c := newClient(t, fake, llm.Config{})
	resp, err := c.Stream(context.Background(), llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: "where is LL-100123"}},
		Tools: []llm.Tool{{Name: "lookup_order", Parameters: []byte(`{"type":"object"}`)}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ToolCalls) != 1 || resp.ToolCalls[0].Name != "lookup_order" || resp.ToolCalls[0].Arguments != `{"order_number":"LL-100123"}` || resp.ToolCalls[0].ID == "" {
		t.Errorf("tool calls = %+v; want one lookup_order call with its arguments reassembled", resp.ToolCalls)
	}
}

func TestStreamRetriesBeforeFirstToken(t *testing.T) {
	tests := []struct {
		mode string
		cfg  llm.Config
	}{
		{fakellm.Fail500, llm.Config{}},
		{fakellm.Fail429, llm.Config{}},
		{fakellm.FailHang, llm.Config{FirstTokenTimeout: 200 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			fake := fakellm.New()
			fake.SetFailure(tt.mode, 1)
			c := newClient(t, fake, tt.cfg)
			resp, err := c.Stream(context.Background(), ask("hi"), nil)
			if err != nil || resp.Text != "OK." {
				t.Fatalf("Stream after one %s = %v, %v; want the retry to succeed", tt.mode, resp, err)
			}
			if n := len(fake.Requests()); n != 2 {
				t.Errorf("server saw %d requests; want 2 (one failure, one retry)", n)
			}
		})
	}
}

func TestStreamCutIsNotRetried(t *testing.T) {
	fake := fakellm.New()
	fake.Respond(func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: "one two three four five six"} })
	fake.SetFailure(fakellm.FailCut, 0)
	c := newClient(t, fake, llm.Config{})
	var got string
	_, err := c.Stream(context.Background(), ask("hi"), func(d string) { got += d })
	if err == nil {
		t.Fatal("a cut stream returned no error")
	}
	if got == "" || len(fake.Requests()) != 1 {
		t.Errorf("deltas %q, %d requests; want some text streamed and no retry after it", got, len(fake.Requests()))
	}
}

func TestStreamMalformed(t *testing.T) {
	fake := fakellm.New()
	fake.SetFailure(fakellm.FailMalformed, 0)
	c := newClient(t, fake, llm.Config{Retries: -1})
	if _, err := c.Stream(context.Background(), ask("hi"), nil); err == nil {
		t.Error("malformed stream returned no error")
	}
}

func TestStreamDegradesWithoutTools(t *testing.T) {
	fake := fakellm.New()
	fake.SetRejectTools(true)
	c := newClient(t, fake, llm.Config{})
	req := ask("hi")
	req.Tools = []llm.Tool{{Name: "request_human", Parameters: []byte(`{"type":"object"}`)}}
	resp, err := c.Stream(context.Background(), req, nil)
	if err != nil || resp.Text != "OK." || !resp.NoTools {
		t.Fatalf("Stream with tools on a server without them = %+v, %v; want an answer drafted without tools", resp, err)
	}
	// Later requests skip tools at once.
	c.Stream(context.Background(), req, nil)
	reqs := fake.Requests()
	if len(reqs) != 3 || len(reqs[2].Tools) != 0 {
		t.Errorf("requests = %d, last with %d tools; want 3 and the last without tools", len(reqs), len(reqs[len(reqs)-1].Tools))
	}
}

func TestCircuitBreaker(t *testing.T) {
	fake := fakellm.New()
	fake.SetFailure(fakellm.Fail500, 0)
	c := newClient(t, fake, llm.Config{Retries: -1, BreakerFailures: 3, BreakerCooldown: 300 * time.Millisecond})
	for i := 0; i < 3; i++ {
		if _, err := c.Stream(context.Background(), ask("hi"), nil); err == nil {
			t.Fatal("failing server answered")
		}
	}
	if c.Available() {
		t.Fatal("breaker still closed after 3 failures")
	}
	if _, err := c.Stream(context.Background(), ask("hi"), nil); !errors.Is(err, llm.ErrUnavailable) {
		t.Fatalf("Stream with the breaker open = %v; want ErrUnavailable", err)
	}
	if n := len(fake.Requests()); n != 3 {
		t.Errorf("server saw %d requests; want 3 (none while open)", n)
	}
	fake.SetFailure(fakellm.FailNone, 0)
	kefutest.WaitFor(t, c.Available, "the breaker's cooldown")
	if _, err := c.Stream(context.Background(), ask("hi"), nil); err != nil {
		t.Fatalf("probe after cooldown = %v; want success", err)
	}
	if !c.Available() {
		t.Error("breaker did not close after a successful probe")
	}
}

// At most MaxConcurrent streams are open at once; another waits for a slot
// and gives up when its context ends, without reaching the server.
func TestStreamConcurrencyIsBounded(t *testing.T) {
	fake := fakellm.New()
	arrived, release := make(chan struct{}, 4), make(chan struct{})
	fake.Respond(func(fakellm.Request) fakellm.Reply {
		arrived <- struct{}{}
		<-release
		return fakellm.Reply{Text: "ok"}
	})
	c := newClient(t, fake, llm.Config{MaxConcurrent: 2})
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := c.Stream(context.Background(), ask("hi"), nil)
			errs <- err
		}()
	}
	<-arrived
	<-arrived
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Stream(ctx, ask("a third"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("a third stream while two are open: %v; want it to wait for a slot until its context ends", err)
	}
	if n := len(fake.Requests()); n != 2 {
		t.Errorf("the server saw %d requests; want 2", n)
	}
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Stream(context.Background(), ask("after"), nil); err != nil {
		t.Errorf("a stream after the others ended: %v", err)
	}
}
