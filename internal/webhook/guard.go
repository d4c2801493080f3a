package webhook

import (
	"net"
	"net/http"
	"net/netip"
	"time"

	"kefu/internal/fetch"
)

// Outbound safety: a webhook URL is chosen by an admin, but it must not
// become a way to reach kefu's own network (the database, a cloud's metadata
// service, an admin port on localhost). Deliveries go through
// internal/fetch's Direct client: its dial hook sees the address actually
// connected to, after DNS resolution, on every connection (a name that
// resolves to a public address once and a private one later is caught), no
// proxy from the environment is used, and redirects are not followed (a 3xx
// is a failed attempt).

// ErrBlocked means a delivery was refused because of where it would go.
var ErrBlocked = fetch.ErrRefused

// blocked says why ip may not be connected to without allow_private ("":
// it may).
func blocked(ip net.IP) string {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return "not an address"
	}
	return fetch.Why(a)
}

// ClientOptions bound an outbound request.
type ClientOptions struct {
	// AllowPrivate lets requests reach private, loopback and link-local
	// addresses (a subscription's explicit permission).
	AllowPrivate bool
	// Timeout bounds a whole request, response included (default 10 s).
	Timeout time.Duration
}

// NewClient returns an HTTP client for deliveries (fetch.Direct).
// Callers read at most MaxResponse bytes of a response.
func NewClient(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	return fetch.Direct(o.AllowPrivate, o.Timeout)
}

// MaxResponse is how much of a receiver's response is read.
const MaxResponse = 64 << 10
