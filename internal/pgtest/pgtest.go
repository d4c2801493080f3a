// Package pgtest gives each test its own fresh database on the PostgreSQL
// server named by KEFU_TEST_DATABASE_URL (make test starts a throwaway one).
// Without that variable tests skip, except under CI=true, where they fail: a
// green CI always means the database tests ran.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/pg"
)

// ServerURL returns the admin connection string of the test server.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("KEFU_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("KEFU_TEST_DATABASE_URL is not set; under CI=true database tests must run (use make test)")
		}
		tb.Skip("KEFU_TEST_DATABASE_URL is not set; run make test for database tests")
	}
	return u
}

// EmptyURL creates an empty database, dropped when the test ends, and returns
// its connection string.
func EmptyURL(tb testing.TB) string {
	tb.Helper()
	admin := ServerURL(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("connect to test server: %v", err)
	}
	defer conn.Close(context.Background())
	b := make([]byte, 6)
	rand.Read(b)
	name := "kefu_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "create database "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("connect to drop test database: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "drop database if exists "+name+" with (force)"); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("parse KEFU_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// URL creates a migrated database for this test and returns its connection string.
func URL(tb testing.TB) string {
	tb.Helper()
	u := EmptyURL(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := pg.Migrate(ctx, u); err != nil {
		tb.Fatalf("migrate test database: %v", err)
	}
	return u
}

// New returns a pool on a fresh migrated database, closed when the test ends.
func New(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	u := URL(tb)
	pool, err := pg.Connect(context.Background(), u)
	if err != nil {
		tb.Fatalf("open test database: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// ClusterDir returns an empty directory for a test's own PostgreSQL cluster
// (pg.StartLocal), and the bin dir to start it with. When tests run as root
// the server runs as 'postgres', which must be able to enter the directory.
// Like ServerURL it skips outside make test and fails under CI=true.
func ClusterDir(tb testing.TB) (dir, binDir string) {
	tb.Helper()
	ServerURL(tb)
	dir = tb.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	return dir, os.Getenv("KEFU_PG_BINDIR")
}
