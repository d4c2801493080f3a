package main

import (
	"context"
	"flag"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"kefu/internal/pg"
)

// dbFlags are the database flags every command that touches the database has.
type dbFlags struct {
	url     string
	dataDir string
	pgBin   string // PostgreSQL bin dir for the local database (env KEFU_PG_BINDIR)
}

func (d *dbFlags) register(fs *flag.FlagSet, e env) {
	fs.StringVar(&d.url, "database-url", e.getenv("DATABASE_URL"),
		"PostgreSQL URL (env DATABASE_URL); empty: a local database under --data-dir")
	d.pgBin = e.getenv("KEFU_PG_BINDIR")
	fs.StringVar(&d.dataDir, "data-dir", envOr(e, "KEFU_DATA_DIR", ".data"), "directory for local data (env KEFU_DATA_DIR)")
}

// database is an open, migrated database and, when kefu manages it, the
// local cluster behind it.
type database struct {
	Pool      *pgxpool.Pool
	url       string
	stopLocal func()
}

// databaseURL is --database-url, or the URL of the local cluster it starts
// when that is empty; stop stops that cluster again (a no-op otherwise).
func databaseURL(ctx context.Context, d dbFlags, logger *slog.Logger) (url string, stop func(), err error) {
	if d.url != "" {
		return d.url, func() {}, nil
	}
	local, err := pg.StartLocal(ctx, pg.LocalOptions{Dir: filepath.Join(d.dataDir, "pg"), BinDir: d.pgBin, Logger: logger})
	if err != nil {
		return "", nil, err
	}
	return local.URL("kefu"), func() {
		if err := local.Stop(context.Background()); err != nil {
			logger.Error("stop local database", "error", err)
		}
	}, nil
}

// openDatabase connects to --database-url, or starts the local cluster when it
// is empty, and migrates. Close releases both.
func openDatabase(ctx context.Context, d dbFlags, logger *slog.Logger) (*database, error) {
	url, stop, err := databaseURL(ctx, d, logger)
	if err != nil {
		return nil, err
	}
	db := &database{stopLocal: stop}
	pool, err := pg.Open(ctx, url)
	if err != nil {
		db.Close()
		return nil, err
	}
	db.Pool, db.url = pool, url
	return db, nil
}

// Close closes the pool, then stops the local cluster if this process started it.
func (db *database) Close() {
	if db.Pool != nil {
		db.Pool.Close()
	}
	db.stopLocal()
}
func envOr(e env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

// envInt is the integer in environment variable key, def when unset, and
// -1 when it is not a number (validation then names the setting).
func envInt(e env, key string, def int) int {
	v := strings.TrimSpace(e.getenv(key))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}
