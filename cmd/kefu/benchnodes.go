//go:build bench

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"kefu/internal/account"
	"kefu/internal/sites"
)

// benchNode is one `kefu serve` child process of a benchmark: a separate
// process, so its memory and CPU are measured alone.
type benchNode struct {
	cmd                   *exec.Cmd
	addr, base, pprofAddr string
	logFile               string
}

func startNode(ctx context.Context, dbURL, llmURL string, pprof bool) (*benchNode, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	n := &benchNode{addr: addr, base: "http://" + addr}
	n.cmd = exec.CommandContext(ctx, exe, "serve", "--addr", addr, "--database-url", dbURL,
		"--openai-base-url", llmURL, "--chat-model", "fake", "--log-format", "json",
		"--visitor-rate", "100000", "--site-rate", "10000000", "--new-visitor-rate", "10000000")
	if pprof {
		if n.pprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		n.cmd.Args = append(n.cmd.Args, "--pprof-addr", n.pprofAddr)
	}
	n.cmd.Env = append(os.Environ(), "KEFU_LOG_FORMAT=json")
	f, err := os.CreateTemp("", "kefu-bench-server-*.log")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n.logFile = f.Name()
	n.cmd.Stdout, n.cmd.Stderr = f, f
	if err := n.cmd.Start(); err != nil {
		return nil, err
	}
	if err := waitReady(ctx, n.base+"/readyz", 60*time.Second); err != nil {
		n.stop()
		return nil, fmt.Errorf("bench server: %w (log: %s)", err, n.logFile)
	}
	return n, nil
}

func (n *benchNode) stop() {
	n.cmd.Process.Signal(syscall.SIGTERM)
	n.cmd.Wait()
	os.Remove(n.logFile)
}

