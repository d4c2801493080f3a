package web

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Limits shared by the widget and the console sockets (STYLE C12).
const (
	wsWriteWait  = 5 * time.Second  // for one frame to be written
	wsPongWait   = 60 * time.Second // silence after which a client is gone
	wsPingPeriod = 25 * time.Second
	closeSlow    = 4008 // the client did not take its frames: reconnect and resume
)

var wsWriteBuffers = &sync.Pool{}

// upgrade turns an HTTP request into a websocket. The origin is checked by
// the caller (against the site, or kefu's own), before.
func upgrade(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	up := websocket.Upgrader{
		ReadBufferSize: 512, WriteBufferSize: 1024, WriteBufferPool: wsWriteBuffers,
		CheckOrigin: func(*http.Request) bool { return true },
	}
	return up.Upgrade(w, r, nil) // on error the upgrader has answered
}

// wsConn is one websocket, a shopper's widget or an agent's console.
//
//   - One reader: one goroutine at a time calls read, which reads a frame
//     and handles it before the next, so frames are handled in order. The
//     handshake (the widget's hello, the console's welcome) is read on the
//     request's goroutine; a goroutine of its own then serves the rest.
//   - One writer: only the writer writes (frames, pings, the close frame).
//     It runs while there is something to write and ends when there is
//     not, so an idle socket owns no goroutine but its reader; at 15,000
//     sockets a writer waiting on each would cost 3–4 KB more per socket
//     (docs/benchmarks.md).
//   - A bounded queue between them: send and publish never block, so the
//     hub can call them. A client that lets more than limit frames pile up
//     is closed with 4008 and its queue dropped; it reconnects and resumes.
//   - Events (publish) are held until open, which queues the first frames
//     (a welcome, a replay: they do not count against the limit) ahead of
//     them; a filter given to open then drops the events the first frames
//     already told. Replies (send) go out at once.
//   - close ends the socket after what is queued, drop without it; from any
//     goroutine, any number of times (the first code wins). The writer sends
//     the close frame and closes the connection; the reader's read then
//     fails, and end returns once the writer has ended. After end returns
//     nothing of the socket runs, and nothing new starts.
type wsConn struct {
	limit int

	mu      sync.Mutex
	ws      *websocket.Conn // nil until attach
	queue   []any           // frames for the writer, encoded as JSON when written
	held    []any           // events published before open
	opened  bool
	keep    func(any) bool // after open: whether an event is still news
	room    int            // open's first frames still queued: the limit grows by them
	writing bool           // the writer runs
	ping    bool           // a ping is due
	code    int            // the close code once closing; 0 while open
	reason  string
	gone    bool          // the connection is closed
	idle    chan struct{} // closed when the writer ends, for end waiting on it
}

// newWSConn returns a socket whose client may leave limit frames waiting.
func newWSConn(limit int) *wsConn { return &wsConn{limit: limit} }

// attach gives c its upgraded connection. Until open, the client has
// firstWait for its handshake (pongs do not extend it: answering pings is
// not saying hello); once open, each pong gives it wsPongWait more. A
// socket closed before (the server shutting down during the upgrade) is
// closed now.
func (c *wsConn) attach(ws *websocket.Conn, readLimit int64, firstWait time.Duration) {
	ws.SetReadLimit(readLimit)
	ws.SetReadDeadline(time.Now().Add(firstWait))
	ws.SetPongHandler(func(string) error {
		c.mu.Lock()
		opened := c.opened
		c.mu.Unlock()
		if !opened {
			return nil
		}
		return ws.SetReadDeadline(time.Now().Add(wsPongWait))
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ws = ws
	c.wakeLocked()
}

// closing reports whether the socket is closing or closed.
func (c *wsConn) closing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code != 0 || c.gone
}

// send queues a reply: false when the socket is closing, or was just
// closed for being slow.
func (c *wsConn) send(frame any) bool { return c.enqueue(frame, false) }

// publish queues an event, held until open: false as send.
func (c *wsConn) publish(frame any) bool { return c.enqueue(frame, true) }

func (c *wsConn) enqueue(frame any, event bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.code != 0 || c.gone {
		return false
	}
	if len(c.queue)+len(c.held) >= c.limit+c.room {
		c.closeLocked(closeSlow, "slow client: reconnect", true)
		return false
	}
	if event && !c.opened {
		c.held = append(c.held, frame)
		return true
	}
	if event && c.keep != nil && !c.keep(frame) {
		return true
	}
	c.queue = append(c.queue, frame)
	c.wakeLocked()
	return true
}

// open queues first, then the held events, and lets later events straight
// through. keep, when not nil, is asked (under c's lock) about every event
// from then on, held or later: false drops one the first frames already
// told (a message of the replay that a slower node publishes late).
func (c *wsConn) open(first []any, keep func(any) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.opened || c.code != 0 || c.gone {
		return
	}
	c.queue = append(c.queue, first...)
	for _, f := range c.held {
		if keep == nil || keep(f) {
			c.queue = append(c.queue, f)
		}
	}
	c.held, c.room, c.opened, c.keep = nil, len(first), true, keep
	c.wakeLocked()
}

// close ends the socket once what is queued is written.
func (c *wsConn) close(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, reason, false)
}

// drop ends the socket now: what is queued is not written.
func (c *wsConn) drop(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, reason, true)
}

func (c *wsConn) closeLocked(code int, reason string, drop bool) {
	if c.code != 0 || c.gone {
		return
	}
	c.code, c.reason, c.held = code, reason, nil
	if drop {
		c.queue, c.room = nil, 0
	}
	c.wakeLocked()
}

