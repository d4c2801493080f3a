package knowledge_test

import (
	"errors"
	"testing"

	"kefu/knowledge"
	"kefu/knowledge/parse"
)

func TestParsePage(t *testing.T) {
	p, err := knowledge.ParsePage([]byte(`<title>Returns</title><nav>Home</nav><main><p>Thirty days.</p></main>`))
	if err != nil || p.Title != "Returns" || p.Text != "Thirty days." || p.ContentType != "html" {
		t.Fatalf("ParsePage = %+v, %v; want the main text titled Returns", p, err)
	}
	// A page without text is invalid input; the reason is parse's.
	_, err = knowledge.ParsePage([]byte(`<nav>Home</nav><script>x()</script>`))
	if !errors.Is(err, knowledge.ErrInvalid) || errors.Is(err, parse.ErrUnsupported) || err.Error() != "no text found in the document: invalid input" {
		t.Errorf("ParsePage(no text) error = %v; want ErrInvalid with parse's reason", err)
	}
}
