package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/app"
	"kefu/internal/fakellm"
	"kefu/internal/kefutest"
	"kefu/internal/sites"
	"kefu/web"
)

// widgetEnv is kefu with one site, for the widget socket.
type widgetEnv struct {
	t     *testing.T
	srv   *web.Server
	hub   *chat.Hub
	url   string
	site  *sites.Site
	store *chat.Store
	fake  *fakellm.Server
	db    *pgxpool.Pool
}

func newWidgetEnv(t *testing.T, withModel bool, configure ...func(*app.Config)) *widgetEnv {
	t.Helper()
	k := kefutest.Start(t, kefutest.Options{Offline: !withModel, Configure: func(c *app.Config) {
		for _, f := range configure {
			f(c)
		}
	}})
	site, err := k.Sites.Create(context.Background(), "Shop", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return &widgetEnv{t: t, srv: k.Server, hub: k.Hub, site: site, store: k.Store, fake: k.Fake, db: k.Pool,
		url: k.WSURL() + "/v1/widget/ws?site=" + site.Key}
}

type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func (env *widgetEnv) dial(origin string) (*wsClient, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, resp, err := websocket.DefaultDialer.Dial(env.url, h)
	if err != nil {
		return nil, resp, err
	}
	env.t.Cleanup(func() { conn.Close() })
	return &wsClient{t: env.t, conn: conn}, resp, nil
}

func (env *widgetEnv) client() *wsClient {
	env.t.Helper()
	c, _, err := env.dial("https://shop.example.com")
	if err != nil {
		env.t.Fatalf("dial: %v", err)
	}
	return c
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next reads frames until one of type typ arrives (others are returned too).
func (c *wsClient) next(typ string) (map[string]any, []map[string]any) {
	c.t.Helper()
	var seen []map[string]any
	c.conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // generous: the suite shares 2 cores with browsers
	for {
		var f map[string]any
		if err := c.conn.ReadJSON(&f); err != nil {
			c.t.Fatalf("waiting for %s frame (saw %v): %v", typ, seen, err)
		}
		if f["type"] == typ {
			return f, seen
		}
		seen = append(seen, f)
	}
}

// keys lists a frame's keys, sorted: what a client may read, pinned.
func keys(f map[string]any) string {
	var k []string
	for key := range f {
		k = append(k, key)
	}
	sort.Strings(k)
	return strings.Join(k, " ")
}

func (c *wsClient) hello(token any, lastSeq int) map[string]any {
	c.t.Helper()
	c.send(map[string]any{"type": "hello", "visitor_token": token, "last_seq": lastSeq, "locale": "en"})
	w, _ := c.next("welcome")
	return w
}

func TestWidgetRefusesUnknownSiteAndOrigin(t *testing.T) {
	env := newWidgetEnv(t, false)
	if _, resp, err := env.dial("https://evil.example.com"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("wrong origin: %v %v; want 403 before the upgrade", resp, err)
	}
	if _, resp, err := env.dial(""); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("no origin: %v %v; want 403", resp, err)
	}
	good := env.url
	env.url = strings.Replace(good, env.site.Key, "site_nope", 1)
	if _, resp, err := env.dial("https://shop.example.com"); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown site: %v %v; want 404", resp, err)
	}
}

