package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// pipeListener hands an http.Server one end of an in-memory pipe.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}
func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.UnixAddr{Name: "pipe", Net: "pipe"} }

// pipeSocket returns a wsConn whose reader runs, and its client, over an
// in-memory pipe: a write waits until the client reads it, so a client
// that does not read is as slow as can be, deterministically. served is
// closed when serve has returned.
func pipeSocket(t *testing.T, limit int, handle func(int, []byte) bool) (c *wsConn, client *websocket.Conn, served chan struct{}) {
	t.Helper()
	serverEnd, clientEnd := net.Pipe()
	ln := &pipeListener{conns: make(chan net.Conn, 1), done: make(chan struct{})}
	ln.conns <- serverEnd
	c, served = newWSConn(limit), make(chan struct{})
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrade(w, r)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		c.attach(ws, 1<<10, time.Minute)
		go func() {
			defer close(served)
			for c.read(handle) {
			}
			c.end()
		}()
	})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	d := websocket.Dialer{NetDial: func(string, string) (net.Conn, error) { return clientEnd, nil }}
	client, _, err := d.Dial("ws://pipe/", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	client.SetReadDeadline(time.Now().Add(20 * time.Second)) // bounds a failing test only
	return c, client, served
}

func keepAll(int, []byte) bool { return true }

// readUntilClose returns the frames a client reads and the close error.
func readUntilClose(t *testing.T, client *websocket.Conn) ([]map[string]any, *websocket.CloseError) {
	t.Helper()
	var frames []map[string]any
	for {
		var f map[string]any
		err := client.ReadJSON(&f)
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return frames, ce
		}
		if err != nil {
			t.Fatalf("read: %v (after %v)", err, frames)
		}
		frames = append(frames, f)
	}
}

func wait(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second): // bounds a failing test only
		t.Fatalf("%s never happened", what)
	}
}

// A client that does not take its frames is closed with 4008 once more
// than limit wait, and what waited is dropped: the client reads at most
// the frame that was being written, then the close. The reader ends after
// the writer.
func TestWSConnSlowClient(t *testing.T) {
	c, client, served := pipeSocket(t, 4, keepAll)
	c.open(nil, nil)
	refused := 0
	for i := range 8 {
		if !c.publish(map[string]int{"n": i}) {
			refused++
		}
	}
	if refused < 3 || !c.closing() {
		t.Fatalf("%d of 8 frames refused, closing %v; want the socket closed once more than 4 waited", refused, c.closing())
	}
	frames, ce := readUntilClose(t, client)
	if ce.Code != closeSlow || len(frames) > 1 || len(frames) == 1 && frames[0]["n"] != 0.0 {
		t.Errorf("the slow client read %v, then %v; want at most the first frame, then close 4008", frames, ce)
	}
	wait(t, "serve returning", served)
	if c.send("late") {
		t.Error("a closed socket took a frame")
	}
}

// Events wait for open; replies do not. open queues its first frames ahead
// of the held events, and its filter drops events, held or later, that the
// first frames already told. close writes what is queued, then the close.
func TestWSConnOpenOrderAndClose(t *testing.T) {
	c, client, served := pipeSocket(t, 8, keepAll)
	n := func(i int) map[string]int { return map[string]int{"n": i} }
	c.publish(n(1)) // told by the replay
	c.publish(n(3))
	c.send(map[string]string{"reply": "before the welcome"})
	var f map[string]any
	if err := client.ReadJSON(&f); err != nil || f["reply"] != "before the welcome" {
		t.Fatalf("first frame %v, %v; want the reply (events wait for open)", f, err)
	}
	c.open([]any{map[string]string{"welcome": "yes"}, n(2)}, func(f any) bool {
		m, ok := f.(map[string]int)
		return !ok || m["n"] > 2
	})
	c.publish(n(2)) // late, from a slower node: the replay told it
	c.publish(n(4))
	c.close(websocket.CloseNormalClosure, "bye")
	if c.publish(n(5)) {
		t.Error("a closing socket took an event")
	}
	frames, ce := readUntilClose(t, client)
	var got []any
	for _, f := range frames {
		if f["welcome"] != nil {
			got = append(got, "welcome")
		} else {
			got = append(got, f["n"])
		}
	}
	if len(got) != 4 || got[0] != "welcome" || got[1] != 2.0 || got[2] != 3.0 || got[3] != 4.0 || ce.Code != 1000 || ce.Text != "bye" {
		t.Errorf("the client read %v, then %v; want welcome 2 3 4, then close 1000 bye", got, ce)
	}
	wait(t, "serve returning", served)
}

