package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"kefu/chat"
	"kefu/internal/fakellm"
)

func cmdBench(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && args[0] == "search" {
		return cmdBenchSearch(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "chat" {
		return usageErr("kefu bench chat|search [flags] (-h for each)")
	}
	var o chatBench
	return dbCommand(ctx, e, "bench chat", args[1:], func(fs *flag.FlagSet) {
		fs.IntVar(&o.conns, "conns", 1000, "idle widget connections to hold")
		fs.IntVar(&o.active, "active", 50, "active conversations")
		fs.Float64Var(&o.rate, "rate", 20, "shopper messages per second, over all active conversations")
		fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to send")
		fs.DurationVar(&o.ttft, "llm-ttft", 300*time.Millisecond, "fake model's time to first token")
		fs.Float64Var(&o.tps, "llm-tps", 50, "fake model's tokens per second")
		fs.BoolVar(&o.asJSON, "json", false, "print JSON")
		fs.StringVar(&o.profile, "profile", "", "write the server's heap profile after the idle phase to this file")
	}, func(db *database, logger *slog.Logger, _ []string) error {
		res, err := o.run(ctx, e, db, logger)
		if err != nil {
			return err
		}
		if o.asJSON {
			return writeJSON(e.stdout, res)
		}
		fmt.Fprintf(e.stdout, "idle connections: %d accepted in %s; server RSS %+.1f MB → %.1f KB per connection\n",
			res.IdleConns, res.AcceptTime, res.IdleRSSDeltaMB, res.KBPerIdleConn)
		fmt.Fprintf(e.stdout, "  of which Go heap in use %.1f KB and goroutine stacks %.1f KB per connection\n", res.HeapKBPerConn, res.StackKBPerConn)
		fmt.Fprintf(e.stdout, "turns: %d in %s = %.1f/s (offered %.1f/s), errors %d, unanswered %d\n",
			res.Turns, res.Duration, res.TurnsPerSec, o.rate, res.Errors, res.Unanswered)
		fmt.Fprintf(e.stdout, "server overhead to first delta (minus the model's %s): p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n",
			o.ttft, res.OverheadP50, res.OverheadP95, res.OverheadP99)
		fmt.Fprintf(e.stdout, "database connections used: %d; server RSS at end %.1f MB\n", res.DBConns, res.RSSEndMB)
		return nil
	})
}

type chatBench struct {
	conns, active int
	rate, tps     float64
	duration      time.Duration
	ttft          time.Duration
	asJSON        bool
	profile       string
}

type chatBenchResult struct {
	IdleConns      int           `json:"idle_conns"`
	AcceptTime     time.Duration `json:"accept_time_ns"`
	IdleRSSDeltaMB float64       `json:"idle_rss_delta_mb"`
	KBPerIdleConn  float64       `json:"kb_per_idle_conn"`
	HeapKBPerConn  float64       `json:"heap_kb_per_idle_conn"`
	StackKBPerConn float64       `json:"stack_kb_per_idle_conn"`
	Turns          int           `json:"turns"`
	Errors         int           `json:"errors"`
	Unanswered     int           `json:"unanswered"`
	Duration       time.Duration `json:"duration_ns"`
	TurnsPerSec    float64       `json:"turns_per_sec"`
	OverheadP50    float64       `json:"overhead_p50_ms"`
	OverheadP95    float64       `json:"overhead_p95_ms"`
	OverheadP99    float64       `json:"overhead_p99_ms"`
	DBConns        int           `json:"db_conns"`
	RSSEndMB       float64       `json:"rss_end_mb"`
}

const benchOrigin = "http://bench.kefu.local"

const benchDoc = `# Delivery

## How long does delivery take?
Standard delivery takes five to eight business days. Express delivery takes two to three business days.

## Tracking
Every parcel has a tracking number in the shipping email.
`

// run starts the fake model, a kefu server in a child process (so its
// memory is measured alone), idle and active widget clients, and measures.
func (o *chatBench) run(ctx context.Context, e env, db *database, logger *slog.Logger) (*chatBenchResult, error) {
	raiseFileLimit()
	sites := chat.NewSites(db.Pool)
	site, err := sites.ByName(ctx, "kefu bench")
	if err != nil {
		if site, err = sites.Create(ctx, "kefu bench", []string{benchOrigin}); err != nil {
			return nil, err
		}
	}
	// No token budget: the bench would spend a real one in seconds.
	if site, err = sites.UpdateSettings(ctx, site.Key, map[string]any{"daily_token_budget": 0}); err != nil {
		return nil, err
	}
	// Something to retrieve, so every turn searches and answers as in a shop.
	lib, err := newLibrary(ctx, db, embedConfig{}, logger)
	if err != nil {
		return nil, err
	}
	if _, err := lib.Add(ctx, site.ID, "delivery.md", []byte(benchDoc)); err != nil {
		return nil, err
	}
	for {
		if did, err := lib.ProcessNext(ctx, nil); err != nil {
			return nil, err
		} else if !did {
			break
		}
	}

	fake := fakellm.New()
	fake.SetTiming(o.ttft, o.tps)
	words := strings.Fields("Thanks for asking! Standard delivery takes five to eight business days and express takes two to three. You can track your parcel from the link in your shipping email.")
	fake.Respond(func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: strings.Join(words, " ")} })
	llmLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	llmSrv := &http.Server{Handler: fake}
	go llmSrv.Serve(llmLn)
	defer llmSrv.Close()

	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dbURL := db.url
	child := exec.CommandContext(ctx, exe, "serve", "--addr", addr, "--database-url", dbURL,
		"--openai-base-url", "http://"+llmLn.Addr().String()+"/v1", "--chat-model", "fake", "--log-format", "json",
		"--visitor-rate", "100000", "--site-rate", "10000000")
	pprofAddr := ""
	if o.profile != "" {
		if pprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		child.Args = append(child.Args, "--pprof-addr", pprofAddr)
	}
	child.Env = append(os.Environ(), "KEFU_LOG_FORMAT=json")
	logFile, err := os.CreateTemp("", "kefu-bench-server-*.log")
	if err != nil {
		return nil, err
	}
	defer os.Remove(logFile.Name())
	child.Stdout, child.Stderr = logFile, logFile
	if err := child.Start(); err != nil {
		return nil, err
	}
	defer func() {
		child.Process.Signal(syscall.SIGTERM)
		child.Wait()
	}()
	base := "http://" + addr
	if err := waitReady(ctx, base+"/readyz", 60*time.Second); err != nil {
		return nil, fmt.Errorf("bench server: %w (log: %s)", err, logFile.Name())
	}
	wsURL := "ws://" + addr + "/v1/widget/ws?site=" + site.Key
	res := &chatBenchResult{}

	// Warm up one connection so the baseline includes the server's fixed costs.
	warm, err := dialWidget(wsURL)
	if err != nil {
		return nil, err
	}
	defer warm.Close()
	time.Sleep(500 * time.Millisecond)
	rss0 := rssKB(child.Process.Pid)
	mem0 := goMemory(base)

	idle := make([]*websocket.Conn, 0, o.conns)
	var idleMu sync.Mutex
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var dialErrs atomic.Int64
	for i := 0; i < o.conns; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := dialWidget(wsURL)
			if err != nil {
				dialErrs.Add(1)
				return
			}
			idleMu.Lock()
			idle = append(idle, c)
			idleMu.Unlock()
		}()
	}
	wg.Wait()
	res.AcceptTime = time.Since(start)
	res.IdleConns = len(idle)
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	if n := dialErrs.Load(); n > 0 {
		logger.Warn("idle connections failed", "count", n)
	}
	time.Sleep(2 * time.Second) // let the server settle
	rss1 := rssKB(child.Process.Pid)
	mem1 := goMemory(base)
	res.IdleRSSDeltaMB = float64(rss1-rss0) / 1024
	if res.IdleConns > 0 {
		res.KBPerIdleConn = float64(rss1-rss0) / float64(res.IdleConns)
		n := float64(res.IdleConns) * 1024
		res.HeapKBPerConn = (mem1["go_memstats_heap_inuse_bytes"] - mem0["go_memstats_heap_inuse_bytes"]) / n
		res.StackKBPerConn = (mem1["go_memstats_stack_inuse_bytes"] - mem0["go_memstats_stack_inuse_bytes"]) / n
	}

	if o.profile != "" {
		if err := saveURL("http://"+pprofAddr+"/debug/pprof/heap?gc=1", o.profile); err != nil {
			logger.Warn("heap profile", "error", err)
		}
	}
	overheads, turns, errs, unanswered := o.activePhase(ctx, wsURL)
	res.Turns, res.Errors, res.Unanswered = turns, errs, unanswered
	res.Duration = o.duration
	res.TurnsPerSec = float64(turns) / o.duration.Seconds()
	slices.Sort(overheads)
	pct := func(p float64) float64 {
		if len(overheads) == 0 {
			return 0
		}
		return float64(overheads[min(len(overheads)-1, int(p*float64(len(overheads))))]) / float64(time.Millisecond)
	}
	res.OverheadP50, res.OverheadP95, res.OverheadP99 = pct(0.50), pct(0.95), pct(0.99)
	db.Pool.QueryRow(ctx, "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()").Scan(&res.DBConns)
	res.RSSEndMB = float64(rssKB(child.Process.Pid)) / 1024
	return res, nil
}

