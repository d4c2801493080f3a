package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"kefu/internal/pgtest"
)

// TestKBSource drives kefu kb source add|sync|list|remove against a local
// help center, flags anywhere; kb search then finds the synced page by its URL.
func TestKBSource(t *testing.T) {
	var ua atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent())
		if r.URL.Path != "/help/returns" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><title>Returns</title></head><body><nav>Menu</nav><main><h1>Returns</h1>
			<p>Unworn items can be returned within 30 days for a full refund.</p></main></body></html>`)
	}))
	defer srv.Close()
	env := map[string]string{"DATABASE_URL": pgtest.URL(t), "KEFU_PUBLIC_URL": "https://help.example.com", "USER": "ops"}
	out, _, err := kefu(t, env, "site", "add", "--name", "Shop", "--origin", "http://shop.test", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var site struct{ Key string }
	json.Unmarshal([]byte(out), &site)

	// Without --allow-private a loopback URL is refused with a clear error and nothing is added.
	_, _, err = kefu(t, env, "kb", "source", "add", "--site", site.Key, "--url", srv.URL+"/help/returns")
	if err == nil || !strings.Contains(err.Error(), "loopback") || !strings.Contains(err.Error(), "--allow-private") {
		t.Fatalf("add without --allow-private: %v; want a loopback refusal naming --allow-private", err)
	}
	out, _, err = kefu(t, env, "kb", "source", "add", "--url", srv.URL+"/help/returns", "--json", "--site", site.Key, "--allow-private", "--every", "weekly")
	if err != nil {
		t.Fatal(err)
	}
	var src struct {
		ID           int64
		Kind         string
		Schedule     string
		AllowPrivate bool `json:"allow_private"`
	}
	if err := json.Unmarshal([]byte(out), &src); err != nil || src.ID == 0 || src.Kind != "page" || src.Schedule != "weekly" || !src.AllowPrivate {
		t.Fatalf("add --json = %s (%v)", out, err)
	}
	id := fmt.Sprint(src.ID)
	out, _, err = kefu(t, env, "kb", "source", "sync", id, "--json")
	if err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	var run struct {
		Status string
		Added  int
	}
	if json.Unmarshal([]byte(out), &run); run.Status != "ok" || run.Added != 1 {
		t.Fatalf("sync --json = %s", out)
	}
	if got := ua.Load(); got != "kefu/dev (+https://help.example.com)" {
		t.Errorf("User-Agent = %q", got)
	}
	out, _, err = kefu(t, env, "kb", "search", "--site", site.Key, "how long to return unworn items")
	if err != nil || !strings.Contains(out, srv.URL+"/help/returns") || !strings.Contains(out, "30 days") {
		t.Errorf("kb search = %q, %v; want the page by its URL", out, err)
	}
	out, _, err = kefu(t, env, "kb", "source", "list", "--json")
	if err != nil || !strings.Contains(out, `"status": "ok"`) || !strings.Contains(out, `"pages": 1`) {
		t.Errorf("list --json = %s, %v", out, err)
	}
	out, _, _ = kefu(t, env, "kb", "source", "list")
	if !strings.Contains(out, "weekly") || !strings.Contains(out, srv.URL) {
		t.Errorf("list = %q", out)
	}
	if _, _, err = kefu(t, env, "kb", "source", "remove", id); err != nil {
		t.Fatal(err)
	}
	out, _, _ = kefu(t, env, "kb", "search", "--site", site.Key, "how long to return unworn items")
	if strings.Contains(out, "30 days") {
		t.Errorf("after remove, kb search still finds the page: %q", out)
	}
	if _, _, err := kefu(t, env, "kb", "source", "sync", id); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("sync of a removed source = %v; want not found", err)
	}
	if _, _, err := kefu(t, env, "kb", "source", "sync", "abc"); !errors.Is(err, errUsage) {
		t.Errorf("sync abc = %v; want a usage error", err)
	}
	// -h has no side effects (and needs no database).
	if _, _, err := kefu(t, map[string]string{}, "kb", "source", "add", "-h"); err == nil || !strings.Contains(err.Error(), "help") {
		t.Errorf("add -h = %v; want flag.ErrHelp", err)
	}
	// The audit log has the add with its allow-private permission, by whom.
	db, err := pgx.Connect(context.Background(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	var actions []string
	rows, _ := db.Query(context.Background(), `select action || ' ' || actor || ' ' || coalesce(detail->>'allow_private', '-') from audit_log order by id`)
	actions, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || strings.Join(actions, ", ") != "source.add cli ops true, source.sync cli ops -, source.remove cli ops -" {
		t.Errorf("audit log = %q, %v", actions, err)
	}
}
