package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kefu/internal/kefutest"
	"kefu/internal/pg"
	"kefu/internal/pgtest"
	"kefu/migrations"
)

// kefu runs the command line as main does, with the given environment.
func kefu(t *testing.T, vars map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return vars[k] }
	err = run(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr error
		wantOut string
	}{
		{"no command", nil, errUsage, ""},
		{"unknown command", []string{"bogus"}, errUsage, ""},
		{"help", []string{"help"}, nil, "Commands:"},
		{"version", []string{"version"}, nil, "kefu dev"},
		{"bad flag", []string{"version", "--nope"}, errUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := kefu(t, nil, tt.args...)
			if !errors.Is(err, tt.wantErr) && !(tt.wantErr == nil && err == nil) {
				t.Fatalf("kefu %v: err = %v; want %v", tt.args, err, tt.wantErr)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("kefu %v: stdout = %q; want it to contain %q", tt.args, out, tt.wantOut)
			}
		})
	}
}

func TestServeConfigValidation(t *testing.T) {
	valid := serveConfig{Addr: ":8080", PublicURL: "http://localhost:8080", ChatModel: "gpt-4o-mini", LogFormat: "text", ShutdownTimeout: time.Second, MaxUploadMB: 20, VisitorRate: 20, SiteRate: 600, NewVisitorRate: 60}
	tests := []struct {
		name   string
		change func(*serveConfig)
		want   string // substring of the error; "" means valid
	}{
		{"defaults", func(*serveConfig) {}, ""},
		{"model endpoint", func(c *serveConfig) { c.OpenAIBaseURL = "http://127.0.0.1:8081/v1" }, ""},
		{"addr without port", func(c *serveConfig) { c.Addr = "localhost" }, "KEFU_ADDR"},
		{"relative public url", func(c *serveConfig) { c.PublicURL = "/kefu" }, "KEFU_PUBLIC_URL"},
		{"ftp model url", func(c *serveConfig) { c.OpenAIBaseURL = "ftp://models" }, "OPENAI_BASE_URL"},
		{"embed model without endpoint", func(c *serveConfig) { c.EmbedModel = "text-embedding-3-small" }, "KEFU_EMBED_MODEL"},
		{"empty chat model", func(c *serveConfig) { c.OpenAIBaseURL = "http://x/v1"; c.ChatModel = " " }, "KEFU_CHAT_MODEL"},
		{"log format", func(c *serveConfig) { c.LogFormat = "xml" }, "KEFU_LOG_FORMAT"},
		{"bad database url", func(c *serveConfig) { c.db.url = "postgres://u:hunter2@host:notaport/db" }, "DATABASE_URL"},
		{"zero shutdown", func(c *serveConfig) { c.ShutdownTimeout = 0 }, "shutdown-timeout"},
		{"short admin token", func(c *serveConfig) { c.AdminToken = "abc" }, "KEFU_ADMIN_TOKEN"},
		{"huge upload limit", func(c *serveConfig) { c.MaxUploadMB = 1 << 20 }, "max-upload-mb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.change(&c)
			err := c.validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("validate() = %v; want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("validate() = %v; want an error naming %s", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "hunter2"):
				t.Errorf("validate() leaks the database password: %v", err)
			}
		})
	}
	// serve refuses to start with a bad configuration, before touching anything.
	_, _, err := kefu(t, map[string]string{"KEFU_LOG_FORMAT": "xml"}, "serve", "--data-dir", t.TempDir())
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "KEFU_LOG_FORMAT") {
		t.Errorf("serve with KEFU_LOG_FORMAT=xml: %v; want a usage error naming it", err)
	}
}

