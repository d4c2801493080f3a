package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"kefu/chat"
	"kefu/internal/fakellm"
	"kefu/llm"
)

// A model that invents facts (a 60-day return window, a price, a tracking
// number) never gets them to the shopper: not in a delta frame, not in the
// final message. Sentences whose facts are in the passages stream; the
// first invented fact stops the draft, the model writes it once more with a
// correction, and a second invention sends the offline answer.
func TestGroundingGuardThroughWidget(t *testing.T) {
	env, _ := newModelFaultEnv(t, llm.Config{FirstTokenTimeout: 2 * time.Second, Retries: 1, BreakerFailures: 1000})
	env.fake.SetTiming(0, 200) // streamed in pieces
	invented := []string{"60", "89.99", "1Z999AA10123456784"}
	calls := 0
	env.fake.Respond(func(r fakellm.Request) fakellm.Reply {
		calls++
		if strings.Contains(r.Prompt(), "previous draft stated") {
			if calls > 2 { // the second question: the correction invents again
				return fakellm.Reply{Text: "Express delivery takes 2 to 3 business days. It costs $89.99 and arrives in 60 days."}
			}
			return fakellm.Reply{Text: "Express delivery takes 2 to 3 business days [1]. Standard delivery takes 5 to 7 business days."}
		}
		return fakellm.Reply{Text: "Express delivery takes 2 to 3 business days [1]. You can return it within 60 days for $89.99, tracking 1Z999AA10123456784."}
	})
	check := func(name, question, wantIn, grounding string) {
		t.Helper()
		c := env.client()
		conv, _ := c.hello(nil, 0)["conversation_id"].(string)
		c.send(map[string]any{"type": "message", "client_id": name, "text": question})
		var reply map[string]any
		var frames []map[string]any
		for reply == nil {
			f, seen := c.next("message")
			frames = append(frames, seen...)
			if f["role"] == "bot" {
				reply = f
			}
		}
		resets := 0
		for _, f := range append(frames, reply) {
			text, _ := f["text"].(string)
			for _, bad := range invented {
				if strings.Contains(text, bad) {
					t.Errorf("%s: the shopper saw the invented %q in a %v frame: %q", name, bad, f["type"], text)
				}
			}
			if f["type"] == "delta" && f["reset"] == true {
				resets++
			}
		}
		if text, _ := reply["text"].(string); !strings.Contains(text, wantIn) {
			t.Errorf("%s: reply %q lacks %q", name, text, wantIn)
		}
		if resets != 1 {
			t.Errorf("%s: %d deltas restarted the draft; want 1 (the second draft)", name, resets)
		}
		msgs, err := env.store.Messages(context.Background(), conv, 0, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, m := range msgs {
			if m.Role == chat.RoleBot {
				got = m.Grounding
			}
		}
		if got != grounding {
			t.Errorf("%s: grounding recorded %q; want %q", name, got, grounding)
		}
	}
	check("corrected", "how long is express delivery", "5 to 7 business days", chat.GroundingCorrected)
	check("fallback", "how long does express delivery take", "2 to 3 business days", chat.GroundingFallback)
	if calls != 4 {
		t.Errorf("the model was asked %d times; want 4 (a draft and a correction per question)", calls)
	}
}
