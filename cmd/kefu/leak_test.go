package main

import (
	"testing"

	"go.uber.org/goleak"
)

// The commands (serve in-process above all) stop every goroutine they
// start by the time they return.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
