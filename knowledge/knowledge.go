// Package knowledge owns what the bot knows: documents (parsed, chunked and
// indexed through retrieval) and the shop's commerce data (customers,
// orders, products).
package knowledge

import (
	"errors"
	"fmt"

	"kefu/knowledge/parse"
)

// Errors returned by knowledge's stores; web maps them to statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid input")
	// ErrUnsupported is parse.ErrUnsupported: a file type knowledge cannot
	// read. Errors wrapping it wrap ErrInvalid too.
	ErrUnsupported = parse.ErrUnsupported
)

// parseDocument parses a file with package parse; a file that cannot be
// read is invalid input, so its error wraps ErrInvalid.
func parseDocument(name string, data []byte) (*parse.Document, error) {
	d, err := parse.Parse(name, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	return d, nil
}
