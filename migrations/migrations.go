// Package migrations holds kefu's schema as numbered SQL files embedded in
// the binary, and applies them with jackc/tern under tern's PostgreSQL
// advisory lock, so several nodes starting at once migrate exactly once.
//
// Files are named NNNN_name.sql and are append-only: a released file is never
// edited, a change is a new file.
package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/tern/v2/migrate"
)

//go:embed *.sql
var files embed.FS

// versionTable records the applied schema version (tern's format: one row).
const versionTable = "public.kefu_schema_version"

// ErrSchemaNewer means the database was migrated by a newer kefu binary; running
// an older binary against it could corrupt data, so kefu refuses.
var ErrSchemaNewer = errors.New("database schema is newer than this kefu binary")

// Latest is the schema version this binary's migrations produce.
func Latest() int {
	names, err := migrate.FindMigrations(files)
	if err != nil {
		panic(fmt.Sprintf("migrations: embedded files are malformed: %v", err)) // caught by tests
	}
	return len(names)
}

// Apply migrates the database to Latest. It is a no-op when the schema is
// current and returns ErrSchemaNewer when the schema is ahead of the binary.
func Apply(ctx context.Context, conn *pgx.Conn) error {
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return fmt.Errorf("prepare migrator: %w", err)
	}
	if err := m.LoadMigrations(files); err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	err = m.Migrate(ctx)
	var bad migrate.BadVersionError
	if errors.As(err, &bad) {
		cur, _ := m.GetCurrentVersion(ctx)
		return fmt.Errorf("%w: schema version %d, binary knows %d", ErrSchemaNewer, cur, len(m.Migrations))
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Querier is the part of pgx's connection and pool that Version needs.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Version returns the schema version recorded in the database, 0 when the
// database was never migrated.
func Version(ctx context.Context, q Querier) (int, error) {
	var v int32
	err := q.QueryRow(ctx, "select version from "+versionTable).Scan(&v)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: never migrated
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v), nil
}

// Files exposes the embedded migration files (for tests and `kefu migrate --list`).
func Files() fs.FS { return files }
