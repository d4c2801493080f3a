package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"kefu/internal/account"
	"kefu/internal/kefutest"
	"kefu/web"
)

// console opens the agent socket for a caller from kefu's own origin.
func (env *consoleEnv) console(c caller) *wsClient {
	env.t.Helper()
	h := http.Header{"Origin": {env.url}, "Cookie": {"kefu_session=" + c.cookie}}
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(env.url, "http")+"/v1/agent/ws", h)
	if err != nil {
		env.t.Fatalf("dial agent socket as %s: %v", c.name, err)
	}
	env.t.Cleanup(func() { conn.Close() })
	return &wsClient{t: env.t, conn: conn}
}

// nextWhere reads frames until one of type typ satisfies ok.
func (c *wsClient) nextWhere(typ string, ok func(map[string]any) bool) map[string]any {
	c.t.Helper()
	for {
		f, _ := c.next(typ)
		if ok(f) {
			return f
		}
	}
}

func TestAgentSocketLiveInbox(t *testing.T) {
	env := newConsoleEnv(t)
	ctx := context.Background()
	annC, bossC, eveC := env.session("ann", env.agent), env.session("boss", env.admin), env.session("eve", env.agent2)

	// Nobody online: a shopper asking for a person is told so.
	early := env.widget("https://shop.example.com")
	early.hello(nil, 0)
	early.send(map[string]any{"type": "request_human"})
	if f := early.nextWhere("message", func(f map[string]any) bool { return f["role"] == "system" }); !strings.Contains(f["text"].(string), "No one") {
		t.Errorf("escalation with nobody online: %v; want the no-one-online notice", f)
	}

	ann := env.console(annC)
	w, _ := ann.next("welcome")
	if k := keys(w); k != "agents counts site_ids type user" {
		t.Errorf("welcome has %s", k)
	}
	if a := w["agents"].([]any)[0].(map[string]any); keys(a) != "id name status" {
		t.Errorf("welcome's agent %v", a)
	}
	if ids := w["site_ids"].([]any); len(ids) != 1 || ids[0] != float64(env.site.ID) {
		t.Errorf("ann's welcome sites %v; want site 1 only", w["site_ids"])
	}
	if counts := w["counts"].(map[string]any); counts["queued"] != 1.0 {
		t.Errorf("welcome counts %v; want the one queued conversation", counts)
	}
	if !strings.Contains(fmt.Sprint(w["agents"]), "Ann status:online") {
		t.Errorf("welcome agents %v; want ann online", w["agents"])
	}
	if n := env.accounts.Presence.Online(env.site.ID); n != 1 {
		t.Errorf("AgentsOnline(site 1) with ann connected = %d; want 1", n)
	}
	boss := env.console(bossC)
	boss.next("welcome")
	eve := env.console(eveC)
	eve.next("welcome")

	// With ann online the shopper hears a person is coming; ann sees it live.
	shopper := env.widget("https://shop.example.com")
	sw := shopper.hello(nil, 0)
	convID := sw["conversation_id"].(string)
	shopper.send(map[string]any{"type": "message", "client_id": "m1", "text": "hello"})
	if f := ann.nextWhere("message", func(f map[string]any) bool { return f["conversation_id"] == convID }); f["message"].(map[string]any)["role"] != "shopper" {
		t.Errorf("ann's first frame of the new conversation %v; want the shopper's message", f)
	}
	shopper.send(map[string]any{"type": "request_human"})
	if f := shopper.nextWhere("message", func(f map[string]any) bool { return f["role"] == "system" }); strings.Contains(f["text"].(string), "No one") {
		t.Errorf("escalation with ann online: %q; want the expected wait, not no-one-online", f["text"])
	}
	if f := ann.nextWhere("state", func(f map[string]any) bool { return f["conversation_id"] == convID }); f["state"] != "queued" {
		t.Errorf("ann's state frame %v; want queued", f)
	}
	if f, _ := ann.next("counts"); f["queued"] != 2.0 || keys(f) != "mine open queued type" {
		t.Errorf("counts after the escalation %v; want 2 queued", f)
	}

	// Typing both ways.
	shopper.send(map[string]any{"type": "typing"})
	if f, _ := ann.next("typing"); f["conversation_id"] != convID || f["role"] != "shopper" {
		t.Errorf("ann's typing frame %v; want the shopper typing", f)
	}
	ann.send(map[string]any{"type": "typing", "conversation_id": convID})
	if f, _ := shopper.next("typing"); f["role"] != "agent" {
		t.Errorf("shopper's typing frame %v; want an agent typing", f)
	}
	if f := boss.nextWhere("typing", func(f map[string]any) bool { return f["role"] == "agent" }); f["name"] != "Ann" {
		t.Errorf("boss's typing frame %v; want Ann typing", f)
	}
	// Typing into a conversation of another site, or a malformed frame, is refused.
	otherConv := env.queued(env.other)
	ann.send(map[string]any{"type": "typing", "conversation_id": otherConv})
	if f, _ := ann.next("error"); f["code"] != "not_found" {
		t.Errorf("typing in another site's conversation: %v; want not_found", f)
	}
	ann.conn.WriteMessage(websocket.TextMessage, []byte("{nope"))
	if f, _ := ann.next("error"); f["code"] != "bad_frame" {
		t.Errorf("malformed frame: %v; want bad_frame", f)
	}

	// A claim and a note arrive live (agents see notes).
	env.json(annC, "POST", "/api/v1/conversations/"+convID+"/claim", nil)
	f := ann.nextWhere("state", func(f map[string]any) bool { return f["conversation_id"] == convID })
	if f["state"] != "agent" || f["assigned_user_id"] != float64(env.agent.ID) || f["agent"].(map[string]any)["name"] != "Ann" {
		t.Errorf("claim frame %v; want agent Ann", f)
	}
	env.json(annC, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"text": "check the warehouse", "internal": true})
	f = boss.nextWhere("message", func(f map[string]any) bool { return f["message"].(map[string]any)["role"] == "note" })
	if f["message"].(map[string]any)["text"] != "check the warehouse" {
		t.Errorf("boss's note frame %v", f)
	}

	// Presence: away is not online; leaving is offline. Colleagues hear both.
	ann.send(map[string]any{"type": "presence", "status": "away"})
	if f := boss.nextWhere("presence", func(f map[string]any) bool { return f["user_id"] == float64(env.agent.ID) }); f["status"] != "away" {
		t.Errorf("boss's presence frame %v; want ann away", f)
	}
	if n := env.accounts.Presence.Online(env.site.ID); n != 1 { // boss, the admin, is online for every site
		t.Errorf("AgentsOnline with ann away and boss online = %d; want 1", n)
	}
	ann.conn.Close()
	if f := boss.nextWhere("presence", func(f map[string]any) bool { return f["user_id"] == float64(env.agent.ID) }); f["status"] != "offline" {
		t.Errorf("boss's presence frame %v; want ann offline", f)
	}
	kefutest.WaitFor(t, func() bool {
		st, _ := env.accounts.Presence.Of(ctx, env.agent.ID)
		return st == account.StatusOffline
	}, "ann's presence row to go")

	// Eve works for the other site: nothing of site 1 reached her.
	eve.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		var f map[string]any
		if err := eve.conn.ReadJSON(&f); err != nil {
			break
		}
		if f["conversation_id"] == convID || f["user_id"] == float64(env.agent.ID) {
			t.Errorf("eve (another site) got %v", f)
		}
	}
}

