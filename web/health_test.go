package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kefu/internal/kefutest"
	"kefu/internal/pg"
	"kefu/internal/pgtest"
	"kefu/web"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// readyz follows the database: 200, then 503 while it is down, then 200
// again once it is back, without restarting kefu.
func TestReadyzFollowsDatabase(t *testing.T) {
	ctx := context.Background()
	dir, bin := pgtest.ClusterDir(t)
	opts := pg.LocalOptions{Dir: dir + "/pg", BinDir: bin}
	local, err := pg.StartLocal(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Stop(context.Background()) })
	pool, err := pg.Open(ctx, local.URL("kefu"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	h := web.New(web.Options{Ready: func(ctx context.Context) error { return pg.Ready(ctx, pool) }}).Handler()

	if code, body := get(t, h, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz with database up = %d %s; want 200", code, body)
	}
	if err := local.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, h, "/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with database down = %d %s; want 503", code, body)
	}
	if code, _ := get(t, h, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with database down = %d; want 200 (the process is alive)", code)
	}

	opts.Port = local.Port // same address, as a restarted server would have
	if local, err = pg.StartLocal(ctx, opts); err != nil {
		t.Fatal(err)
	}
	// The pool drops dead connections as it meets them; allow it a few tries.
	kefutest.WaitFor(t, func() bool {
		code, _ := get(t, h, "/readyz")
		return code == http.StatusOK
	}, "/readyz to answer 200 after the database came back")
}

func TestReadyzSchemaBehind(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, "update kefu_schema_version set version = version - 1"); err != nil {
		t.Fatal(err)
	}
	h := web.New(web.Options{Ready: func(ctx context.Context) error { return pg.Ready(ctx, pool) }}).Handler()
	if code, body := get(t, h, "/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with an old schema = %d %s; want 503", code, body)
	}
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	h := web.New(web.Options{}).Handler()
	get(t, h, "/healthz")
	get(t, h, "/healthz")
	get(t, h, "/no/such/page")
	code, body := get(t, h, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`kefu_http_requests_total{method="GET",route="/healthz",status="200"} 2`,
		`kefu_http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="+Inf"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "/no/such/page") {
		t.Errorf("/metrics labels an unmatched path by its raw URL (unbounded cardinality)")
	}
}

func TestErrorsAreJSON(t *testing.T) {
	h := web.New(web.Options{}).Handler()
	code, body := get(t, h, "/no/such/page")
	if code != http.StatusNotFound || !strings.Contains(body, `"error":{"code":"not_found"`) {
		t.Errorf("GET unknown path = %d %s; want 404 with a JSON error", code, body)
	}
}

// The database pool's state is on /metrics (the first thing to look at when
// requests queue under load).
func TestMetricsShowDatabasePool(t *testing.T) {
	pool := pgtest.New(t)
	h := web.New(web.Options{Collectors: pg.PoolCollectors(pool)}).Handler()
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, h, "/metrics")
	for _, want := range []string{"kefu_db_pool_max_conns ", "kefu_db_pool_acquired_conns ", "kefu_db_pool_acquires_total ",
		"kefu_db_pool_waited_acquires_total ", "kefu_db_pool_acquire_seconds_total "} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "kefu_db_pool_acquires_total 0\n") {
		t.Errorf("the pool's acquires are not counted:\n%s", body)
	}
}
