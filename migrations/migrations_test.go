package migrations_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"kefu/internal/pgtest"
	"kefu/migrations"
)

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func tables(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `select tablename from pg_tables where schemaname = 'public' order by 1`)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	return names
}

func TestApplyFromEmptyAndAgain(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.EmptyURL(t))
	if v, err := migrations.Version(ctx, conn); err != nil || v != 0 {
		t.Fatalf("Version(empty db) = %d, %v; want 0, nil", v, err)
	}
	if err := migrations.Apply(ctx, conn); err != nil {
		t.Fatalf("Apply(empty db): %v", err)
	}
	if v, err := migrations.Version(ctx, conn); err != nil || v != migrations.Latest() {
		t.Fatalf("Version after Apply = %d, %v; want %d", v, err, migrations.Latest())
	}
	var ext string
	if err := conn.QueryRow(ctx, "select extname from pg_extension where extname = 'vector'").Scan(&ext); err != nil {
		t.Fatalf("vector extension missing after migrate: %v", err)
	}
	before := tables(t, conn)
	for _, want := range []string{"sites", "users", "customers", "orders", "products"} {
		if !contains(before, want) {
			t.Errorf("table %s missing after migrate; have %v", want, before)
		}
	}
	if err := migrations.Apply(ctx, conn); err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if after := tables(t, conn); len(after) != len(before) {
		t.Errorf("second Apply changed tables: %v -> %v", before, after)
	}
}

func TestApplyRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.EmptyURL(t))
	if err := migrations.Apply(ctx, conn); err != nil {
		t.Fatal(err)
	}
	newer := migrations.Latest() + 1
	if _, err := conn.Exec(ctx, "update kefu_schema_version set version = $1", newer); err != nil {
		t.Fatal(err)
	}
	before := tables(t, conn)
	err := migrations.Apply(ctx, conn)
	if !errors.Is(err, migrations.ErrSchemaNewer) {
		t.Fatalf("Apply on schema %d = %v; want ErrSchemaNewer", newer, err)
	}
	if v, _ := migrations.Version(ctx, conn); v != newer {
		t.Errorf("refused Apply changed the version to %d; want %d", v, newer)
	}
	if after := tables(t, conn); len(after) != len(before) {
		t.Errorf("refused Apply changed tables: %v -> %v", before, after)
	}
}

// Several nodes starting at once: the advisory lock makes them take turns.
func TestApplyConcurrent(t *testing.T) {
	url := pgtest.EmptyURL(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		conn := connect(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = migrations.Apply(context.Background(), conn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: Apply = %v", i, err)
		}
	}
	if v, err := migrations.Version(context.Background(), connect(t, url)); v != migrations.Latest() {
		t.Errorf("version after concurrent Apply = %d, %v; want %d", v, err, migrations.Latest())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