func TestWidgetProtocol(t *testing.T) {
	env := newWidgetEnv(t, false)
	c := env.client()
	c.send(map[string]any{"type": "message", "client_id": "x", "text": "too early"})
	if f, _ := c.next("error"); f["code"] != "hello_first" {
		t.Errorf("message before hello: %v; want hello_first", f)
	}
	w := c.hello(nil, 0)
	token, _ := w["visitor_token"].(string)
	if token == "" || w["conversation_id"] == "" || w["state"] != "bot" || w["last_seq"] != float64(0) {
		t.Fatalf("welcome = %v; want a token, a conversation, state bot and last_seq 0 (nothing to replay)", w)
	}
	if k := keys(w); k != "conversation_id last_seq state type visitor_token" {
		t.Errorf("welcome has %s", k)
	}
	c.send(map[string]any{"type": "message", "client_id": "m1", "text": "hello there"})
	ack, _ := c.next("ack")
	if ack["client_id"] != "m1" || ack["seq"] != float64(1) || keys(ack) != "client_id seq type" {
		t.Fatalf("ack = %v; want client m1 seq 1", ack)
	}
	// The ack means committed.
	msgs, _ := env.store.Messages(context.Background(), w["conversation_id"].(string), 0, 0, false)
	if len(msgs) == 0 || msgs[0].Text != "hello there" {
		t.Fatalf("after ack the database holds %v", msgs)
	}
	bot, _ := c.next("message")
	for bot["role"] != "bot" {
		bot, _ = c.next("message")
	}
	if !strings.Contains(bot["text"].(string), "assistant") || bot["seq"] != float64(2) {
		t.Errorf("bot message = %v; want the greeting as seq 2", bot)
	}
	// A resend of m1 (after a lost ack) is acknowledged again, not stored again.
	c.send(map[string]any{"type": "message", "client_id": "m1", "text": "hello there"})
	if ack, _ := c.next("ack"); ack["seq"] != float64(1) {
		t.Errorf("resend ack = %v; want seq 1 again", ack)
	}
	// Malformed frames get an error and the socket stays usable.
	for _, bad := range []string{`not json`, `{"no":"type"}`, `{"type":"dance"}`, `{"type":"message","text":"no client id"}`} {
		c.conn.WriteMessage(websocket.TextMessage, []byte(bad))
		if f, _ := c.next("error"); f["code"] == "" {
			t.Errorf("frame %s: %v; want an error frame with a code", bad, f)
		}
	}
	c.send(map[string]any{"type": "csat", "score": 9})
	if f, _ := c.next("error"); f["code"] != "bad_request" {
		t.Errorf("csat 9: %v; want bad_request", f)
	}

	// A new socket resuming with last_seq 1 gets exactly what it missed.
	c2 := env.client()
	c2.send(map[string]any{"type": "hello", "visitor_token": token, "last_seq": 1})
	w2, _ := c2.next("welcome")
	// last_seq says where the replay ends: what the widget shows as history.
	if w2["conversation_id"] != w["conversation_id"] || w2["visitor_token"] != token || w2["last_seq"] != float64(2) {
		t.Fatalf("resume welcome = %v; want the same conversation and last_seq 2 (the replay's end)", w2)
	}
	replayed, _ := c2.next("message")
	if replayed["seq"] != float64(2) || replayed["role"] != "bot" {
		t.Errorf("replay after last_seq 1 = %v; want seq 2 (the bot's reply)", replayed)
	}
}

func TestWidgetOversizedFrame(t *testing.T) {
	env := newWidgetEnv(t, false)
	c := env.client()
	w := c.hello(nil, 0)
	big := strings.Repeat("a", 20<<10)
	c.conn.WriteJSON(map[string]any{"type": "message", "client_id": "big", "text": big})
	c.conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // generous: the suite shares 2 cores with browsers
	var err error
	for err == nil {
		_, _, err = c.conn.ReadMessage()
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("oversized frame: %v; want close 1009", err)
	}
	msgs, _ := env.store.Messages(context.Background(), w["conversation_id"].(string), 0, 0, false)
	if len(msgs) != 0 {
		t.Errorf("oversized frame stored %d messages", len(msgs))
	}
}

func TestWidgetStreamsDeltasThenMessage(t *testing.T) {
	env := newWidgetEnv(t, true)
	// Sentences reach the shopper one by one, each once its facts are checked.
	env.fake.Respond(func(fakellm.Request) fakellm.Reply {
		return fakellm.Reply{Text: "We ship worldwide. Parcels leave within two days. Tracking comes by email."}
	})
	c := env.client()
	c.hello(nil, 0)
	c.send(map[string]any{"type": "message", "client_id": "q", "text": "do you ship to Norway?"})
	final, before := c.next("message")
	for final["role"] != "bot" {
		var more []map[string]any
		final, more = c.next("message")
		before = append(before, more...)
	}
	var text strings.Builder
	deltas := 0
	for _, f := range before {
		if f["type"] == "delta" {
			deltas++
			if f["id"] != final["id"] {
				t.Errorf("delta id %v; want the final message id %v", f["id"], final["id"])
			}
			text.WriteString(f["text"].(string))
		}
	}
	if deltas < 3 || text.String() != final["text"] {
		t.Errorf("%d deltas adding to %q; final %q", deltas, text.String(), final["text"])
	}
	raw, _ := json.Marshal(final)
	if !strings.Contains(string(raw), `"at":"`) {
		t.Errorf("message frame %s lacks its time", raw)
	}
}

