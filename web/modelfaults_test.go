package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"kefu/chat"
	"kefu/internal/app"
	"kefu/internal/fakellm"
	"kefu/internal/kefutest"
	"kefu/llm"
)

const faultsDoc = "# Shipping\n\nExpress delivery takes 2 to 3 business days. Standard delivery takes 5 to 7 business days.\n"

// newModelFaultEnv is a widget server whose model is a fake the test can
// make fail, with short timeouts and the given breaker, and a knowledge
// base for the offline fallback to answer from.
func newModelFaultEnv(t *testing.T, cfg llm.Config) (*widgetEnv, *llm.Client) {
	t.Helper()
	k := kefutest.Start(t, kefutest.Options{Configure: func(c *app.Config) {
		cfg.BaseURL, cfg.Model = c.Model.BaseURL, c.Model.Model // the fake model's
		c.Model, c.VisitorRate = cfg, 10000
	}})
	site, err := k.Sites.Create(context.Background(), "Shop", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	k.AddDocument(t, site.ID, "shipping.md", faultsDoc)
	env := &widgetEnv{t: t, srv: k.Server, hub: k.Hub, site: site, store: k.Store, fake: k.Fake, db: k.Pool,
		url: k.WSURL() + "/v1/widget/ws?site=" + site.Key}
	return env, k.App.Model
}

// ask sends one question on a fresh socket and returns the bot's reply
// frame; any error frame fails, and every delta must belong to the reply
// (so the widget replaces the partial text instead of showing two).
func ask(t *testing.T, env *widgetEnv, clientID, text string) (reply map[string]any, ackSeq int, c *wsClient, conv string) {
	t.Helper()
	c = env.client()
	conv, _ = c.hello(nil, 0)["conversation_id"].(string)
	c.send(map[string]any{"type": "message", "client_id": clientID, "text": text})
	var frames []map[string]any
	for reply == nil {
		f, seen := c.next("message")
		frames = append(frames, seen...)
		if f["role"] == "bot" {
			reply = f
		}
	}
	for _, f := range frames {
		switch f["type"] {
		case "error":
			t.Errorf("%s: the shopper got an error frame: %v", clientID, f)
		case "ack":
			ackSeq = int(f["seq"].(float64))
		case "delta":
			if f["id"] != reply["id"] {
				t.Errorf("%s: delta for %v; the reply is %v (a second bubble)", clientID, f["id"], reply["id"])
			}
		}
	}
	return reply, ackSeq, c, conv
}

// botMessagesBetween counts bot messages with lo < seq < hi in conversation.
func botMessagesBetween(t *testing.T, env *widgetEnv, conv string, lo, hi int) int {
	t.Helper()
	msgs, err := env.store.Messages(context.Background(), conv, lo, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Role == chat.RoleBot && m.Seq < hi {
			n++
		}
	}
	return n
}

// TestModelFaultsThroughWidget drives each way the model endpoint fails
// through the widget socket: every shopper gets exactly one clean bot
// reply (the offline answer from the knowledge base), no error frame, no
// second bubble.
func TestModelFaultsThroughWidget(t *testing.T) {
	env, _ := newModelFaultEnv(t, llm.Config{FirstTokenTimeout: 300 * time.Millisecond, Retries: 1, BreakerFailures: 1000})
	const q = "how long is express delivery"
	long := "Express delivery takes two or three business days, and standard delivery takes longer than that."
	tests := []struct {
		name    string
		mode    string
		respond func(fakellm.Request) fakellm.Reply
	}{
		{"500", fakellm.Fail500, nil},
		{"429", fakellm.Fail429, nil},
		{"hang", fakellm.FailHang, nil},
		{"stream cut", fakellm.FailCut, func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: long} }},
		{"malformed JSON", fakellm.FailMalformed, nil},
		{"tool call with malformed arguments", "", func(r fakellm.Request) fakellm.Reply {
			if len(r.Messages) > 0 && r.Messages[len(r.Messages)-1].Role == "tool" {
				return fakellm.Reply{Text: "Sorry, I could not look that up."}
			}
			return fakellm.Reply{ToolCalls: []fakellm.ToolCall{{Name: "lookup_order", Args: `{"order_number": LL-1`}}}
		}},
		{"call of an unknown tool", "", func(r fakellm.Request) fakellm.Reply {
			if len(r.Messages) > 0 && r.Messages[len(r.Messages)-1].Role == "tool" {
				return fakellm.Reply{Text: "Sorry, I could not do that."}
			}
			return fakellm.Reply{ToolCalls: []fakellm.ToolCall{{Name: "drop_database", Args: `{}`}}}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			respond := tt.respond
			if respond == nil {
				respond = func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: "From the model."} }
			}
			env.fake.Respond(respond)
			env.fake.SetFailure(tt.mode, 0)
			before := len(env.fake.Requests())
			reply, seq, c, conv := ask(t, env, "q"+string(rune('a'+i)), q)
			text, _ := reply["text"].(string)
			if strings.TrimSpace(text) == "" {
				t.Fatalf("empty bot reply: %v", reply)
			}
			if tt.mode != "" && !strings.Contains(text, "2 to 3 business days") {
				t.Errorf("reply %q; want the offline answer from the knowledge base", text)
			}
			requests := len(env.fake.Requests()) - before
			if tt.mode == "" { // a bad tool call: kefu answers it with an error result, runs nothing
				reqs := env.fake.Requests()
				last := reqs[len(reqs)-1].Messages
				if requests != 2 || len(last) == 0 || last[len(last)-1].Role != "tool" || !strings.Contains(last[len(last)-1].Content, `"error"`) {
					t.Errorf("after the bad tool call the model got %d requests, the last ending %+v; want 2, the second with an error tool result", requests, last[len(last)-1:])
				}
			}
			// A second question shows nothing else came for the first.
			env.fake.SetFailure(fakellm.FailNone, 0)
			env.fake.Respond(func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: "Second answer."} })
			c.send(map[string]any{"type": "message", "client_id": "probe", "text": "and standard delivery?"})
			ack, _ := c.next("ack")
			probeSeq := int(ack["seq"].(float64))
			for f, _ := c.next("message"); f["role"] != "bot"; f, _ = c.next("message") {
			}
			if n := botMessagesBetween(t, env, conv, seq, probeSeq); n != 1 {
				t.Errorf("%d bot messages answer the first question; want exactly 1", n)
			}
			t.Logf("%s: one reply after %d model requests: %.60q", tt.name, requests, text)
		})
	}
}

