package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/app"
	"kefu/internal/kefutest"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/web"
)

// consoleEnv is a kefu server with two sites and console users, over real
// HTTP, for the console API and both sockets.
type consoleEnv struct {
	t        *testing.T
	db       *pgxpool.Pool
	url      string // http://127.0.0.1:port
	handler  http.Handler
	srv      *web.Server
	accounts *account.Store
	canned   *chat.CannedResponses
	store    *chat.Store
	engine   *chat.Engine
	lib      *knowledge.Library
	site     *sites.Site // site 1: the agent works here
	other    *sites.Site // site 2: the other agent works here
	admin    *account.User
	agent    *account.User
	agent2   *account.User // agent of the other site
	n        atomic.Int64
}

const bootstrapToken = "bootstrap-token-0123456789abcdef"

func newConsoleEnv(t *testing.T, configure ...func(*app.Config)) *consoleEnv {
	t.Helper()
	ctx := context.Background()
	k := kefutest.Start(t, kefutest.Options{Offline: true, Configure: func(c *app.Config) {
		c.AdminToken, c.MaxUploadBytes = bootstrapToken, 1<<20
		for _, f := range configure {
			f(c)
		}
	}})
	site, err := k.Sites.Create(ctx, "Shop", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := k.Sites.Create(ctx, "Other shop", []string{"https://other.example.com"})
	env := &consoleEnv{t: t, db: k.Pool, url: k.URL(), handler: k.Server.Handler(), srv: k.Server, accounts: k.Accounts,
		canned: chat.NewCannedResponses(k.Pool), store: k.Store, engine: k.Engine, lib: k.Library, site: site, other: other}
	env.admin = env.user("boss@example.com", "Boss", account.RoleAdmin, site.ID)
	env.agent = env.user("ann@example.com", "Ann", account.RoleAgent, site.ID)
	env.agent2 = env.user("eve@example.com", "Eve", account.RoleAgent, other.ID)
	return env
}

func (env *consoleEnv) user(email, name, role string, siteID int64) *account.User {
	env.t.Helper()
	u, err := env.accounts.Users.Create(context.Background(), email, name, role, "long-enough")
	if err != nil {
		env.t.Fatal(err)
	}
	if err := env.accounts.Users.AddToSite(context.Background(), u.ID, siteID); err != nil {
		env.t.Fatal(err)
	}
	return u
}

// caller is one identity the tests call with.
type caller struct {
	name   string
	cookie string // session token
	csrf   string
	bearer string
}

// session signs user in directly (the login route is tested on its own,
// with its rate limits).
func (env *consoleEnv) session(name string, u *account.User) caller {
	env.t.Helper()
	token, sess, err := env.accounts.Sessions.Create(context.Background(), u.ID, "test", "127.0.0.1")
	if err != nil {
		env.t.Fatal(err)
	}
	return caller{name: name, cookie: token, csrf: sess.CSRFToken}
}

// do sends a request and decodes a JSON answer.
func (env *consoleEnv) do(c caller, method, path, contentType string, body []byte) (int, map[string]any) {
	env.t.Helper()
	req, err := http.NewRequest(method, env.url+path, bytes.NewReader(body))
	if err != nil {
		env.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "kefu_session", Value: c.cookie})
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		env.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func (env *consoleEnv) json(c caller, method, path string, body any) (int, map[string]any) {
	env.t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	return env.do(c, method, path, "application/json", b)
}

// queued starts a conversation on site with a shopper message, waiting for a person.
func (env *consoleEnv) queued(site *sites.Site) string {
	env.t.Helper()
	ctx := context.Background()
	v, err := env.store.NewVisitor(ctx, site.ID, "en")
	if err != nil {
		env.t.Fatal(err)
	}
	conv, _ := env.store.OpenConversation(ctx, v, "en")
	if _, _, _, err := env.store.Append(ctx, &chat.Message{ConversationID: conv.ID, Role: chat.RoleShopper, Text: "where is my parcel"}); err != nil {
		env.t.Fatal(err)
	}
	if _, err := env.store.Transition(ctx, conv.ID, chat.Change{Action: chat.ActionEscalate, Reason: chat.ReasonRequested, Priority: 2}); err != nil {
		env.t.Fatal(err)
	}
	return conv.ID
}

// doc adds a document to site 1 and waits until it is ingested.
func (env *consoleEnv) doc() int64 {
	env.t.Helper()
	d, err := env.lib.Add(context.Background(), env.site.ID, fmt.Sprintf("doc%d.md", env.n.Add(1)),
		[]byte(fmt.Sprintf("# Doc %d\n\nReturns are free within 30 days.\n", env.n.Load())))
	if err != nil {
		env.t.Fatal(err)
	}
	env.waitIngested(d.ID)
	return d.ID
}

// waitIngested waits until the server's ingestion worker has made document
// id of site 1 searchable.
func (env *consoleEnv) waitIngested(id int64) {
	env.t.Helper()
	kefutest.WaitFor(env.t, func() bool {
		got, err := env.lib.Get(context.Background(), env.site.ID, id)
		return err == nil && got.Status == knowledge.StatusReady
	}, "document %d to be ingested", id)
}

func multipartDoc(name, content string) (string, []byte) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write([]byte(content))
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

// Who a route is for (mirrors web/auth.go).
type aud int

const (
	audConsole aud = iota
	audAdmin
	audAdminOrToken
	audConsoleOrToken
)

// How a route is scoped to a site.
type scoping int

const (
	scopeNone scoping = iota // not site-scoped (or filtered to the caller's sites)
	scopeSite                // ?site=KEY of site 1: callers elsewhere get 403
	scopeConv                // a conversation of site 1: callers elsewhere get 404
)

// principal describes a caller for the expectations.
type principalKind struct {
	dead      bool // anonymous, expired, revoked: 401
	session   bool
	admin     bool
	csrfOK    bool
	site1     bool // works for site 1
	tokenOnly bool
}

func expected(a aud, sc scoping, method string, ok int, p principalKind) int {
	if p.dead {
		return http.StatusUnauthorized
	}
	safe := method == http.MethodGet
	if p.session && !safe && !p.csrfOK {
		return http.StatusForbidden
	}
	switch a {
	case audConsole:
		if !p.session {
			return http.StatusForbidden
		}
	case audAdmin:
		if !p.admin {
			return http.StatusForbidden
		}
	case audAdminOrToken:
		if p.session && !p.admin {
			return http.StatusForbidden
		}
	}
	if !p.site1 {
		switch sc {
		case scopeSite:
			return http.StatusForbidden
		case scopeConv:
			return http.StatusNotFound
		}
	}
	return ok
}

// The authorization matrix: every /api/v1 route and both sockets, for
// every kind of caller.
func TestAuthorizationMatrix(t *testing.T) {
	env := newConsoleEnv(t)
	ctx := context.Background()

	expiredC := env.session("expired session", env.agent)
	env.db.Exec(ctx, "update sessions set expires_at = now() - interval '1 second' where id = sha256($1::bytea)", []byte(expiredC.cookie))
	revokedC := env.session("revoked session", env.admin)
	env.accounts.Sessions.Revoke(ctx, revokedC.cookie)
	disabledUser := env.user("gone@example.com", "Gone", account.RoleAgent, env.site.ID)
	disabledC := env.session("disabled user", disabledUser)
	env.accounts.Users.SetDisabled(ctx, disabledUser.ID, true)
	_, allTok, _ := env.accounts.Tokens.Create(ctx, "all sites", nil, &env.admin.ID)
	_, otherTok, _ := env.accounts.Tokens.Create(ctx, "other site", &env.other.ID, &env.admin.ID)
	revTok, revTokPlain, _ := env.accounts.Tokens.Create(ctx, "revoked", nil, &env.admin.ID)
	env.accounts.Tokens.Revoke(ctx, revTok.ID)

	noCSRF := env.session("agent without CSRF token", env.agent)
	noCSRF.csrf = ""
	badCSRF := env.session("agent with a wrong CSRF token", env.agent)
	badCSRF.csrf = "not-the-token"
	// Another session's CSRF token does not do either.
	otherSessCSRF := env.session("agent with another session's CSRF token", env.agent)
	otherSessCSRF.csrf = env.session("x", env.agent).csrf

	callers := []struct {
		c caller
		p principalKind
	}{
		{caller{name: "anonymous"}, principalKind{dead: true}},
		{env.session("agent", env.agent), principalKind{session: true, csrfOK: true, site1: true}},
		{env.session("admin", env.admin), principalKind{session: true, admin: true, csrfOK: true, site1: true}},
		{env.session("agent of another site", env.agent2), principalKind{session: true, csrfOK: true}},
		{expiredC, principalKind{dead: true}},
		{revokedC, principalKind{dead: true}},
		{disabledC, principalKind{dead: true}},
		{noCSRF, principalKind{session: true, site1: true}},
		{badCSRF, principalKind{session: true, site1: true}},
		{otherSessCSRF, principalKind{session: true, site1: true}},
		{caller{name: "API token", bearer: allTok}, principalKind{tokenOnly: true, site1: true}},
		{caller{name: "API token of another site", bearer: otherTok}, principalKind{tokenOnly: true}},
		{caller{name: "bootstrap admin token", bearer: bootstrapToken}, principalKind{tokenOnly: true, site1: true}},
		{caller{name: "revoked API token", bearer: revTokPlain}, principalKind{dead: true}},
		{caller{name: "malformed bearer", bearer: "kefu_0000"}, principalKind{dead: true}},
	}

	docID := env.doc()
	target := env.user("target@example.com", "Target", account.RoleAgent, env.site.ID)
	canned, _ := env.canned.Create(ctx, env.site.ID, "hello", "Hello!")
	tok, _, _ := env.accounts.Tokens.Create(ctx, "to revoke", nil, nil)
	sk := "?site=" + env.site.Key

	type route struct {
		method, path string
		a            aud
		sc           scoping
		ok           int
		body         func() (string, []byte) // content type and body
		path2        func() string           // a fresh resource per call
	}
	js := func(v any) func() (string, []byte) {
		return func() (string, []byte) {
			b, _ := json.Marshal(v)
			return "application/json", b
		}
	}
	conv := func(suffix string) func() string {
		return func() string { return "/api/v1/conversations/" + env.queued(env.site) + suffix }
	}
	routes := []route{
		{method: "GET", path: "/api/v1/auth/me", a: audConsole, ok: 200},
		{method: "GET", path: "/api/v1/conversations", a: audConsole, ok: 200},
		{method: "GET", path: "/api/v1/conversations?state=queued&mine=1", a: audConsole, ok: 200},
		{method: "GET", path: "/api/v1/conversations" + sk, a: audConsole, sc: scopeSite, ok: 200},
		{method: "GET", a: audConsole, sc: scopeConv, ok: 200, path2: conv("")},
		{method: "POST", a: audConsole, sc: scopeConv, ok: 200, path2: conv("/claim")},
		{method: "POST", a: audConsole, sc: scopeConv, ok: 201, path2: conv("/messages"), body: js(map[string]any{"text": "Hi there"})},
		{method: "POST", a: audConsole, sc: scopeConv, ok: 201, path2: conv("/messages"), body: js(map[string]any{"text": "note", "internal": true})},
		{method: "POST", a: audConsole, sc: scopeConv, ok: 200, path2: conv("/handback")},
		{method: "POST", a: audConsole, sc: scopeConv, ok: 200, path2: conv("/transfer"), body: js(map[string]any{"user_id": target.ID})},
		{method: "POST", a: audConsole, sc: scopeConv, ok: 200, path2: conv("/resolve")},
		{method: "POST", a: audConsole, sc: scopeConv, ok: 200, path2: conv("/suggest")},
		{method: "GET", path: "/api/v1/agents" + sk, a: audConsole, sc: scopeSite, ok: 200},
		{method: "GET", path: "/api/v1/canned" + sk, a: audConsole, sc: scopeSite, ok: 200},
		{method: "GET", path: "/api/v1/sites", a: audConsole, ok: 200},
		{method: "GET", path: "/api/v1/users", a: audAdmin, ok: 200},
		{method: "POST", path: "/api/v1/users", a: audAdmin, ok: 201, body: func() (string, []byte) {
			return js(map[string]any{"email": fmt.Sprintf("new%d@example.com", env.n.Add(1)), "role": "agent", "sites": []string{env.site.Key}})()
		}},
		{method: "POST", path: fmt.Sprintf("/api/v1/users/%d/disable", target.ID), a: audAdmin, ok: 200},
		{method: "POST", path: fmt.Sprintf("/api/v1/users/%d/enable", target.ID), a: audAdmin, ok: 200},
		{method: "PUT", path: fmt.Sprintf("/api/v1/users/%d/sites", target.ID), a: audAdmin, ok: 200, body: js(map[string]any{"sites": []string{env.site.Key}})},
		{method: "DELETE", path: fmt.Sprintf("/api/v1/users/%d/sessions", target.ID), a: audAdmin, ok: 200},
		{method: "POST", path: "/api/v1/canned" + sk, a: audAdmin, sc: scopeSite, ok: 201, body: func() (string, []byte) {
			return js(map[string]any{"shortcut": fmt.Sprintf("c%d", env.n.Add(1)), "text": "Canned"})()
		}},
		{method: "PUT", path: fmt.Sprintf("/api/v1/canned/%d", canned.ID), a: audAdmin, ok: 200, body: js(map[string]any{"shortcut": "hello", "text": "Hello again"})},
		{method: "DELETE", a: audAdmin, ok: 204, path2: func() string {
			c, _ := env.canned.Create(ctx, env.site.ID, fmt.Sprintf("d%d", env.n.Add(1)), "bye")
			return fmt.Sprintf("/api/v1/canned/%d", c.ID)
		}},
		{method: "GET", path: "/api/v1/tokens", a: audAdmin, ok: 200},
		{method: "POST", path: "/api/v1/tokens", a: audAdmin, ok: 201, body: js(map[string]any{"name": "backend", "site": env.site.Key})},
		{method: "DELETE", path: fmt.Sprintf("/api/v1/tokens/%d", tok.ID), a: audAdmin, ok: 200},
		{method: "PUT", path: "/api/v1/sites/" + env.site.Key + "/settings", a: audAdmin, ok: 200, body: js(map[string]any{"minutes_per_queued": 4})},
		{method: "GET", path: "/api/v1/model", a: audAdmin, ok: 200},
		{method: "POST", path: "/api/v1/knowledge/reindex", a: audAdmin, ok: 202},
		{method: "GET", path: "/api/v1/knowledge/reindex", a: audAdmin, ok: 200},
		{method: "POST", path: "/api/v1/knowledge/documents" + sk, a: audAdminOrToken, sc: scopeSite, ok: 202, body: func() (string, []byte) {
			return multipartDoc(fmt.Sprintf("up%d.md", env.n.Add(1)), fmt.Sprintf("# Up %d\n\nText.\n", env.n.Load()))
		}},
		{method: "GET", path: "/api/v1/knowledge/documents" + sk, a: audConsoleOrToken, sc: scopeSite, ok: 200},
		{method: "GET", path: fmt.Sprintf("/api/v1/knowledge/documents/%d%s", docID, sk), a: audConsoleOrToken, sc: scopeSite, ok: 200},
		{method: "DELETE", a: audAdminOrToken, sc: scopeSite, ok: 204, path2: func() string {
			return fmt.Sprintf("/api/v1/knowledge/documents/%d%s", env.doc(), sk)
		}},
		{method: "GET", path: "/api/v1/knowledge/search" + sk + "&q=returns", a: audConsoleOrToken, sc: scopeSite, ok: 200},
		{method: "PUT", path: "/api/v1/orders/LL-1" + sk, a: audAdminOrToken, sc: scopeSite, ok: 200, body: js(map[string]any{"status": "processing", "total": 1})},
		{method: "PUT", path: "/api/v1/products/SKU-1" + sk, a: audAdminOrToken, sc: scopeSite, ok: 200, body: js(map[string]any{"title": "Lamp", "price": 1})},
		// Last: it ends each caller's session.
		{method: "POST", path: "/api/v1/auth/logout", a: audConsole, ok: 204},
	}
	for _, r := range routes {
		for _, cl := range callers {
			path := r.path
			if r.path2 != nil {
				path = r.path2()
			}
			ctype, body := "", []byte(nil)
			if r.body != nil {
				ctype, body = r.body()
			}
			want := expected(r.a, r.sc, r.method, r.ok, cl.p)
			got, out := env.do(cl.c, r.method, path, ctype, body)
			if got != want {
				t.Errorf("%s %s as %s = %d %v; want %d", r.method, path, cl.c.name, got, out, want)
			}
			if got >= 400 {
				if e, ok := out["error"].(map[string]any); !ok || e["code"] == "" {
					t.Errorf("%s %s as %s: error body %v; want {\"error\":{\"code\",…}}", r.method, path, cl.c.name, out)
				}
			}
		}
	}

	// The sockets. The agent socket needs a live session cookie and kefu's
	// own origin; the widget socket is public (site key and the site's
	// origins), whatever credentials come along.
	env2 := newConsoleEnv(t) // fresh sessions: the logout row ended the first ones
	wsCallers := []struct {
		c    caller
		want int
	}{
		{caller{name: "anonymous"}, 401},
		{env2.session("agent", env2.agent), 101},
		{env2.session("admin", env2.admin), 101},
		{env2.session("agent of another site", env2.agent2), 101},
		{caller{name: "expired session", cookie: expiredC.cookie}, 401},
		{caller{name: "revoked session", cookie: revokedC.cookie}, 401},
		{caller{name: "agent without CSRF token", cookie: env2.session("", env2.agent).cookie}, 101}, // a GET: no CSRF token needed
		{caller{name: "API token", bearer: allTok}, 401},
		{caller{name: "bootstrap admin token", bearer: bootstrapToken}, 401},
	}
	for _, cl := range wsCallers {
		for _, origin := range []string{env2.url, "https://evil.example.com", ""} {
			want := cl.want
			if origin != env2.url {
				want = 403 // the origin is checked first
			}
			if got := env2.dialStatus("/v1/agent/ws", cl.c, origin); got != want {
				t.Errorf("agent socket as %s from %q = %d; want %d", cl.c.name, origin, got, want)
			}
		}
		if got := env2.dialStatus("/v1/widget/ws?site="+env2.site.Key, cl.c, "https://shop.example.com"); got != 101 {
			t.Errorf("widget socket as %s = %d; want 101 (public)", cl.c.name, got)
		}
		if got := env2.dialStatus("/v1/widget/ws?site="+env2.site.Key, cl.c, env2.url+".evil.example"); got != 403 {
			t.Errorf("widget socket as %s from a foreign origin = %d; want 403", cl.c.name, got)
		}
	}
}

// dialStatus opens a socket and reports the HTTP status (101 when upgraded).
func (env *consoleEnv) dialStatus(path string, c caller, origin string) int {
	env.t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if c.cookie != "" {
		h.Set("Cookie", "kefu_session="+c.cookie)
	}
	if c.bearer != "" {
		h.Set("Authorization", "Bearer "+c.bearer)
	}
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(env.url, "http")+path, h)
	if err == nil {
		conn.Close()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		env.t.Fatalf("dial %s: %v", path, err)
	}
	return resp.StatusCode
}