// With DATABASE_URL unset, kefu manages a local cluster under --data-dir,
// starting from nothing, and stops it when the command ends.
func TestEmbeddedDatabaseDefault(t *testing.T) {
	root, bin := pgtest.ClusterDir(t)
	data := filepath.Join(root, ".data")
	out, stderr, err := kefu(t, map[string]string{"KEFU_PG_BINDIR": bin}, "migrate", "--json", "--data-dir", data)
	if err != nil {
		t.Fatalf("kefu migrate (local database): %v\n%s", err, stderr)
	}
	var got struct{ Version int }
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Version != migrations.Latest() {
		t.Fatalf("kefu migrate --json = %q (%v); want version %d", out, err, migrations.Latest())
	}
	if _, err := os.Stat(filepath.Join(data, "pg", "PG_VERSION")); err != nil {
		t.Errorf("no cluster under %s/pg: %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(data, "pg", "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("local database still running after the command ended")
	}
}

func TestMigrateExternalIsIdempotent(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t)}
	for i := 0; i < 2; i++ {
		out, _, err := kefu(t, vars, "migrate")
		if err != nil {
			t.Fatalf("kefu migrate run %d: %v", i+1, err)
		}
		if want := fmt.Sprintf("version %d", migrations.Latest()); !strings.Contains(out, want) {
			t.Errorf("kefu migrate run %d = %q; want %q", i+1, out, want)
		}
	}
}

