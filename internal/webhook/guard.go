package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Outbound safety: a webhook URL is chosen by an admin, but it must not
// become a way to reach kefu's own network (the database, a cloud's metadata
// service, an admin port on localhost). The check runs in the dialer's
// Control hook, so it sees the address actually connected to, after DNS
// resolution, on every connection (a name that resolves to a public address
// once and a private one later is caught), and no proxy from the environment
// is used. Redirects are not followed (a 3xx is a failed attempt).
//
// Why here and not in a shared package: internal/fetch (issue 18) is being
// built with the same checks for knowledge sync; when it lands, Client can be
// built on its dialer and blocked can move there.

// ErrBlocked means a delivery was refused because of where it would go.
var ErrBlocked = errors.New("address not allowed")

// Special-purpose ranges that net.IP's predicates do not name.
var blockedPrefixes = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a reserved address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "a reserved address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
}

// blocked says why ip may not be connected to without allow_private ("":
// it may). Cloud metadata services (169.254.169.254, fd00:ec2::254) are
// link-local or private, so they are covered.
func blocked(ip net.IP) string {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return "not an address"
	}
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address (cloud metadata services live there)"
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, b := range blockedPrefixes {
		if b.p.Contains(a) {
			return b.why
		}
	}
	return ""
}

// guardControl refuses a connection to a blocked address.
func guardControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, ErrBlocked)
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return fmt.Errorf("dial %s: not an IP address: %w", address, ErrBlocked)
	}
	if why := blocked(ip); why != "" {
		return &blockedError{ip: ip, why: why}
	}
	return nil
}

// blockedError names the refused address and why.
type blockedError struct {
	ip  net.IP
	why string
}

func (e *blockedError) Error() string { return fmt.Sprintf("%s is %s", e.ip, e.why) }
func (e *blockedError) Unwrap() error { return ErrBlocked }

// ClientOptions bound an outbound request.
type ClientOptions struct {
	// AllowPrivate lets requests reach private, loopback and link-local
	// addresses (a subscription's explicit permission).
	AllowPrivate bool
	// Timeout bounds a whole request, response included (default 10 s).
	Timeout time.Duration
}

// NewClient returns an HTTP client for deliveries: the address guard on
// every dial (unless AllowPrivate), no proxy, no redirects, and timeouts.
// Callers read at most MaxResponse bytes of a response.
func NewClient(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		d.Control = guardControl
	}
	tr := &http.Transport{
		Proxy: nil, // a proxy from the environment would bypass the guard
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  o.Timeout,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        60 * time.Second,
		MaxResponseHeaderBytes: 16 << 10,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// MaxResponse is how much of a receiver's response is read.
const MaxResponse = 64 << 10
