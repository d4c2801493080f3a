package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// trusting returns a client that treats the test server's loopback address
// as public, so the private-address rules can be seen on redirects.
func trusting(opts Options) *Client {
	c := New(opts)
	c.trusted = netip.MustParseAddr("127.0.0.1")
	return c
}

func TestRefusesLoopbackAfterResolving(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	c := New(Options{Delay: -1})
	for _, u := range []string{srv.URL, "http://localhost:" + port + "/"} {
		_, err := c.Get(context.Background(), Request{URL: u})
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Get(%s) = %v; want a loopback refusal", u, err)
		}
	}
	res, err := c.Get(context.Background(), Request{URL: srv.URL, AllowPrivate: true})
	if err != nil || string(res.Body) != "secret" {
		t.Fatalf("Get with AllowPrivate = %v, %v; want the body", res, err)
	}
}

func TestRefusesRedirectToPrivate(t *testing.T) {
	var target string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	c := trusting(Options{Delay: -1})
	for _, tc := range []struct{ to, want string }{
		{"http://169.254.169.254/latest/meta-data/", "metadata"},
		{"http://10.1.2.3/admin", "private"},
		{"http://[::1]:" + port + "/", "loopback"},
		{"http://127.0.0.2:" + port + "/", "loopback"},
		{"file:///etc/passwd", "only http and https"},
	} {
		target = tc.to
		_, err := c.Get(context.Background(), Request{URL: srv.URL})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("redirect to %s: err = %v; want it refused (%s)", tc.to, err, tc.want)
		}
	}
}

func TestCheckIP(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		public bool
	}{
		{"93.184.215.14", true}, {"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true},
		{"127.0.0.1", false}, {"::1", false}, {"10.0.0.1", false}, {"172.16.5.4", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, {"fe80::1", false}, {"fd00:ec2::254", false}, {"0.0.0.0", false}, {"::", false},
		{"100.64.0.1", false}, {"::ffff:10.0.0.1", false}, {"224.0.0.1", false}, {"255.255.255.255", false},
	} {
		err := CheckIP(netip.MustParseAddr(tc.ip))
		if (err == nil) != tc.public {
			t.Errorf("CheckIP(%s) = %v; want public %v", tc.ip, err, tc.public)
		}
	}
}

func TestLimits(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		for range 200 {
			w.Write(bytes.Repeat([]byte("a"), 1024))
		}
	})
	// 20 MB of zeros, about 20 KB compressed, sent as Content-Encoding.
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write(make([]byte, 20<<20))
	zw.Close()
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<p>first bytes"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop2", http.StatusFound) })
	mux.HandleFunc("/loop2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/image", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG"))
	})
	mux.HandleFunc("/cookie", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "track", Value: "1"})
		if _, err := r.Cookie("track"); err == nil {
			w.WriteHeader(http.StatusTeapot) // a cookie came back
			return
		}
		if r.URL.Query().Get("again") != "" {
			fmt.Fprint(w, "no cookie")
			return
		}
		http.Redirect(w, r, "/cookie?again=1", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := New(Options{Delay: -1, MaxBytes: 100 << 10})
	slow := New(Options{Delay: -1, MaxBytes: 100 << 10, Timeout: 300 * time.Millisecond})
	get := func(path string, accept ...string) (*Response, error) {
		c := c
		if path == "/slow" {
			c = slow
		}
		return c.Get(context.Background(), Request{URL: srv.URL + path, AllowPrivate: true, Accept: accept})
	}
	for _, tc := range []struct {
		path string
		want error
	}{
		{"/big", ErrTooLarge}, {"/bomb", ErrTooLarge}, {"/slow", ErrTimeout}, {"/loop", ErrRedirects}, {"/image", ErrContentType},
	} {
		_, err := get(tc.path, "text/html")
		if !errors.Is(err, tc.want) {
			t.Errorf("Get(%s) = %v; want %v", tc.path, err, tc.want)
		}
	}
	res, err := get("/cookie")
	if err != nil || res.Status != http.StatusOK || string(res.Body) != "no cookie" {
		t.Errorf("Get(/cookie) = %v, %v: a cookie was sent back", res, err)
	}
}

func TestTLSVerified(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer srv.Close()
	_, err := New(Options{Delay: -1}).Get(context.Background(), Request{URL: srv.URL, AllowPrivate: true})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Get(self-signed) = %v; want a certificate error", err)
	}
}

func TestConditionalAndUserAgent(t *testing.T) {
	var ua atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent())
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, "body")
	}))
	defer srv.Close()
	c := New(Options{Delay: -1, UserAgent: "kefu/test (+http://kefu.example)"})
	res, err := c.Get(context.Background(), Request{URL: srv.URL, AllowPrivate: true})
	if err != nil || res.ETag != `"v1"` || string(res.Body) != "body" {
		t.Fatalf("first Get = %+v, %v", res, err)
	}
	res, err = c.Get(context.Background(), Request{URL: srv.URL, AllowPrivate: true, ETag: res.ETag})
	if err != nil || !res.NotModified {
		t.Fatalf("conditional Get = %+v, %v; want NotModified", res, err)
	}
	if got := ua.Load(); got != "kefu/test (+http://kefu.example)" {
		t.Errorf("User-Agent = %q", got)
	}
}

// TestPerHostLimit checks that no more than PerHost requests reach one host
// at a time: the server holds each request until the test has seen how many
// are in at once.
func TestPerHostLimit(t *testing.T) {
	var inFlight, most atomic.Int32
	arrived := make(chan struct{}, 10)
	proceed := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		arrived <- struct{}{}
		<-proceed
		inFlight.Add(-1)
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	c := New(Options{Delay: -1, PerHost: 2})
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Get(context.Background(), Request{URL: srv.URL, AllowPrivate: true})
		}()
	}
	for range 6 {
		<-arrived
		if got := inFlight.Load(); got > 2 {
			t.Errorf("%d requests in flight at once; want at most 2", got)
		}
		proceed <- struct{}{}
	}
	wg.Wait()
	if most.Load() > 2 {
		t.Errorf("at most %d requests at once; want 2", most.Load())
	}
}
