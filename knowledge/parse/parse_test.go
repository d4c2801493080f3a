package parse

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// blockLines renders p's blocks as "Heading > Path: text" lines, for comparing.
func blockLines(p *Document) []string {
	var out []string
	for _, b := range p.Blocks {
		s := strings.Join(b.Heading, " > ") + ": " + b.Text
		if b.Row > 0 {
			s = fmt.Sprintf("#%d %s", b.Row, s)
		}
		out = append(out, s)
	}
	return out
}

// parseOK parses data as name, failing t on an error or a broken invariant.
func parseOK(t *testing.T, name string, data []byte) *Document {
	t.Helper()
	p, err := Parse(name, data)
	if err != nil {
		t.Fatalf("Parse(%q) error: %v", name, err)
	}
	checkDocument(t, p)
	return p
}

// diffLines reports got and want side by side when they differ.
func diffLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("%s:\ngot  %d:\n  %s\nwant %d:\n  %s", what, len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
}

func TestParseUnsupported(t *testing.T) {
	for _, name := range []string{"report.docx", "README", "photo.PNG", "archive.tar.gz", "notes.md.bak", `C:\docs\x.xlsx`} {
		_, err := Parse(name, []byte("hello"))
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("Parse(%q) error = %v; want ErrUnsupported", name, err)
			continue
		}
		if _, ok := ContentType(name); ok {
			t.Errorf("ContentType(%q) is supported; want not", name)
		}
		if !strings.Contains(err.Error(), ".md, .markdown, .txt, .html, .htm, .pdf, .csv, .json") {
			t.Errorf("Parse(%q) error = %q; want the supported types listed", name, err)
		}
	}
}

func TestParseContentType(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"a.md", "# A\n\ntext", "markdown"},
		{"A.MARKDOWN", "text", "markdown"},
		{"dir/a.Txt", "text", "text"},
		{`dir\a.HTM`, "<p>text</p>", "html"},
		{"a.html", "<p>text</p>", "html"},
		{"a.CSV", "question,answer\nq?,a.\n", "faq-csv"},
		{"a.json", `[{"question":"q?","answer":"a."}]`, "faq-json"},
		{"a.pdf", string(testPDF(pdfDoc{Pages: []string{pdfText("F1", 11, 72, 700, "text")}})), "pdf"},
	}
	for _, tt := range tests {
		p := parseOK(t, tt.name, []byte(tt.data))
		if p.ContentType != tt.want {
			t.Errorf("Parse(%q).ContentType = %q; want %q", tt.name, p.ContentType, tt.want)
		}
		if got, ok := ContentType(tt.name); got != tt.want || !ok {
			t.Errorf("ContentType(%q) = %q, %v; want %q, true", tt.name, got, ok, tt.want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	valid := testPDF(pdfDoc{Pages: []string{pdfText("F1", 11, 72, 700, "Some text on the page.")}})
	tests := []struct {
		desc, name string
		data       []byte
		want       string // in the error message
	}{
		{"empty markdown", "a.md", nil, "empty file"},
		{"whitespace text", "a.txt", []byte(" \n\t\r\n "), "empty file"},
		{"empty pdf", "a.pdf", []byte{}, "empty file"},
		{"empty csv", "a.csv", []byte("\n"), "empty file"},
		{"NUL bytes", "a.md", []byte("# Title\x00\x00\x01binary"), "binary data"},
		{"invalid UTF-8", "a.txt", []byte("caf\xe9 \xff\xfe\xfd"), "not valid UTF-8"},
		{"GBK text", "a.txt", []byte{0xc4, 0xe3, 0xba, 0xc3, 0xca, 0xc0, 0xbd, 0xe7}, "not valid UTF-8"},
		{"control characters", "a.html", []byte("\x01\x02\x03\x04<p>x</p>"), "binary data"},
		{"binary junk as csv", "a.csv", []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d}, "binary data"},
		{"not a pdf", "a.pdf", []byte("hello, I am text"), "corrupt PDF"},
		{"garbage pdf", "a.pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("garbage "), 40)...), "corrupt PDF"},
		{"truncated pdf", "a.pdf", valid[:len(valid)/2], "corrupt PDF"},
		{"encrypted pdf", "a.pdf", encryptedPDF(), "encrypted PDF"},
		{"content ends in a hex string", "a.pdf", testPDF(pdfDoc{Pages: []string{"BT /F1 11 Tf 72 700 Td <4142"}}), "corrupt PDF"},
		{"content ends after a bad hex digit", "a.pdf", testPDF(pdfDoc{Pages: []string{"q /X1 Do<Q\n"}}), "corrupt PDF"},
		{"pdf without text", "a.pdf", testPDF(pdfDoc{Pages: []string{"0 0 m 200 200 l S\n", "q 1 0 0 1 0 0 cm Q\n"}}), "no text layer"},
		{"html with only boilerplate", "a.html", []byte("<nav>Home | Shop</nav><script>x()</script><footer>© 2024</footer>"), "no text found"},
		{"markdown with only an image", "a.md", []byte("![](logo.png)\n\n---\n"), "no text found"},
		{"odd UTF-16", "a.txt", []byte{0xff, 0xfe, 'a'}, "truncated UTF-16"},
	}
	for _, tt := range tests {
		p, err := Parse(tt.name, tt.data)
		if err == nil {
			t.Errorf("%s: Parse(%q) = %v, nil; want an error", tt.desc, tt.name, p)
			continue
		}
		if errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: Parse(%q) error %q wraps ErrUnsupported", tt.desc, tt.name, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse(%q) error = %q; want it to contain %q", tt.desc, tt.name, err, tt.want)
		}
	}
}