// measurePhase runs one active phase and samples what it costs: the
// server's CPU, the whole machine's CPU and the database connections in use.
func (o *chatBench) measurePhase(ctx context.Context, db *database, pid int, base string, rate float64, run func() ([]time.Duration, int, int, int)) phaseResult {
	p := phaseResult{Rate: rate}
	stop := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Add(1)
	go func() {
		defer sampled.Done()
		for {
			var n int
			db.Pool.QueryRow(ctx, "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()").Scan(&n)
			p.DBConns = max(p.DBConns, n)
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	stmts0, counted := statements(ctx, db)
	pool0, cpu0, start := scrape(base, "kefu_db_pool_"), procCPU(pid), time.Now()
	busy0, total0 := machineCPU()
	overheads, turns, errs, unanswered := run()
	elapsed := time.Since(start)
	busy1, total1 := machineCPU()
	pool1 := scrape(base, "kefu_db_pool_")
	if n := pool1["kefu_db_pool_acquires_total"] - pool0["kefu_db_pool_acquires_total"]; n > 0 {
		p.PoolWaitedPct = (pool1["kefu_db_pool_waited_acquires_total"] - pool0["kefu_db_pool_waited_acquires_total"]) / n * 100
		p.PoolWaitMs = (pool1["kefu_db_pool_acquire_seconds_total"] - pool0["kefu_db_pool_acquire_seconds_total"]) / n * 1000
	}
	p.ServerCPU = float64(procCPU(pid)-cpu0) / clockTicks / elapsed.Seconds() * 100
	if total1 > total0 {
		p.MachineCPU = (busy1 - busy0) / (total1 - total0) * 100
	}
	close(stop)
	sampled.Wait()
	p.Turns, p.Errors, p.Unanswered = turns, errs, unanswered
	if stmts1, ok := statements(ctx, db); counted && ok && turns > 0 {
		p.StatementsPerTurn = float64(stmts1-stmts0) / float64(turns)
	}
	p.TurnsPerSec = float64(turns) / o.duration.Seconds()
	ms := millis(overheads)
	p.OverheadP50, p.OverheadP95, p.OverheadP99 = percentile(ms, 0.50), percentile(ms, 0.95), percentile(ms, 0.99)
	return p
}

// statements counts the SQL statements run in the bench's database so far,
// from pg_stat_statements (ok is false when the extension is not there).
// It counts every client's: the phase's hellos and this process's
// sampling too, not only turns.
func statements(ctx context.Context, db *database) (n int64, ok bool) {
	err := db.Pool.QueryRow(ctx, `select coalesce(sum(calls), 0)::bigint from pg_stat_statements
		where dbid = (select oid from pg_database where datname = current_database())`).Scan(&n)
	return n, err == nil
}

// fanOutResult is agent→shopper delivery across nodes: an agent posts on
// node B, the shopper's socket is on node A.
type fanOutResult struct {
	Sent      int     `json:"sent"`
	Delivered int     `json:"delivered"`
	P50       float64 `json:"p50_ms"`
	P95       float64 `json:"p95_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
}

// fanOut starts a second node, signs an agent in there, claims shopper
// conversations whose sockets are on the first node, and times each agent
// message from just before its POST to its arrival at the shopper, while
// the first node carries the active chat load at the base rate.
func (o *chatBench) fanOut(ctx context.Context, db *database, site *sites.Site, llmURL, wsURL, baseA string) (*fanOutResult, error) {
	nodeB, err := startNode(ctx, db.url, llmURL, false)
	if err != nil {
		return nil, err
	}
	defer nodeB.stop()
	password := account.NewPassword()
	users := account.NewUsers(db.Pool)
	agent, err := users.Create(ctx, fmt.Sprintf("bench-%d@example.com", time.Now().UnixNano()), "Bench Agent", account.RoleAgent, password)
	if err != nil {
		return nil, err
	}
	if err := users.SetSites(ctx, agent.ID, []int64{site.ID}); err != nil {
		return nil, err
	}
	client := &agentClient{base: nodeB.base}
	if err := client.login(agent.Email, password); err != nil {
		return nil, err
	}

	const shoppers = 50
	res := &fanOutResult{}
	var mu sync.Mutex
	var lat []time.Duration
	var readers sync.WaitGroup
	convs := make([]string, 0, shoppers)
	for range shoppers {
		c, convID, err := dialWidgetConversation(wsURL)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if err := client.post("/api/v1/conversations/"+convID+"/claim", nil); err != nil {
			return nil, err
		}
		convs = append(convs, convID)
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				var f struct{ Type, Role, Text string }
				if err := c.ReadJSON(&f); err != nil {
					return
				}
				if sent, ok := strings.CutPrefix(f.Text, "ping "); ok && f.Type == "message" && f.Role == "agent" {
					ns, _ := strconv.ParseInt(sent, 10, 64)
					mu.Lock()
					lat = append(lat, time.Since(time.Unix(0, ns)))
					mu.Unlock()
				}
			}
		}()
	}

	load := make(chan struct{})
	go func() { defer close(load); o.activePhase(ctx, wsURL, o.rate) }()
	interval := o.duration / time.Duration(max(1, o.agents))
	var posts sync.WaitGroup
	for i := range o.agents {
		posts.Add(1)
		go func() {
			defer posts.Done()
			text := "ping " + strconv.FormatInt(time.Now().UnixNano(), 10)
			if err := client.post("/api/v1/conversations/"+convs[i%len(convs)]+"/messages", map[string]any{"text": text}); err == nil {
				mu.Lock()
				res.Sent++
				mu.Unlock()
			}
		}()
		time.Sleep(interval)
	}
	posts.Wait()
	<-load
	readers.Wait() // each reader stops 10 s after its last frame
	ms := millis(lat)
	res.Delivered = len(ms)
	res.P50, res.P95, res.P99 = percentile(ms, 0.50), percentile(ms, 0.95), percentile(ms, 0.99)
	if len(ms) > 0 {
		res.Max = ms[len(ms)-1]
	}
	return res, nil
}

// agentClient is a console session over the HTTP API.
type agentClient struct {
	base, cookie, csrf string
}

func (a *agentClient) login(email, password string) error {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(a.base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("login: %s %v", resp.Status, err)
	}
	for _, c := range resp.Cookies() {
		a.cookie += c.Name + "=" + c.Value + "; "
	}
	a.csrf = out.CSRF
	return nil
}

func (a *agentClient) post(path string, v any) error {
	body, _ := json.Marshal(v)
	req, err := http.NewRequest(http.MethodPost, a.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", a.cookie)
	req.Header.Set("X-CSRF-Token", a.csrf)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", path, resp.Status)
	}
	return nil
}

// dialWidgetConversation opens a widget socket and returns its conversation.
func dialWidgetConversation(url string) (*websocket.Conn, string, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	c, _, err := d.Dial(url, http.Header{"Origin": {benchOrigin}})
	if err != nil {
		return nil, "", err
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	var w struct {
		Type           string
		ConversationID string `json:"conversation_id"`
	}
	if err := c.WriteJSON(map[string]any{"type": "hello", "visitor_token": nil, "last_seq": 0}); err != nil {
		c.Close()
		return nil, "", err
	}
	if err := c.ReadJSON(&w); err != nil || w.Type != "welcome" {
		c.Close()
		return nil, "", fmt.Errorf("hello: %v (%s)", err, w.Type)
	}
	return c, w.ConversationID, nil
}

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTicks = 100

// procCPU returns a process's user+system CPU time in clock ticks.
func procCPU(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start at state.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// machineCPU returns busy and total CPU time of the whole machine.
func machineCPU() (busy, total float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}
