package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"kefu/chat"
	"kefu/internal/account"
	"kefu/internal/analytics"
	"kefu/internal/app"
	"kefu/internal/audit"
	"kefu/internal/kefutest"
	"kefu/internal/pgtest"
	"kefu/internal/privacy"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/retrieval"
	"kefu/web"
)

// newPrivacyEnv is a console environment (the whole server: it keeps the
// audit log and answers data-subject requests) that logs to logs.
func newPrivacyEnv(t *testing.T, logs *kefutest.Buffer) *consoleEnv {
	t.Helper()
	return newConsoleEnv(t, func(c *app.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
}

// newAuditedEnv is a console environment wired by hand, with the audit
// log, more server options set by more (given the environment before its
// server starts), and no background workers (newSourcesEnv syncs by hand).
func newAuditedEnv(t *testing.T, logs *bytes.Buffer, more func(*consoleEnv, *web.Options)) *consoleEnv {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	siteStore := sites.NewStore(db)
	site, _ := siteStore.Create(ctx, "Shop", []string{"https://shop.example.com"})
	other, _ := siteStore.Create(ctx, "Other shop", []string{"https://other.example.com"})
	env := &consoleEnv{t: t, db: db, accounts: account.NewStore(db), canned: chat.NewCannedResponses(db), store: chat.NewStore(db),
		site: site, other: other}
	env.lib = knowledge.NewLibrary(db, retrieval.NewIndex(db, retrieval.NewHashEmbedder(retrieval.DefaultDim)), nil)
	env.lib.Index().EnsureModel(ctx)
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hub := chat.NewHub()
	commerce := knowledge.NewCommerce(db)
	env.engine = chat.NewEngine(chat.Options{Store: env.store, Sites: siteStore, Hub: hub, Analyzer: kefutest.Keywords{}, Library: env.lib,
		Commerce: commerce, Users: env.accounts.Users, AgentsOnline: env.accounts.Presence.Online, Logger: logger})
	t.Cleanup(func() { env.engine.Close(context.Background()) })
	opts := web.Options{Sites: siteStore, Library: env.lib, Commerce: commerce, Accounts: env.accounts, Canned: env.canned,
		AdminToken: bootstrapToken, Engine: env.engine, Store: env.store, Hub: hub, MaxUploadBytes: 1 << 20, Logger: logger,
		Audit: audit.New(db), Privacy: privacy.NewRequests(db),
		Analytics: analytics.NewReports(db, siteStore, nil), Insights: analytics.NewInsights(db, analytics.InsightsOptions{Library: env.lib})}
	if more != nil {
		more(env, &opts)
	}
	srv := web.New(opts)
	ts := httptest.NewServer(srv.Handler())
	env.url, env.handler = ts.URL, srv.Handler()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		ts.Close()
	})
	env.admin = env.user("boss@example.com", "Boss", account.RoleAdmin, site.ID)
	env.agent = env.user("ann@example.com", "Ann", account.RoleAgent, site.ID)
	return env
}

func TestAuditAPI(t *testing.T) {
	var logs kefutest.Buffer
	env := newPrivacyEnv(t, &logs)
	admin, agent := env.session("admin", env.admin), env.session("agent", env.agent)
	token := caller{name: "token", bearer: bootstrapToken}

	if code, _ := env.json(caller{name: "anonymous"}, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": "long-enough"}); code != http.StatusOK {
		t.Fatalf("login = %d; want 200", code)
	}
	if code, _ := env.json(caller{name: "anonymous"}, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": "wrong-password"}); code != http.StatusUnauthorized {
		t.Fatalf("login with a wrong password = %d; want 401", code)
	}
	conv := env.queued(env.site)
	if code, _ := env.json(agent, "POST", "/api/v1/conversations/"+conv+"/claim", nil); code != http.StatusOK {
		t.Fatalf("claim = %d; want 200", code)
	}
	if code, _ := env.json(admin, "PUT", "/api/v1/sites/"+env.site.Key+"/settings", map[string]any{"mask_contacts": true}); code != http.StatusOK {
		t.Fatalf("settings = %d; want 200", code)
	}
	// A failed action is not recorded.
	if code, _ := env.json(admin, "PUT", "/api/v1/sites/site_nope/settings", map[string]any{}); code != http.StatusNotFound {
		t.Fatalf("settings of unknown site = %d; want 404", code)
	}
	for _, tt := range []struct {
		who  caller
		want int
	}{{agent, http.StatusForbidden}, {token, http.StatusForbidden}, {caller{name: "anonymous"}, http.StatusUnauthorized}} {
		if code, _ := env.json(tt.who, "GET", "/api/v1/audit", nil); code != tt.want {
			t.Errorf("GET /api/v1/audit as %s = %d; want %d", tt.who.name, code, tt.want)
		}
	}
	code, page := env.json(admin, "GET", "/api/v1/audit?limit=1", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/audit = %d; want 200", code)
	}
	var got []string
	for page != nil {
		for _, it := range page["items"].([]any) {
			e := it.(map[string]any)
			target, _ := e["target"].(string)
			got = append(got, e["action"].(string)+" "+e["actor"].(string)+" "+target)
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		_, page = env.json(admin, "GET", "/api/v1/audit?limit=1&cursor="+next, nil)
	}
	want := []string{"site.settings boss@example.com " + env.site.Key, "conversation.claim ann@example.com " + conv, "auth.login ann@example.com "}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log = %q; want %q", got, want)
	}
}