// The console API end to end with a shopper on the widget socket: claim,
// reply (the shopper sees it), note (the shopper never does), hand back
// (the bot answers the next message), resolve (the widget asks for a rating).
func TestConsoleTakeoverReachesShopper(t *testing.T) {
	env := newConsoleEnv(t)
	ann := env.session("ann", env.agent)
	bob := env.session("bob", env.user("bob@example.com", "Bob", account.RoleAgent, env.site.ID))

	shopper := env.widget("https://shop.example.com")
	w := shopper.hello(nil, 0)
	convID := w["conversation_id"].(string)
	shopper.send(map[string]any{"type": "request_human"})
	if f, _ := shopper.next("state"); f["state"] != "queued" {
		t.Fatalf("after request_human: %v; want queued", f)
	}

	// Listed in the queue with its reason.
	code, list := env.json(ann, "GET", "/api/v1/conversations?state=queued", nil)
	items, _ := list["items"].([]any)
	if code != 200 || len(items) != 1 || items[0].(map[string]any)["escalation_reason"] != "requested" {
		t.Fatalf("queue = %d %v; want the conversation with its reason", code, list)
	}
	if counts := list["counts"].(map[string]any); counts["queued"] != 1.0 {
		t.Errorf("counts %v; want 1 queued", counts)
	}

	// Two agents race; one wins, the other is told who.
	code, conv := env.json(ann, "POST", "/api/v1/conversations/"+convID+"/claim", nil)
	if code != 200 || conv["state"] != "agent" {
		t.Fatalf("ann's claim = %d %v", code, conv)
	}
	code, out := env.json(bob, "POST", "/api/v1/conversations/"+convID+"/claim", nil)
	if e, _ := out["error"].(map[string]any); code != 409 || e["code"] != "claimed" || !strings.Contains(fmt.Sprint(e["message"]), "Ann") {
		t.Errorf("bob's claim = %d %v; want 409 claimed, naming Ann", code, out)
	}
	if f, _ := shopper.next("state"); f["state"] != "agent" || f["agent"].(map[string]any)["name"] != "Ann" {
		t.Errorf("shopper's state frame %v; want agent Ann", f)
	}

	code, out = env.json(ann, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"text": "Hi, this is Ann"})
	if code != 201 || out["message"].(map[string]any)["role"] != "agent" || out["state"] != "agent" {
		t.Fatalf("reply = %d %v", code, out)
	}
	f, _ := shopper.next("message")
	for f["role"] == "system" { // "Ann has joined"
		f, _ = shopper.next("message")
	}
	if f["role"] != "agent" || f["text"] != "Hi, this is Ann" {
		t.Errorf("shopper got %v; want Ann's reply", f)
	}

	// A note, then a reply: the shopper gets the reply and nothing before it.
	env.json(ann, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"text": "SECRET NOTE", "internal": true})
	env.json(ann, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"text": "Still here"})
	f, seen := shopper.next("message")
	if f["text"] != "Still here" || strings.Contains(fmt.Sprint(seen), "SECRET") {
		t.Errorf("after a note: %v (before it %v); want only the reply", f, seen)
	}
	// The agent's view has the note.
	_, detail := env.json(ann, "GET", "/api/v1/conversations/"+convID, nil)
	if !strings.Contains(fmt.Sprint(detail["messages"]), "SECRET NOTE") {
		t.Errorf("detail lacks the note: %v", detail["messages"])
	}
	// A reconnecting shopper's replay has no note either.
	again := env.widget("https://shop.example.com")
	again.send(map[string]any{"type": "hello", "visitor_token": w["visitor_token"], "last_seq": 0})
	again.next("welcome")
	env.json(ann, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"text": "marker"})
	var frames []map[string]any
	for {
		f, seen := again.next("message")
		frames = append(append(frames, seen...), f)
		if f["text"] == "marker" {
			break
		}
	}
	if strings.Contains(fmt.Sprint(frames), "SECRET") || !strings.Contains(fmt.Sprint(frames), "Still here") {
		t.Errorf("a reconnecting shopper's replay %v; want the replies and no note", frames)
	}
	shopper.next("message") // the marker

	// Hand back: the bot answers the next message.
	code, out = env.json(ann, "POST", "/api/v1/conversations/"+convID+"/handback", nil)
	if code != 200 || out["state"] != "bot" {
		t.Fatalf("handback = %d %v", code, out)
	}
	// Handing back again is not allowed in this state: a different code
	// from "someone else claimed it".
	code, out = env.json(ann, "POST", "/api/v1/conversations/"+convID+"/handback", nil)
	if e, _ := out["error"].(map[string]any); code != 409 || e["code"] != "invalid_state" {
		t.Errorf("second handback = %d %v; want 409 invalid_state", code, out)
	}
	if f, _ := shopper.next("state"); f["state"] != "bot" {
		t.Errorf("shopper's state after handback: %v", f)
	}
	shopper.send(map[string]any{"type": "message", "client_id": "m1", "text": "hello again"})
	for {
		f, _ := shopper.next("message")
		if f["role"] == "bot" {
			break
		}
	}

	// Resolve: the widget's state frame says resolved (it shows the rating).
	env.json(ann, "POST", "/api/v1/conversations/"+convID+"/claim", nil)
	code, out = env.json(ann, "POST", "/api/v1/conversations/"+convID+"/resolve", nil)
	if code != 200 || out["state"] != "resolved" {
		t.Fatalf("resolve = %d %v", code, out)
	}
	for {
		f, _ := shopper.next("state")
		if f["state"] == "resolved" {
			break
		}
	}
	// Resolved conversations are listed as such.
	_, list = env.json(ann, "GET", "/api/v1/conversations?state=resolved", nil)
	if items, _ := list["items"].([]any); len(items) != 1 {
		t.Errorf("resolved list %v; want the conversation", list)
	}
}

