package main

// Fault tests (docs/reliability.md): a node killed with SIGKILL mid-stream,
// PostgreSQL restarted under load, a reconnect storm. They run real kefu
// serve processes (or run() in-process) against real PostgreSQL; bigger
// versions run in make soak (faults_soak_test.go sets the sizes).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"kefu/internal/fakellm"
	"kefu/internal/pg"
	"kefu/internal/pgtest"
)

// TestHelperServe is not a test: the fault tests start it as a child
// process (the test binary run again with KEFU_HELPER_SERVE=1) so that it can
// be killed with SIGKILL. Without that variable it returns at once.
func TestHelperServe(t *testing.T) {
	if os.Getenv("KEFU_HELPER_SERVE") != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := strings.Fields(os.Getenv("KEFU_HELPER_ARGS"))
	if err := run(ctx, append([]string{"serve"}, args...), os.Getenv, strings.NewReader(""), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// faultAddr returns a free 127.0.0.1 address.
func faultAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// faultWait polls path on addr until it answers want; it returns how long
// that took, or fails after limit.
func faultWait(t *testing.T, addr, path string, want int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	client := &http.Client{Timeout: 3 * time.Second}
	last := ""
	for time.Since(start) < limit {
		resp, err := client.Get("http://" + addr + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return time.Since(start)
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s%s never answered %d within %v (last: %s)", addr, path, want, limit, last)
	return 0
}

// faultNode is a kefu serve child process.
type faultNode struct {
	addr string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startFaultNode starts kefu serve in a child process with env added.
func startFaultNode(t *testing.T, env map[string]string, args ...string) *faultNode {
	t.Helper()
	addr := faultAddr(t)
	n := &faultNode{addr: addr, log: filepath.Join(t.TempDir(), "node.log"), done: make(chan struct{})}
	logf, err := os.Create(n.log)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperServe$", "-test.count=1")
	n.cmd.Env = append(os.Environ(), "KEFU_HELPER_SERVE=1", "KEFU_ADDR="+addr, "KEFU_PUBLIC_URL=http://"+addr,
		"KEFU_HELPER_ARGS="+strings.Join(args, " "))
	for k, v := range env {
		n.cmd.Env = append(n.cmd.Env, k+"="+v)
	}
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.cmd.Wait(); logf.Close(); close(n.done) }()
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := os.ReadFile(n.log)
			t.Logf("node %s log:\n%s", addr, out[max(0, len(out)-4000):])
		}
		n.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-n.done:
		case <-time.After(20 * time.Second):
			n.cmd.Process.Kill()
			t.Errorf("node %s did not stop on SIGTERM", addr)
		}
	})
	faultWait(t, addr, "/readyz", http.StatusOK, 60*time.Second)
	return n
}

// kill9 kills the node with SIGKILL and waits for it to be gone.
func (n *faultNode) kill9(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-n.done
}

// startFaultNodeInProc runs kefu serve in this process until the test ends.
func startFaultNodeInProc(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	addr := faultAddr(t)
	vars := map[string]string{"KEFU_ADDR": addr, "KEFU_PUBLIC_URL": "http://" + addr}
	for k, v := range env {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		var o bytes.Buffer
		done <- run(ctx, append([]string{"serve"}, args...), func(k string) string { return vars[k] }, nil, &o, &logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("the node did not shut down")
		}
	})
	faultWait(t, addr, "/readyz", http.StatusOK, 60*time.Second)
	return addr
}

// faultSite creates a site allowing origin http://shop.test and returns its key.
func faultSite(t *testing.T, dbURL string) string {
	t.Helper()
	out, _, err := kefu(t, map[string]string{"DATABASE_URL": dbURL}, "site", "add", "--name", "Shop", "--origin", "http://shop.test", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var site struct{ Key string }
	if err := json.Unmarshal([]byte(out), &site); err != nil || site.Key == "" {
		t.Fatalf("site add: %q %v", out, err)
	}
	return site.Key
}

// faultShopper is a widget-protocol client, as web/static/widget.js speaks it.
type faultShopper struct {
	t       *testing.T
	conn    *websocket.Conn
	token   string
	conv    string
	lastSeq int          // highest message seq seen
	seen    map[int]bool // message seqs seen on this client, across sockets
}

func faultDial(addr, siteKey string) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	c, _, err := d.Dial("ws://"+addr+"/v1/widget/ws?site="+siteKey, http.Header{"Origin": {"http://shop.test"}})
	return c, err
}

