//go:build !soak

package main

// Fault test sizes for make test; make soak (-tags soak) uses bigger ones.
const (
	loadClients  = 8   // shoppers sending while PostgreSQL restarts
	stormClients = 300 // shoppers reconnecting at once
)
