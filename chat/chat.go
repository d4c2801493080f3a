// Package chat owns conversations and the sites and console users they
// belong to: dialogue state, the bot/queue/agent state machine, escalation,
// and the live fan-out of events.
package chat

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
)

// Errors returned by chat's stores; web maps them to statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid input")
	ErrConflict = errors.New("already exists")
)

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
