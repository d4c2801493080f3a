package pg_test

import (
	"context"
	"strings"
	"testing"

	"kefu/internal/pg"
	"kefu/internal/pgtest"
)

// A DATABASE_URL may size the pool (pool_max_conns): migrations, which use
// a connection of their own, must not send that to PostgreSQL.
func TestOpenWithPoolSettings(t *testing.T) {
	u := pgtest.EmptyURL(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	pool, err := pg.Open(context.Background(), u+sep+"pool_max_conns=7")
	if err != nil {
		t.Fatalf("Open with pool_max_conns: %v", err)
	}
	defer pool.Close()
	if got := pool.Config().MaxConns; got != 7 {
		t.Errorf("pool size %d; want 7 as the URL says", got)
	}
}