// open's first frames (a long replay) do not count against the limit.
func TestWSConnFirstFramesAreNotSlow(t *testing.T) {
	c, client, served := pipeSocket(t, 2, keepAll)
	first := make([]any, 10)
	for i := range first {
		first[i] = map[string]int{"n": i}
	}
	c.open(first, nil)
	if !c.publish(map[string]int{"n": 10}) || c.closing() {
		t.Fatal("a socket with ten frames of its welcome waiting was closed as slow")
	}
	c.close(websocket.CloseNormalClosure, "")
	frames, _ := readUntilClose(t, client)
	if len(frames) != 11 {
		t.Errorf("the client read %d frames; want 11", len(frames))
	}
	wait(t, "serve returning", served)
}

// The reader hands frames to handle in order; false ends the socket after
// what is queued (a reply saying why).
func TestWSConnReader(t *testing.T) {
	var c *wsConn
	var got []string
	c, client, served := pipeSocket(t, 8, func(_ int, data []byte) bool {
		got = append(got, string(data))
		if string(data) == "stop" {
			c.send(map[string]string{"error": "stopped"})
			return false
		}
		return true
	})
	for _, m := range []string{"one", "two", "stop"} {
		if err := client.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	frames, ce := readUntilClose(t, client)
	wait(t, "serve returning", served)
	if len(got) != 3 || got[2] != "stop" || len(frames) != 1 || frames[0]["error"] != "stopped" || ce.Code != 1000 {
		t.Errorf("handled %q; the client read %v, then %v; want one two stop, the reply, close 1000", got, frames, ce)
	}
}

// The set of sockets pings each through its writer, and shutdown closes
// them with 1001 and waits for their readers; a socket is refused after.
func TestSocketsPingAndShutdown(t *testing.T) {
	r := &sockets{period: 10 * time.Millisecond}
	c, client, served := pipeSocket(t, 8, keepAll)
	if !r.add(c) {
		t.Fatal("add refused before shutdown")
	}
	go func() { <-served; r.remove(c) }()
	pinged := make(chan struct{})
	var once sync.Once
	client.SetPingHandler(func(string) error { once.Do(func() { close(pinged) }); return nil })
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := client.ReadMessage(); err != nil {
				readErr <- err
				return
			}
		}
	}()
	wait(t, "a ping", pinged)
	if err := r.shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case <-served:
	default:
		t.Error("shutdown returned before the socket's reader")
	}
	if err := <-readErr; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("the client read %v; want close 1001", err)
	}
	if r.add(newWSConn(1)) {
		t.Error("a socket was added after shutdown")
	}
}

// Until the socket is opened (the widget's hello answered), a pong does not
// extend its first deadline: a client that answers pings but never says
// hello is closed when its time to say it is up.
func TestWSConnPongBeforeOpen(t *testing.T) {
	serverEnd, clientEnd := net.Pipe()
	ln := &pipeListener{conns: make(chan net.Conn, 1), done: make(chan struct{})}
	ln.conns <- serverEnd
	c, served := newWSConn(4), make(chan struct{})
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrade(w, r)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		c.attach(ws, 1<<10, 200*time.Millisecond) // the deadline under test, not a wait
		c.pingLater()
		go func() {
			defer close(served)
			for c.read(keepAll) {
			}
			c.end()
		}()
	})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	d := websocket.Dialer{NetDial: func(string, string) (net.Conn, error) { return clientEnd, nil }}
	client, _, err := d.Dial("ws://pipe/", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer client.Close()
	pinged := make(chan struct{}, 1)
	client.SetPingHandler(func(data string) error {
		pinged <- struct{}{}
		return client.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go func() {
		for {
			if _, _, err := client.ReadMessage(); err != nil {
				return
			}
		}
	}()
	wait(t, "a ping", pinged)
	wait(t, "the socket closing when its first deadline passed", served)
}