// TestModelBreakerThroughWidget: a model endpoint that keeps failing opens
// the circuit breaker after BreakerFailures replies; while it is open the
// shopper still gets one clean offline reply and the endpoint sees no
// request; after the cooldown a success closes it and replies come from the
// model again.
func TestModelBreakerThroughWidget(t *testing.T) {
	env, model := newModelFaultEnv(t, llm.Config{FirstTokenTimeout: 300 * time.Millisecond, Retries: -1,
		BreakerFailures: 3, BreakerCooldown: 2 * time.Second})
	env.fake.Respond(func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: "From the model."} })
	env.fake.SetFailure(fakellm.Fail500, 0)
	const q = "how long is express delivery"
	for i := range 3 {
		if !model.Available() {
			t.Fatalf("breaker open after %d failures; want it to take 3", i)
		}
		reply, _, _, _ := ask(t, env, "f"+string(rune('a'+i)), q)
		if !strings.Contains(reply["text"].(string), "2 to 3 business days") {
			t.Errorf("reply %d while failing: %v; want the offline answer", i, reply)
		}
	}
	if model.Available() {
		t.Fatal("breaker still closed after 3 failed replies")
	}
	openedAt := time.Now()
	before := len(env.fake.Requests())
	env.fake.SetFailure(fakellm.FailNone, 0) // healthy again, but the breaker is open
	reply, _, _, _ := ask(t, env, "open", q)
	// Still open after the reply means open during it: no request may have gone out.
	if n := len(env.fake.Requests()) - before; n != 0 && !model.Available() {
		t.Errorf("the endpoint saw %d requests while the breaker was open", n)
	}
	if !strings.Contains(reply["text"].(string), "2 to 3 business days") {
		t.Errorf("reply with the breaker open: %v; want the offline answer", reply)
	}
	kefutest.WaitFor(t, model.Available, "the breaker's cooldown")
	closedAfter := time.Since(openedAt)
	reply, _, _, _ = ask(t, env, "closed", q)
	if reply["text"] != "From the model." {
		t.Errorf("reply after the cooldown: %v; want the model's", reply)
	}
	if !model.Available() {
		t.Error("breaker open after a successful reply")
	}
	t.Logf("breaker opened after 3 failed replies, half-open after %v, closed by the next success", closedAfter.Round(time.Millisecond))
}