func TestSeedDemoIsIdempotent(t *testing.T) {
	url := pgtest.URL(t)
	vars := map[string]string{"DATABASE_URL": url}
	counts := func() map[string]int {
		pool, err := pg.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		c := map[string]int{}
		for _, table := range []string{"sites", "users", "customers", "orders", "products"} {
			var n int
			if err := pool.QueryRow(context.Background(), "select count(*) from "+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			c[table] = n
		}
		var statuses int
		pool.QueryRow(context.Background(), "select count(distinct status) from orders").Scan(&statuses)
		c["statuses"] = statuses
		return c
	}
	out1, stderr, err := kefu(t, vars, "seed", "--demo", "--json")
	if err != nil {
		t.Fatalf("first seed: %v\n%s", err, stderr)
	}
	first := counts()
	for table, min := range map[string]int{"sites": 1, "users": 1, "customers": 20, "orders": 50, "products": 30, "statuses": 5} {
		if first[table] < min {
			t.Errorf("after seed, %s = %d; want at least %d", table, first[table], min)
		}
	}
	if !strings.Contains(out1, "password (shown once)") {
		t.Errorf("first seed did not print the generated admin password: %q", out1)
	}
	out2, _, err := kefu(t, vars, "seed", "--demo", "--json")
	if err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if second := counts(); fmt.Sprint(second) != fmt.Sprint(first) {
		t.Errorf("second seed changed counts: %v -> %v", first, second)
	}
	if strings.Contains(out2, "password") {
		t.Errorf("second seed printed a password again: %q", out2)
	}
	// The demo shop's own answer tests pass offline: a new user's first
	// look at the console's answer tests shows no failures.
	out, stderr, err := kefu(t, vars, "kb", "test", "--json")
	var run struct {
		Passed, Failed int
		Results        []struct{ Question, Verdict, Reply string }
	}
	if err != nil || json.Unmarshal([]byte(out), &run) != nil {
		t.Fatalf("kb test: %v\n%s\n%s", err, out, stderr)
	}
	if run.Passed == 0 || run.Failed > 0 {
		for _, r := range run.Results {
			if r.Verdict != "pass" {
				t.Errorf("demo answer test %q: %s, replied %q", r.Question, r.Verdict, r.Reply)
			}
		}
		t.Errorf("demo answer tests: %d passed, %d failed; want all to pass", run.Passed, run.Failed)
	}
	if strings.Contains(stderr, "no vectors") {
		t.Errorf("kb test after seeding warned about vectors: %q", stderr)
	}
	// With another embedder than the one that embedded the knowledge, the
	// answers come from text search alone until a reindex: said, not hidden.
	hashVars := map[string]string{"DATABASE_URL": vars["DATABASE_URL"], "KEFU_EMBEDDER": "hash"}
	if _, stderr, err := kefu(t, hashVars, "kb", "ask", "how long do I have to return something?"); err != nil || !strings.Contains(stderr, "have no vectors of") ||
		!strings.Contains(stderr, "kefu kb reindex") {
		t.Errorf("kb ask with another embedder: %v, stderr %q; want a note that the chunks need a reindex", err, stderr)
	}
}

func TestSiteAndUserCommands(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t)}
	out, _, err := kefu(t, vars, "site", "add", "--name", "Shop", "--origin", "https://shop.example.com/", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var site struct{ Key, Secret string }
	if err := json.Unmarshal([]byte(out), &site); err != nil || !strings.HasPrefix(site.Key, "site_") || len(site.Secret) != 64 {
		t.Fatalf("site add --json = %q (%v); want {key, secret}", out, err)
	}
	out, _, _ = kefu(t, vars, "site", "rotate-secret", "--json", site.Key)
	if strings.Contains(out, site.Secret) || !strings.Contains(out, site.Key) {
		t.Errorf("rotate-secret = %q; want a new secret for %s", out, site.Key)
	}
	if _, _, err := kefu(t, vars, "site", "add", "--name", "Bad", "--origin", "shop.example.com"); err == nil {
		t.Errorf("site add with origin without scheme succeeded; want an error")
	}
	out, _, _ = kefu(t, vars, "site", "list", "--json")
	if strings.Contains(out, "secret") || !strings.Contains(out, "https://shop.example.com") {
		t.Errorf("site list --json = %q; want origins and no secrets", out)
	}
	if _, _, err := kefu(t, vars, "user", "add", "--email", "ann@example.com", "--role", "agent", "--password", "correct horse"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{
		{"--email", "ann@example.com", "--password", "correct horse"}, // taken
		{"--email", "not-an-email", "--password", "correct horse"},
		{"--email", "bob@example.com", "--role", "root", "--password", "correct horse"},
		{"--email", "bob@example.com", "--password", "short"},
	} {
		if _, _, err := kefu(t, vars, append([]string{"user", "add"}, bad...)...); err == nil {
			t.Errorf("user add %v succeeded; want an error", bad)
		}
	}
}

// serve starts on a real database, answers /healthz, /readyz and /metrics,
// and shuts down cleanly when its context ends.
func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	vars := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t), "KEFU_ADDR": addr}
	go func() {
		var out, errb bytes.Buffer
		done <- run(ctx, []string{"serve"}, func(k string) string { return vars[k] }, nil, &out, &errb)
	}()
	base := "http://" + addr
	var resp *http.Response
	kefutest.WaitFor(t, func() bool {
		resp, err = http.Get(base + "/readyz")
		return err == nil
	}, "serve to answer")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d; want 200", resp.StatusCode)
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get(base + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %v, %v; want 200", path, resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown; want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// Flags may come after positional arguments, as in most CLIs; "--" ends them.
func TestFlagsAnywhere(t *testing.T) {
	tests := []struct {
		args     []string
		site     string
		json     bool
		wantArgs []string
	}{
		{[]string{"orders", "f.json", "--site", "K"}, "K", false, []string{"orders", "f.json"}},
		{[]string{"--json", "orders", "--site=K", "f.json"}, "K", true, []string{"orders", "f.json"}},
		{[]string{"orders", "--", "--site", "f.json"}, "", false, []string{"orders", "--site", "f.json"}},
		{nil, "", false, nil},
	}
	for _, tt := range tests {
		fs := newFlagSet(env{stderr: new(bytes.Buffer)}, "test")
		site := fs.String("site", "", "")
		asJSON := fs.Bool("json", false, "")
		if err := parse(fs, tt.args); err != nil {
			t.Fatalf("parse(%q): %v", tt.args, err)
		}
		if *site != tt.site || *asJSON != tt.json || fmt.Sprint(fs.Args()) != fmt.Sprint(tt.wantArgs) {
			t.Errorf("parse(%q): site %q json %v args %q; want %q %v %q", tt.args, *site, *asJSON, fs.Args(), tt.site, tt.json, tt.wantArgs)
		}
	}
	fs := newFlagSet(env{stderr: new(bytes.Buffer)}, "test")
	fs.String("site", "", "")
	if err := parse(fs, []string{"orders", "--bogus"}); !errors.Is(err, errUsage) {
		t.Errorf("an unknown flag after an argument: %v; want a usage error", err)
	}
}

// Help and unknown subcommands never touch a database (kefu site -h used to
// initialise and start a local one first).
func TestHelpTouchesNoDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	vars := map[string]string{"KEFU_DATA_DIR": dir}
	for _, args := range [][]string{{"site", "-h"}, {"site", "--help"}, {"site", "bogus"}, {"kb", "-h"}, {"kb", "bogus"}} {
		_, _, err := kefu(t, vars, args...)
		if !errors.Is(err, errUsage) {
			t.Errorf("kefu %v: %v; want a usage error", args, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("help created %s (%v): it must not touch a database", dir, err)
	}
}
