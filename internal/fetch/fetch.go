// Package fetch is kefu's one guarded HTTP client for addresses that users
// name (knowledge sources: help centers, sitemaps, product feeds). No other
// package of kefu dials out on a user's behalf (scripts/lint.sh checks; the
// model endpoint, which the operator configures, is llm's).
//
// Invariants, each checked by a test:
//   - Only http and https URLs; no credentials in URLs.
//   - Every connection's address is checked after DNS resolution, at dial
//     time, so redirects and re-resolved names are checked too: loopback,
//     private, link-local (cloud metadata at 169.254.169.254 included),
//     unspecified, multicast, carrier-grade NAT and other special ranges are
//     refused unless the request allows private addresses.
//   - No proxy from the environment (it would dial for us, unchecked), no
//     cookie jar, TLS certificates verified.
//   - At most MaxRedirects redirects, each to http or https; a loop ends there.
//   - Bodies are read up to MaxBytes after decompression (a compressed bomb
//     stops at the limit), and a request takes at most Timeout in all.
//   - Per host at most PerHost requests at a time, and at least Delay
//     between the starts of two requests to one host.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Errors a fetch may wrap; callers test them with errors.Is.
var (
	ErrRefused     = errors.New("address refused")         // private, loopback, link-local or special address
	ErrTooLarge    = errors.New("response too large")      // body over MaxBytes
	ErrTimeout     = errors.New("timed out")               // the request took longer than Timeout
	ErrRedirects   = errors.New("too many redirects")      // more than MaxRedirects (a loop ends here)
	ErrContentType = errors.New("unexpected content type") // not one the request accepts
	ErrURL         = errors.New("invalid URL")             // not http(s), credentials, no host
)

// Options configure a Client; zero fields take the defaults below.
type Options struct {
	UserAgent    string        // e.g. "kefu/1.2 (+https://kefu.example.com)"
	MaxBytes     int64         // largest body read, after decompression; default 5 MB
	Timeout      time.Duration // one request in all (connect, headers, body); default 30 s
	MaxRedirects int           // default 5
	PerHost      int           // requests at a time per host; default 2
	Delay        time.Duration // least time between the starts of two requests to one host; default 200 ms, negative for none
}

// Defaults.
const (
	DefaultMaxBytes     = 5 << 20
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRedirects = 5
	DefaultPerHost      = 2
	DefaultDelay        = 200 * time.Millisecond
)

// Client fetches URLs under the rules of the package comment. It is safe for
// concurrent use.
type Client struct {
	opts    Options
	public  *http.Client // refuses private addresses
	private *http.Client // allows them (a source an admin allowed, audited)

	mu    sync.Mutex
	hosts map[string]*hostGate

	// trusted is one address treated as public (tests: a loopback server
	// standing in for a public site).
	trusted netip.Addr
}

// New returns a client with opts.
func New(opts Options) *Client {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.PerHost <= 0 {
		opts.PerHost = DefaultPerHost
	}
	if opts.Delay == 0 {
		opts.Delay = DefaultDelay
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "kefu"
	}
	c := &Client{opts: opts, hosts: map[string]*hostGate{}}
	c.public = c.httpClient(false)
	c.private = c.httpClient(true)
	return c
}

func (c *Client) httpClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			return c.checkAddress(address)
		}
	}
	tr := &http.Transport{
		Proxy:                  nil, // never the environment's proxy: it would dial unchecked
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           20,
		MaxIdleConnsPerHost:    DefaultPerHost,
		IdleConnTimeout:        60 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  c.opts.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: tr,
		Jar:       nil, // no cookies, ever
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > c.opts.MaxRedirects {
				return fmt.Errorf("%w (more than %d, from %s)", ErrRedirects, c.opts.MaxRedirects, via[0].URL.Redacted())
			}
			if err := checkURL(req.URL); err != nil {
				return err
			}
			if !allowPrivate {
				if ip, err := netip.ParseAddr(strings.Trim(req.URL.Hostname(), "[]")); err == nil && ip != c.trusted {
					if err := checkIP(ip); err != nil {
						return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), err)
					}
				}
			}
			return nil
		},
	}
}

