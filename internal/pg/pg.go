// Package pg opens kefu's connection pool and, when no DATABASE_URL is given,
// runs a private PostgreSQL cluster from the system's binaries (see Local).
package pg

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"kefu/migrations"
)

// Open migrates the database at url and returns a pool whose connections know
// the vector type. Migration comes first because registering pgvector's types
// needs the extension to exist.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	if err := Migrate(ctx, url); err != nil {
		return nil, err
	}
	return Connect(ctx, url)
}

// Connect returns a pool on an already migrated database.
func Connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	// pgxpool's default (4 on this machine) starves a chat server: one
	// connection listens for events and every turn makes a few queries.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, 20)
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		return pgxvec.RegisterTypes(ctx, conn)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return pool, nil
}

// Migrate applies the embedded migrations on a dedicated connection.
func Migrate(ctx context.Context, url string) error {
	// Parsed as a pool's URL: its pool_* settings are the pool's, not
	// PostgreSQL's, which would refuse them.
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	defer conn.Close(context.Background())
	return migrations.Apply(ctx, conn)
}

// Ready reports whether the database answers and its schema is the one this
// binary expects.
func Ready(ctx context.Context, pool *pgxpool.Pool) error {
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	v, err := migrations.Version(ctx, pool)
	if err != nil {
		return err
	}
	if v != migrations.Latest() {
		return fmt.Errorf("schema version %d, want %d", v, migrations.Latest())
	}
	return nil
}
