//go:build bench

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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"kefu/internal/app"
	"kefu/internal/fakellm"
	"kefu/internal/sites"
)

// cmdBenchChat measures a kefu server against the fake model (bench
// build only: the fake model is not in the production binary).
func cmdBenchChat(ctx context.Context, e env, args []string) error {
	var o chatBench
	return dbCommand(ctx, e, "bench chat", args, func(fs *flag.FlagSet) {
		fs.IntVar(&o.conns, "conns", 1000, "idle widget connections to hold")
		fs.IntVar(&o.active, "active", 50, "active conversations")
		fs.Float64Var(&o.rate, "rate", 20, "shopper messages per second, over all active conversations")
		fs.Func("rates", "several offered rates to run one after another, e.g. 25,50,100,200 (finds the knee)", func(v string) error {
			for _, f := range strings.Split(v, ",") {
				r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
				if err != nil || r <= 0 {
					return fmt.Errorf("rates: %q is not a positive number", f)
				}
				o.rates = append(o.rates, r)
			}
			return nil
		})
		fs.IntVar(&o.agents, "agents", 0, "after the active phase: agent→shopper deliveries across two nodes, this many agent messages")
		fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to send")
		fs.DurationVar(&o.ttft, "llm-ttft", 300*time.Millisecond, "fake model's time to first token")
		fs.Float64Var(&o.tps, "llm-tps", 50, "fake model's tokens per second")
		fs.BoolVar(&o.asJSON, "json", false, "print JSON")
		fs.StringVar(&o.profile, "profile", "", "write the server's heap profile after the idle phase to this file")
		fs.StringVar(&o.cpuProfile, "cpu-profile", "", "write the server's CPU profile of the last rate's phase to this file")
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
		fmt.Fprintf(e.stdout, "  of which Go heap in use %.1f KB and goroutine stacks %.1f KB per connection; server CPU while idle %.1f%% of a core\n",
			res.HeapKBPerConn, res.StackKBPerConn, res.IdleCPU)
		fmt.Fprintf(e.stdout, "%d active conversations, %s per rate; server overhead = first delta minus the model's %s to its first sentence (first token %s)\n",
			o.active, o.duration, o.modelFirst, o.ttft)
		fmt.Fprintf(e.stdout, "%8s %8s %7s %7s %7s %7s %6s %6s %9s %9s %8s %8s %8s\n", "offered", "turns/s", "p50 ms", "p95 ms", "p99 ms",
			"errors", "unans", "db", "pool wait", "wait ms", "kefu cpu", "machine", "sql/turn")
		for _, p := range res.Phases {
			fmt.Fprintf(e.stdout, "%8.0f %8.1f %7.1f %7.1f %7.1f %7d %6d %6d %8.1f%% %9.2f %7.0f%% %7.0f%% %8.1f\n", p.Rate, p.TurnsPerSec,
				p.OverheadP50, p.OverheadP95, p.OverheadP99, p.Errors, p.Unanswered, p.DBConns, p.PoolWaitedPct, p.PoolWaitMs, p.ServerCPU, p.MachineCPU,
				p.StatementsPerTurn)
		}
		if f := res.FanOut; f != nil {
			fmt.Fprintf(e.stdout, "agent→shopper across two nodes: %d of %d delivered, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n",
				f.Delivered, f.Sent, f.P50, f.P95, f.P99, f.Max)
		}
		fmt.Fprintf(e.stdout, "server RSS at end %.1f MB\n", res.RSSEndMB)
		return nil
	})
}

type chatBench struct {
	conns, active int
	rate, tps     float64
	rates         []float64
	agents        int
	duration      time.Duration
	ttft          time.Duration
	asJSON        bool
	profile       string
	cpuProfile    string
	modelFirst    time.Duration // the fake model's time to the reply's first sentence
}

type chatBenchResult struct {
	IdleConns      int           `json:"idle_conns"`
	AcceptTime     time.Duration `json:"accept_time_ns"`
	IdleRSSDeltaMB float64       `json:"idle_rss_delta_mb"`
	KBPerIdleConn  float64       `json:"kb_per_idle_conn"`
	HeapKBPerConn  float64       `json:"heap_kb_per_idle_conn"`
	StackKBPerConn float64       `json:"stack_kb_per_idle_conn"`
	IdleCPU        float64       `json:"idle_cpu_pct"` // of one core, over 5 s with only the idle connections
	Phases         []phaseResult `json:"phases"`
	FanOut         *fanOutResult `json:"fan_out,omitempty"`
	RSSEndMB       float64       `json:"rss_end_mb"`
}

