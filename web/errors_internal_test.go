package web

import (
	"fmt"
	"net/http"
	"testing"
)

// A part of the server that is off answers with its own code, wrapped or not,
// so the console can say "not enabled here" instead of showing an error.
func TestNotEnabledHasItsCode(t *testing.T) {
	for _, err := range []error{notEnabled("knowledge sources are"), fmt.Errorf("list: %w", notEnabled("webhooks are")),
		&featureOff{http.StatusNotImplemented, "answer tests are"}} {
		status, body := errorStatus(err)
		if body.Code != "not_enabled" || (status != http.StatusNotFound && status != http.StatusNotImplemented) {
			t.Errorf("errorStatus(%v) = %d %+v; want not_enabled", err, status, body)
		}
	}
	if _, body := errorStatus(notEnabled("the audit log is")); body.Message != "the audit log is not enabled on this server" {
		t.Errorf("message %q", body.Message)
	}
}