// A signed-out session's socket closes (checked when the session is
// re-validated); a new connection with it is refused at once.
func TestAgentSocketRefusesEndedSession(t *testing.T) {
	env := newConsoleEnv(t)
	annC := env.session("ann", env.agent)
	ann := env.console(annC)
	ann.next("welcome")
	env.json(annC, "POST", "/api/v1/auth/logout", nil)
	if got := env.dialStatus("/v1/agent/ws", annC, env.url); got != http.StatusUnauthorized {
		t.Errorf("agent socket after logout = %d; want 401", got)
	}
	// Same-origin by Host (a console reached under another name than the public URL).
	bob := env.session("bob", env.admin)
	if got := env.dialStatus("/v1/agent/ws", bob, "http://"+strings.TrimPrefix(env.url, "http://")); got != 101 {
		t.Errorf("same host origin = %d; want 101", got)
	}
	if got := env.dialStatus("/v1/agent/ws", bob, "http://"+strings.TrimPrefix(env.url, "http://")+".evil.example"); got != 403 {
		t.Errorf("look-alike origin = %d; want 403", got)
	}
}

// A console whose connection is upgraded while the server shuts down is
// Shutdown's to close from the start: Shutdown says when it could not wait
// for it, and the console is told the server is going away without being
// welcomed (nor marked online). agentSocket used to count the socket for
// Shutdown only after the upgrade, so Shutdown could return before it
// started, and it then ran on after the server had stopped.
func TestAgentSocketUpgradedDuringShutdown(t *testing.T) {
	env := newConsoleEnv(t)
	upgraded, release := make(chan struct{}), make(chan struct{})
	web.SetTestHooks(env.srv, web.TestHooks{AgentUpgraded: func() { close(upgraded); <-release }})
	ann := env.console(env.session("ann", env.agent))
	<-upgraded
	gone, cancel := context.WithCancel(context.Background())
	cancel() // Shutdown must not wait: it reports what it could not close
	if err := env.srv.Shutdown(gone); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown with a console still opening = %v; want it to report the open socket (context canceled)", err)
	}
	close(release)
	ann.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, data, err := ann.conn.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
				t.Errorf("the console read %v; want close 1001", err)
			}
			break
		}
		t.Errorf("frame after shutdown began: %s", data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := env.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown waiting for the console: %v", err)
	}
	if st, err := env.accounts.Presence.Of(ctx, env.agent.ID); err != nil || st != account.StatusOffline {
		t.Errorf("ann's presence after shutdown = %q, %v; want offline", st, err)
	}
}