// phaseResult is one offered rate of the active phase.
type phaseResult struct {
	Rate        float64 `json:"offered_rate"`
	Turns       int     `json:"turns"`
	Errors      int     `json:"errors"`
	Unanswered  int     `json:"unanswered"`
	TurnsPerSec float64 `json:"turns_per_sec"`
	OverheadP50 float64 `json:"overhead_p50_ms"`
	OverheadP95 float64 `json:"overhead_p95_ms"`
	OverheadP99 float64 `json:"overhead_p99_ms"`
	ServerCPU   float64 `json:"server_cpu_pct"`  // of one core
	MachineCPU  float64 `json:"machine_cpu_pct"` // of all cores, everything on the machine
	DBConns     int     `json:"db_conns_max"`
	// Of the server's database connection acquires: the share that waited
	// for a free connection, and the mean time an acquire took.
	PoolWaitedPct float64 `json:"pool_waited_pct"`
	PoolWaitMs    float64 `json:"pool_wait_ms"`
	// SQL statements per turn, hellos included (0 without pg_stat_statements).
	StatementsPerTurn float64 `json:"statements_per_turn,omitempty"`
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
	siteStore := sites.NewStore(db.Pool)
	site, err := siteStore.ByName(ctx, "kefu bench")
	if err != nil {
		if site, err = siteStore.Create(ctx, "kefu bench", []string{benchOrigin}); err != nil {
			return nil, err
		}
	}
	// No token budget: the bench would spend a real one in seconds.
	if site, err = siteStore.UpdateSettings(ctx, site.Key, map[string]any{"daily_token_budget": 0}); err != nil {
		return nil, err
	}
	// Something to retrieve, so every turn searches and answers as in a shop.
	lib, err := app.NewLibrary(ctx, db.Pool, app.EmbedConfig{}, logger)
	if err != nil {
		return nil, err
	}
	if _, err := lib.Add(ctx, site.ID, "delivery.md", []byte(benchDoc)); err != nil {
		return nil, err
	}
	if err := lib.ProcessAll(ctx); err != nil {
		return nil, err
	}

	fake := fakellm.New()
	fake.SetTiming(o.ttft, o.tps)
	words := strings.Fields(benchReply)
	o.modelFirst = modelFirstSentence(words, o.ttft, o.tps)
	fake.Respond(func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: strings.Join(words, " ")} })
	llmLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	llmSrv := &http.Server{Handler: fake}
	go llmSrv.Serve(llmLn)
	defer llmSrv.Close()

	node, err := startNode(ctx, db.url, "http://"+llmLn.Addr().String()+"/v1", o.profile != "" || o.cpuProfile != "")
	if err != nil {
		return nil, err
	}
	defer node.stop()
	child, base, addr, pprofAddr := node.cmd, node.base, node.addr, node.pprofAddr
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
	cpu0 := procCPU(child.Process.Pid)
	time.Sleep(5 * time.Second) // idle: only the server's pings and timers run
	res.IdleCPU = float64(procCPU(child.Process.Pid)-cpu0) / clockTicks / 5 * 100
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
	rates := o.rates
	if len(rates) == 0 {
		rates = []float64{o.rate}
	}
	for i, rate := range rates {
		var profiled chan error
		if o.cpuProfile != "" && i == len(rates)-1 {
			profiled = make(chan error, 1)
			go func() {
				profiled <- saveURL(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, int(o.duration.Seconds())), o.cpuProfile)
			}()
		}
		res.Phases = append(res.Phases, o.measurePhase(ctx, db, child.Process.Pid, base, rate, func() ([]time.Duration, int, int, int) {
			return o.activePhase(ctx, wsURL, rate)
		}))
		if profiled != nil {
			if err := <-profiled; err != nil {
				logger.Warn("cpu profile", "error", err)
			}
		}
	}
	if o.agents > 0 {
		fan, err := o.fanOut(ctx, db, site, "http://"+llmLn.Addr().String()+"/v1", wsURL, base)
		if err != nil {
			return nil, fmt.Errorf("fan-out: %w", err)
		}
		res.FanOut = fan
	}
	res.RSSEndMB = float64(rssKB(child.Process.Pid)) / 1024
	return res, nil
}

// benchReply is the fake model's answer to every turn.
const benchReply = "Thanks for asking! Standard delivery takes five to eight business days and express takes two to three. " +
	"You can track your parcel from the link in your shipping email."

// modelFirstSentence is the model's own time until the first sentence of
// the reply is streamed: the first token after ttft, then one token (a word
// with its space) every 1/tps. The server shows a reply sentence by
// sentence (its grounding check), so the shopper's first delta cannot come
// before this; the rest of the wait is the server's overhead.
func modelFirstSentence(words []string, ttft time.Duration, tps float64) time.Duration {
	for i, w := range words[:max(0, len(words)-1)] {
		if strings.ContainsAny(w[len(w)-1:], ".!?") {
			if tps <= 0 {
				return ttft
			}
			return ttft + time.Duration(float64(i)*float64(time.Second)/tps)
		}
	}
	return ttft // one sentence: shown when the stream ends, measured from its first token
}

// activePhase runs o.active conversations sending o.rate messages per second
// in all, each waiting for its reply before the next; it returns the server
// overhead of each turn (first delta minus the model's time to its first
// sentence, modelFirstSentence).
func (o *chatBench) activePhase(ctx context.Context, wsURL string, rate float64) (overheads []time.Duration, turns, errs, unanswered int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	perConn := rate / float64(max(1, o.active))
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
					overheads = append(overheads, max(0, first.Sub(sent)-o.modelFirst))
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
func goMemory(base string) map[string]float64 { return scrape(base, "go_memstats_") }

// scrape reads the server's metrics whose names start with prefix.
func scrape(base, prefix string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	for s := bufio.NewScanner(resp.Body); s.Scan(); {
		name, val, ok := strings.Cut(s.Text(), " ")
		if ok && strings.HasPrefix(name, prefix) {
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
