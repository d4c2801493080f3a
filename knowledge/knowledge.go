// Package knowledge owns what the bot knows: documents (parsed, chunked and
// indexed through retrieval) and the shop's commerce data (customers,
// orders, products).
package knowledge

import "errors"

// Errors returned by knowledge's stores; web maps them to statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid input")
)
