package webhook_test

import (
	"io"
	"net/http"
	"time"

	"kefu/internal/webhook"
)

// A receiver verifies each delivery before trusting it: the signature over
// the raw body, and a timestamp no older than five minutes (a replay).
// Deliveries come at least once: skip an event id already handled.
func ExampleVerify() {
	secret := "whsec_…" // shown once when the webhook was created
	http.HandleFunc("/kefu-hooks", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get("Kefu-Signature"), body, 5*time.Minute, time.Now()); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		// json.Unmarshal(body, &event): {"id","type","created_at","site","data"}
		w.WriteHeader(http.StatusNoContent)
	})
}