// activePhase runs o.active conversations sending o.rate messages per second
// in all, each waiting for its reply before the next; it returns the server
// overhead of each turn (first delta minus the model's time to first token).
func (o *chatBench) activePhase(ctx context.Context, wsURL string) (overheads []time.Duration, turns, errs, unanswered int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	perConn := o.rate / float64(max(1, o.active))
	deadline := time.Now().Add(o.duration)
	for i := 0; i < o.active; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dialWidget(wsURL)
			if err != nil {
				mu.Lock()
				errs++
				mu.Unlock()
				return
			}
			defer c.Close()
			// Spread the conversations' first messages over one interval.
			time.Sleep(time.Duration(rand.Float64() * float64(time.Second) / perConn))
			for n := 0; time.Now().Before(deadline); n++ {
				next := time.Now().Add(time.Duration(float64(time.Second) / perConn))
				sent := time.Now()
				if err := c.WriteJSON(map[string]any{"type": "message", "client_id": strconv.Itoa(n), "text": "how long does delivery take?"}); err != nil {
					mu.Lock()
					errs++
					mu.Unlock()
					return
				}
				var first time.Time
				done := false
				c.SetReadDeadline(time.Now().Add(30 * time.Second))
				for !done {
					var f struct{ Type, Role string }
					if err := c.ReadJSON(&f); err != nil {
						mu.Lock()
						unanswered++
						mu.Unlock()
						return
					}
					switch {
					case f.Type == "delta" && first.IsZero():
						first = time.Now()
					case f.Type == "message" && f.Role == "bot":
						done = true
					case f.Type == "error":
						mu.Lock()
						errs++
						mu.Unlock()
					}
				}
				mu.Lock()
				turns++
				if !first.IsZero() {
					overheads = append(overheads, max(0, first.Sub(sent)-o.ttft))
				}
				mu.Unlock()
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
			}
		}()
	}
	wg.Wait()
	return overheads, turns, errs, unanswered
}