// connect opens a socket to addr and says hello with the client's token
// and last seq; it returns the frames that came before the welcome's end.
func (s *faultShopper) connect(addr, siteKey string) {
	s.t.Helper()
	if err := s.tryConnect(addr, siteKey); err != nil {
		s.t.Fatal(err)
	}
}

// tryConnect is connect for any goroutine: it returns what went wrong.
func (s *faultShopper) tryConnect(addr, siteKey string) error {
	c, err := faultDial(addr, siteKey)
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	s.t.Cleanup(func() { c.Close() })
	s.conn = c
	var token any
	if s.token != "" {
		token = s.token
	}
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.WriteJSON(map[string]any{"type": "hello", "visitor_token": token, "last_seq": s.lastSeq, "locale": "en"}); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	for {
		w, err := s.read()
		if err != nil {
			return fmt.Errorf("waiting for welcome on %s: %w", addr, err)
		}
		switch w["type"] {
		case "error":
			c.Close()
			return fmt.Errorf("hello on %s: %v", addr, w)
		case "welcome":
			s.token, _ = w["visitor_token"].(string)
			s.conv, _ = w["conversation_id"].(string)
			return nil
		}
	}
}

func (s *faultShopper) send(v any) {
	s.t.Helper()
	s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := s.conn.WriteJSON(v); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// read reads one frame, tracking message seqs; a duplicate message is an error.
func (s *faultShopper) read() (map[string]any, error) {
	s.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var f map[string]any
	if err := s.conn.ReadJSON(&f); err != nil {
		return nil, err
	}
	if f["type"] == "message" {
		seq := int(f["seq"].(float64))
		if s.seen[seq] {
			return nil, fmt.Errorf("message seq %d delivered twice: %v", seq, f)
		}
		s.seen[seq] = true
		s.lastSeq = max(s.lastSeq, seq)
	}
	return f, nil
}

// until reads frames until want matches one.
func (s *faultShopper) until(want func(map[string]any) bool) map[string]any {
	s.t.Helper()
	var seen []map[string]any
	for {
		f, err := s.read()
		if err != nil {
			s.t.Fatalf("waiting for a frame (saw %v): %v", seen, err)
		}
		seen = append(seen, f)
		if want(f) {
			return f
		}
	}
}

// say sends a message and waits for its ack; it returns the ack's seq.
func (s *faultShopper) say(clientID, text string) int {
	s.t.Helper()
	s.send(map[string]any{"type": "message", "client_id": clientID, "text": text})
	ack := s.until(func(f map[string]any) bool {
		if f["type"] == "error" {
			s.t.Fatalf("message %s: %v", clientID, f)
		}
		return f["type"] == "ack" && f["client_id"] == clientID
	})
	return int(ack["seq"].(float64))
}

// botAfter waits for a bot message with a seq above seq.
func (s *faultShopper) botAfter(seq int) map[string]any {
	return s.until(func(f map[string]any) bool {
		return f["type"] == "message" && f["role"] == "bot" && f["seq"].(float64) > float64(seq)
	})
}

type faultMessage struct {
	Seq      int
	Role     string
	ClientID string
	Text     string
}

// faultMessages reads a conversation's messages straight from the database.
func faultMessages(t *testing.T, dbURL, conv string) []faultMessage {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `select seq, role, coalesce(client_id, ''), body from messages where conversation_id = $1 order by seq`, conv)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[faultMessage])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKillNodeMidStream: two kefu serve processes on one database; a
// shopper on node A is streaming a bot reply when A gets SIGKILL. The
// shopper (like widget.js) reconnects to node B with its last seq and gets
// exactly the messages it missed — no gap, no duplicate — and every
// acknowledged message is in the database exactly once.
func TestKillNodeMidStream(t *testing.T) {
	dbURL := pgtest.URL(t)
	key := faultSite(t, dbURL)
	fake := fakellm.New()
	const longReply = "Returns are accepted within thirty days of delivery. Pack the item in its original box, print the label from your order page, and drop it at any post office; the refund reaches your card within five business days of our receiving it."
	fake.Respond(func(fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: longReply} })
	model := httptest.NewServer(fake)
	t.Cleanup(model.Close)
	env := map[string]string{"DATABASE_URL": dbURL, "OPENAI_BASE_URL": model.URL + "/v1", "KEFU_CHAT_MODEL": "fake"}
	a := startFaultNode(t, env, "--visitor-rate", "10000")
	b := startFaultNode(t, env, "--visitor-rate", "10000")

	// Tab 1 on node A: one full exchange.
	tab1 := &faultShopper{t: t, seen: map[int]bool{}}
	tab1.connect(a.addr, key)
	s1 := tab1.say("m1", "how do returns work")
	tab1.botAfter(s1)

	// A slow stream for the next reply; kill A after its first delta.
	fake.SetTiming(0, 15)
	s2 := tab1.say("m2", "and how long does the refund take")
	tab1.until(func(f map[string]any) bool { return f["type"] == "delta" })
	killedAt := time.Now()
	a.kill9(t)
	if _, err := tab1.read(); err == nil {
		// Frames already in flight may arrive; the socket must end soon.
		for err == nil {
			_, err = tab1.read()
		}
	}
	seqAtKill := tab1.lastSeq

	// Meanwhile tab 2 (same visitor) on node B goes on talking.
	fake.SetTiming(0, 0)
	tab2 := &faultShopper{t: t, token: tab1.token, lastSeq: tab1.lastSeq, seen: map[int]bool{}}
	tab2.connect(b.addr, key)
	if tab2.conv != tab1.conv {
		t.Fatalf("tab 2 got conversation %s; want %s", tab2.conv, tab1.conv)
	}
	s3 := tab2.say("m3", "do you ship to Canada")
	tab2.botAfter(s3)

	// Tab 1 resumes on node B with its last seq.
	tab1.connect(b.addr, key)
	resumedIn := time.Since(killedAt)
	db := faultMessages(t, dbURL, tab1.conv)
	var want []int
	for _, m := range db {
		if m.Seq > seqAtKill && m.Role != "note" {
			want = append(want, m.Seq)
		}
	}
	for len(want) > 0 && !tab1.seen[want[len(want)-1]] {
		tab1.until(func(f map[string]any) bool { return f["type"] == "message" })
	}
	var replayed []int
	for seq := range tab1.seen {
		if seq > seqAtKill {
			replayed = append(replayed, seq)
		}
	}
	if len(replayed) != len(want) {
		t.Errorf("resumed after seq %d: got seqs %v; want exactly %v", seqAtKill, replayed, want)
	}
	// One more message on B: nothing seen before comes again (read fails on
	// a duplicate) and its own echo arrives.
	s4 := tab1.say("m4", "thanks, and what about exchanges")
	for !tab1.seen[s4] {
		tab1.until(func(f map[string]any) bool { return f["type"] == "message" })
	}

	db = faultMessages(t, dbURL, tab1.conv)
	count := map[string]int{}
	seqs := map[int]bool{}
	for i, m := range db {
		count[m.ClientID]++
		if seqs[m.Seq] || (i > 0 && m.Seq != db[i-1].Seq+1) {
			t.Errorf("database seqs not contiguous and unique: %v", db)
		}
		seqs[m.Seq] = true
		if m.Role == "bot" && m.Text != longReply && strings.HasPrefix(longReply, m.Text) {
			t.Errorf("bot message %d is a cut stream: %q", m.Seq, m.Text)
		}
	}
	for id, seq := range map[string]int{"m1": s1, "m2": s2, "m3": s3, "m4": s4} {
		if count[id] != 1 {
			t.Errorf("acknowledged message %s (seq %d) is in the database %d times; want once", id, seq, count[id])
		}
	}
	lost := true
	for _, m := range db {
		if m.Role == "bot" && m.Seq > s2 && m.Seq < s3 {
			lost = false
		}
	}
	t.Logf("killed node A mid-stream after seq %d; tab 1 resumed on B %v later and got seqs %v; reply to m2 in flight on A lost: %v; database: %d messages",
		seqAtKill, resumedIn.Round(time.Millisecond), want, lost, len(db))
}