func (env *consoleEnv) widget(origin string) *wsClient {
	env.t.Helper()
	h := http.Header{"Origin": {origin}}
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(env.url, "http")+"/v1/widget/ws?site="+env.site.Key, h)
	if err != nil {
		env.t.Fatalf("dial widget: %v", err)
	}
	env.t.Cleanup(func() { conn.Close() })
	return &wsClient{t: env.t, conn: conn}
}

func TestConsoleAdminAPI(t *testing.T) {
	env := newConsoleEnv(t)
	admin := env.session("admin", env.admin)

	// Invite an agent: a password is generated and shown once; they can sign in.
	code, out := env.json(admin, "POST", "/api/v1/users", map[string]any{"email": "new@example.com", "name": "New", "role": "agent",
		"sites": []string{env.other.Key}})
	pw, _ := out["password"].(string)
	if code != 201 || pw == "" {
		t.Fatalf("create user = %d %v; want a generated password", code, out)
	}
	id := int64(out["user"].(map[string]any)["id"].(float64))
	login := func(email, password string) int {
		req, _ := http.NewRequest("POST", env.url+"/api/v1/auth/login", strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := login("new@example.com", pw); code != 200 {
		t.Errorf("the invited agent signs in: %d", code)
	}
	tests := []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/api/v1/users", map[string]any{"email": "new@example.com", "role": "agent", "password": "long-enough"}, 409},
		{"POST", "/api/v1/users", map[string]any{"email": "not an email", "role": "agent"}, 400},
		{"POST", "/api/v1/users", map[string]any{"email": "x@example.com", "role": "root"}, 400},
		{"POST", "/api/v1/users", map[string]any{"email": "y@example.com", "role": "agent", "sites": []string{"site_nope"}}, 400},
		{"POST", "/api/v1/users", map[string]any{"email": "z@example.com", "role": "agent", "extra": 1}, 400},
		{"POST", fmt.Sprintf("/api/v1/users/%d/disable", env.admin.ID), nil, 400}, // not yourself
		{"POST", "/api/v1/users/999999/disable", nil, 404},
		{"POST", "/api/v1/users/abc/disable", nil, 400},
		{"PUT", fmt.Sprintf("/api/v1/users/%d/sites", id), map[string]any{"sites": []string{env.site.Key, env.other.Key}}, 200},
		{"POST", "/api/v1/canned?site=" + env.site.Key, map[string]any{"shortcut": "/Thanks", "text": "Thank you!"}, 201},
		{"POST", "/api/v1/canned?site=" + env.site.Key, map[string]any{"shortcut": "thanks", "text": "dup"}, 409},
		{"POST", "/api/v1/canned?site=" + env.site.Key, map[string]any{"shortcut": "bad shortcut", "text": "x"}, 400},
		{"PUT", "/api/v1/canned/999999", map[string]any{"shortcut": "x", "text": "x"}, 404},
		{"POST", "/api/v1/tokens", map[string]any{"name": ""}, 400},
		{"POST", "/api/v1/tokens", map[string]any{"name": "x", "site": "site_nope"}, 400},
		{"DELETE", "/api/v1/tokens/999999", nil, 404},
		{"PUT", "/api/v1/sites/site_nope/settings", map[string]any{}, 404},
		{"PUT", "/api/v1/sites/" + env.site.Key + "/settings", map[string]any{"business_hours": map[string]any{"timezone": "Mars/Olympus_Mons", "open": "09:00", "close": "18:00"}}, 400},
		{"PUT", "/api/v1/sites/" + env.site.Key + "/settings", map[string]any{"minutes_per_queued": "three"}, 400},
		{"PUT", "/api/v1/sites/" + env.site.Key + "/settings", []int{1}, 400},
		{"GET", "/api/v1/conversations?state=nonsense", nil, 400},
		{"GET", "/api/v1/conversations?cursor=zzz", nil, 400},
		{"GET", "/api/v1/conversations/not-a-uuid", nil, 404},
		{"GET", "/api/v1/conversations?limit=ten", nil, 400},
		{"GET", "/api/v1/conversations?limit=-1", nil, 400},
		{"GET", "/api/v1/users?limit=1e3", nil, 400},
		{"GET", "/api/v1/knowledge/documents?site=" + env.site.Key + "&limit=%20", nil, 400},
		{"GET", "/api/v1/conversations/00000000-0000-4000-8000-000000000000", nil, 404},
	}
	for _, tt := range tests {
		if code, out := env.json(admin, tt.method, tt.path, tt.body); code != tt.want {
			t.Errorf("%s %s %v = %d %v; want %d", tt.method, tt.path, tt.body, code, out, tt.want)
		}
	}

	// Disabling ends the user's sessions at once.
	newSess := env.session("new", &account.User{ID: id})
	if code, _ := env.json(newSess, "GET", "/api/v1/auth/me", nil); code != 200 {
		t.Fatalf("new user's session: %d", code)
	}
	if code, _ := env.json(admin, "POST", fmt.Sprintf("/api/v1/users/%d/disable", id), nil); code != 200 {
		t.Fatal("disable failed")
	}
	if code, _ := env.json(newSess, "GET", "/api/v1/auth/me", nil); code != 401 {
		t.Errorf("disabled user's session: %d; want 401", code)
	}
	if code := login("new@example.com", pw); code != 403 {
		t.Errorf("disabled user signs in: %d; want 403", code)
	}
	env.json(admin, "POST", fmt.Sprintf("/api/v1/users/%d/enable", id), nil)
	if code := login("new@example.com", pw); code != 200 {
		t.Errorf("re-enabled user signs in: %d; want 200", code)
	}

	// API tokens: the plaintext is shown once, works, and stops at revocation.
	code, out = env.json(admin, "POST", "/api/v1/tokens", map[string]any{"name": "shop", "site": env.site.Key})
	plain, _ := out["token"].(string)
	if code != 201 || !strings.HasPrefix(plain, "kefu_") {
		t.Fatalf("create token = %d %v", code, out)
	}
	tokID := int64(out["api_token"].(map[string]any)["id"].(float64))
	shop := caller{name: "shop", bearer: plain}
	if code, _ := env.json(shop, "PUT", "/api/v1/products/L1?site="+env.site.Key, map[string]any{"title": "Lamp", "price": 10}); code != 200 {
		t.Errorf("token upserts a product: %d", code)
	}
	if code, _ := env.json(shop, "PUT", "/api/v1/products/L1?site="+env.other.Key, map[string]any{"title": "Lamp", "price": 10}); code != 403 {
		t.Errorf("site token on another site: %d; want 403", code)
	}
	_, list := env.json(admin, "GET", "/api/v1/tokens", nil)
	if strings.Contains(fmt.Sprint(list), plain) || !strings.Contains(fmt.Sprint(list), "last_used_at") {
		t.Errorf("token list %v; want no plaintext and the last use", list)
	}
	env.json(admin, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tokID), nil)
	if code, _ := env.json(shop, "PUT", "/api/v1/products/L1?site="+env.site.Key, map[string]any{"title": "Lamp", "price": 10}); code != 401 {
		t.Errorf("revoked token: %d; want 401", code)
	}

	// Sites: agents see theirs without secrets; admins see all with secrets.
	agent := env.session("agent", env.agent)
	_, sites := env.json(agent, "GET", "/api/v1/sites", nil)
	if items := sites["items"].([]any); len(items) != 1 || items[0].(map[string]any)["secret"] != nil {
		t.Errorf("agent's sites %v; want one, no secret", sites)
	}
	_, sites = env.json(admin, "GET", "/api/v1/sites", nil)
	if items := sites["items"].([]any); len(items) != 2 || items[0].(map[string]any)["secret"] == nil {
		t.Errorf("admin's sites %v; want both with secrets", sites)
	}
	code, site := env.json(admin, "PUT", "/api/v1/sites/"+env.site.Key+"/settings", map[string]any{"minutes_per_queued": 7, "appearance": map[string]any{"color": "#123456"}})
	if code != 200 || site["settings"].(map[string]any)["minutes_per_queued"] != 7.0 {
		t.Errorf("update settings = %d %v", code, site)
	}

	// Canned responses for the agent's /shortcut completion.
	_, canned := env.json(agent, "GET", "/api/v1/canned?site="+env.site.Key+"&q=/th", nil)
	if items := canned["items"].([]any); len(items) != 1 || items[0].(map[string]any)["shortcut"] != "thanks" {
		t.Errorf("canned /th = %v; want thanks", canned)
	}
	// Colleagues with presence, for the transfer picker.
	_, agents := env.json(agent, "GET", "/api/v1/agents?site="+env.site.Key, nil)
	if items := agents["items"].([]any); len(items) < 2 || items[0].(map[string]any)["status"] != "offline" {
		t.Errorf("agents %v; want the site's people, offline", agents)
	}
	if code, m := env.json(admin, "GET", "/api/v1/model", nil); code != 200 || m["configured"] != false {
		t.Errorf("model status = %d %v; want not configured", code, m)
	}
}