// Request is one GET.
type Request struct {
	URL string
	// AllowPrivate lets the request reach private and loopback addresses
	// (an admin's explicit, audited permission for one source).
	AllowPrivate bool
	// ETag and LastModified make the request conditional (If-None-Match,
	// If-Modified-Since); a 304 answer comes back as NotModified.
	ETag, LastModified string
	// Accept lists the media types (or "text/*"-style prefixes) the caller
	// can read; another Content-Type is ErrContentType. Empty: any.
	Accept []string
	// MaxBytes overrides the client's limit for this request when > 0.
	MaxBytes int64
}

// Response is what came back.
type Response struct {
	URL          string // the final URL, after redirects
	Status       int
	NotModified  bool
	ETag         string
	LastModified string
	ContentType  string // the media type, lowercased, without parameters
	Body         []byte // nil for anything but 2xx
}

// Get fetches req.URL. A non-2xx status other than 304 is not an error: it
// comes back in Status (callers tell a 404 from a flaky 503).
func (c *Client) Get(ctx context.Context, req Request) (*Response, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrURL, req.URL, err)
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	release, err := c.gate(ctx, strings.ToLower(u.Host))
	if err != nil {
		return nil, err
	}
	defer release()

	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrURL, err)
	}
	hr.Header.Set("User-Agent", c.opts.UserAgent)
	if len(req.Accept) > 0 {
		hr.Header.Set("Accept", strings.Join(req.Accept, ", ")+", */*;q=0.1")
	}
	if req.ETag != "" {
		hr.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hr.Header.Set("If-Modified-Since", req.LastModified)
	}
	client := c.public
	if req.AllowPrivate {
		client = c.private
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, c.describe(ctx, err)
	}
	defer resp.Body.Close()
	out := &Response{URL: resp.Request.URL.String(), Status: resp.StatusCode,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	out.ContentType, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	out.ContentType = strings.ToLower(out.ContentType)
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		return out, nil
	}
	if len(req.Accept) > 0 && !accepts(req.Accept, out.ContentType) {
		return out, fmt.Errorf("%w: %s sent %q, expected %s", ErrContentType, out.URL, out.ContentType, strings.Join(req.Accept, " or "))
	}
	limit := c.opts.MaxBytes
	if req.MaxBytes > 0 {
		limit = req.MaxBytes
	}
	if resp.ContentLength > limit {
		return out, fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrTooLarge, out.URL, resp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return out, fmt.Errorf("read %s: %w", out.URL, c.describe(ctx, err))
	}
	if int64(len(body)) > limit {
		return out, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, out.URL, limit)
	}
	out.Body = body
	return out, nil
}

// describe turns transport errors into the package's errors where it can.
func (c *Client) describe(ctx context.Context, err error) error {
	var refused *refusedError
	switch {
	case errors.As(err, &refused):
		return fmt.Errorf("%w: %s", ErrRefused, refused.msg)
	case errors.Is(err, ErrRedirects), errors.Is(err, ErrURL), errors.Is(err, ErrRefused):
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w after %s", ErrTimeout, c.opts.Timeout)
	}
	return err
}

