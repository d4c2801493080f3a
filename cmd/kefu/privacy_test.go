package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kefu/internal/pgtest"
)

func TestPrivacyCommands(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t), "USER": "ops"}
	out, _, err := kefu(t, vars, "site", "add", "--name", "Shop", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var site struct{ Key string }
	json.Unmarshal([]byte(out), &site)
	file := filepath.Join(t.TempDir(), "orders.json")
	os.WriteFile(file, []byte(`[
		{"number":"1001","customer":{"id":"c-1","email":"gina@example.com"},"status":"shipped","total":10,"currency":"USD"},
		{"number":"1002","customer":{"id":"c-2","email":"hal@example.com"},"status":"shipped","total":20,"currency":"USD"}]`), 0o600)
	if _, _, err := kefu(t, vars, "shop", "import", "orders", "--site", site.Key, file); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{
		{"privacy"},
		{"privacy", "forget", "--site", site.Key, "--email", "gina@example.com"},
		{"privacy", "export", "--email", "gina@example.com"},
		{"privacy", "erase", "--site", site.Key},
		{"privacy", "erase", "--site", site.Key, "--email", "gina@example.com", "--customer-id", "c-1"},
	} {
		if _, _, err := kefu(t, vars, bad...); !errors.Is(err, errUsage) {
			t.Errorf("kefu %v = %v; want a usage error", bad, err)
		}
	}
	type export struct {
		Customers []json.RawMessage `json:"customers"`
		Orders    []struct {
			Number string `json:"number"`
		} `json:"orders"`
	}
	out, _, err = kefu(t, vars, "privacy", "export", "--site", site.Key, "--customer-id", "c-1")
	var exp export
	if err != nil || json.Unmarshal([]byte(out), &exp) != nil || len(exp.Customers) != 1 || len(exp.Orders) != 1 || exp.Orders[0].Number != "1001" {
		t.Fatalf("privacy export = %q, %v; want gina's customer and order 1001", out, err)
	}
	out, _, err = kefu(t, vars, "privacy", "erase", "--site", site.Key, "--email", "GINA@example.com", "--json")
	var erased struct{ Customers, Orders int }
	if err != nil || json.Unmarshal([]byte(out), &erased) != nil || erased.Customers != 1 || erased.Orders != 1 {
		t.Fatalf("privacy erase --json = %q, %v; want 1 customer and 1 order", out, err)
	}
	out, _, _ = kefu(t, vars, "privacy", "export", "--site", site.Key, "--email", "hal@example.com")
	exp = export{}
	if json.Unmarshal([]byte(out), &exp); len(exp.Orders) != 1 || exp.Orders[0].Number != "1002" {
		t.Errorf("hal's export after erasing gina = %q; want order 1002", out)
	}
	out, _, err = kefu(t, vars, "privacy", "purge")
	if err != nil || !strings.HasPrefix(out, "deleted 0 conversations") {
		t.Errorf("privacy purge = %q, %v; want nothing deleted", out, err)
	}
}
