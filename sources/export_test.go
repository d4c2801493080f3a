package sources

import "kefu/knowledge"

// ParseFeedForTest exposes parseFeed to the package's external tests.
func ParseFeedForTest(body []byte) ([]knowledge.Product, []Failure, error) {
	return parseFeed(body, "")
}
