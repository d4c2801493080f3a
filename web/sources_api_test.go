package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kefu/sources"
	"kefu/web"
)

// newSourcesEnv is a console environment with the audit log and the
// source syncer (its scheduler is not running: tests sync with RunDue).
func newSourcesEnv(t *testing.T) (*consoleEnv, *sources.Syncer) {
	t.Helper()
	var syncer *sources.Syncer
	env := newAuditedEnv(t, &bytes.Buffer{}, func(env *consoleEnv, o *web.Options) {
		syncer = sources.New(env.db, env.lib, o.Commerce, sources.Options{Node: "web-test"})
		o.Sources = syncer
	})
	return env, syncer
}

func TestSourcesAPI(t *testing.T) {
	env, syncer := newSourcesEnv(t)
	ctx := context.Background()
	help := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><body><main><h1>Returns</h1><p>Unworn items can be returned within 30 days.</p></main></body></html>`)
	}))
	defer help.Close()
	admin, agent := env.session("admin", env.admin), env.session("agent", env.agent)
	_, otherTok, _ := env.accounts.Tokens.Create(ctx, "other site", &env.other.ID, &env.admin.ID)
	_, siteTok, _ := env.accounts.Tokens.Create(ctx, "this site", &env.site.ID, &env.admin.ID)
	other, token := caller{name: "other token", bearer: otherTok}, caller{name: "site token", bearer: siteTok}
	q := "?site=" + env.site.Key

	// Bad input: clear errors, nothing stored.
	for _, body := range []map[string]any{
		{"url": help.URL + "/returns"}, // loopback without allow_private
		{"url": "ftp://shop.example.com/x", "allow_private": true},
		{"url": help.URL, "allow_private": true, "every": "often"},
		{"url": help.URL, "allow_private": true, "kind": "rss"},
	} {
		code, out := env.json(admin, "POST", "/api/v1/knowledge/sources"+q, body)
		if code != http.StatusBadRequest {
			t.Errorf("POST %v = %d %v; want 400", body, code, out)
		}
	}
	if code, out := env.json(admin, "POST", "/api/v1/knowledge/sources"+q, map[string]any{"url": help.URL + "/returns"}); !strings.Contains(fmt.Sprint(out), "allow-private") {
		t.Errorf("loopback refusal = %d %v; want a hint about allow-private", code, out)
	}
	if code, _ := env.json(agent, "POST", "/api/v1/knowledge/sources"+q, map[string]any{"url": help.URL, "allow_private": true}); code != http.StatusForbidden {
		t.Errorf("an agent adding a source = %d; want 403", code)
	}
	if code, _ := env.json(other, "POST", "/api/v1/knowledge/sources"+q, map[string]any{"url": help.URL, "allow_private": true}); code != http.StatusForbidden {
		t.Errorf("another site's token adding a source = %d; want 403", code)
	}

	code, src := env.json(admin, "POST", "/api/v1/knowledge/sources"+q, map[string]any{"url": help.URL + "/returns", "kind": "page", "every": "hourly", "allow_private": true})
	if code != http.StatusCreated || src["schedule"] != "hourly" || src["allow_private"] != true {
		t.Fatalf("POST = %d %v", code, src)
	}
	id := int64(src["id"].(float64))
	path := fmt.Sprintf("/api/v1/knowledge/sources/%d", id)
	if code, _ := env.json(admin, "POST", "/api/v1/knowledge/sources"+q, map[string]any{"url": help.URL + "/returns", "kind": "page", "allow_private": true}); code != http.StatusConflict {
		t.Errorf("the same source again = %d; want 409", code)
	}
	if code, _ := env.json(other, "GET", path, nil); code != http.StatusNotFound {
		t.Errorf("another site's token reading the source = %d; want 404", code)
	}
	if code, _ := env.json(other, "DELETE", path, nil); code != http.StatusNotFound {
		t.Errorf("another site's token removing the source = %d; want 404", code)
	}

	// Sync now: requested, then a node runs it; the log shows the run.
	code, out := env.json(token, "POST", path+"/sync", nil)
	if code != http.StatusAccepted || out["sync_requested"] != true {
		t.Fatalf("POST sync = %d %v", code, out)
	}
	if n := syncer.RunDue(ctx); n != 1 {
		t.Fatalf("RunDue started %d runs; want 1", n)
	}
	code, out = env.json(admin, "GET", path+"/runs", nil)
	items, _ := out["items"].([]any)
	if code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["status"] != "ok" || items[0].(map[string]any)["added"] != 1.0 {
		t.Fatalf("GET runs = %d %v", code, out)
	}
	code, out = env.json(admin, "GET", "/api/v1/knowledge/sources"+q, nil)
	items, _ = out["items"].([]any)
	if code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["pages"] != 1.0 {
		t.Fatalf("GET list = %d %v", code, out)
	}
	if code, out := env.json(admin, "GET", "/api/v1/knowledge/search"+q+"&q=return+unworn+items", nil); code != http.StatusOK || !strings.Contains(fmt.Sprint(out), help.URL+"/returns") {
		t.Errorf("search = %d %v; want the synced page by its URL", code, out)
	}

	// Pause and schedule.
	code, out = env.json(admin, "PATCH", path, map[string]any{"paused": true, "every": "weekly"})
	if code != http.StatusOK || out["paused"] != true || out["schedule"] != "weekly" {
		t.Fatalf("PATCH = %d %v", code, out)
	}
	if code, _ := env.json(admin, "PATCH", path, map[string]any{"every": "1s"}); code != http.StatusBadRequest {
		t.Errorf("PATCH every 1s = %d; want 400", code)
	}

	// Remove: the page leaves search.
	if code, _ := env.json(admin, "DELETE", path, nil); code != http.StatusNoContent {
		t.Fatalf("DELETE = %d", code)
	}
	if code, out := env.json(admin, "GET", "/api/v1/knowledge/search"+q+"&q=return+unworn+items", nil); code != http.StatusOK || strings.Contains(fmt.Sprint(out), "30 days") {
		t.Errorf("search after remove = %d %v", code, out)
	}

	// Every change is in the audit log with the site, and the add says it allowed private addresses.
	rows, err := env.db.Query(ctx, `select action, actor, coalesce(site_id, 0), coalesce(detail->>'allow_private', '-') from audit_log
		where action like 'source.%' order by id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var action, actor, allow string
		var site int64
		rows.Scan(&action, &actor, &site, &allow)
		got = append(got, fmt.Sprintf("%s %s %v %s", action, actor, site == env.site.ID, allow))
	}
	want := "source.add boss@example.com true true, source.sync api token this site true -, source.update boss@example.com true -, source.remove boss@example.com true -"
	if strings.Join(got, ", ") != want {
		t.Errorf("audit = %q\nwant    %q", strings.Join(got, ", "), want)
	}
}
