package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"kefu/internal/kefutest"
	"kefu/internal/pgtest"
)

// Two kefu servers on one database, each with its own pool, hub and
// LISTEN/NOTIFY broker (as two processes have): a shopper on node A and an
// agent on node B talk in real time, both directions.
func TestTwoNodesOneDatabase(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t)}
	out, _, err := kefu(t, vars, "site", "add", "--name", "Shop", "--origin", "http://shop.test", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var site struct{ Key string }
	json.Unmarshal([]byte(out), &site)
	if _, _, err := kefu(t, vars, "user", "add", "--email", "mia@example.com", "--name", "Mia", "--role", "admin", "--password", "correct horse 42"); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	node := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		env := map[string]string{"DATABASE_URL": vars["DATABASE_URL"], "KEFU_ADDR": addr, "KEFU_PUBLIC_URL": "http://" + addr}
		done := make(chan error, 1)
		go func() {
			var o, e bytes.Buffer
			done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, nil, &o, &e)
		}()
		t.Cleanup(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				t.Error("a node did not shut down")
			}
		})
		kefutest.WaitFor(t, func() bool {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}, "node %s to be ready", addr)
		return addr
	}
	a, b := node(), node()

	// The shopper, on node A, asks for a person.
	shopper, _, err := websocket.DefaultDialer.Dial("ws://"+a+"/v1/widget/ws?site="+site.Key, http.Header{"Origin": {"http://shop.test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer shopper.Close()
	shopper.WriteJSON(map[string]any{"type": "hello", "visitor_token": nil, "last_seq": 0})
	welcome := readUntil(t, shopper, func(f map[string]any) bool { return f["type"] == "welcome" })
	convID := welcome["conversation_id"].(string)
	shopper.WriteJSON(map[string]any{"type": "message", "client_id": "1", "text": "hello"})
	shopper.WriteJSON(map[string]any{"type": "request_human"})

	// The agent signs in on node B and watches the inbox there.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": "mia@example.com", "password": "correct horse 42"})
	req, _ := http.NewRequest(http.MethodPost, "http://"+b+"/api/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://"+b)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login on node B: %v %v", resp, err)
	}
	var login struct {
		CSRF string `json:"csrf_token"`
	}
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	hdr := http.Header{"Origin": {"http://" + b}}
	for _, c := range jar.Cookies(req.URL) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	agentWS, _, err := websocket.DefaultDialer.Dial("ws://"+b+"/v1/agent/ws", hdr)
	if err != nil {
		t.Fatalf("agent socket on node B: %v", err)
	}
	defer agentWS.Close()
	readUntil(t, agentWS, func(f map[string]any) bool { return f["type"] == "welcome" })

	post := func(path string, v any) {
		t.Helper()
		body, _ := json.Marshal(v)
		req, _ := http.NewRequest(http.MethodPost, "http://"+b+"/api/v1/conversations/"+convID+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", login.CSRF)
		req.Header.Set("Origin", "http://"+b)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s on node B: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	post("/claim", map[string]any{})
	post("/messages", map[string]any{"text": "Hi, Mia from node B here"})

	// A → B and B → A, live.
	readUntil(t, shopper, func(f map[string]any) bool {
		return f["type"] == "message" && f["role"] == "agent" && f["text"] == "Hi, Mia from node B here"
	})
	shopper.WriteJSON(map[string]any{"type": "message", "client_id": "2", "text": "thanks, node A speaking"})
	readUntil(t, agentWS, func(f map[string]any) bool {
		m, _ := f["message"].(map[string]any)
		return f["type"] == "message" && m != nil && strings.Contains(m["text"].(string), "node A speaking")
	})
}

// readUntil reads JSON frames until want matches one, failing after 15 s.
func readUntil(t *testing.T, c *websocket.Conn, want func(map[string]any) bool) map[string]any {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	var seen []map[string]any
	for {
		var f map[string]any
		if err := c.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for a frame (saw %v): %v", seen, err)
		}
		if want(f) {
			return f
		}
		seen = append(seen, f)
	}
}
