//go:build soak

package knowledge_test

import (
	"strings"
	"testing"
)

// TestUploadBombsSoak is TestUploadBombs at full size (make soak): a 10 MB
// line, a million Markdown emphasis spans, 4000 PDF pages, and Flate bombs
// expanding to 20 MB of text (the parser's limit) and 200 MB of spaces.
func TestUploadBombsSoak(t *testing.T) {
	line := strings.Repeat("refund window thirty days ", 400_000)
	text := strings.Repeat("(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) Tj ", 350_000)
	runBombs(t, []bombCase{
		{"text one 10 MB line", "line.txt", []byte(line), true, "refund window"},
		{"markdown 1M emphasis spans", "line.md", []byte("# Title\n\n" + strings.Repeat("*a* ", 1_000_000)), true, "a a a"},
		{"pdf 4000 pages", "pages.pdf", bombPDF(4000, pageText, false, false), true, "page 4000 explains"},
		{"pdf flate bomb of 20M characters of text", "textbomb.pdf", bombPDF(1, func(int) string { return "BT /F1 11 Tf 72 700 Td " + text + " ET" }, true, false), false, "text layer is larger"},
		{"pdf flate bomb of 200 MB of spaces", "spacebomb.pdf", bombPDF(1, func(int) string { return strings.Repeat(" ", 200<<20) }, true, false), false, "no text layer"},
	})
}