func accepts(list []string, ctype string) bool {
	for _, a := range list {
		if a == ctype || (strings.HasSuffix(a, "/*") && strings.HasPrefix(ctype, strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

func checkURL(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w: %s: only http and https URLs can be fetched", ErrURL, u.Redacted())
	case u.User != nil:
		return fmt.Errorf("%w: %s: credentials in the URL are not allowed", ErrURL, u.Redacted())
	case u.Hostname() == "":
		return fmt.Errorf("%w: %q has no host", ErrURL, u.String())
	}
	return nil
}

// refusedError is a dial refused by checkAddress or GuardDial.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }
func (e *refusedError) Unwrap() error { return ErrRefused }

// checkAddress refuses dialing host:port when host is not a public address.
func (c *Client) checkAddress(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &refusedError{msg: "unreadable address " + address}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &refusedError{msg: "unreadable address " + address}
	}
	if ip == c.trusted {
		return nil
	}
	if err := checkIP(ip); err != nil {
		return &refusedError{msg: err.Error()}
	}
	return nil
}

// special are ranges that are neither private nor loopback by netip's
// methods but still not the public internet.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: may map to a private IPv4
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: may embed a private IPv4
	netip.MustParsePrefix("100::/64"),        // discard-only
}

// CheckIP returns an error wrapping ErrRefused when ip is not a public
// address: loopback, private, link-local (169.254.169.254, the cloud
// metadata service, included), unspecified, multicast or another special range.
func CheckIP(ip netip.Addr) error { return checkIP(ip) }

func checkIP(ip netip.Addr) error {
	what := Why(ip)
	if what == "" {
		return nil
	}
	return fmt.Errorf("%w: %s is %s (allow private addresses on the source to sync it)", ErrRefused, ip.Unmap(), what)
}

// Why says why ip is not a public address ("a loopback address", …), or
// "" when it is one.
func Why(ip netip.Addr) string {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip == netip.MustParseAddr("169.254.169.254") || ip == netip.MustParseAddr("fd00:ec2::254"):
		return "the cloud metadata address"
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "a link-local address"
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, p := range special {
		if p.Contains(ip) {
			return "a reserved address"
		}
	}
	return ""
}

// GuardDial is a net.Dialer Control hook that refuses connections to
// addresses that are not public (the error wraps ErrRefused). It sees the
// address actually dialled, after DNS, on every connection.
func GuardDial(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &refusedError{msg: "unreadable address " + address}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &refusedError{msg: "unreadable address " + address}
	}
	if why := Why(ip); why != "" {
		return &refusedError{msg: fmt.Sprintf("%s is %s", ip.Unmap(), why)}
	}
	return nil
}

// Direct returns a client for single requests to a URL an admin chose (a
// webhook receiver): GuardDial on every dial unless allowPrivate, no proxy,
// no redirects (a 3xx is the answer), no cookies, timeout for a whole
// request. Callers bound how much of a response they read.
func Direct(allowPrivate bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = GuardDial
	}
	tr := &http.Transport{
		Proxy:                  nil, // a proxy from the environment would dial unchecked
		DialContext:            d.DialContext,
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  timeout,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        60 * time.Second,
		MaxResponseHeaderBytes: 16 << 10,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// hostGate limits requests to one host: a semaphore of PerHost slots and
// the earliest time the next request may start.
type hostGate struct {
	slots chan struct{}
	mu    sync.Mutex
	next  time.Time
	users int
}

// maxHosts bounds the gates kept; idle gates whose delay has passed are
// dropped first (forgetting them changes nothing).
const maxHosts = 1000

// gate waits for a slot on host and for the host's delay, and returns the
// function that gives the slot back.
func (c *Client) gate(ctx context.Context, host string) (func(), error) {
	c.mu.Lock()
	g := c.hosts[host]
	if g == nil {
		if len(c.hosts) >= maxHosts {
			now := time.Now()
			for h, x := range c.hosts {
				x.mu.Lock()
				idle := x.users == 0 && x.next.Before(now)
				x.mu.Unlock()
				if idle {
					delete(c.hosts, h)
				}
			}
		}
		g = &hostGate{slots: make(chan struct{}, c.opts.PerHost)}
		c.hosts[host] = g
	}
	c.mu.Unlock()
	g.mu.Lock()
	g.users++
	g.mu.Unlock()
	leave := func() { g.mu.Lock(); g.users--; g.mu.Unlock() }
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
	release := func() { <-g.slots; leave() }
	if c.opts.Delay > 0 {
		g.mu.Lock()
		now := time.Now()
		start := g.next
		if start.Before(now) {
			start = now
		}
		g.next = start.Add(c.opts.Delay)
		g.mu.Unlock()
		if wait := time.Until(start); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				release()
				return nil, ctx.Err()
			}
		}
	}
	return release, nil
}
