package webhook

// GuardControlForTest runs the dial guard on address as the dialer would.
func GuardControlForTest(network, address string) error { return guardControl(network, address, nil) }