// Each hello without a known token creates a visitor and a conversation: one
// address gets a bounded number of those; returning visitors always get in.
func TestWidgetLimitsNewVisitorsPerAddress(t *testing.T) {
	env := newWidgetEnv(t, false, func(c *app.Config) { c.NewVisitorRate = 3 })
	var tokens []string
	for range 3 {
		c := env.client()
		c.send(map[string]any{"type": "hello", "visitor_token": nil, "last_seq": 0})
		w, _ := c.next("welcome")
		tokens = append(tokens, w["visitor_token"].(string))
	}
	for _, token := range []any{nil, "made-up-token"} {
		c := env.client()
		c.send(map[string]any{"type": "hello", "visitor_token": token, "last_seq": 0})
		e, _ := c.next("error")
		if e["code"] != "rate_limited" {
			t.Errorf("hello %v past the limit: %v; want rate_limited", token, e)
		}
	}
	c := env.client()
	c.send(map[string]any{"type": "hello", "visitor_token": tokens[0], "last_seq": 0})
	if w, _ := c.next("welcome"); w["visitor_token"] != tokens[0] {
		t.Errorf("a returning visitor past the limit got %v", w)
	}
	var visitors int
	if err := env.db.QueryRow(context.Background(), "select count(*) from visitors").Scan(&visitors); err != nil {
		t.Fatal(err)
	}
	if visitors != 3 {
		t.Errorf("%d visitors stored; want 3", visitors)
	}
}

// A socket that closes while hello replays, as an event for its
// conversation arrives, must not freeze the hub. Hello used to hold the
// socket's lock while closing its subscription (which takes the hub's lock)
// while the hub held its lock to hand the socket the event (which takes the
// socket's lock): each waited for the other for ever, and with the hub's
// lock every socket of the node. The hooks order the two deterministically.
func TestWidgetHelloClosingWhileEventArrives(t *testing.T) {
	env := newWidgetEnv(t, false)
	var conv string
	entered, release, delivered := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var once sync.Once
	web.SetTestHooks(env.srv, web.TestHooks{
		HelloReplayed: func(id string, closeSocket func()) {
			conv = id
			closeSocket() // the server goes away (or a ping fails) during the replay…
			go func() {   // …as an agent starts typing in the conversation
				env.hub.Deliver(chat.Event{Kind: chat.KindTyping, ConversationID: id, SiteID: env.site.ID, Role: chat.RoleAgent})
				close(delivered)
			}()
			<-entered // the hub is handing the socket the event
		},
		Deliver:       func() { once.Do(func() { close(entered); <-release }) },
		HelloQueueing: func() { close(release) }, // let the hub go on as hello queues its welcome
	})
	c := env.client()
	c.send(map[string]any{"type": "hello", "visitor_token": nil, "last_seq": 0})
	select {
	case <-delivered:
	case <-time.After(20 * time.Second): // a deadlock never ends: this only bounds the wait
		t.Fatal("the hub is frozen: delivering an event to a socket closing during hello never returned")
	}
	// The socket is closed as going away, and nothing of it is left.
	c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var err error
	for err == nil {
		_, _, err = c.conn.ReadMessage()
	}
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("the client read %v; want close 1001", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := env.srv.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if n := env.hub.Subscribers(conv); n != 0 {
		t.Errorf("%d subscriptions left for the closed socket's conversation; want 0", n)
	}
}

// A replay is not a slow client: a widget resuming a long conversation
// gets every message it missed (up to chat.MaxReplay), however many more
// than the frames a socket may have waiting. It used to be closed with
// 4008 once the replay passed 63 frames, and reconnected into the same.
func TestWidgetLongReplay(t *testing.T) {
	env := newWidgetEnv(t, false)
	w := env.client().hello(nil, 0)
	conv := w["conversation_id"].(string)
	const n = 150
	for i := range n {
		m := &chat.Message{ConversationID: conv, Role: chat.RoleAgent, Text: fmt.Sprintf("line %d", i+1)}
		if _, _, _, err := env.store.Append(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	c := env.client()
	c.hello(w["visitor_token"], 0)
	for i := range n {
		f, _ := c.next("message")
		if f["seq"] != float64(i+1) {
			t.Fatalf("replayed message %d = %v; want seq %d", i, f, i+1)
		}
	}
}