func TestPrivacyAPI(t *testing.T) {
	var logs kefutest.Buffer
	env := newPrivacyEnv(t, &logs)
	ctx := context.Background()
	admin, agent := env.session("admin", env.admin), env.session("agent", env.agent)
	com := knowledge.NewCommerce(env.db)
	for _, o := range []knowledge.Order{
		{Number: "1001", Customer: &knowledge.Customer{ID: "c-1", Email: "carol@example.com"}, Status: "shipped", Currency: "USD"},
		{Number: "1002", Customer: &knowledge.Customer{ID: "c-2", Email: "dave@example.com"}, Status: "shipped", Currency: "USD"},
	} {
		if err := com.UpsertOrder(ctx, env.site.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	q := url.Values{"site": {env.site.Key}, "email": {"carol@example.com"}}
	path := "/api/v1/privacy/subjects?" + q.Encode()
	for _, tt := range []struct {
		who    caller
		method string
		path   string
		want   int
	}{
		{agent, "GET", path, http.StatusForbidden},
		{agent, "DELETE", path, http.StatusForbidden},
		{caller{name: "token", bearer: bootstrapToken}, "DELETE", path, http.StatusForbidden},
		{admin, "GET", "/api/v1/privacy/subjects?site=" + env.site.Key, http.StatusBadRequest},
		{admin, "GET", "/api/v1/privacy/subjects?site=site_nope&email=a@b.c", http.StatusNotFound},
		{caller{name: "admin without CSRF", cookie: admin.cookie}, "DELETE", path, http.StatusForbidden},
	} {
		if code, _ := env.json(tt.who, tt.method, tt.path, nil); code != tt.want {
			t.Errorf("%s %s as %s = %d; want %d", tt.method, tt.path, tt.who.name, code, tt.want)
		}
	}
	code, exp := env.json(admin, "GET", path, nil)
	if code != http.StatusOK || len(exp["orders"].([]any)) != 1 || len(exp["customers"].([]any)) != 1 {
		t.Fatalf("export = %d %v; want 200 with carol's customer and order", code, exp)
	}
	code, erased := env.json(admin, "DELETE", path, nil)
	if code != http.StatusOK || erased["customers"] != 1.0 || erased["orders"] != 1.0 {
		t.Fatalf("erase = %d %v; want 200, 1 customer and 1 order", code, erased)
	}
	if _, err := com.Order(ctx, env.site.ID, "1002"); err != nil {
		t.Errorf("dave's order after erasing carol: %v; want it kept", err)
	}
	code, md := env.json(admin, "GET", "/api/v1/privacy/model-data?site="+env.site.Key, nil)
	if code != http.StatusOK || md["configured"] != false || len(md["sent"].([]any)) != 0 {
		t.Errorf("model-data without a model = %d %v; want nothing sent", code, md)
	}
	_, page := env.json(admin, "GET", "/api/v1/audit?action=privacy.", nil)
	items := page["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["action"] != audit.PrivacyErase || items[0].(map[string]any)["actor"] != "boss@example.com" {
		t.Errorf("privacy audit = %v; want erase then export by boss@example.com", items)
	}
	if !strings.Contains(logs.String(), "/api/v1/privacy/subjects") {
		t.Fatalf("request log does not show the privacy requests:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "carol") {
		t.Errorf("logs name the subject:\n%s", logs.String())
	}
}

// Shoppers' emails, phone numbers and card numbers never reach the logs,
// and card numbers are masked before they are stored.
func TestNoPersonalDataInLogs(t *testing.T) {
	var logs kefutest.Buffer
	env := newPrivacyEnv(t, &logs)
	ctx := context.Background()
	sess, err := env.engine.Hello(ctx, env.site, "", "en", nil)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"my card 4111 1111 1111 1111 was charged twice, email me at erin@example.com or call +1 415 555 0100",
		"我的卡号 6011-1111-1111-1117，验证码 483920，邮箱 erin@example.com",
		"I want a person",
	}
	for i, text := range texts {
		if _, _, err := env.engine.Post(ctx, sess, string(rune('a'+i)), text); err != nil {
			t.Fatal(err)
		}
	}
	env.engine.Close(ctx) // waits for the bot's turns
	admin := env.session("admin", env.admin)
	env.json(admin, "GET", "/api/v1/conversations/"+sess.Conversation.ID, nil)
	env.json(admin, "GET", "/api/v1/privacy/subjects?site="+env.site.Key+"&email=erin@example.com", nil)
	for _, secret := range []string{"erin", "4111 1111 1111 1111", "1111-1111", "415 555", "483920"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
	}
	msgs, err := env.store.Messages(ctx, sess.Conversation.ID, 0, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if strings.Contains(m.Text, "4111 1111 1111 1111") || strings.Contains(m.Text, "483920") || strings.Contains(m.Text, "6011-1111") {
			t.Errorf("stored %s message %q keeps a card number or code", m.Role, m.Text)
		}
	}
	if logs.String() == "" {
		t.Error("nothing was logged; the test proves nothing")
	}
}
