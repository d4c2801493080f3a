package analytics_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine the package starts is stopped by the time its tests end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
