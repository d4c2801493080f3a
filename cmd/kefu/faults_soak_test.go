//go:build soak

package main

// Fault test sizes for make soak.
const (
	loadClients  = 50
	stormClients = 2000
)
