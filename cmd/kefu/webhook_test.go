package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"kefu/internal/pgtest"
)

func TestWebhookCommands(t *testing.T) {
	// -h has no side effects: no database is opened (none is configured here).
	dir := t.TempDir()
	out, _, err := kefu(t, map[string]string{"KEFU_DATA_DIR": filepath.Join(dir, "data")}, "webhook", "-h")
	if err != nil || !strings.Contains(out, "kefu webhook add --site KEY --url URL --events E1,E2 [--allow-private]") {
		t.Fatalf("kefu webhook -h = %q, %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("kefu webhook -h made the data directory (%v)", err)
	}
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t)}
	out, _, err = kefu(t, vars, "site", "add", "--name", "Shop", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var site struct{ Key string }
	json.Unmarshal([]byte(out), &site)
	for _, bad := range [][]string{
		{"webhook"},
		{"webhook", "ping"},
		{"webhook", "add", "--site", site.Key, "--url", "https://crm.example/hooks"},
		{"webhook", "remove"},
		{"webhook", "deliveries", "x"},
	} {
		if _, _, err := kefu(t, vars, bad...); !errors.Is(err, errUsage) {
			t.Errorf("kefu %v = %v; want a usage error", bad, err)
		}
	}
	// A loopback receiver needs the explicit permission.
	if _, _, err := kefu(t, vars, "webhook", "add", "--site", site.Key, "--url", "https://127.0.0.1:9/hooks", "--events", "message.created"); err == nil ||
		!strings.Contains(err.Error(), "loopback") {
		t.Errorf("webhook add to loopback without --allow-private: %v; want a refusal naming it", err)
	}
	// Flags anywhere; --json prints the id and the secret.
	out, _, err = kefu(t, vars, "webhook", "add", "--json", "--events", "message.created,conversation.escalated", "--url", "http://127.0.0.1:9/hooks",
		"--site", site.Key, "--allow-private", "--description", "CRM «sync»")
	var w struct {
		ID          int64
		Secret      string
		Events      []string
		Description string
	}
	if err != nil || json.Unmarshal([]byte(out), &w) != nil || w.ID == 0 || !strings.HasPrefix(w.Secret, "whsec_") ||
		len(w.Events) != 2 || w.Description != "CRM «sync»" {
		t.Fatalf("webhook add --json = %q, %v; want id, secret, events and the description unchanged", out, err)
	}
	id := strconv.FormatInt(w.ID, 10)
	out, _, err = kefu(t, vars, "webhook", "list", "--json")
	if err != nil || !strings.Contains(out, `"url": "http://127.0.0.1:9/hooks"`) || strings.Contains(out, w.Secret) {
		t.Errorf("webhook list --json = %q, %v; want the webhook without its secret", out, err)
	}
	out, _, err = kefu(t, vars, "webhook", "deliveries", id, "--json")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("webhook deliveries = %q, %v; want []", out, err)
	}
	if _, _, err := kefu(t, vars, "webhook", "remove", id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kefu(t, vars, "webhook", "remove", id); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("removing it again: %v; want not found", err)
	}
}