// TestKilledNodesTurnIsAnswered: node A acknowledges a shopper's message
// and dies before the bot answers. Once A's lease on the turn runs out,
// node B's sweeper answers the message, once; the shopper (now on B) gets it.
func TestKilledNodesTurnIsAnswered(t *testing.T) {
	dbURL := pgtest.URL(t)
	key := faultSite(t, dbURL)
	fake := fakellm.New()
	fake.Respond(func(fakellm.Request) fakellm.Reply {
		return fakellm.Reply{Text: "Refunds reach your card within five business days."}
	})
	model := httptest.NewServer(fake)
	t.Cleanup(model.Close)
	env := map[string]string{"DATABASE_URL": dbURL, "OPENAI_BASE_URL": model.URL + "/v1", "KEFU_CHAT_MODEL": "fake"}
	a := startFaultNode(t, env, "--visitor-rate", "10000")
	b := startFaultNode(t, env, "--visitor-rate", "10000")

	shopper := &faultShopper{t: t, seen: map[int]bool{}}
	shopper.connect(a.addr, key)
	fake.SetTiming(20*time.Second, 50) // A's model call is still waiting when A dies
	seq := shopper.say("q1", "how long does the refund take")
	a.kill9(t)
	killedAt := time.Now()
	fake.SetTiming(0, 0)
	for { // what A sent before it died, until its socket ends
		if _, err := shopper.read(); err != nil {
			break
		}
	}
	shopper.connect(b.addr, key)
	reply := shopper.botAfter(seq)
	t.Logf("the message A took was answered by B %v after the kill", time.Since(killedAt).Round(time.Millisecond))
	if reply["text"] != "Refunds reach your card within five business days." {
		t.Errorf("reply = %v", reply["text"])
	}
	bots := 0
	for _, m := range faultMessages(t, dbURL, shopper.conv) {
		if m.Role == "bot" {
			bots++
		}
	}
	if bots != 1 {
		t.Errorf("%d bot messages stored; want 1", bots)
	}
}

