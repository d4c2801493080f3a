package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/app"
	"kefu/internal/kefutest"
	"kefu/internal/pgtest"
	"kefu/knowledge"
	"kefu/migrations"
)

// Attacks on the HTTP surface: cross-site socket hijacking, other sites'
// keys, forged and replayed identities, stolen or guessed visitor tokens,
// SQL injection through every filter, order-number enumeration, and
// secrets in the logs. docs/reliability.md (Attacks) lists them.

// secEnv is a consoleEnv (two sites, an admin, agents) whose server logs
// to logs, keeps the audit log, answers privacy requests, and knows two
// customers' orders on site 1.
type secEnv struct {
	*consoleEnv
	logs *kefutest.Buffer
}

func newSecEnv(t *testing.T) *secEnv {
	t.Helper()
	ctx := context.Background()
	logs := &kefutest.Buffer{}
	// Shopper messages are not rate-limited here (600 a minute), so the
	// order-verification limits are what the enumeration tests meet.
	k := kefutest.Start(t, kefutest.Options{Offline: true, Configure: func(c *app.Config) {
		c.AdminToken, c.MaxUploadBytes = bootstrapToken, 1<<20
		c.VisitorRate, c.SiteRate = 600, 60000
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	site, err := k.Sites.Create(ctx, "Shop", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := k.Sites.Create(ctx, "Other shop", []string{"https://other.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	env := &secEnv{consoleEnv: &consoleEnv{t: t, db: k.Pool, url: k.URL(), handler: k.Server.Handler(), srv: k.Server,
		accounts: k.Accounts, canned: chat.NewCannedResponses(k.Pool), store: k.Store, engine: k.Engine, lib: k.Library,
		site: site, other: other}, logs: logs}
	orders := `[
	 {"number":"LL-100001","status":"shipped","customer":{"id":"c1","email":"ann@example.com","name":"Ann Lee"},"items":[{"sku":"S","title":"Lamp","quantity":1,"price":20}],"total":20,"carrier":"DHL","tracking_number":"JD0001"},
	 {"number":"LL-200002","status":"processing","customer":{"id":"c2","email":"bob@example.com","name":"Bob Victim"},"items":[{"sku":"D","title":"Diamond Necklace","quantity":1,"price":4321.99}],"total":4321.99,"carrier":"SF","tracking_number":"VICTIMTRACK9"}
	]`
	if res, err := k.Commerce.ImportOrders(ctx, strings.NewReader(orders), knowledge.ImportOptions{SiteID: site.ID}); err != nil || len(res.Errors) > 0 {
		t.Fatalf("import orders: %+v %v", res, err)
	}
	env.admin = env.user("boss@example.com", "Boss", account.RoleAdmin, site.ID)
	env.agent = env.user("agent@example.com", "Agent", account.RoleAgent, site.ID)
	env.agent2 = env.user("eve@example.com", "Eve", account.RoleAgent, other.ID)
	return env
}

// widgetDial opens the widget socket of site key from origin; status is
// the HTTP status when the upgrade was refused.
func (env *secEnv) widgetDial(key, origin string) (*wsClient, int) {
	env.t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(env.url, "http")+"/v1/widget/ws?site="+url.QueryEscape(key), h)
	if err != nil {
		if resp == nil {
			env.t.Fatalf("dial widget: %v", err)
		}
		return nil, resp.StatusCode
	}
	env.t.Cleanup(func() { conn.Close() })
	return &wsClient{t: env.t, conn: conn}, http.StatusSwitchingProtocols
}

func (env *secEnv) shopper() *wsClient {
	env.t.Helper()
	c, status := env.widgetDial(env.site.Key, "https://shop.example.com")
	if c == nil {
		env.t.Fatalf("dial widget = %d", status)
	}
	return c
}

// ask sends a message and returns the bot's (or system's) answer.
func (c *wsClient) ask(clientID, text string) string {
	c.t.Helper()
	c.send(map[string]any{"type": "message", "client_id": clientID, "text": text})
	f := c.nextWhere("message", func(f map[string]any) bool { return f["role"] == "bot" || f["role"] == "system" })
	s, _ := f["text"].(string)
	return s
}

func (env *secEnv) count(table string) int {
	env.t.Helper()
	var n int
	if err := env.db.QueryRow(context.Background(), "select count(*) from "+table).Scan(&n); err != nil {
		env.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// Cross-site websocket hijacking: a page on another origin (or another
// site's origin, or a look-alike) cannot open a shop's widget socket nor the
// console's socket with an agent's cookie; nothing is created for it.
func TestSecurityCrossSiteSockets(t *testing.T) {
	env := newSecEnv(t)
	visitors := env.count("visitors")
	for _, origin := range []string{
		"", "null", "https://evil.example", "https://other.example.com", // another site's origin, with this site's key
		"http://shop.example.com", "https://shop.example.com.evil.example", "https://evil-shop.example.com",
		"https://shop.example.com:8443", "https://evil.example/https://shop.example.com", "https://SHOP.example.com.evil.example",
	} {
		if c, status := env.widgetDial(env.site.Key, origin); c != nil || status != http.StatusForbidden {
			t.Errorf("widget socket from Origin %q = %d; want 403 before the upgrade", origin, status)
		}
	}
	// The other site's key from this site's origin: refused too.
	if c, status := env.widgetDial(env.other.Key, "https://shop.example.com"); c != nil || status != http.StatusForbidden {
		t.Errorf("other site's key from this site's origin = %d; want 403", status)
	}
	// Unknown and injected keys: 404.
	for _, key := range []string{"site_nope", "' OR '1'='1", env.site.Key + "x", env.site.Secret} {
		if c, status := env.widgetDial(key, "https://shop.example.com"); c != nil || status != http.StatusNotFound {
			t.Errorf("widget socket with key %q = %d; want 404", key, status)
		}
	}
	if n := env.count("visitors"); n != visitors {
		t.Errorf("refused sockets created %d visitors", n-visitors)
	}
	// The right origin is case-insensitive and works.
	if c, status := env.widgetDial(env.site.Key, "https://Shop.Example.com"); c == nil {
		t.Errorf("the site's own origin (other case) = %d; want 101", status)
	}

	// The console's socket carries the agent's cookie: only kefu's own origin.
	agent := env.session("agent", env.agent)
	for _, origin := range []string{"https://evil.example", "https://shop.example.com", env.url + ".evil.example", "null"} {
		if got := env.dialStatus("/v1/agent/ws", agent, origin); got != http.StatusForbidden {
			t.Errorf("agent socket with the agent's cookie from Origin %q = %d; want 403", origin, got)
		}
	}
	if got := env.dialStatus("/v1/agent/ws", agent, env.url); got != http.StatusSwitchingProtocols {
		t.Errorf("agent socket from kefu's own origin = %d; want 101", got)
	}
	// A state-changing API call with the cookie but no CSRF token, as a
	// foreign form would send it: refused, nothing changes.
	conv := env.queued(env.site)
	noCSRF := caller{name: "cookie only", cookie: agent.cookie}
	if code, _ := env.json(noCSRF, "POST", "/api/v1/conversations/"+conv+"/claim", nil); code != http.StatusForbidden {
		t.Errorf("claim with the cookie and no CSRF token = %d; want 403", code)
	}
	if c, err := env.store.Conversation(context.Background(), conv); err != nil || c.State != chat.StateQueued {
		t.Errorf("after the forged claim: %+v %v; want still queued", c, err)
	}
}

// Identity hashes: forged, replayed for another user id, signed with
// another site's secret, or malformed, they verify nobody, and the shopper
// gets no order data.
func TestSecurityForgedIdentity(t *testing.T) {
	env := newSecEnv(t)
	ctx := context.Background()
	annHash := kefutest.SignIdentity(env.site.Secret, "c1")
	for _, tt := range []struct {
		name string
		id   map[string]any
		want bool // verified as c2 (Bob)
	}{
		{"forged with a guessed secret", map[string]any{"user_id": "c2", "hash": kefutest.SignIdentity("secret", "c2")}, false},
		{"Ann's hash replayed for Bob's id", map[string]any{"user_id": "c2", "hash": annHash}, false},
		{"Ann's hash with Bob's email", map[string]any{"user_id": "c2", "email": "bob@example.com", "hash": annHash}, false},
		{"signed with the other site's secret", map[string]any{"user_id": "c2", "hash": kefutest.SignIdentity(env.other.Secret, "c2")}, false},
		{"truncated hash", map[string]any{"user_id": "c2", "hash": kefutest.SignIdentity(env.site.Secret, "c2")[:32]}, false},
		{"hash of id with a suffix", map[string]any{"user_id": "c2", "hash": kefutest.SignIdentity(env.site.Secret, "c2 ")}, false},
		{"empty hash", map[string]any{"user_id": "c2", "hash": ""}, false},
		{"not hex", map[string]any{"user_id": "c2", "hash": strings.Repeat("zz", 32)}, false},
		{"site secret as the hash", map[string]any{"user_id": "c2", "hash": env.site.Secret}, false},
		{"sql in the user id", map[string]any{"user_id": "c2' OR '1'='1", "hash": kefutest.SignIdentity(env.site.Secret, "c2' OR '1'='1")}, false},
		{"genuine (control)", map[string]any{"user_id": "c2", "hash": kefutest.SignIdentity(env.site.Secret, "c2")}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env.t = t
			c := env.shopper()
			c.send(map[string]any{"type": "hello", "visitor_token": nil, "last_seq": 0, "locale": "en", "identity": tt.id})
			w, _ := c.next("welcome")
			var customer *int64
			if err := env.db.QueryRow(ctx, `select v.customer_id from conversations c join visitors v on v.id = c.visitor_id
				where c.id = $1`, w["conversation_id"]).Scan(&customer); err != nil {
				t.Fatal(err)
			}
			if (customer != nil) != tt.want {
				t.Fatalf("visitor's customer = %v; want verified %v", customer, tt.want)
			}
			answer := c.ask("q1", "where is my order?")
			leaked := strings.Contains(answer, "Diamond") || strings.Contains(answer, "VICTIMTRACK9") || strings.Contains(answer, "LL-200002")
			if leaked != tt.want {
				t.Errorf("answer %q; want Bob's order shown = %v", answer, tt.want)
			}
		})
	}
}

// Visitor tokens: the database keeps only their hashes; a token opens its
// own conversation and nothing else; guessed, altered or another site's
// tokens start a fresh, empty conversation.
func TestSecurityVisitorTokens(t *testing.T) {
	env := newSecEnv(t)
	ctx := context.Background()
	alice := env.shopper()
	w := alice.hello(nil, 0)
	token, _ := w["visitor_token"].(string)
	if len(token) < 32 {
		t.Fatalf("visitor token %q; want a long random secret", token)
	}
	alice.ask("a1", "my private note: the gift is a ring")

	// Stored hashed: no row holds the token itself, one holds its SHA-256.
	var plain, hashed int
	sum := sha256.Sum256([]byte(token))
	if err := env.db.QueryRow(ctx, "select count(*) filter (where token = $1), count(*) filter (where token = $2) from visitors",
		token, hex.EncodeToString(sum[:])).Scan(&plain, &hashed); err != nil {
		t.Fatal(err)
	}
	if plain != 0 || hashed != 1 {
		t.Errorf("visitors holding the token in plain text: %d, hashed: %d; want 0 and 1", plain, hashed)
	}
	// Nor does any other table or a privacy export by email.
	var anywhere int
	if err := env.db.QueryRow(ctx, `select count(*) from messages where body like '%' || $1 || '%'`, token).Scan(&anywhere); err != nil || anywhere != 0 {
		t.Errorf("messages holding the token: %d %v", anywhere, err)
	}

	// The token resumes Alice's conversation, with her message.
	again := env.shopper()
	w2 := again.hello(token, 0)
	if w2["conversation_id"] != w["conversation_id"] {
		t.Fatalf("resume with the token opened %v; want %v", w2["conversation_id"], w["conversation_id"])
	}
	for _, forged := range []any{
		token[:len(token)-1] + map[bool]string{true: "0", false: "1"}[token[len(token)-1] != '0'], // one character off
		strings.ToUpper(token), token + " ", hex.EncodeToString(sum[:]), // the stored hash itself
		"' OR '1'='1", "v_" + strings.Repeat("0", 40), "",
	} {
		c := env.shopper()
		c.send(map[string]any{"type": "hello", "visitor_token": forged, "last_seq": 0, "locale": "en"})
		f, seen := c.next("welcome")
		if f["conversation_id"] == w["conversation_id"] || f["visitor_token"] == token {
			t.Errorf("token %q opened Alice's conversation", forged)
		}
		for _, fr := range seen {
			if strings.Contains(fmt.Sprint(fr), "ring") {
				t.Errorf("token %q replayed Alice's messages: %v", forged, fr)
			}
		}
		c.send(map[string]any{"type": "message", "client_id": "x", "text": "hi"})
		if m := c.nextWhere("message", func(f map[string]any) bool { return f["role"] == "shopper" }); m["seq"] != float64(1) {
			t.Errorf("token %q: first message has seq %v; want 1 in a fresh conversation", forged, m["seq"])
		}
	}
	// Alice's token on the other site (its own origin): a fresh visitor there.
	oc, status := env.widgetDial(env.other.Key, "https://other.example.com")
	if oc == nil {
		t.Fatalf("other site's widget = %d", status)
	}
	ow := oc.hello(token, 0)
	if ow["conversation_id"] == w["conversation_id"] || ow["visitor_token"] == token {
		t.Errorf("Alice's token opened her conversation on another site: %v", ow)
	}
	// An over-long token is refused outright.
	long := env.shopper()
	long.send(map[string]any{"type": "hello", "visitor_token": strings.Repeat("v", 5000), "last_seq": 0})
	if f, _ := long.next("error"); f["code"] != "bad_request" {
		t.Errorf("over-long token: %v; want bad_request", f)
	}
	// The console never shows visitor tokens.
	admin := env.session("admin", env.admin)
	_, conv := env.json(admin, "GET", "/api/v1/conversations/"+w["conversation_id"].(string), nil)
	if strings.Contains(fmt.Sprint(conv), token) {
		t.Errorf("the console's conversation view shows the visitor token")
	}
}

// sqlPayloads are classic injection strings, plus bytes PostgreSQL refuses
// in text (NUL, invalid UTF-8), which must be a 400, not a 500.
var sqlPayloads = []string{
	"' OR '1'='1", "' OR 1=1 --", "'; DROP TABLE conversations; --", "1) OR (1=1", "%' OR 1=1 --", `" OR ""="`,
	"' UNION SELECT email, password_hash, null FROM users --", "admin'--", `\`, "1; select pg_sleep(0)--",
	"$1", "%", "_", "a\x00b", "\xff\xfe",
}

// Every search and filter parameter of the HTTP API, with SQL injection
// strings: an error or no results, never a 500, and every table intact.
func TestSecuritySQLInjection(t *testing.T) {
	env := newSecEnv(t)
	admin := env.session("admin", env.admin)
	token := caller{name: "token", bearer: bootstrapToken}
	conv := env.queued(env.site)
	env.doc()
	key := env.site.Key
	tables := []string{"sites", "users", "customers", "orders", "products", "documents", "chunks", "visitors", "conversations",
		"messages", "sessions", "api_tokens"} // audit_log grows: every privacy export is recorded
	before := map[string]int{}
	for _, tb := range tables {
		before[tb] = env.count(tb)
	}
	probes := []secProbe{
		{"/api/v1/conversations?state=%s", admin, "items"},
		{"/api/v1/conversations?cursor=%s", admin, ""},
		{"/api/v1/conversations?limit=%s", admin, ""},
		{"/api/v1/conversations?mine=%s", admin, ""},
		{"/api/v1/conversations?site=%s", admin, "items"},
		{"/api/v1/conversations/%s", admin, ""},
		{"/api/v1/conversations/" + conv + "?after=%s", admin, ""},
		{"/api/v1/knowledge/documents?site=" + key + "&q=%s", admin, "items"},
		{"/api/v1/knowledge/documents?site=" + key + "&cursor=%s", admin, ""},
		{"/api/v1/knowledge/documents?site=" + key + "&limit=%s", token, ""},
		{"/api/v1/knowledge/documents?site=%s", token, "items"},
		{"/api/v1/knowledge/documents/%s?site=" + key, admin, ""},
		{"/api/v1/knowledge/search?site=" + key + "&q=%s", token, ""},
		{"/api/v1/knowledge/search?site=" + key + "&q=returns&k=%s", token, ""},
		{"/api/v1/intents?site=%s", admin, ""},
		{"/api/v1/users?cursor=%s", admin, ""},
		{"/api/v1/users?limit=%s", admin, ""},
		{"/api/v1/canned?site=" + key + "&q=%s", admin, "items"},
		{"/api/v1/canned?site=" + key + "&cursor=%s", admin, ""},
		{"/api/v1/tokens?cursor=%s", admin, ""},
		{"/api/v1/agents?site=%s", admin, ""},
		{"/api/v1/sites?site=%s", admin, ""},
		{"/api/v1/audit?action=%s", admin, "items"},
		{"/api/v1/audit?actor=%s", admin, "items"},
		{"/api/v1/audit?site=%s", admin, "items"},
		{"/api/v1/audit?cursor=%s", admin, ""},
		{"/api/v1/privacy/subjects?site=" + key + "&email=%s", admin, "customers"},
		{"/api/v1/privacy/subjects?site=" + key + "&customer_id=%s", admin, "customers"},
		{"/api/v1/privacy/subjects?site=" + key + "&visitor_token=%s", admin, "visitors"},
		{"/api/v1/privacy/subjects?site=%s&email=ann@example.com", admin, "customers"},
		{"/api/v1/privacy/model-data?site=%s", admin, ""},
		{"/api/v1/knowledge/reindex?site=%s", admin, ""},
		{"/v1/widget/config?site=%s", caller{}, ""},
		{"/v1/widget/ws?site=%s", caller{}, ""},
		{"/demo?lang=%s", caller{}, ""},
		{"/demo?customer=%s", caller{}, ""},
	}
	probes = append(probes, analyticsProbes(env, admin)...)
	for _, p := range probes {
		for _, payload := range sqlPayloads {
			path := strings.Replace(p.path, "%s", url.PathEscape(payload), 1)
			if strings.Contains(p.path, "?") && strings.Index(p.path, "%s") > strings.Index(p.path, "?") {
				path = strings.Replace(p.path, "%s", url.QueryEscape(payload), 1)
			}
			code, body := env.raw(p.who, path)
			if code >= 500 || code == 0 {
				t.Errorf("GET %s = %d %s; want 4xx or 200, never a server error", path, code, body)
				continue
			}
			if code == http.StatusOK && p.wantEmpty != "" {
				if n := listLen(body, p.wantEmpty); n != 0 {
					t.Errorf("GET %s = 200 with %d %s; want none (the payload widened the filter)", path, n, p.wantEmpty)
				}
			}
		}
	}
	for _, tb := range tables {
		if n := env.count(tb); n != before[tb] {
			t.Errorf("table %s has %d rows after the probes; had %d", tb, n, before[tb])
		}
	}
	for _, line := range strings.Split(env.logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("a probe logged an error: %s", line)
		}
	}
}

// NUL characters (which PostgreSQL text cannot hold) in what shoppers and
// agents write: a clear 400-class error, nothing stored, no server error.
func TestSecurityNULInText(t *testing.T) {
	env := newSecEnv(t)
	c := env.shopper()
	w := c.hello(nil, 0)
	c.send(map[string]any{"type": "message", "client_id": "n1", "text": "hello\x00world"})
	if f, _ := c.next("error"); f["code"] != "bad_request" {
		t.Errorf("shopper text with NUL: %v; want a bad_request error frame", f)
	}
	if n := env.count("messages"); n != 0 {
		t.Errorf("%d messages stored after the shopper's; want none", n)
	}
	conv := w["conversation_id"].(string)
	if _, err := env.engine.Claim(context.Background(), conv, env.agent); err != nil {
		t.Fatal(err)
	}
	before := env.count("messages") // the claim's notice
	agent := env.session("agent", env.agent)
	for _, body := range []map[string]any{{"text": "hi\x00there"}, {"text": "note\x00", "internal": true}} {
		if code, out := env.json(agent, "POST", "/api/v1/conversations/"+conv+"/messages", body); code != http.StatusBadRequest {
			t.Errorf("agent message %q = %d %v; want 400", body["text"], code, out)
		}
	}
	if n := env.count("messages"); n != before {
		t.Errorf("%d messages stored by the agent; want none", n-before)
	}
	for _, line := range strings.Split(env.logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("NUL text logged an error: %s", line)
		}
	}
}

// secProbe is a GET path where %s is the payload; wantEmpty names the JSON
// field whose results must be empty on a 200 (the payload matches nothing).
type secProbe struct {
	path      string
	who       caller
	wantEmpty string
}

// analyticsProbes are the analytics and insights filters.
func analyticsProbes(env *secEnv, admin caller) []secProbe {
	key := env.site.Key
	var out []secProbe
	for _, report := range []string{"summary", "gaps", "at-risk", "topics"} {
		base := "/api/v1/analytics/" + report
		out = append(out,
			secProbe{base + "?site=" + key + "&from=%s", admin, ""},
			secProbe{base + "?site=" + key + "&to=%s", admin, ""},
			secProbe{base + "?site=%s", admin, ""},
			secProbe{base + "?from=2026-01-01&to=%s", admin, ""},
			secProbe{base + "?site=" + key + "&format=%s", admin, ""},
			secProbe{base + "?site=" + key + "&format=csv&table=%s", admin, ""},
		)
	}
	return out
}

// raw sends GET path (already escaped) and returns the status and body.
func (env *secEnv) raw(c caller, path string) (int, string) {
	env.t.Helper()
	req, err := http.NewRequest("GET", env.url+path, nil)
	if err != nil {
		env.t.Fatalf("request %q: %v", path, err)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "kefu_session", Value: c.cookie})
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		env.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// listLen counts the entries of a JSON array field (0 when absent).
func listLen(body, field string) int {
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		return 0
	}
	list, _ := out[field].([]any)
	return len(list)
}

// Order-number enumeration, one visitor: after five wrong order+email
// guesses the bot stops checking, even when the sixth is right.
func TestSecurityOrderEnumerationOneVisitor(t *testing.T) {
	env := newSecEnv(t)
	c := env.shopper()
	c.hello(nil, 0)
	notFound, limited := 0, 0
	for i := range 8 {
		answer := c.ask(fmt.Sprintf("g%d", i), fmt.Sprintf("order LL-2000%02d, my email is guess%d@evil.example", 10+i, i))
		switch {
		case strings.Contains(answer, "couldn't find"):
			notFound++
		case strings.Contains(answer, "Too many attempts"):
			limited++
		default:
			t.Errorf("guess %d: %q; want not found or the limit", i, answer)
		}
	}
	if notFound > 5 || limited < 3 {
		t.Errorf("%d guesses checked, %d limited; want at most 5 checked, then the limit", notFound, limited)
	}
	answer := c.ask("right", "order LL-200002, my email is bob@example.com")
	if !strings.Contains(answer, "Too many attempts") || strings.Contains(answer, "Diamond") || strings.Contains(answer, "SF") {
		t.Errorf("a right guess after the limit: %q; want the limit message and no order data", answer)
	}
}

// Order-number enumeration from one address with a fresh visitor for every
// guess (dropping the token is free): the address is limited too.
func TestSecurityOrderEnumerationOneAddress(t *testing.T) {
	env := newSecEnv(t)
	notFound, limited := 0, 0
	for i := range 14 {
		c := env.shopper()
		c.hello(nil, 0)
		answer := c.ask("g", fmt.Sprintf("order LL-3000%02d, my email is guess%d@evil.example", 10+i, i))
		switch {
		case strings.Contains(answer, "couldn't find"):
			notFound++
		case strings.Contains(answer, "Too many attempts"):
			limited++
		default:
			t.Errorf("guess %d: %q; want not found or the limit", i, answer)
		}
	}
	// 10 wrong guesses per address at once (11: one may refill meanwhile).
	if notFound > 11 || limited < 3 {
		t.Errorf("%d guesses checked, %d limited from one address; want at most 10 checked, then the limit", notFound, limited)
	}
	c := env.shopper()
	c.hello(nil, 0)
	answer := c.ask("right", "order LL-200002, my email is bob@example.com")
	if !strings.Contains(answer, "Too many attempts") || strings.Contains(answer, "Diamond") {
		t.Errorf("a right guess from the limited address: %q; want the limit message and no order data", answer)
	}
	// A signed-in shopper (the shop vouches for them) is not limited.
	v := env.shopper()
	v.send(map[string]any{"type": "hello", "visitor_token": nil, "last_seq": 0, "locale": "en",
		"identity": map[string]any{"user_id": "c1", "hash": kefutest.SignIdentity(env.site.Secret, "c1")}})
	v.next("welcome")
	if answer := v.ask("mine", "where is my order LL-100001?"); !strings.Contains(answer, "JD0001") {
		t.Errorf("a verified shopper's own order: %q; want it shown", answer)
	}
}

// Secrets never reach the logs: passwords, session cookies, CSRF tokens,
// API tokens, identity hashes, site secrets, visitor tokens, and the
// personal data in privacy requests.
func TestSecuritySecretsNotLogged(t *testing.T) {
	env := newSecEnv(t)
	const password = "correct-horse-battery-staple-42"
	u, err := env.accounts.Users.Create(context.Background(), "logcheck@example.com", "Log Check", account.RoleAdmin, password)
	if err != nil {
		t.Fatal(err)
	}
	env.accounts.Users.AddToSite(context.Background(), u.ID, env.site.ID)
	secrets := []string{password, "wrong-" + password, env.site.Secret, env.other.Secret, bootstrapToken}

	// Sign in (and fail once) over HTTP.
	login := func(pw string) *http.Response {
		req, _ := http.NewRequest("POST", env.url+"/api/v1/auth/login", strings.NewReader(fmt.Sprintf(`{"email":"logcheck@example.com","password":%q}`, pw)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := login("wrong-" + password); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password = %d; want 401", resp.StatusCode)
	}
	resp := login(password)
	ck := sessionCookieOf(resp)
	if resp.StatusCode != http.StatusOK || ck == nil {
		t.Fatalf("login = %d; want 200 and a cookie", resp.StatusCode)
	}
	sess := env.session("admin", u)
	secrets = append(secrets, ck.Value, sess.cookie, sess.csrf)
	// An API token, created and used; a bad one tried.
	code, out := env.json(sess, "POST", "/api/v1/tokens", map[string]any{"name": "ci"})
	apiToken, _ := out["token"].(string)
	if code != http.StatusCreated || apiToken == "" {
		t.Fatalf("create token = %d %v", code, out)
	}
	secrets = append(secrets, apiToken)
	if code, _ := env.raw(caller{bearer: apiToken}, "/api/v1/knowledge/documents?site="+env.site.Key); code != http.StatusOK {
		t.Errorf("documents with the API token = %d; want 200", code)
	}
	if code, _ := env.raw(caller{bearer: apiToken + "x"}, "/api/v1/knowledge/documents?site="+env.site.Key); code != http.StatusUnauthorized {
		t.Errorf("documents with a wrong token = %d; want 401", code)
	}
	env.raw(caller{bearer: bootstrapToken}, "/api/v1/knowledge/documents?site="+env.site.Key)
	// Tokens and personal data in query strings (some clients put them there).
	env.raw(caller{}, "/api/v1/knowledge/documents?site="+env.site.Key+"&token="+apiToken+"&access_token="+apiToken)
	env.raw(sess, "/api/v1/privacy/subjects?site="+env.site.Key+"&email=bob%40example.com")
	env.raw(sess, "/api/v1/privacy/subjects?site="+env.site.Key+"&customer_id=c2")
	// A shopper with a signed identity and a visitor token.
	hash := kefutest.SignIdentity(env.site.Secret, "c1")
	secrets = append(secrets, hash)
	c := env.shopper()
	c.send(map[string]any{"type": "hello", "visitor_token": nil, "last_seq": 0, "locale": "en",
		"identity": map[string]any{"user_id": "c1", "email": "ann@example.com", "hash": hash}})
	w, _ := c.next("welcome")
	vt, _ := w["visitor_token"].(string)
	secrets = append(secrets, vt)
	c.ask("m1", "my card is 4111 1111 1111 1111 and my password is hunter2hunter2, where is my order LL-100001?")
	env.raw(sess, "/api/v1/privacy/subjects?site="+env.site.Key+"&visitor_token="+url.QueryEscape(vt))

	logs := env.logs.String()
	if !strings.Contains(logs, "/api/v1/privacy/subjects") || !strings.Contains(logs, "/api/v1/auth/login") {
		t.Fatalf("the requests were not logged; the check would see nothing:\n%s", logs)
	}
	for _, s := range append(secrets, "bob@example.com", "4111 1111 1111 1111", "hunter2hunter2") {
		if strings.Contains(logs, s) || strings.Contains(logs, url.QueryEscape(s)) {
			t.Errorf("the logs contain %q:\n%s", s, logs)
		}
	}
}

// Tokens handed out before migration 0010 (stored in plain text) keep
// opening their conversations after it, and are then stored hashed.
func TestSecurityVisitorTokenMigration(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.EmptyURL(t)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	m, err := migrate.NewMigrator(ctx, conn, "public.kefu_schema_version") // migrations.Apply's version table
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadMigrations(migrations.Files()); err != nil {
		t.Fatal(err)
	}
	if err := m.MigrateTo(ctx, 9); err != nil {
		t.Fatalf("migrate to 9: %v", err)
	}
	const old = "v_0123456789abcdef0123456789abcdef01234567"
	var siteID int64
	if err := conn.QueryRow(ctx, `insert into sites (key, name, secret) values ('site_old', 'Old', 'sec') returning id`).Scan(&siteID); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "insert into visitors (site_id, token) values ($1, $2)", siteID, old); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Apply(ctx, conn); err != nil {
		t.Fatalf("apply 0010: %v", err)
	}
	var plain int
	if err := conn.QueryRow(ctx, "select count(*) from visitors where token = $1", old).Scan(&plain); err != nil || plain != 0 {
		t.Errorf("after 0010, %d visitors hold the old token in plain text (%v); want 0", plain, err)
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	v, err := chat.NewStore(pool).Visitor(ctx, siteID, old)
	if err != nil || v.Token != old {
		t.Fatalf("the old token after 0010: %+v %v; want its visitor", v, err)
	}
	if _, err := chat.NewStore(pool).Visitor(ctx, siteID, "v_guess"); err == nil {
		t.Errorf("a guessed token found a visitor")
	}
}
