// Package page is the shape every listing of the API shares: a page of
// items and the cursor of the next one.
package page

// Page is one page of a list and the cursor of the next (empty at the end).
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next_cursor"`
}

// Limit is a page's size: limit when it is 1 to 200, else 50.
func Limit(limit int) int {
	if limit <= 0 || limit > 200 {
		return 50
	}
	return limit
}