// TestPostgresRestartUnderLoad: shoppers keep sending while the database
// (a private cluster) stops and starts again. /readyz says 503 while it is
// down; each message sent then gets an error frame, never silence; the
// shoppers resend with the same client_id (as widget.js does with pending
// messages) and after the restart every message is stored exactly once,
// without restarting kefu.
func TestPostgresRestartUnderLoad(t *testing.T) {
	ctx := context.Background()
	root, bin := pgtest.ClusterDir(t)
	dir := filepath.Join(root, "pg")
	cluster, err := pg.StartLocal(ctx, pg.LocalOptions{Dir: dir, BinDir: bin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Stop(context.Background()) })
	dbURL := cluster.URL("kefu")
	if err := pg.Migrate(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	key := faultSite(t, dbURL)
	addr := startFaultNodeInProc(t, map[string]string{"DATABASE_URL": dbURL}, "--visitor-rate", "100000", "--site-rate", "1000000")

	nClients := loadClients
	var (
		stopSending atomic.Bool
		errFrames   atomic.Int64
		acks        atomic.Int64
		closes      atomic.Int64 // sockets the server closed (4008 after the event listener's reconnect)
		reconnects  atomic.Int64
		helloFails  atomic.Int64
		wg          sync.WaitGroup
	)
	type result struct {
		conv string
		sent []string
	}
	results := make([]result, nClients)
	// told counts, per client, the clear signs of trouble it got: error
	// frames, and failed reconnects (an HTTP error or an error frame on hello).
	told := make([]atomic.Int64, nClients)
	fail := make(chan string, nClients)
	clients := make([]*faultShopper, nClients)
	for i := range clients {
		clients[i] = &faultShopper{t: t, seen: map[int]bool{}}
		clients[i].connect(addr, key)
	}
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i].conv = c.conv
			for k := 0; !stopSending.Load(); k++ {
				id := fmt.Sprintf("c%d-%d", i, k)
				results[i].sent = append(results[i].sent, id)
				// Send until acknowledged, resending the same client_id after an
				// error frame or on a new socket after a close (as widget.js
				// resends its pending messages after the welcome).
				for attempt := 0; ; attempt++ {
					if attempt > 600 {
						fail <- fmt.Sprintf("client %d: %s never acknowledged", i, id)
						return
					}
					if attempt > 0 {
						time.Sleep(100 * time.Millisecond)
					}
					if c.conn == nil {
						if err := c.tryConnect(addr, key); err != nil {
							c.conn = nil
							helloFails.Add(1)
							told[i].Add(1)
							continue
						}
						reconnects.Add(1)
					}
					c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
					if err := c.conn.WriteJSON(map[string]any{"type": "message", "client_id": id, "text": "where is my order " + id}); err != nil {
						c.conn.Close()
						c.conn = nil
						continue
					}
					var got map[string]any
					for got == nil {
						f, err := c.read()
						var closed *websocket.CloseError
						if errors.As(err, &closed) {
							closes.Add(1)
							c.conn.Close()
							c.conn = nil
							break
						}
						if err != nil {
							fail <- fmt.Sprintf("client %d: no ack, error frame or close for %s (a silent drop): %v", i, id, err)
							return
						}
						if (f["type"] == "ack" && f["client_id"] == id) || f["type"] == "error" {
							got = f
						}
					}
					if got == nil {
						continue
					}
					if got["type"] == "ack" {
						acks.Add(1)
						break
					}
					errFrames.Add(1)
					told[i].Add(1)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}

	time.Sleep(time.Second)
	before := acks.Load()
	stopAt := time.Now()
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := time.Since(stopAt)
	unready := faultWait(t, addr, "/readyz", http.StatusServiceUnavailable, 30*time.Second)
	faultWait(t, addr, "/healthz", http.StatusOK, 5*time.Second)
	// Let the shoppers meet the outage.
	allTold := func() bool {
		for i := range told {
			if told[i].Load() == 0 {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(30 * time.Second); !allTold() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	duringOutage := errFrames.Load()
	restartAt := time.Now()
	if cluster, err = pg.StartLocal(ctx, pg.LocalOptions{Dir: dir, BinDir: bin, Port: cluster.Port}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Stop(context.Background()) })
	if got := cluster.URL("kefu"); got != dbURL {
		t.Fatalf("restarted cluster at %s; want %s", got, dbURL)
	}
	started := time.Since(restartAt)
	faultWait(t, addr, "/readyz", http.StatusOK, 60*time.Second)
	ready := time.Since(restartAt)
	acksAtReady := acks.Load()
	for deadline := time.Now().Add(60 * time.Second); acks.Load() < acksAtReady+int64(nClients)*3 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	firstAckAfter := time.Since(restartAt)
	stopSending.Store(true)
	wg.Wait()
	close(fail)
	for msg := range fail {
		t.Error(msg)
	}
	for i := range told {
		if told[i].Load() == 0 {
			t.Errorf("client %d sent during the outage and was never told (no error frame, no failed hello)", i)
		}
	}
	if acks.Load() < acksAtReady+int64(nClients)*3 {
		t.Errorf("only %d acks after the restart; want the shoppers going again", acks.Load()-acksAtReady)
	}

	// Every message sent is stored exactly once.
	total := 0
	for i, r := range results {
		count := map[string]int{}
		for _, m := range faultMessages(t, dbURL, r.conv) {
			if m.Role == "shopper" {
				count[m.ClientID]++
			}
		}
		for _, id := range r.sent {
			if count[id] != 1 {
				t.Errorf("client %d: message %s stored %d times; want once", i, id, count[id])
			}
			delete(count, id)
			total++
		}
		if len(count) > 0 {
			t.Errorf("client %d: unexpected messages stored: %v", i, count)
		}
	}
	// The node works end to end again: a new shopper gets a bot reply.
	late := &faultShopper{t: t, seen: map[int]bool{}}
	late.connect(addr, key)
	late.botAfter(late.say("late", "hello"))
	t.Logf("%d clients, %d messages (%d acked before the stop); pg_ctl stop took %v; /readyz 503 after %v; %d error frames during the outage (%d in all); pg_ctl start took %v, /readyz 200 %v after it began; %d more acks within %v; %d sockets closed by the server, %d reconnects, %d failed hellos",
		nClients, total, before, stopped.Round(time.Millisecond), unready.Round(time.Millisecond), duringOutage, errFrames.Load(),
		started.Round(time.Millisecond), ready.Round(time.Millisecond), acks.Load()-acksAtReady, firstAckAfter.Round(time.Millisecond), closes.Load(), reconnects.Load(), helloFails.Load())
}

// TestReconnectStorm: many shoppers with conversations all reconnect at
// once (as after a node restart). The node stays up and keeps answering
// /healthz, and every client is welcomed again within 12 tries, or its last
// try is refused clearly (an HTTP status, a close code or an error frame:
// what a rate limit does), counted.
func TestReconnectStorm(t *testing.T) {
	dbURL := pgtest.URL(t)
	key := faultSite(t, dbURL)
	addr := startFaultNodeInProc(t, map[string]string{"DATABASE_URL": dbURL}, "--new-visitor-rate", "100000")
	n := stormClients

	// The visitors exist first: n hellos, 16 at a time.
	tokens := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range tokens {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := faultDial(addr, key)
			if err != nil {
				t.Errorf("dial: %v", err)
				return
			}
			defer c.Close()
			c.WriteJSON(map[string]any{"type": "hello", "visitor_token": nil, "last_seq": 0})
			var w map[string]any
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if err := c.ReadJSON(&w); err != nil || w["type"] != "welcome" {
				t.Errorf("hello: %v %v", w, err)
				return
			}
			tokens[i], _ = w["visitor_token"].(string)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// All at once, each retrying like widget.js (backoff with jitter) until
	// welcomed. A refusal must be clear: an HTTP status before the upgrade,
	// a close code or an error frame — never a hang or a reset.
	var welcomed, retries, refusedHTTP, closedWS, errorFrames atomic.Int64
	var healthFails atomic.Int64
	stopHealth := make(chan struct{})
	healthDone := make(chan struct{})
	go func() {
		defer close(healthDone)
		client := &http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-stopHealth:
				return
			case <-time.After(100 * time.Millisecond):
			}
			resp, err := client.Get("http://" + addr + "/healthz")
			if err != nil || resp.StatusCode != http.StatusOK {
				healthFails.Add(1)
			}
			if err == nil {
				resp.Body.Close()
			}
		}
	}()
	start := time.Now()
	gate := make(chan struct{})
	conns := make([]*websocket.Conn, n)
	unclear := make([]string, n) // the last unclear failure of a client never welcomed
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			for attempt := 0; attempt < 12; attempt++ {
				if attempt > 0 {
					retries.Add(1)
					time.Sleep(time.Duration(100<<min(attempt, 5)) * time.Millisecond)
				}
				d := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
				c, resp, err := d.Dial("ws://"+addr+"/v1/widget/ws?site="+key, http.Header{"Origin": {"http://shop.test"}})
				if err != nil {
					if resp != nil && resp.StatusCode >= 400 {
						refusedHTTP.Add(1)
						unclear[i] = ""
					} else {
						unclear[i] = "dial: " + err.Error()
					}
					continue
				}
				c.WriteJSON(map[string]any{"type": "hello", "visitor_token": tokens[i], "last_seq": 0})
				c.SetReadDeadline(time.Now().Add(30 * time.Second))
				var w map[string]any
				err = c.ReadJSON(&w)
				var closed *websocket.CloseError
				switch {
				case err == nil && w["type"] == "welcome":
					welcomed.Add(1)
					conns[i], unclear[i] = c, ""
					return
				case err == nil && w["type"] == "error":
					errorFrames.Add(1)
					unclear[i] = ""
				case errors.As(err, &closed):
					closedWS.Add(1)
					unclear[i] = ""
				default:
					unclear[i] = fmt.Sprintf("hello: %v %v", w, err)
				}
				c.Close()
			}
		}()
	}
	close(gate)
	wg.Wait()
	took := time.Since(start)
	close(stopHealth)
	<-healthDone
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	faultWait(t, addr, "/healthz", http.StatusOK, 5*time.Second)
	for i, u := range unclear {
		if u != "" {
			t.Errorf("client %d was never welcomed nor clearly refused: %s", i, u)
		}
	}
	if welcomed.Load() == 0 {
		t.Errorf("no client welcomed back")
	}
	if healthFails.Load() > 0 {
		t.Errorf("/healthz failed %d times during the storm", healthFails.Load())
	}
	t.Logf("%d clients reconnected at once: %d welcomed in %v; %d retries; refusals: %d HTTP, %d close codes, %d error frames; /healthz never failed",
		n, welcomed.Load(), took.Round(time.Millisecond), retries.Load(), refusedHTTP.Load(), closedWS.Load(), errorFrames.Load())
}