func dialWidget(url string) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	c, _, err := d.Dial(url, http.Header{"Origin": {benchOrigin}})
	if err != nil {
		return nil, err
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := c.WriteJSON(map[string]any{"type": "hello", "visitor_token": nil, "last_seq": 0}); err != nil {
		c.Close()
		return nil, err
	}
	var w struct{ Type string }
	if err := c.ReadJSON(&w); err != nil || w.Type != "welcome" {
		c.Close()
		return nil, fmt.Errorf("hello: %v (%s)", err, w.Type)
	}
	return c, nil
}

func saveURL(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

func waitReady(ctx context.Context, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready after %s", limit)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// goMemory scrapes the server's Go memory gauges from /metrics.
func goMemory(base string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	for s := bufio.NewScanner(resp.Body); s.Scan(); {
		name, val, ok := strings.Cut(s.Text(), " ")
		if ok && strings.HasPrefix(name, "go_memstats_") {
			out[name], _ = strconv.ParseFloat(val, 64)
		}
	}
	return out
}

// rssKB reads a process's resident memory from /proc.
func rssKB(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	for s := bufio.NewScanner(f); s.Scan(); {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return n
		}
	}
	return 0
}

// raiseFileLimit lifts the open-file limit to its maximum (idle connections
// need one descriptor each, in this process and in the server it starts).
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
