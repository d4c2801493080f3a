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

// Of is the page of list, read with one row more than limit: when that row
// came, there is a next page, named by cursor of the page's last item. An
// empty list is an empty page (items [], never null).
func Of[T any](list []T, limit int, cursor func(T) string) Page[T] {
	if list == nil {
		list = []T{}
	}
	p := Page[T]{Items: list}
	if len(list) > limit {
		p.Items = list[:limit]
		p.Next = cursor(list[limit-1])
	}
	return p
}