// pingLater asks the writer for a ping (the pong extends the read deadline).
func (c *wsConn) pingLater() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.code == 0 && !c.gone {
		c.ping = true
		c.wakeLocked()
	}
}

// wakeLocked starts the writer when there is something to write.
func (c *wsConn) wakeLocked() {
	if c.writing || c.ws == nil || c.gone {
		return
	}
	if c.code == 0 && !c.ping && len(c.queue) == 0 {
		return
	}
	c.writing = true
	go c.write()
}

// write is the writer: frames first, then a ping, then the close.
func (c *wsConn) write() {
	for {
		c.mu.Lock()
		var frame any
		ping, closing := false, false
		switch {
		case c.gone:
		case len(c.queue) > 0:
			frame, c.queue[0] = c.queue[0], nil
			if c.queue = c.queue[1:]; len(c.queue) == 0 {
				c.queue = nil // an idle socket keeps no array
			}
			c.room = max(c.room-1, 0)
		case c.ping:
			c.ping, ping = false, true
		case c.code != 0:
			closing = true
		}
		if frame == nil && !ping && !closing {
			c.writing = false
			if c.idle != nil {
				close(c.idle)
				c.idle = nil
			}
			c.mu.Unlock()
			return
		}
		code, reason := c.code, c.reason
		c.mu.Unlock()

		deadline := time.Now().Add(wsWriteWait)
		var err error
		switch {
		case frame != nil:
			c.ws.SetWriteDeadline(deadline)
			err = c.ws.WriteJSON(frame)
		case ping:
			err = c.ws.WriteControl(websocket.PingMessage, nil, deadline)
		default:
			c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), deadline)
			err = websocket.ErrCloseSent
		}
		if err != nil { // closed, or a write failed: the client is gone
			c.ws.Close()
			c.mu.Lock()
			c.gone, c.queue, c.room = true, nil, 0
			c.mu.Unlock()
		}
	}
}

// read reads one frame and hands it to handle. False when the socket ends:
// the connection failed, or handle returned false (then what is queued is
// written before the close). Only the reader calls read, then end.
func (c *wsConn) read(handle func(kind int, data []byte) bool) bool {
	kind, data, err := c.ws.ReadMessage()
	if err != nil {
		c.drop(websocket.CloseNormalClosure, "") // closed, timed out, or too large (gorilla answers 1009)
		return false
	}
	if !handle(kind, data) {
		c.close(websocket.CloseNormalClosure, "")
		return false
	}
	return true
}

// end returns once the socket is closed and its writer has ended.
func (c *wsConn) end() {
	c.close(websocket.CloseNormalClosure, "")
	c.mu.Lock()
	for c.writing {
		idle := make(chan struct{})
		c.idle = idle
		c.mu.Unlock()
		<-idle
		c.mu.Lock()
	}
	c.mu.Unlock()
}

// sockets are this server's open websockets, the widget's and the
// console's: one pinger pings them all, Shutdown closes them and waits.
type sockets struct {
	mu      sync.Mutex
	conns   map[*wsConn]struct{}
	closing bool
	stop    chan struct{} // ends the pinger; nil until the first socket
	wg      sync.WaitGroup
	period  time.Duration // between pings; 0: wsPingPeriod
}

// add counts c as open before its connection is upgraded, so that
// Shutdown waits for it from then on. False once Shutdown has begun.
// Under the lock, so no Add can meet Shutdown's Wait.
func (r *sockets) add(c *wsConn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return false
	}
	if r.conns == nil {
		r.conns = map[*wsConn]struct{}{}
	}
	if r.stop == nil { // the pinger starts with the first socket
		r.stop = make(chan struct{})
		r.wg.Add(1)
		go r.ping(r.stop)
	}
	r.conns[c] = struct{}{}
	r.wg.Add(1)
	return true
}

// remove ends what add began: c's goroutines have ended.
func (r *sockets) remove(c *wsConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.conns[c]; ok {
		delete(r.conns, c)
		r.wg.Done()
	}
}

func (r *sockets) snapshot() []*wsConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*wsConn, 0, len(r.conns))
	for c := range r.conns {
		out = append(out, c)
	}
	return out
}

// ping asks every socket's writer for a ping each period, until stop.
func (r *sockets) ping(stop <-chan struct{}) {
	defer r.wg.Done()
	period := r.period
	if period <= 0 {
		period = wsPingPeriod
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			for _, c := range r.snapshot() {
				c.pingLater()
			}
		}
	}
}

// shutdown tells every socket the server is going away (1001: the widget
// reconnects, to another node if there is one; the console too) and
// waits for them until ctx ends.
func (r *sockets) shutdown(ctx context.Context) error {
	r.mu.Lock()
	if !r.closing {
		r.closing = true
		if r.stop != nil {
			close(r.stop)
		}
	}
	r.mu.Unlock()
	for _, c := range r.snapshot() {
		c.drop(websocket.CloseGoingAway, "server restarting")
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		r.mu.Lock()
		n := len(r.conns)
		r.mu.Unlock()
		return fmt.Errorf("%d websockets still open: %w", n, ctx.Err())
	}
}

// testHooks stop a socket at a chosen point, so that tests order what
// happens concurrently without sleeping (export_test.go). Each may be nil.
type testHooks struct {
	helloReplayed func(conversationID string, closeSocket func()) // hello has read the replay
	helloQueueing func()                                          // hello is about to queue the welcome and the replay
	deliver       func()                                          // the hub hands a widget socket an event
	agentUpgraded func()                                          // an agent socket's connection has been upgraded
}

var noHooks testHooks

// hook returns the test hooks (all nil in production).
func (s *Server) hook() *testHooks {
	if h := s.hooks.Load(); h != nil {
		return h
	}
	return &noHooks
}
