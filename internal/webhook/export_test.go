package webhook

import "kefu/internal/fetch"

// GuardControlForTest runs the dial guard on address as the dialer would.
func GuardControlForTest(network, address string) error {
	return fetch.GuardDial(network, address, nil)
}
