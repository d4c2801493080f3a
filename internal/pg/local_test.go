package pg_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"kefu/internal/pg"
	"kefu/internal/pgtest"
	"kefu/migrations"
)

func TestLocalFromEmptyDir(t *testing.T) {
	ctx := context.Background()
	root, bin := pgtest.ClusterDir(t)
	dir := filepath.Join(root, "data", "pg")
	l, err := pg.StartLocal(ctx, pg.LocalOptions{Dir: dir, BinDir: bin})
	if err != nil {
		t.Fatalf("StartLocal(empty dir): %v", err)
	}
	t.Cleanup(func() { l.Stop(context.Background()) })
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		t.Fatalf("no cluster initialised in %s: %v", dir, err)
	}
	pool, err := pg.Open(ctx, l.URL("kefu"))
	if err != nil {
		t.Fatalf("Open(local): %v", err)
	}
	if err := pg.Ready(ctx, pool); err != nil {
		t.Errorf("Ready(local) = %v; want nil", err)
	}
	pool.Close()

	// A second process attaches to the running server and leaves it running.
	other, err := pg.StartLocal(ctx, pg.LocalOptions{Dir: dir, BinDir: bin})
	if err != nil {
		t.Fatalf("StartLocal(running): %v", err)
	}
	if other.Port != l.Port {
		t.Errorf("attached port = %d; want the running server's %d", other.Port, l.Port)
	}
	if err := other.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err != nil {
		t.Errorf("attached Stop stopped the server it did not start")
	}

	if err := l.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("server still running after Stop (postmaster.pid: %v)", err)
	}

	// Restart: the data survived, no second initdb.
	again, err := pg.StartLocal(ctx, pg.LocalOptions{Dir: dir, BinDir: bin})
	if err != nil {
		t.Fatalf("StartLocal(again): %v", err)
	}
	defer again.Stop(ctx)
	pool, err = pg.Connect(ctx, again.URL("kefu"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if v, err := migrations.Version(ctx, pool); err != nil || v != migrations.Latest() {
		t.Errorf("schema after restart = %d, %v; want %d", v, err, migrations.Latest())
	}
}
